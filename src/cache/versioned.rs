//! A versioned cache-aside store in Redis.
//!
//! Each entry has a value key and a version key. A writer that changes the
//! underlying data bumps the version (and drops the value) after its
//! commit. A reader notes the versions before it reads the database and
//! stores what it read only if the version is still the one it noted
//! (checked and set atomically in Redis), so a slow reader can never put
//! back data older than a write that invalidated it. Every value expires
//! (for statuses: at the end of the business day at the latest), which
//! bounds the harm of an invalidation lost while Redis was unreachable.

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use super::CacheError;
use super::{RedisKeys, RedisPool};

/// The entry kind of a user's latest sign-in position (read by status
/// queries, dropped when the user's sign-ins change).
pub const STATUS: &str = "status";
/// The entry kind of a user's row (read by every token check, dropped when
/// the row changes).
pub const USER: &str = "user";

/// Version keys outlive any value (values live at most a day).
const VERSION_TTL_SECS: u64 = 2 * 24 * 3600;

/// Sets KEYS[1] to ARGV[2] for ARGV[3] seconds if KEYS[2] (the version)
/// still reads ARGV[1].
const PUT_IF_VERSION_SOURCE: &str = r"local current = redis.call('GET', KEYS[2]) or '0'
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0";

static PUT_IF_VERSION: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(PUT_IF_VERSION_SOURCE));

/// A cached entry as read: its value (if cached) and the version to quote
/// when storing a fresh value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub value: Option<String>,
    pub version: String,
}

#[derive(Debug)]
pub struct VersionedCache {
    pool: RedisPool,
    keys: RedisKeys,
    round_trips: AtomicU64,
}

impl VersionedCache {
    pub fn new(pool: RedisPool, keys: RedisKeys) -> Self {
        Self {
            pool,
            keys,
            round_trips: AtomicU64::new(0),
        }
    }

    /// Round trips to Redis made so far (for tests and metrics).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    fn value_key(&self, kind: &str, id: impl Display) -> String {
        format!("{}:{kind}:{id}", self.keys.namespace())
    }

    fn version_key(&self, kind: &str, id: impl Display) -> String {
        format!("{}:{kind}-version:{id}", self.keys.namespace())
    }

    /// The entries of `ids`, in order, in one round trip.
    pub async fn get_many<I: Display>(
        &self,
        kind: &str,
        ids: &[I],
    ) -> Result<Vec<Slot>, CacheError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One MGET of the values then the versions (one command, not two).
        let keys: Vec<String> = ids
            .iter()
            .map(|id| self.value_key(kind, id))
            .chain(ids.iter().map(|id| self.version_key(kind, id)))
            .collect();
        let mut conn = self.pool.get().await?;
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let mut values: Vec<Option<String>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut *conn)
            .await?;
        if values.len() != 2 * ids.len() {
            return Err(CacheError::Unavailable(format!(
                "MGET of {} keys answered {}",
                keys.len(),
                values.len()
            )));
        }
        let versions = values.split_off(ids.len());
        Ok(values
            .into_iter()
            .zip(versions)
            .map(|(value, version)| Slot {
                value,
                version: version.unwrap_or_else(|| "0".into()),
            })
            .collect())
    }

    /// Stores values read from the database, each only if its entry's
    /// version is still the one noted before reading; one round trip.
    pub async fn put_many<I: Display>(
        &self,
        kind: &str,
        entries: &[(I, &str, String)],
        ttl: Duration,
    ) -> Result<(), CacheError> {
        if entries.is_empty() {
            return Ok(());
        }
        let ttl = ttl.as_secs().max(1);
        let mut pipe = redis::pipe();
        for (id, version, value) in entries {
            pipe.cmd("EVALSHA")
                .arg(PUT_IF_VERSION.get_hash())
                .arg(2)
                .arg(self.value_key(kind, id))
                .arg(self.version_key(kind, id))
                .arg(*version)
                .arg(value)
                .arg(ttl)
                .ignore();
        }
        let mut conn = self.pool.get().await?;
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        match pipe.query_async::<()>(&mut *conn).await {
            Ok(()) => Ok(()),
            // Redis forgot the script (restart, SCRIPT FLUSH): load it, retry.
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                let _: String = redis::cmd("SCRIPT")
                    .arg("LOAD")
                    .arg(PUT_IF_VERSION_SOURCE)
                    .query_async(&mut *conn)
                    .await?;
                self.round_trips.fetch_add(1, Ordering::Relaxed);
                Ok(pipe.query_async::<()>(&mut *conn).await?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Adds to `pipe` what marks `id`'s entry changed: its version is
    /// bumped (so a read that began earlier cannot store its stale value)
    /// and its value dropped. The caller sends the pipeline (see
    /// `after_commit`, which sends it with the change's announcements).
    pub fn add_invalidation(&self, pipe: &mut redis::Pipeline, kind: &str, id: impl Display) {
        // A fresh random version rather than INCR + EXPIRE: a reader only
        // compares versions for equality, and one SET with its expiry is one
        // command instead of two.
        let version = format!("{:016x}", rand::random::<u64>());
        pipe.set_ex(self.version_key(kind, &id), version, VERSION_TTL_SECS)
            .ignore()
            .del(self.value_key(kind, id))
            .ignore();
    }
}
