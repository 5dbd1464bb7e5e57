//! The enums the database stores, each mapped once: to its PostgreSQL enum
//! type (`diesel-derive-enum`) and to JSON (serde), both as the same
//! upper-case names. A value the type does not know is an error on either
//! path, never a default.

use diesel_derive_enum::DbEnum;
use serde::{Deserialize, Serialize};

/// What a user may do: the PostgreSQL enum `user_role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize)]
#[ExistingTypePath = "crate::schema::sql_types::UserRole"]
#[DbValueStyle = "SCREAMING_SNAKE_CASE"]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// `USER`: their own account, sign-ins and wallet.
    User,
    /// `ADMIN`: every user's too.
    Admin,
}

/// Why a ledger row moved a balance: the PostgreSQL enum `ledger_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize)]
#[ExistingTypePath = "crate::schema::sql_types::LedgerKind"]
#[DbValueStyle = "SCREAMING_SNAKE_CASE"]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LedgerKind {
    /// `SIGN_IN_REWARD`: a sign-in's reward, credited by the job.
    SignInReward,
    /// `SPEND`: a user's spend (a negative amount).
    Spend,
    /// `ADJUSTMENT`: an admin's correction, either way.
    Adjustment,
    /// `MAKE_UP_FEE`: the fee of a make-up sign-in (a negative amount).
    MakeUpFee,
    /// `STREAK_FREEZE`: the price of a streak freeze (a negative amount).
    StreakFreeze,
    /// `MILESTONE_BONUS`: a sign-in's milestone bonus, credited by the job.
    MilestoneBonus,
}

/// What a webhook reports: the PostgreSQL enum `webhook_event_type`
/// (contract, "Webhooks and streak reminders").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize)]
#[ExistingTypePath = "crate::schema::sql_types::WebhookEventType"]
#[DbValueStyle = "SCREAMING_SNAKE_CASE"]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WebhookEventType {
    /// `sign_in.recorded`: a `signIn` committed.
    SignInRecorded,
    /// `reward.credited`: a reward or milestone bonus reached the wallet.
    RewardCredited,
    /// `milestone.reached`: a `signIn` reached a milestone streak.
    MilestoneReached,
    /// `streak.freeze_used`: a `signIn` used freezes.
    StreakFreezeUsed,
    /// `streak.at_risk`: the streak breaks at the user's next midnight.
    StreakAtRisk,
    /// `streak.lost`: the user's midnight broke the streak.
    StreakLost,
}

impl WebhookEventType {
    /// Every type, in the contract's order.
    pub const ALL: [WebhookEventType; 6] = [
        WebhookEventType::SignInRecorded,
        WebhookEventType::RewardCredited,
        WebhookEventType::MilestoneReached,
        WebhookEventType::StreakFreezeUsed,
        WebhookEventType::StreakAtRisk,
        WebhookEventType::StreakLost,
    ];

    /// The `type` a message's body carries, e.g. `sign_in.recorded`.
    pub fn wire_name(self) -> &'static str {
        match self {
            WebhookEventType::SignInRecorded => "sign_in.recorded",
            WebhookEventType::RewardCredited => "reward.credited",
            WebhookEventType::MilestoneReached => "milestone.reached",
            WebhookEventType::StreakFreezeUsed => "streak.freeze_used",
            WebhookEventType::StreakAtRisk => "streak.at_risk",
            WebhookEventType::StreakLost => "streak.lost",
        }
    }

    /// The name the database stores, e.g. `SIGN_IN_RECORDED`.
    pub fn db_name(self) -> &'static str {
        match self {
            WebhookEventType::SignInRecorded => "SIGN_IN_RECORDED",
            WebhookEventType::RewardCredited => "REWARD_CREDITED",
            WebhookEventType::MilestoneReached => "MILESTONE_REACHED",
            WebhookEventType::StreakFreezeUsed => "STREAK_FREEZE_USED",
            WebhookEventType::StreakAtRisk => "STREAK_AT_RISK",
            WebhookEventType::StreakLost => "STREAK_LOST",
        }
    }
}

/// Where a webhook message stands: the PostgreSQL enum
/// `webhook_delivery_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize)]
#[ExistingTypePath = "crate::schema::sql_types::WebhookDeliveryStatus"]
#[DbValueStyle = "SCREAMING_SNAKE_CASE"]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WebhookDeliveryStatus {
    /// Not delivered yet; an attempt is due or will be.
    Pending,
    /// A 2xx answer came.
    Delivered,
    /// Every attempt of the schedule failed, or the endpoint went away.
    Failed,
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};

    use super::*;
    use crate::schema::sql_types;

    /// What diesel makes of `bytes` read from a column of type `ST`.
    fn read<T: FromSql<ST, Pg>, ST>(bytes: &[u8]) -> deserialize::Result<T> {
        let oid = NonZeroU32::MIN;
        T::from_sql(PgValue::new(bytes, &oid))
    }

    const ROLES: [(Role, &str); 2] = [(Role::User, "USER"), (Role::Admin, "ADMIN")];
    const KINDS: [(LedgerKind, &str); 6] = [
        (LedgerKind::SignInReward, "SIGN_IN_REWARD"),
        (LedgerKind::Spend, "SPEND"),
        (LedgerKind::Adjustment, "ADJUSTMENT"),
        (LedgerKind::MakeUpFee, "MAKE_UP_FEE"),
        (LedgerKind::StreakFreeze, "STREAK_FREEZE"),
        (LedgerKind::MilestoneBonus, "MILESTONE_BONUS"),
    ];

    #[test]
    fn database_and_json_names_are_the_same_upper_case_strings() {
        for (role, name) in ROLES {
            assert_eq!(
                read::<Role, sql_types::UserRole>(name.as_bytes()).unwrap(),
                role
            );
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<Role>(&format!("\"{name}\"")).unwrap(),
                role
            );
        }
        for (kind, name) in KINDS {
            assert_eq!(
                read::<LedgerKind, sql_types::LedgerKind>(name.as_bytes()).unwrap(),
                kind
            );
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<LedgerKind>(&format!("\"{name}\"")).unwrap(),
                kind
            );
        }
    }

    /// An unknown value is an error, not the nearest or first variant.
    #[test]
    fn unknown_values_are_errors_not_defaults() {
        for bad in ["SUPERUSER", "user", "", "ADMIN "] {
            assert!(
                read::<Role, sql_types::UserRole>(bad.as_bytes()).is_err(),
                "{bad:?}"
            );
            assert!(
                serde_json::from_str::<Role>(&format!("\"{bad}\"")).is_err(),
                "{bad:?}"
            );
        }
        for bad in ["BONUS", "spend", "Adjustment", ""] {
            assert!(
                read::<LedgerKind, sql_types::LedgerKind>(bad.as_bytes()).is_err(),
                "{bad:?}"
            );
            assert!(
                serde_json::from_str::<LedgerKind>(&format!("\"{bad}\"")).is_err(),
                "{bad:?}"
            );
        }
    }
}
