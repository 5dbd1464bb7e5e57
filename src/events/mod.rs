//! Real-time events: published to Redis after commit, so every replica's
//! subscribers see them; one Redis subscription per process, fanned out in
//! memory per user. Pub/sub is at-most-once: an event published while a
//! subscriber's connection is down is lost (clients re-query on reconnect).

mod hub;

pub use hub::EventHub;

use chrono::{DateTime, NaiveDate, Utc};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use crate::cache::{RedisKeys, RedisPool};
use crate::domain::cycle::{CycleEntry, SignInStatus};
use crate::model::{LedgerEntry, LedgerEntryId, LedgerKind, SignInId, UserId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    StreakUpdated {
        user_id: UserId,
        status: StatusPayload,
    },
    WalletUpdated {
        user_id: UserId,
        transaction: TransactionPayload,
    },
    /// The user's row changed (role, password, deletion): drop copies.
    UserChanged { user_id: UserId },
}

impl Event {
    pub fn user_id(&self) -> UserId {
        match self {
            Event::StreakUpdated { user_id, .. }
            | Event::WalletUpdated { user_id, .. }
            | Event::UserChanged { user_id } => *user_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusPayload {
    pub today: NaiveDate,
    pub signed_in_today: bool,
    pub streak: u32,
    pub cycle_day: u8,
    pub today_reward: u32,
    pub cycle: Vec<(u8, NaiveDate, u32, bool)>,
}

impl From<&SignInStatus> for StatusPayload {
    fn from(s: &SignInStatus) -> Self {
        StatusPayload {
            today: s.today,
            signed_in_today: s.signed_in_today,
            streak: s.streak,
            cycle_day: s.cycle_day,
            today_reward: s.today_reward,
            cycle: s
                .cycle
                .iter()
                .map(|c| (c.day, c.date, c.reward, c.signed_in))
                .collect(),
        }
    }
}

impl From<StatusPayload> for SignInStatus {
    fn from(p: StatusPayload) -> Self {
        SignInStatus {
            today: p.today,
            signed_in_today: p.signed_in_today,
            streak: p.streak,
            cycle_day: p.cycle_day,
            today_reward: p.today_reward,
            cycle: p
                .cycle
                .into_iter()
                .map(|(day, date, reward, signed_in)| CycleEntry {
                    day,
                    date,
                    reward,
                    signed_in,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionPayload {
    pub id: LedgerEntryId,
    pub user_id: UserId,
    pub amount: i64,
    pub kind: LedgerKind,
    pub balance_after: i64,
    pub note: Option<String>,
    pub sign_in_id: Option<SignInId>,
    pub created_at: DateTime<Utc>,
}

impl From<&LedgerEntry> for TransactionPayload {
    fn from(r: &LedgerEntry) -> Self {
        TransactionPayload {
            id: r.id,
            user_id: r.user_id,
            amount: r.amount,
            kind: r.kind,
            balance_after: r.balance_after,
            note: r.note.clone(),
            sign_in_id: r.sign_in_id,
            created_at: r.created_at,
        }
    }
}

impl From<TransactionPayload> for LedgerEntry {
    fn from(p: TransactionPayload) -> Self {
        LedgerEntry {
            id: p.id,
            user_id: p.user_id,
            amount: p.amount,
            kind: p.kind,
            balance_after: p.balance_after,
            note: p.note,
            idempotency_key: None,
            sign_in_id: p.sign_in_id,
            created_at: p.created_at,
        }
    }
}

/// Publishes events after their transaction committed. Best effort: a
/// failure is logged and counted, never turned into a failed request.
#[derive(Debug, Clone)]
pub struct EventPublisher {
    redis: RedisPool,
    channel: String,
}

impl EventPublisher {
    pub fn new(redis: RedisPool, keys: &RedisKeys) -> Self {
        Self {
            redis,
            channel: keys.events_channel(),
        }
    }

    pub async fn publish(&self, event: &Event) {
        let result = async {
            let payload = serde_json::to_string(event).map_err(|e| e.to_string())?;
            let mut conn = self.redis.get().await.map_err(|e| e.to_string())?;
            conn.publish::<_, _, ()>(&self.channel, payload)
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        match result {
            Ok(()) => metrics::counter!("signin_events_published_total").increment(1),
            Err(error) => {
                metrics::counter!("signin_events_publish_failures_total").increment(1);
                tracing::warn!(%error, "event not published");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events cross processes (and versions, during a rolling deploy): the
    /// typed ids and kind must keep the JSON that plain numbers and
    /// strings had.
    #[test]
    fn events_keep_their_json_shape() {
        let event = Event::WalletUpdated {
            user_id: UserId(5),
            transaction: TransactionPayload {
                id: LedgerEntryId(9),
                user_id: UserId(5),
                amount: -30,
                kind: LedgerKind::Spend,
                balance_after: 70,
                note: None,
                sign_in_id: None,
                created_at: "2026-04-01T10:00:00Z".parse().unwrap(),
            },
        };
        let json = serde_json::json!({
            "type": "wallet_updated",
            "user_id": 5,
            "transaction": {
                "id": 9, "user_id": 5, "amount": -30, "kind": "SPEND", "balance_after": 70,
                "note": null, "sign_in_id": null, "created_at": "2026-04-01T10:00:00Z"
            }
        });
        assert_eq!(serde_json::to_value(&event).unwrap(), json);
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
        let unknown_kind = serde_json::json!({
            "type": "wallet_updated", "user_id": 5,
            "transaction": {
                "id": 9, "user_id": 5, "amount": 1, "kind": "BONUS", "balance_after": 1,
                "note": null, "sign_in_id": null, "created_at": "2026-04-01T10:00:00Z"
            }
        });
        assert!(serde_json::from_value::<Event>(unknown_kind).is_err());
    }
}
