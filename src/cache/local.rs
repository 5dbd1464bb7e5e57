//! In-process copies of hot cache entries, so the commonest reads (a token
//! check, a status) need no network round trip at all.
//!
//! They are only used while this process's Redis event subscription is up:
//! every change to a status or a user is announced on it (after commit),
//! and each process evicts its copy when the announcement arrives. While
//! the subscription is down, the copies are bypassed (an announcement could
//! be missed); and every copy expires after `TTL` anyway.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};

use std::sync::Arc;

use super::schedules::ScheduleCopy;
use crate::domain::streak::state::ChainState;
use crate::model::{User, UserId};

/// Announcements over a live subscription are not lost (Redis drops a
/// subscriber that falls behind, which the listener notices, and every
/// copy is dropped when it reconnects), so the TTL is only a backstop; it
/// is as long as a user row may live in Redis (`service::cached`), so a
/// process serving a steady set of users keeps serving them from memory
/// (with 60 s, a reader came back to Redis every minute).
const TTL: Duration = Duration::from_secs(600);
/// Entries kept per map; past that the map is emptied (cheap, and rare).
const CAPACITY: usize = 200_000;

/// Entries and tombstones: an eviction leaves a tombstone, so a read that
/// began before the eviction cannot store what it read afterwards.
#[derive(Debug)]
pub struct LocalMap<K, V> {
    entries: Mutex<HashMap<K, (Instant, Option<V>)>>,
}

impl<K: Hash + Eq, V: Clone> LocalMap<K, V> {
    fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, Option<V>)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, key: &K) -> Option<V> {
        let entries = self.lock();
        let (at, value) = entries.get(key)?;
        if at.elapsed() < TTL {
            value.clone()
        } else {
            None
        }
    }

    /// Stores `value`, read from upstream starting at `read_since`, unless
    /// the key was evicted after that.
    fn put(&self, key: K, value: V, read_since: Instant) {
        let mut entries = self.lock();
        if matches!(entries.get(&key), Some((at, None)) if *at >= read_since) {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), Some(value)));
    }

    pub fn evict(&self, key: K) {
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), None));
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

/// The user's today at `now`: their chain's, or `no_chain_today` for a
/// user without one.
pub fn today_of(
    chain: Option<&ChainState>,
    now: DateTime<Utc>,
    no_chain_today: NaiveDate,
) -> NaiveDate {
    chain.map_or(no_chain_today, |c| c.today(now))
}

/// Each user's chain (with the date, theirs, it was read on), and user rows.
#[derive(Debug)]
pub struct LocalCaches {
    /// Whether change announcements are being received.
    live: AtomicBool,
    pub chains: LocalMap<UserId, (NaiveDate, Option<Arc<ChainState>>)>,
    pub users: LocalMap<UserId, User>,
    /// The reward schedules (see `cache::schedules`).
    pub schedules: ScheduleCopy,
}

impl Default for LocalCaches {
    fn default() -> Self {
        Self {
            live: AtomicBool::new(false),
            chains: LocalMap::new(),
            users: LocalMap::new(),
            schedules: ScheduleCopy::default(),
        }
    }
}

impl LocalCaches {
    /// Called by the event listener: copies are used only while it runs.
    /// Whenever it (re)connects, what it may have missed is dropped.
    pub fn set_live(&self, live: bool) {
        if !self.live.swap(live, Ordering::SeqCst) && live {
            self.chains.clear();
            self.users.clear();
            // A change may have been announced while nobody listened.
            self.schedules.mark_stale();
        }
    }

    /// Whether the copies are kept (the change listener is up).
    pub fn live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    /// The user's chain, if the copy was read on the date that is still
    /// their today at `now` (`no_chain_today`: the today of a user without
    /// a chain, in the business zone).
    pub fn chain(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
        no_chain_today: NaiveDate,
    ) -> Option<Option<Arc<ChainState>>> {
        if !self.live() {
            return None;
        }
        self.chains
            .get(&user_id)
            .filter(|(day, chain)| *day == today_of(chain.as_deref(), now, no_chain_today))
            .map(|(_, p)| p)
    }

    /// Keeps `chain`, read on the user's `today`.
    pub fn put_chain(
        &self,
        user_id: UserId,
        today: NaiveDate,
        chain: Option<Arc<ChainState>>,
        read_since: Instant,
    ) {
        if self.live() {
            self.chains.put(user_id, (today, chain), read_since);
        }
    }

    pub fn user(&self, user_id: UserId) -> Option<User> {
        if !self.live() {
            return None;
        }
        self.users.get(&user_id)
    }

    pub fn put_user(&self, row: User, read_since: Instant) {
        if self.live() {
            self.users.put(row.id, row, read_since);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-04-01T12:00:00Z";

    fn now() -> DateTime<Utc> {
        NOW.parse().unwrap()
    }

    #[test]
    fn copies_are_used_only_while_announcements_arrive() {
        let caches = LocalCaches::default();
        let today: NaiveDate = "2026-04-01".parse().unwrap();
        caches.put_chain(UserId(1), today, None, Instant::now());
        assert_eq!(
            caches.chain(UserId(1), now(), today),
            None,
            "not live: nothing kept"
        );
        caches.set_live(true);
        caches.put_chain(UserId(1), today, None, Instant::now());
        assert_eq!(caches.chain(UserId(1), now(), today), Some(None));
        assert_eq!(
            caches.chain(UserId(1), now(), today.succ_opt().unwrap()),
            None,
            "valid on its day only"
        );
        // A chain is valid while its user's today (in their zone) is the day it was read on.
        let chain = Arc::new(ChainState::empty(today, chrono_tz::Asia::Tokyo));
        caches.put_chain(UserId(2), today, Some(chain.clone()), Instant::now());
        let tokyo_midnight: DateTime<Utc> = "2026-04-01T15:00:00Z".parse().unwrap();
        assert_eq!(
            caches.chain(
                UserId(2),
                tokyo_midnight - chrono::TimeDelta::seconds(1),
                today
            ),
            Some(Some(chain))
        );
        assert_eq!(
            caches.chain(UserId(2), tokyo_midnight, today),
            None,
            "Tokyo's next day"
        );
        caches.set_live(false);
        assert_eq!(
            caches.chain(UserId(1), now(), today),
            None,
            "bypassed while the listener is down"
        );
        caches.set_live(true);
        assert_eq!(
            caches.chain(UserId(1), now(), today),
            None,
            "dropped on reconnect"
        );
    }

    #[test]
    fn a_read_that_began_before_an_eviction_is_not_stored() {
        let caches = LocalCaches::default();
        caches.set_live(true);
        let today: NaiveDate = "2026-04-01".parse().unwrap();
        let read_since = Instant::now();
        caches.chains.evict(UserId(1));
        caches.put_chain(UserId(1), today, None, read_since);
        assert_eq!(caches.chain(UserId(1), now(), today), None);
        caches.put_chain(UserId(1), today, None, Instant::now());
        assert_eq!(caches.chain(UserId(1), now(), today), Some(None));
    }
}
