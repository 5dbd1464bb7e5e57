//! Typed ids: one kind of id cannot be passed for another. Each is stored
//! as `BIGINT` (diesel's mapping derived), serialized as a bare number and
//! displayed as one, so tokens, cache keys, queued jobs and events keep
//! the shape they had with plain integers.

use std::fmt;

use diesel_derive_newtype::DieselNewType;
use serde::{Deserialize, Serialize};

/// A user's id (`users.id`, and every `user_id` column).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// A session's id (`sessions.id`, and the `sid` of its access tokens).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SessionId(pub i64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A sign-in's id (`sign_ins.id`, `wallet_transactions.sign_in_id`): also
/// the id of the reward obligation it carries.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SignInId(pub i64);

/// A ledger row's id (`wallet_transactions.id`): a wallet transaction.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct LedgerEntryId(pub i64);

/// A reward schedule's id (`reward_schedules.id`, `sign_ins.schedule_id`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct ScheduleId(pub i64);

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for SignInId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for LedgerEntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A webhook endpoint's id (`webhook_endpoints.id`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct WebhookEndpointId(pub i64);

impl fmt::Display for WebhookEndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A webhook message's id (`webhook_deliveries.id`): one event for one
/// endpoint, with its attempts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct WebhookDeliveryId(pub i64);

impl fmt::Display for WebhookDeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Queued reward jobs, cached users and published events hold ids as
    /// bare numbers; the typed ids must read and write exactly that.
    #[test]
    fn ids_serialize_as_bare_numbers() {
        assert_eq!(serde_json::to_string(&UserId(42)).unwrap(), "42");
        assert_eq!(serde_json::to_string(&SignInId(7)).unwrap(), "7");
        assert_eq!(serde_json::to_string(&LedgerEntryId(-3)).unwrap(), "-3");
        assert_eq!(serde_json::from_str::<UserId>("42").unwrap(), UserId(42));
        assert_eq!(serde_json::from_str::<SignInId>("7").unwrap(), SignInId(7));
        assert!(serde_json::from_str::<UserId>("\"42\"").is_err());
        assert!(serde_json::from_str::<UserId>("{\"0\":42}").is_err());
    }

    #[test]
    fn ids_display_as_bare_numbers() {
        assert_eq!(UserId(42).to_string(), "42");
        assert_eq!(SignInId(7).to_string(), "7");
        assert_eq!(LedgerEntryId(9).to_string(), "9");
    }
}
