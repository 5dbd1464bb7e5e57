//! Signed bearer tokens (JWT, HS256 only). Expiry is checked against the
//! service clock, so a test clock moves token expiry too.
//!
//! A token whose signature checked out is remembered (keyed by the whole
//! token, bounded), so a client's later requests skip the base64, JSON and
//! HMAC work; the time checks still run on every use, so a remembered token
//! stops working when it expires. What the cache holds is only "this
//! string was signed by us and says these claims"; whether the token is
//! revoked (its `ver` against the user's current token version, the user
//! deleted) is decided by the caller on every request from the user's row,
//! which every change drops from the caches at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::model::UserId;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id, as a decimal string.
    pub sub: String,
    /// The user's token version when issued; a bump revokes the token.
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    /// The subject as a user id; None when it is not one.
    pub fn user_id(&self) -> Option<UserId> {
        self.sub.parse().ok().map(UserId)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed or wrongly signed token")]
    Invalid,
    #[error("token expired")]
    Expired,
    #[error("token issued in the future")]
    NotYetValid,
    #[error("token could not be signed")]
    Signing,
}

/// Tolerated clock difference between replicas.
const LEEWAY: TimeDelta = TimeDelta::seconds(60);

/// Tokens remembered as correctly signed, at most; past that the memory is
/// emptied (cheap, and rare: it takes this many distinct live tokens).
pub const VERIFIED_CAPACITY: usize = 65_536;

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: TimeDelta,
    /// Correctly signed tokens and their claims (see the module's notes).
    verified: Mutex<HashMap<Box<str>, Claims>>,
    capacity: usize,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self::with_capacity(secret, ttl, VERIFIED_CAPACITY)
    }

    /// As [`TokenKeys::new`], remembering at most `capacity` verified tokens.
    pub fn with_capacity(secret: &[u8], ttl: Duration, capacity: usize) -> Self {
        // The algorithm is pinned: `alg: none` or any other algorithm fails.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims = ["sub", "exp", "iat"]
            .into_iter()
            .map(String::from)
            .collect();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: TimeDelta::from_std(ttl).unwrap_or(TimeDelta::hours(24)),
            verified: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn verified(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Claims>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many verified tokens are remembered now.
    pub fn remembered(&self) -> usize {
        self.verified().len()
    }

    /// A token for `user_id` at `token_version`, and when it expires.
    pub fn issue(
        &self,
        user_id: UserId,
        token_version: i32,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), TokenError> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user_id.to_string(),
            ver: token_version,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| TokenError::Signing)?;
        Ok((token, expires_at))
    }

    /// The claims of `token` if we signed it and it is valid at `now`.
    /// Revocation is the caller's check (see the module's notes).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let remembered = self.verified().get(token).cloned();
        let claims = match remembered {
            Some(claims) => claims,
            None => {
                let claims =
                    jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
                        .map_err(|_| TokenError::Invalid)?
                        .claims;
                if claims.user_id().is_none() {
                    return Err(TokenError::Invalid);
                }
                Self::check_times(&claims, now)?;
                let mut verified = self.verified();
                if verified.len() >= self.capacity {
                    verified.clear();
                }
                verified.insert(token.into(), claims.clone());
                return Ok(claims);
            }
        };
        if let Err(error) = Self::check_times(&claims, now) {
            if error == TokenError::Expired {
                self.verified().remove(token);
            }
            return Err(error);
        }
        Ok(claims)
    }

    fn check_times(claims: &Claims, now: DateTime<Utc>) -> Result<(), TokenError> {
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        if claims.iat > (now + LEEWAY).timestamp() {
            return Err(TokenError::NotYetValid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            b"a-test-secret-of-at-least-32-bytes!!",
            Duration::from_secs(3600),
        )
    }

    fn now() -> DateTime<Utc> {
        "2026-06-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let (token, expires_at) = keys().issue(UserId(42), 3, now()).unwrap();
        assert_eq!(expires_at, now() + TimeDelta::hours(1));
        let claims = keys().verify(&token, now()).unwrap();
        assert_eq!((claims.user_id(), claims.ver), (Some(UserId(42)), 3));
        assert_eq!(claims.sub, "42", "the subject stays the bare number");
        assert_eq!(keys().verify(&token, expires_at), Err(TokenError::Expired));
        assert_eq!(
            keys().verify(&token, now() - TimeDelta::hours(1)),
            Err(TokenError::NotYetValid)
        );
    }

    #[test]
    fn remembered_tokens_still_expire_and_wait_for_their_start() {
        let keys = keys();
        let (token, expires_at) = keys.issue(UserId(42), 3, now()).unwrap();
        assert_eq!(keys.verify(&token, now()).unwrap().ver, 3);
        assert_eq!(keys.remembered(), 1);
        // Served from memory from here on, with the times checked each use.
        assert_eq!(
            keys.verify(&token, now()).unwrap().user_id(),
            Some(UserId(42))
        );
        assert_eq!(
            keys.verify(&token, now() - TimeDelta::hours(1)),
            Err(TokenError::NotYetValid)
        );
        assert_eq!(keys.verify(&token, expires_at), Err(TokenError::Expired));
        assert_eq!(keys.remembered(), 0, "an expired token is forgotten");
        assert_eq!(keys.verify(&token, expires_at), Err(TokenError::Expired));
    }

    #[test]
    fn refused_tokens_are_not_remembered_and_a_changed_byte_is_checked_afresh() {
        let keys = keys();
        let (token, expires_at) = keys.issue(UserId(42), 0, now()).unwrap();
        assert_eq!(keys.verify(&token, expires_at), Err(TokenError::Expired));
        assert_eq!(keys.remembered(), 0);
        assert!(keys.verify(&token, now()).is_ok());
        // The same token with its signature's last character changed.
        let mut forged = token.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(keys.verify(&forged, now()), Err(TokenError::Invalid));
        assert_eq!(keys.remembered(), 1);
    }

    #[test]
    fn the_memory_of_verified_tokens_is_bounded() {
        let keys = TokenKeys::with_capacity(
            b"a-test-secret-of-at-least-32-bytes!!",
            Duration::from_secs(3600),
            8,
        );
        for id in 0..20 {
            let (token, _) = keys.issue(UserId(id), 0, now()).unwrap();
            assert!(keys.verify(&token, now()).is_ok());
            assert!(keys.remembered() <= 8, "{} remembered", keys.remembered());
        }
    }

    #[test]
    fn other_secrets_and_algorithms_are_refused() {
        let (token, _) = keys().issue(UserId(42), 0, now()).unwrap();
        let other = TokenKeys::new(
            b"another-secret-of-at-least-32-bytes",
            Duration::from_secs(3600),
        );
        assert_eq!(other.verify(&token, now()), Err(TokenError::Invalid));

        // An unsigned token claiming `alg: none`.
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = b64.encode(format!(
            r#"{{"sub":"42","ver":0,"iat":{},"exp":{}}}"#,
            now().timestamp(),
            now().timestamp() + 60
        ));
        assert_eq!(
            keys().verify(&format!("{header}.{payload}."), now()),
            Err(TokenError::Invalid)
        );

        // HS512 with the right secret is still the wrong algorithm.
        let claims = Claims {
            sub: "42".into(),
            ver: 0,
            iat: now().timestamp(),
            exp: now().timestamp() + 60,
        };
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(b"a-test-secret-of-at-least-32-bytes!!"),
        )
        .unwrap();
        assert_eq!(keys().verify(&hs512, now()), Err(TokenError::Invalid));
        assert_eq!(keys().verify("garbage", now()), Err(TokenError::Invalid));
    }
}
