//! The admin audit log's records: what an admin (or the command line) did,
//! by whom, to whom, with which arguments.

use std::fmt;

use chrono::{DateTime, Utc};
use diesel::{Queryable, Selectable};
use diesel_derive_enum::DbEnum;
use diesel_derive_newtype::DieselNewType;
use serde::{Deserialize, Serialize};

use super::UserId;
use crate::schema::admin_audit_log;

/// An audit entry's id (`admin_audit_log.id`): later entries have larger ids.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DieselNewType, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct AdminAuditEntryId(pub i64);

impl fmt::Display for AdminAuditEntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which admin action an entry records: the PostgreSQL enum `admin_action`,
/// whose values are the names the API shows (the mutation's name, or the
/// command's). An unknown value in the database is an error, never a
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DbEnum, Serialize, Deserialize)]
#[ExistingTypePath = "crate::schema::sql_types::AdminAction"]
#[DbValueStyle = "camelCase"]
#[serde(rename_all = "camelCase")]
pub enum AdminAction {
    /// The `deleteUser` mutation.
    DeleteUser,
    /// The `setUserRole` mutation.
    SetUserRole,
    /// The `adjustWallet` mutation.
    AdjustWallet,
    /// The `publishRewardSchedule` mutation.
    PublishRewardSchedule,
    /// The `cancelRewardSchedule` mutation.
    CancelRewardSchedule,
    /// The `create-admin` command.
    #[db_rename = "create-admin"]
    #[serde(rename = "create-admin")]
    CreateAdmin,
    /// The `createWebhookEndpoint` mutation.
    CreateWebhookEndpoint,
    /// The `updateWebhookEndpoint` mutation (also the service disabling
    /// an endpoint, with no actor).
    UpdateWebhookEndpoint,
    /// The `rotateWebhookSecret` mutation.
    RotateWebhookSecret,
    /// The `deleteWebhookEndpoint` mutation.
    DeleteWebhookEndpoint,
}

impl AdminAction {
    /// The name the API shows (`AdminAuditEntry.action`), as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminAction::DeleteUser => "deleteUser",
            AdminAction::SetUserRole => "setUserRole",
            AdminAction::AdjustWallet => "adjustWallet",
            AdminAction::PublishRewardSchedule => "publishRewardSchedule",
            AdminAction::CancelRewardSchedule => "cancelRewardSchedule",
            AdminAction::CreateAdmin => "create-admin",
            AdminAction::CreateWebhookEndpoint => "createWebhookEndpoint",
            AdminAction::UpdateWebhookEndpoint => "updateWebhookEndpoint",
            AdminAction::RotateWebhookSecret => "rotateWebhookSecret",
            AdminAction::DeleteWebhookEndpoint => "deleteWebhookEndpoint",
        }
    }
}

/// One row of the append-only admin audit log.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq, Serialize, Deserialize)]
#[diesel(table_name = admin_audit_log, check_for_backend(diesel::pg::Pg))]
pub struct AdminAuditEntry {
    pub id: AdminAuditEntryId,
    pub action: AdminAction,
    /// The admin who acted; None for the command line.
    pub actor_id: Option<UserId>,
    /// The user the action was aimed at, if any.
    pub target_user_id: Option<UserId>,
    /// The action's arguments, a JSON object (never a password).
    pub details: String,
    /// The HTTP request's id (`x-request-id`), when there was one.
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use diesel::deserialize::FromSql;
    use diesel::pg::{Pg, PgValue};

    use super::*;
    use crate::schema::sql_types;

    const ACTIONS: [(AdminAction, &str); 6] = [
        (AdminAction::DeleteUser, "deleteUser"),
        (AdminAction::SetUserRole, "setUserRole"),
        (AdminAction::AdjustWallet, "adjustWallet"),
        (AdminAction::PublishRewardSchedule, "publishRewardSchedule"),
        (AdminAction::CancelRewardSchedule, "cancelRewardSchedule"),
        (AdminAction::CreateAdmin, "create-admin"),
    ];

    /// The database, JSON and the API name each action the same way, as
    /// the contract spells it.
    #[test]
    fn actions_have_the_contracts_names_everywhere() {
        let oid = NonZeroU32::MIN;
        for (action, name) in ACTIONS {
            assert_eq!(action.as_str(), name);
            let read: AdminAction = FromSql::<sql_types::AdminAction, Pg>::from_sql(PgValue::new(
                name.as_bytes(),
                &oid,
            ))
            .unwrap();
            assert_eq!(read, action);
            assert_eq!(
                serde_json::to_string(&action).unwrap(),
                format!("\"{name}\"")
            );
        }
        let unknown: Result<AdminAction, _> =
            FromSql::<sql_types::AdminAction, Pg>::from_sql(PgValue::new(b"dropTable", &oid));
        assert!(unknown.is_err());
    }
}

/// Which audit entries a page looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only the entries of this actor.
    pub actor_id: Option<UserId>,
    /// Only the entries aimed at this user.
    pub target_user_id: Option<UserId>,
}
