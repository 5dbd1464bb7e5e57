//! Real-time events: announced through Redis after commit (by
//! `after_commit`, in the same round trip that drops the changed cache
//! entries), so every replica's subscribers see them; one Redis
//! subscription per process, fanned out in memory per user. Pub/sub is
//! at-most-once: an event published while a subscriber's connection is down
//! is lost (clients re-query on reconnect).
//!
//! Events carry the domain's and the ledger's own types, serialised as JSON.

mod hub;
pub mod invalidation;

pub use hub::EventHub;

use serde::{Deserialize, Serialize};

use crate::cache::{CacheError, RedisKeys};
use crate::domain::streak::status::SignInStatus;
use crate::model::{LedgerEntry, UserId};

/// Something that changed for one user, as every process hears of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The user's sign-ins changed; `status` is what they see now.
    StreakUpdated {
        user_id: UserId,
        status: SignInStatus,
    },
    /// A ledger row of the user's committed.
    WalletUpdated {
        user_id: UserId,
        transaction: LedgerEntry,
    },
    /// The user's row changed (role, password, deletion): drop copies.
    UserChanged { user_id: UserId },
    /// A reward schedule was published or cancelled: every process reloads
    /// its copy of the schedules (`cache::schedules`).
    SchedulesChanged,
}

impl Event {
    /// The user the event is about (and whose subscribers receive it);
    /// None for a change that is nobody's in particular.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Event::StreakUpdated { user_id, .. }
            | Event::WalletUpdated { user_id, .. }
            | Event::UserChanged { user_id } => Some(*user_id),
            Event::SchedulesChanged => None,
        }
    }
}

/// The event channel's error.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The announcement could not reach Redis.
    #[error("event not announced: {0}")]
    Unreachable(#[from] CacheError),
    /// An event could not be encoded (a bug: every event type serialises).
    #[error("event not encodable: {0}")]
    Encode(#[from] serde_json::Error),
    /// A subscriber fell so far behind that events meant for it were
    /// dropped; its stream ends rather than make the server buffer them.
    #[error("subscriber fell {missed} events behind and was dropped")]
    Lagged { missed: u64 },
}

/// Where events are announced: one Redis channel per install.
#[derive(Debug, Clone)]
pub struct EventChannel {
    channel: String,
}

impl EventChannel {
    /// The channel of the install (or test run) that `keys` belong to.
    pub fn new(keys: &RedisKeys) -> Self {
        Self {
            channel: keys.events_channel(),
        }
    }

    /// Adds to `pipe` the command that announces `event`. The caller sends
    /// the pipeline once its transaction has committed.
    pub fn add_publish(&self, pipe: &mut redis::Pipeline, event: &Event) -> Result<(), EventError> {
        let payload = serde_json::to_string(event)?;
        pipe.publish(&self.channel, payload).ignore();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rewards::RewardTable;
    use crate::domain::streak::status::status;

    /// The ledger entry travels as it is stored: typed ids as bare numbers,
    /// the kind by its contract name; an unknown kind is refused.
    #[test]
    fn wallet_events_carry_the_ledger_entry() {
        let json = serde_json::json!({
            "type": "wallet_updated",
            "user_id": 5,
            "transaction": {
                "id": 9, "user_id": 5, "amount": -30, "kind": "SPEND", "balance_after": 70,
                "note": null, "idempotency_key": "k1", "sign_in_id": null,
                "created_at": "2026-04-01T10:00:00Z"
            }
        });
        let event: Event = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(event.user_id(), Some(UserId(5)));
        assert_eq!(serde_json::to_value(&event).unwrap(), json);
        let mut unknown_kind = json;
        unknown_kind["transaction"]["kind"] = "BONUS".into();
        assert!(serde_json::from_value::<Event>(unknown_kind).is_err());
    }

    #[test]
    fn events_round_trip_through_json_with_their_own_types() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        let event = Event::StreakUpdated {
            user_id: UserId(7),
            status: status(None, today, &RewardTable::default()),
        };
        let json = serde_json::to_string(&event).unwrap();
        assert!(
            json.starts_with(r#"{"type":"streak_updated","user_id":7,"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
        let json = serde_json::to_string(&Event::SchedulesChanged).unwrap();
        assert_eq!(json, r#"{"type":"schedules_changed"}"#);
        assert_eq!(
            serde_json::from_str::<Event>(&json).unwrap(),
            Event::SchedulesChanged
        );
    }
}
