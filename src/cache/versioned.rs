//! A versioned cache-aside store in Redis.
//!
//! Each entry has a value key and a version key. A writer that changes the
//! underlying data sets a fresh version after its commit. A reader notes
//! the version before it reads the database and stores what it read
//! together with the version it noted (`<version>|<value>`, one `SET`); a
//! value counts only while its version is still the entry's, so a slow
//! reader that stores data older than a write that invalidated it stores
//! something no reader will take. Every value expires (for statuses: at the
//! end of the business day at the latest), which bounds the harm of an
//! invalidation lost while Redis was unreachable; version keys outlive
//! every value, so a version that expired cannot make an old value count
//! again.
//!
//! The version a reader notes also names the Redis server it was read from
//! and the history of its data (`<run_id>.<master_replid>/<version>`).
//! Redis replicates asynchronously and persists at most every second: a
//! failover (Sentinel promotes a replica) or a restart from disk can lose
//! the last invalidations, leaving version keys and values as they were
//! before them. A restarted server has a new `run_id` and a promoted one a
//! new replication id (a failback too), so every value stored before counts
//! no more there, whatever its version key says.
//!
//! Cost: a read is one `MGET`, a store one `SET` per entry (no script, no
//! `GET`-then-`SET`), an invalidation a `SET` and a `DEL` (see
//! `add_invalidation`).

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::CacheError;
use super::{RedisKeys, RedisPool};

/// The entry kind of a user's chain (`ChainState`: read by status
/// queries, dropped when the user's sign-ins change). Its keys still say
/// "status", as they did before the entry was named for what it holds, so
/// replicas of both versions share and drop the same entries during a
/// rolling upgrade.
pub const CHAIN: &str = "status";
/// The entry kind of a user's row (read by every token check, dropped when
/// the row changes). Named "account" since the row carries the user's
/// live sessions: entries of builds before it (kind "user") lack them, and
/// are simply not read.
pub const USER: &str = "account";

/// Version keys outlive any value (values live at most a day).
const VERSION_TTL_SECS: u64 = 2 * 24 * 3600;

/// How many stores of read values ([`VersionedCache::put_each_soon`]) may
/// run on tasks of their own at once. A read that finds none left stores
/// its values itself before it answers, so a slow Redis slows the reads
/// that miss instead of piling up tasks and the values they hold.
pub const STORES_IN_BACKGROUND: usize = 64;

/// The version of an entry whose version key does not exist (never
/// invalidated, or long enough ago that no value of before can remain).
const NO_VERSION: &str = "0";

/// A stored value: the version it was read under, then the value.
fn stamped(version: &str, value: &str) -> String {
    format!("{version}|{value}")
}

/// The version a reader notes: the entry's version on `server` (see the
/// module's documentation).
fn noted(server: &str, version: &str) -> String {
    format!("{server}/{version}")
}

/// The value of `stored` if it was stored under `version`.
fn if_current<'a>(stored: &'a str, version: &str) -> Option<&'a str> {
    let (stamp, value) = stored.split_once('|')?;
    (stamp == version).then_some(value)
}

/// A cached entry as read: its value (if cached under the entry's current
/// version) and the version to quote when storing a fresh value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub value: Option<String>,
    pub version: String,
}

/// A value read from the database, to store under the version noted
/// before the read: entry `kind` of `id`, kept for `ttl` (at least 1 s).
#[derive(Debug, Clone, Copy)]
pub struct Fill<'a, I> {
    pub kind: &'a str,
    pub id: I,
    pub version: &'a str,
    pub value: &'a str,
    pub ttl: Duration,
}

#[derive(Debug)]
pub struct VersionedCache {
    pool: RedisPool,
    keys: RedisKeys,
    round_trips: AtomicU64,
    /// Room for stores in the background (see [`STORES_IN_BACKGROUND`]).
    background: Arc<Semaphore>,
}

impl VersionedCache {
    pub fn new(pool: RedisPool, keys: RedisKeys) -> Self {
        Self {
            pool,
            keys,
            round_trips: AtomicU64::new(0),
            background: Arc::new(Semaphore::new(STORES_IN_BACKGROUND)),
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

    /// The entries `(kind, id)`, of one kind or several, in order, in one
    /// round trip.
    pub async fn get_each<I: Display>(
        &self,
        entries: &[(&str, I)],
    ) -> Result<Vec<Slot>, CacheError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        // One MGET of the values then the versions (one command, not two).
        let keys: Vec<String> = entries
            .iter()
            .map(|(kind, id)| self.value_key(kind, id))
            .chain(entries.iter().map(|(kind, id)| self.version_key(kind, id)))
            .collect();
        let mut conn = self.pool.get().await?;
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let server = conn.server();
        let mut values: Vec<Option<String>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut *conn)
            .await?;
        if values.len() != 2 * entries.len() {
            return Err(CacheError::Unavailable(format!(
                "MGET of {} keys answered {}",
                keys.len(),
                values.len()
            )));
        }
        let versions = values.split_off(entries.len());
        Ok(values
            .into_iter()
            .zip(versions)
            .map(|(stored, version)| {
                let version = noted(&server, version.as_deref().unwrap_or(NO_VERSION));
                Slot {
                    value: stored
                        .as_deref()
                        .and_then(|stored| if_current(stored, &version))
                        .map(str::to_owned),
                    version,
                }
            })
            .collect())
    }

    /// Stores values read from the database, each stamped with the version
    /// noted before reading it (see the module's documentation), of one kind
    /// or several; one round trip, one `SET` per entry.
    pub async fn put_each<I: Display>(&self, fills: &[Fill<'_, I>]) -> Result<(), CacheError> {
        match self.pipeline_of(fills) {
            Some(pipe) => self.send(pipe).await,
            None => Ok(()),
        }
    }

    /// As [`Self::put_each`], on a task of its own while fewer than
    /// [`STORES_IN_BACKGROUND`] are running (else before returning): a
    /// read answers without waiting for the round trip that stores what it
    /// read. Safe to do late: the values are stamped with the versions
    /// noted before the read, so one stored after a write invalidated its
    /// entry counts no more than if it had been stored at once. A failure
    /// is logged (the next reader reads the database again).
    pub async fn put_each_soon<I: Display>(self: &Arc<Self>, fills: &[Fill<'_, I>]) {
        let Some(pipe) = self.pipeline_of(fills) else {
            return;
        };
        let cache = self.clone();
        let store = async move {
            if let Err(error) = cache.send(pipe).await {
                tracing::warn!(%error, "reads not cached");
            }
        };
        match self.background.clone().try_acquire_owned() {
            Ok(room) => {
                tokio::spawn(async move {
                    store.await;
                    drop(room);
                });
            }
            Err(_) => store.await,
        }
    }

    /// Waits until the stores [`Self::put_each_soon`] started have ended
    /// (tests count round trips after a read).
    pub async fn stores_settled(&self) {
        // All the room at once: none is running then.
        let _all = self
            .background
            .acquire_many(STORES_IN_BACKGROUND as u32)
            .await;
    }

    /// One `SET` with expiry per fill, as a pipeline (None for none).
    fn pipeline_of<I: Display>(&self, fills: &[Fill<'_, I>]) -> Option<redis::Pipeline> {
        if fills.is_empty() {
            return None;
        }
        let mut pipe = redis::pipe();
        for fill in fills {
            pipe.set_ex(
                self.value_key(fill.kind, &fill.id),
                stamped(fill.version, fill.value),
                fill.ttl.as_secs().max(1),
            )
            .ignore();
        }
        Some(pipe)
    }

    async fn send(&self, pipe: redis::Pipeline) -> Result<(), CacheError> {
        let mut conn = self.pool.get().await?;
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        Ok(pipe.query_async::<()>(&mut *conn).await?)
    }

    /// Adds to `pipe` what marks `id`'s entry changed: a fresh version, so
    /// the value stored (and any a read that began earlier stores later)
    /// no longer counts, and the value dropped. The caller sends the pipeline (see `after_commit`,
    /// which sends it with the change's announcements).
    pub fn add_invalidation(&self, pipe: &mut redis::Pipeline, kind: &str, id: impl Display) {
        // A fresh random version rather than INCR + EXPIRE: a reader only
        // compares versions for equality, and one SET with its expiry is one
        // command instead of two. The value no longer counts once the
        // version moved; it is dropped all the same, because builds before
        // the stamps (1c1c609 and older) take any value they find, and
        // during a rolling upgrade they share this Redis.
        let version = format!("{:016x}", rand::random::<u64>());
        pipe.set_ex(self.version_key(kind, &id), version, VERSION_TTL_SECS)
            .ignore()
            .del(self.value_key(kind, id))
            .ignore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_counts_only_under_the_version_it_was_stored_with() {
        let stored = stamped("00ab", "2026-04-10|{\"a\":1}");
        assert_eq!(if_current(&stored, "00ab"), Some("2026-04-10|{\"a\":1}"));
        assert_eq!(if_current(&stored, "00ac"), None);
        assert_eq!(if_current(&stored, NO_VERSION), None);
        let never_invalidated = stamped(NO_VERSION, "x");
        assert_eq!(if_current(&never_invalidated, NO_VERSION), Some("x"));
        assert_eq!(if_current("no stamp at all", NO_VERSION), None);
    }

    #[test]
    fn a_value_stored_on_another_server_counts_no_more() {
        // Stored on the old master under version 00ab; after a failover
        // the new master still has 00ab (the last invalidation was lost).
        let stored = stamped(&noted("old-master-run-id", "00ab"), "v");
        assert_eq!(
            if_current(&stored, &noted("old-master-run-id", "00ab")),
            Some("v")
        );
        assert_eq!(
            if_current(&stored, &noted("new-master-run-id", "00ab")),
            None
        );
    }
}
