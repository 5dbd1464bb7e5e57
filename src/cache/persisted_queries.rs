//! The automatic persisted queries (Apollo's APQ) every replica shares:
//! query texts in Redis under their SHA-256, so a client that registered a
//! query through one replica can send only its hash to any other.
//!
//! Bounded: a text longer than [`MAX_QUERY_BYTES`] is never stored, every
//! entry expires [`TTL`] after its last use (a read refreshes it), and all
//! replicas together store at most [`STORED_BYTES_PER_HOUR`] bytes of new
//! texts per clock hour (a counter in Redis), so Redis holds at most a
//! day's worth of that (about 96 MiB) however many documents clients send.
//! Redis holds no state that matters here: a lost entry only makes the
//! client send its query once more (`PERSISTED_QUERY_NOT_FOUND`). This
//! module must never decide what a hash or query means; that is the API's
//! (`graphql::persisted`).

use std::fmt;
use std::time::Duration;

use super::{CacheError, RedisKeys, RedisPool};

/// The longest query text stored, in bytes (UTF-8). A longer one still
/// runs when sent in full; it is just not remembered.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// How long an entry lives after it was last stored or read.
pub const TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The most bytes of query text all replicas store in one clock hour.
/// A real client registers a few dozen queries of a few KB; past this a
/// query still runs when sent in full, it is just not remembered.
pub const STORED_BYTES_PER_HOUR: u64 = 4 * 1024 * 1024;

/// What became of a query offered for storing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Yes,
    /// Longer than [`MAX_QUERY_BYTES`].
    TooLong,
    /// This hour's budget of stored bytes is spent.
    OverBudget,
}

/// A query's SHA-256, as APQ names it: 64 lowercase hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueryHash([u8; 32]);

impl QueryHash {
    /// The SHA-256 of `query`'s UTF-8 bytes.
    pub fn of(query: &str) -> Self {
        use sha2::Digest;
        QueryHash(sha2::Sha256::digest(query.as_bytes()).into())
    }

    /// Reads 64 hexadecimal digits (either case); None for anything else.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let high = hex_digit(pair[0])?;
            let low = hex_digit(pair[1])?;
            out[i] = high << 4 | low;
        }
        Some(QueryHash(out))
    }
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for QueryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// The shared store of persisted query texts.
#[derive(Debug, Clone)]
pub struct PersistedQueryStore {
    redis: RedisPool,
    keys: RedisKeys,
    /// Bytes of new texts stored per clock hour, all replicas together.
    bytes_per_hour: u64,
}

impl PersistedQueryStore {
    /// The store with the default budget ([`STORED_BYTES_PER_HOUR`]).
    pub fn new(redis: RedisPool, keys: RedisKeys) -> Self {
        Self::with_budget(redis, keys, STORED_BYTES_PER_HOUR)
    }

    /// The store storing at most `bytes_per_hour` bytes of new texts per
    /// clock hour.
    pub fn with_budget(redis: RedisPool, keys: RedisKeys, bytes_per_hour: u64) -> Self {
        Self {
            redis,
            keys,
            bytes_per_hour,
        }
    }

    /// The Redis key of `hash`, in this install's (or test run's) namespace.
    pub fn key(&self, hash: &QueryHash) -> String {
        format!("{}:apq:{hash}", self.keys.namespace())
    }

    /// The query text stored under `hash`, if any; a hit pushes its expiry
    /// back to [`TTL`] from now (one command: `GETEX`).
    pub async fn get(&self, hash: &QueryHash) -> Result<Option<String>, CacheError> {
        let mut conn = self.redis.get().await?;
        let text: Option<String> = redis::cmd("GETEX")
            .arg(self.key(hash))
            .arg("EX")
            .arg(TTL.as_secs())
            .query_async(&mut *conn)
            .await?;
        Ok(text)
    }

    /// Stores `query` under `hash` for [`TTL`], at `now` (which picks the
    /// hour whose budget it is counted in). The caller has checked that
    /// `hash` is the query's and that the query validates; a query over
    /// [`MAX_QUERY_BYTES`] or over the hour's budget is not stored.
    pub async fn put(
        &self,
        hash: &QueryHash,
        query: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Stored, CacheError> {
        if query.len() > MAX_QUERY_BYTES {
            return Ok(Stored::TooLong);
        }
        let mut conn = self.redis.get().await?;
        let budget_key = format!(
            "{}:apq-budget:{}",
            self.keys.namespace(),
            now.timestamp().div_euclid(3600)
        );
        let (spent,): (u64,) = redis::pipe()
            .cmd("INCRBY")
            .arg(&budget_key)
            .arg(query.len())
            .cmd("EXPIRE")
            .arg(&budget_key)
            .arg(2 * 3600)
            .ignore()
            .query_async(&mut *conn)
            .await?;
        if spent > self.bytes_per_hour {
            return Ok(Stored::OverBudget);
        }
        let _: () = redis::cmd("SET")
            .arg(self.key(hash))
            .arg(query)
            .arg("EX")
            .arg(TTL.as_secs())
            .query_async(&mut *conn)
            .await?;
        Ok(Stored::Yes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_as_apollo_does() {
        // sha256("{ __typename }"), as `printf '%s' '{ __typename }' | sha256sum` gives it.
        let hash = QueryHash::of("{ __typename }");
        assert_eq!(
            hash.to_string(),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
        assert_eq!(QueryHash::from_hex(&hash.to_string()), Some(hash));
        assert_eq!(
            QueryHash::from_hex(&hash.to_string().to_uppercase()),
            Some(hash)
        );
    }

    #[tokio::test]
    async fn a_query_over_the_limit_is_not_stored() {
        // Nothing listens there: a query over the limit must not even ask.
        let url = "redis://127.0.0.1:1";
        let target = std::sync::Arc::new(super::super::RedisTarget::new(url, None).unwrap());
        let pool = super::super::connect(target, url, 1, Duration::from_millis(50))
            .await
            .unwrap();
        let store = PersistedQueryStore::new(pool, RedisKeys::new("t"));
        let long = "x".repeat(MAX_QUERY_BYTES + 1);
        let now = chrono::Utc::now();
        assert!(matches!(
            store.put(&QueryHash::of(&long), &long, now).await,
            Ok(Stored::TooLong)
        ));
        let short = "{ __typename }";
        assert!(store.put(&QueryHash::of(short), short, now).await.is_err());
        assert_eq!(
            store.key(&QueryHash::of(short)),
            "t:apq:7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }

    #[test]
    fn reads_only_64_hex_digits() {
        let valid = "a".repeat(64);
        assert!(QueryHash::from_hex(&valid).is_some());
        for bad in [
            String::new(),
            "a".repeat(63),
            "a".repeat(65),
            format!("{}g", "a".repeat(63)),
            format!("{}é", "a".repeat(62)),
        ] {
            assert_eq!(QueryHash::from_hex(&bad), None, "{bad:?}");
        }
    }
}
