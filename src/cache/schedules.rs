//! This process's copy of the reward schedules: they are read by every
//! sign-in and every status, and there are few of them, so the hot path
//! reads them from memory (one lock-free-ish read and an `Arc` clone).
//!
//! The copy is current when both hold:
//! - no change was announced since it was read (announcements come through
//!   the event listener, `events::EventHub`, which calls [`mark_stale`];
//!   `service::schedules::keep_fresh` also compares the table's version
//!   now and then, in case an announcement was lost);
//! - it was read on the business day it is used for, or later: a schedule
//!   can only be published or cancelled for a date after the day it is
//!   published on, so a copy read on day D holds every change that can
//!   apply to D (see `store::schedules` for the lock that makes this so).
//!
//! It never reads PostgreSQL itself: `service::schedules` loads it.
//!
//! [`mark_stale`]: ScheduleCopy::mark_stale

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use tokio::sync::{Mutex, MutexGuard, Notify};

use crate::domain::schedule::Schedules;

/// The schedules as read at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub schedules: Schedules,
    /// `store::schedules::version` of what was read.
    pub version: i64,
    /// The newest date any zone had when the read began (`day::newest_date`).
    pub read_on: NaiveDate,
}

/// See the module's documentation.
#[derive(Debug, Default)]
pub struct ScheduleCopy {
    current: RwLock<Option<(u64, Arc<Snapshot>)>>,
    /// Bumped by every announced (or detected) change.
    generation: AtomicU64,
    /// Wakes the refresher when a change is announced.
    changed: Notify,
    /// One reload at a time; the others wait and use its result.
    reload: Mutex<()>,
    /// Whether this process has made the schedules agree with
    /// `SIGNIN_REWARDS` (done once, before the first load).
    setting_applied: AtomicBool,
}

impl ScheduleCopy {
    /// The copy, if it is current for `today`.
    pub fn current_for(&self, today: NaiveDate) -> Option<Arc<Snapshot>> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        let (generation, snapshot) = current.as_ref()?;
        (*generation == self.generation.load(Ordering::SeqCst) && snapshot.read_on >= today)
            .then(|| snapshot.clone())
    }

    /// The copy whatever its age (for comparing versions).
    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current.as_ref().map(|(_, s)| s.clone())
    }

    /// A change was announced: the copy is not used again until reloaded.
    pub fn mark_stale(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Resolves at the next [`ScheduleCopy::mark_stale`] (or at once if one
    /// came since the last wait).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// The reload lock; take it, then [`ScheduleCopy::generation`], then
    /// read, then [`ScheduleCopy::store`].
    pub async fn reloading(&self) -> MutexGuard<'_, ()> {
        self.reload.lock().await
    }

    /// The current generation: pass it to [`ScheduleCopy::store`] for a
    /// read that began after this call.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps `snapshot`, read after [`ScheduleCopy::generation`] returned
    /// `generation`: if a change was announced meanwhile, it is kept but
    /// not current (the next use reloads).
    pub fn store(&self, generation: u64, snapshot: Snapshot) -> Arc<Snapshot> {
        let snapshot = Arc::new(snapshot);
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        *current = Some((generation, snapshot.clone()));
        snapshot
    }

    pub fn setting_applied(&self) -> bool {
        self.setting_applied.load(Ordering::SeqCst)
    }

    pub fn set_setting_applied(&self) {
        self.setting_applied.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(read_on: &str, version: i64) -> Snapshot {
        Snapshot {
            schedules: Schedules::default(),
            version,
            read_on: read_on.parse().unwrap(),
        }
    }

    #[test]
    fn a_copy_is_current_on_its_day_until_a_change_is_announced() {
        let copy = ScheduleCopy::default();
        let today: NaiveDate = "2026-05-01".parse().unwrap();
        assert!(copy.current_for(today).is_none(), "nothing loaded");
        copy.store(copy.generation(), snapshot("2026-05-01", 1));
        assert_eq!(copy.current_for(today).map(|s| s.version), Some(1));
        assert!(
            copy.current_for(today.succ_opt().unwrap()).is_none(),
            "read before the day began"
        );
        copy.mark_stale();
        assert!(copy.current_for(today).is_none(), "a change was announced");
        assert_eq!(copy.latest().map(|s| s.version), Some(1));
    }

    #[test]
    fn a_read_overtaken_by_an_announcement_is_not_current() {
        let copy = ScheduleCopy::default();
        let today: NaiveDate = "2026-05-01".parse().unwrap();
        let generation = copy.generation();
        copy.mark_stale(); // announced while the read was in flight
        copy.store(generation, snapshot("2026-05-01", 1));
        assert!(copy.current_for(today).is_none());
        copy.store(copy.generation(), snapshot("2026-05-01", 2));
        assert_eq!(copy.current_for(today).map(|s| s.version), Some(2));
    }
}
