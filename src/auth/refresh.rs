//! Refresh tokens: 32 random bytes, written as base64url (43 characters),
//! stored only as their SHA-256 hash (they are random, so a fast hash is
//! enough: nothing to guess).
//!
//! A rotation's successor is derived, not drawn: HMAC-SHA256 of the spent
//! token under a key of the service's (from `SIGNIN_JWT_SECRET`). So a spent
//! token presented again within the grace window gets the very successor
//! its first rotation gave, though only the successor's hash is stored
//! (RFC 9700, section 4.14.2, with the grace period of Auth0, Keycloak and
//! Ory Hydra for two tabs refreshing at once).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::token::keyed_digest;

/// Characters of a refresh token as issued.
pub const TOKEN_CHARS: usize = 43;

/// A new refresh token.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Whether `token` has the shape of a refresh token (checked before it is
/// hashed or looked up).
pub fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What is stored of `token`: its SHA-256.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The token a rotation of `token` issues, under `key`.
pub fn successor(key: &[u8], token: &str) -> String {
    URL_SAFE_NO_PAD.encode(keyed_digest(key, token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_well_formed_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(well_formed(&a) && well_formed(&b));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a), hash(&a.clone()));
    }

    #[test]
    fn successors_are_well_formed_fixed_per_key_and_unrelated_to_the_hash() {
        let token = new_token();
        let next = successor(b"key one", &token);
        assert!(well_formed(&next));
        assert_eq!(next, successor(b"key one", &token));
        assert_ne!(next, successor(b"key two", &token));
        assert_ne!(
            hash(&token).to_vec(),
            URL_SAFE_NO_PAD.decode(&next).unwrap()
        );
    }

    #[test]
    fn malformed_tokens_are_told_apart() {
        let table = [
            ("", false),
            ("short", false),
            (&"a".repeat(43)[..], true),
            (&"a".repeat(44)[..], false),
            (&format!("{}=", "a".repeat(42))[..], false),
            (&format!("{}é", "a".repeat(41))[..], false),
        ];
        for (token, ok) in table {
            assert_eq!(well_formed(token), ok, "{token:?}");
        }
    }
}
