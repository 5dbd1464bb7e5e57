//! Signed access tokens (JWT, HS256 only). Expiry is checked against the
//! service clock, so a test clock moves token expiry too.
//!
//! Each token names its session (`sid`) and carries a `kid` header naming
//! the secret that signed it (derived from the secret, revealing nothing of
//! it): `SIGNIN_JWT_SECRET` signs, and it and each of
//! `SIGNIN_JWT_PREVIOUS_SECRETS` verify the tokens they signed, so a
//! restart with a new secret (the old one kept as previous) signs nobody
//! out. A token without a `kid`, or with one no configured secret has, is
//! refused (contract, "Sessions: staying signed in").
//!
//! A token whose signature checked out is remembered (keyed by the
//! SHA-256 digest of the whole token, bounded), so a client's later
//! requests skip the base64, JSON and HMAC work; the time checks still run
//! on every use, so a remembered token stops working when it expires. What
//! the cache holds is only "this string was signed by us and says these
//! claims"; whether the token is revoked (its session ended, its `ver`
//! behind the user's token version, the user deleted) is decided by the
//! caller on every request from the user's row, which every such change
//! drops from the caches at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{SessionId, UserId};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id, as a decimal string.
    pub sub: String,
    /// The user's token version when issued; a bump revokes the token.
    pub ver: i32,
    /// The session the token belongs to.
    pub sid: i64,
    pub iat: i64,
    pub exp: i64,
}

/// What a token that checked out says, as the service uses it (and as its
/// memory of verified tokens holds it: 40 bytes, no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The subject (`sub`, a decimal string in the token).
    pub user_id: UserId,
    /// The user's token version when issued; a bump revokes the token.
    pub ver: i32,
    /// The session the token belongs to (`sid`).
    pub session: SessionId,
    /// Issued at and expires at (`iat`, `exp`): seconds since the Unix
    /// epoch (RFC 7519, section 4.1).
    pub iat: i64,
    pub exp: i64,
}

impl Verified {
    /// None when the subject is not a user id.
    fn of(claims: &Claims) -> Option<Self> {
        Some(Verified {
            user_id: UserId(claims.sub.parse().ok()?),
            ver: claims.ver,
            session: SessionId(claims.sid),
            iat: claims.iat,
            exp: claims.exp,
        })
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
/// 7/8 of 2^18: the most a hash table of 2^18 buckets holds (hashbrown's
/// load factor), about 19 MB at 73 bytes a bucket (the 32-byte digest, a
/// [`Verified`] and a control byte). Keyed by the token itself, as before,
/// the memory held 65,536 tokens in about 26 MB: fewer than the 100,000
/// users of the bench's status read, so most of its requests decoded the
/// token afresh (bench/results/issue23-warm-path).
pub const VERIFIED_CAPACITY: usize = 229_376;

/// The key a verified token is remembered under: its SHA-256 digest. A
/// second token with the same digest would need a SHA-256 collision, so a
/// hit is the very token that was verified.
type TokenDigest = [u8; 32];

fn digest_of(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// The `kid` of tokens signed with `secret`: 16 hex digits of
/// HMAC-SHA256(secret, "signin-rewards kid"), which names the secret
/// without revealing it.
pub fn kid_of(secret: &[u8]) -> String {
    keyed_digest(secret, b"signin-rewards kid")[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// HMAC-SHA256 of `message` under `key`.
pub fn keyed_digest(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length: `new_from_slice` cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

pub struct TokenKeys {
    /// The current secret's `kid` and key.
    kid: String,
    /// The key refresh-token successors are derived under (`refresh`).
    rotation: [u8; 32],
    encoding: EncodingKey,
    /// Every configured secret's key, by `kid`.
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    ttl: TimeDelta,
    /// Correctly signed tokens' claims, by digest (see the module's notes).
    verified: Mutex<HashMap<TokenDigest, Verified>>,
    capacity: usize,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("kid", &self.kid)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Signing with `secret`, verifying with it and each of `previous`;
    /// tokens live `ttl` (at most).
    pub fn new(secret: &[u8], previous: &[String], ttl: Duration) -> Self {
        Self::with_capacity(secret, previous, ttl, VERIFIED_CAPACITY)
    }

    /// As [`TokenKeys::new`], remembering at most `capacity` verified tokens.
    pub fn with_capacity(
        secret: &[u8],
        previous: &[String],
        ttl: Duration,
        capacity: usize,
    ) -> Self {
        // The algorithm is pinned: `alg: none` or any other algorithm fails.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims = ["sub", "exp", "iat"]
            .into_iter()
            .map(String::from)
            .collect();
        let decoding = previous
            .iter()
            .map(|s| s.as_bytes())
            .chain([secret])
            .map(|s| (kid_of(s), DecodingKey::from_secret(s)))
            .collect();
        Self {
            kid: kid_of(secret),
            rotation: keyed_digest(secret, b"signin-rewards refresh rotation"),
            encoding: EncodingKey::from_secret(secret),
            decoding,
            validation,
            ttl: TimeDelta::from_std(ttl).unwrap_or(TimeDelta::minutes(15)),
            verified: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn verified(&self) -> std::sync::MutexGuard<'_, HashMap<TokenDigest, Verified>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many verified tokens are remembered now.
    pub fn remembered(&self) -> usize {
        self.verified().len()
    }

    /// The key refresh-token successors are derived under.
    pub fn rotation_key(&self) -> &[u8] {
        &self.rotation
    }

    /// How long a token lives at most (`SIGNIN_TOKEN_TTL_SECS`).
    pub fn ttl(&self) -> TimeDelta {
        self.ttl
    }

    /// A token of `session` for `user_id` at `token_version`, issued at
    /// `issued_at` and expiring a TTL later but never after `not_after`
    /// (the session's own end); and when it expires. The same arguments
    /// give the same token (a refresh replayed within the grace window
    /// answers the same pair).
    pub fn issue(
        &self,
        user_id: UserId,
        token_version: i32,
        session: SessionId,
        issued_at: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), TokenError> {
        let expires_at = (issued_at + self.ttl).min(not_after);
        let claims = Claims {
            sub: user_id.to_string(),
            ver: token_version,
            sid: session.0,
            iat: issued_at.timestamp(),
            exp: expires_at.timestamp(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|_| TokenError::Signing)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or(expires_at);
        Ok((token, expires_at))
    }

    /// The claims of `token` if one of our secrets signed it (the one its
    /// `kid` names), its subject is a user id, and it is valid at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Verified, TokenError> {
        let digest = digest_of(token);
        let remembered = self.verified().get(&digest).copied();
        let verified = match remembered {
            Some(verified) => verified,
            None => {
                let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
                let key = header
                    .kid
                    .as_deref()
                    .and_then(|kid| self.decoding.get(kid))
                    .ok_or(TokenError::Invalid)?;
                let claims = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
                    .map_err(|_| TokenError::Invalid)?
                    .claims;
                let verified = Verified::of(&claims).ok_or(TokenError::Invalid)?;
                Self::check_times(&verified, now)?;
                let mut memory = self.verified();
                if memory.len() >= self.capacity {
                    memory.clear();
                }
                memory.insert(digest, verified);
                return Ok(verified);
            }
        };
        if let Err(error) = Self::check_times(&verified, now) {
            if error == TokenError::Expired {
                self.verified().remove(&digest);
            }
            return Err(error);
        }
        Ok(verified)
    }

    fn check_times(verified: &Verified, now: DateTime<Utc>) -> Result<(), TokenError> {
        if verified.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        if verified.iat > (now + LEEWAY).timestamp() {
            return Err(TokenError::NotYetValid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const SECRET: &str = "a-test-secret-of-at-least-32-bytes!!";

    fn keys() -> TokenKeys {
        TokenKeys::new(SECRET.as_bytes(), &[], Duration::from_secs(3600))
    }

    fn far() -> DateTime<Utc> {
        now() + TimeDelta::days(365)
    }

    fn issue(keys: &TokenKeys, user: i64, ver: i32) -> (String, DateTime<Utc>) {
        keys.issue(UserId(user), ver, SessionId(7), now(), far())
            .unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-06-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let (token, expires_at) = issue(&keys(), 42, 3);
        assert_eq!(expires_at, now() + TimeDelta::hours(1));
        let claims = keys().verify(&token, now()).unwrap();
        assert_eq!((claims.user_id, claims.ver), (UserId(42), 3));
        let payload = jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(&token).unwrap();
        assert_eq!(payload.sub, "42", "the subject stays the bare number");
        assert_eq!(keys().verify(&token, expires_at), Err(TokenError::Expired));
        assert_eq!(
            keys().verify(&token, now() - TimeDelta::hours(1)),
            Err(TokenError::NotYetValid)
        );
    }

    #[test]
    fn remembered_tokens_still_expire_and_wait_for_their_start() {
        let keys = keys();
        let (token, expires_at) = issue(&keys, 42, 3);
        assert_eq!(keys.verify(&token, now()).unwrap().ver, 3);
        assert_eq!(keys.remembered(), 1);
        // Served from memory from here on, with the times checked each use.
        assert_eq!(keys.verify(&token, now()).unwrap().user_id, UserId(42));
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
        let (token, expires_at) = issue(&keys, 42, 0);
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
    fn a_signed_token_whose_subject_is_no_user_id_is_refused_and_not_remembered() {
        let keys = keys();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid_of(SECRET.as_bytes()));
        for sub in ["admin", "", "42 ", "99999999999999999999"] {
            let claims = Claims {
                sub: sub.into(),
                ver: 0,
                sid: 7,
                iat: now().timestamp(),
                exp: now().timestamp() + 60,
            };
            let token = jsonwebtoken::encode(
                &header,
                &claims,
                &EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .unwrap();
            assert_eq!(
                keys.verify(&token, now()),
                Err(TokenError::Invalid),
                "{sub:?}"
            );
        }
        assert_eq!(keys.remembered(), 0);
    }

    #[test]
    fn the_memory_of_verified_tokens_is_bounded() {
        let keys = TokenKeys::with_capacity(SECRET.as_bytes(), &[], Duration::from_secs(3600), 8);
        for id in 0..20 {
            let (token, _) = issue(&keys, id, 0);
            assert!(keys.verify(&token, now()).is_ok());
            assert!(keys.remembered() <= 8, "{} remembered", keys.remembered());
        }
        // What VERIFIED_CAPACITY's memory estimate counts per entry.
        assert_eq!(std::mem::size_of::<Verified>(), 40);
        assert_eq!(std::mem::size_of::<(TokenDigest, Verified)>(), 72);
    }

    #[test]
    fn other_secrets_and_algorithms_are_refused() {
        let (token, _) = issue(&keys(), 42, 0);
        let other = TokenKeys::new(
            b"another-secret-of-at-least-32-bytes",
            &[],
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
            sid: 7,
            iat: now().timestamp(),
            exp: now().timestamp() + 60,
        };
        let mut header = Header::new(Algorithm::HS512);
        header.kid = Some(kid_of(SECRET.as_bytes()));
        let hs512 = jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(b"a-test-secret-of-at-least-32-bytes!!"),
        )
        .unwrap();
        assert_eq!(keys().verify(&hs512, now()), Err(TokenError::Invalid));
        assert_eq!(keys().verify("garbage", now()), Err(TokenError::Invalid));
    }

    #[test]
    fn tokens_name_their_session_and_stop_at_its_end() {
        let keys = keys();
        let session_end = now() + TimeDelta::minutes(10);
        let (token, expires_at) = keys
            .issue(UserId(42), 0, SessionId(9), now(), session_end)
            .unwrap();
        assert_eq!(expires_at, session_end, "never past the session's end");
        assert_eq!(keys.verify(&token, now()).unwrap().session, SessionId(9));
        // The same arguments, the same token (a replayed refresh).
        let (again, _) = keys
            .issue(UserId(42), 0, SessionId(9), now(), session_end)
            .unwrap();
        assert_eq!(token, again);
    }

    #[test]
    fn previous_secrets_verify_what_they_signed_and_a_kid_must_be_known() {
        let old = TokenKeys::new(
            b"the-old-secret-of-at-least-32-bytes!",
            &[],
            Duration::from_secs(3600),
        );
        let (old_token, _) = issue(&old, 42, 0);
        let rotated = TokenKeys::new(
            SECRET.as_bytes(),
            &["the-old-secret-of-at-least-32-bytes!".to_owned()],
            Duration::from_secs(3600),
        );
        assert_eq!(
            rotated.verify(&old_token, now()).unwrap().user_id,
            UserId(42)
        );
        let (new_token, _) = issue(&rotated, 42, 0);
        let header = jsonwebtoken::decode_header(&new_token).unwrap();
        assert_eq!(
            header.kid.as_deref(),
            Some(kid_of(SECRET.as_bytes()).as_str())
        );
        assert!(!new_token.contains(SECRET));
        // Without the old secret configured, its tokens are refused.
        assert_eq!(keys().verify(&old_token, now()), Err(TokenError::Invalid));
        // A token without a kid is refused, even signed with the secret.
        let claims = Claims {
            sub: "42".into(),
            ver: 0,
            sid: 7,
            iat: now().timestamp(),
            exp: now().timestamp() + 60,
        };
        let bare = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(keys().verify(&bare, now()), Err(TokenError::Invalid));
        assert_ne!(kid_of(b"a"), kid_of(b"b"));
        assert_eq!(kid_of(b"a").len(), 16);
    }
}
