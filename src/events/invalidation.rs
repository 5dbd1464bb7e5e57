//! The one table of which change makes which cache entries stale. The
//! hand-over of a committed change (`after_commit`) drops the entries its
//! events name, here and in Redis; every other replica's event hub drops
//! its own copies when the same events reach it. Both read this table, so
//! a new event or cache entry is wired in one place.

use super::Event;
use crate::cache::local::LocalCaches;
use crate::cache::versioned::{CHAIN, USER};
use crate::model::UserId;

/// A cache entry a change made stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// A user's chain (`ChainState`, behind their status).
    Chain(UserId),
    /// A user's row (behind every token check).
    User(UserId),
    /// The reward schedules (kept per process only).
    Schedules,
}

/// What the change `event` announces makes stale. A wallet change makes
/// nothing stale: balances are not cached.
pub fn stale_after(event: &Event) -> Option<Stale> {
    match event {
        Event::StreakUpdated { user_id, .. } => Some(Stale::Chain(*user_id)),
        Event::UserChanged { user_id } => Some(Stale::User(*user_id)),
        Event::SchedulesChanged => Some(Stale::Schedules),
        Event::WalletUpdated { .. } => None,
    }
}

impl Stale {
    /// Drops this process's copy.
    pub fn evict_local(self, local: &LocalCaches) {
        match self {
            Stale::Chain(id) => local.chains.evict(id),
            Stale::User(id) => local.users.evict(id),
            Stale::Schedules => local.schedules.mark_stale(),
        }
    }

    /// The shared (Redis) entry: its kind and user; None when only
    /// processes keep it.
    pub fn shared(self) -> Option<(&'static str, UserId)> {
        match self {
            Stale::Chain(id) => Some((CHAIN, id)),
            Stale::User(id) => Some((USER, id)),
            Stale::Schedules => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LedgerEntry, LedgerEntryId, LedgerKind};

    #[test]
    fn each_change_names_what_it_makes_stale() {
        let user = UserId(7);
        let status = crate::domain::streak::status::status(
            None,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            &crate::domain::rewards::RewardTable::default(),
        );
        let transaction = LedgerEntry {
            id: LedgerEntryId(1),
            user_id: user,
            amount: 5,
            kind: LedgerKind::SignInReward,
            balance_after: 5,
            note: None,
            idempotency_key: None,
            sign_in_id: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let table = [
            (
                Event::StreakUpdated {
                    user_id: user,
                    status,
                },
                Some(Stale::Chain(user)),
                Some((CHAIN, user)),
            ),
            (
                Event::UserChanged { user_id: user },
                Some(Stale::User(user)),
                Some((USER, user)),
            ),
            (Event::SchedulesChanged, Some(Stale::Schedules), None),
            (
                Event::WalletUpdated {
                    user_id: user,
                    transaction,
                },
                None,
                None,
            ),
        ];
        for (event, stale, shared) in table {
            assert_eq!(stale_after(&event), stale, "{event:?}");
            assert_eq!(stale.and_then(Stale::shared), shared, "{event:?}");
        }
    }
}
