//! The admin audit log as the use cases see it: who acts (an admin over
//! HTTP, or the command line), the entry each admin action writes in its
//! own transaction, and the newest-first listing.
//!
//! An entry is written only by the transaction that makes the change it
//! records (see `admin`, `wallet::apply_recorded`, `accounts::create_admin`),
//! so there is never an entry without its change nor a change without its
//! entry. A call that changes nothing (refused, or an idempotent repeat)
//! writes no entry.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{page, Page, ServiceError};
use crate::auth::Identity;
use crate::model::{AdminAction, AdminAuditEntry, AdminAuditEntryId, AuditFilter, UserId};
use crate::state::{AppState, ReadSource};
use crate::store::admin_audit::{self, NewAdminAuditEntry};

/// Who takes an admin action, and through which request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminActor {
    /// The admin; None for the command line (`create-admin`).
    pub user_id: Option<UserId>,
    /// The HTTP request's id (`x-request-id`), when there is one.
    pub request_id: Option<String>,
}

impl AdminActor {
    /// An authenticated admin, acting through the request `request_id`.
    pub fn admin(identity: Identity, request_id: Option<String>) -> Self {
        AdminActor {
            user_id: Some(identity.user_id),
            request_id,
        }
    }

    /// Whoever runs the `create-admin` command: no actor, no request.
    pub fn command_line() -> Self {
        AdminActor {
            user_id: None,
            request_id: None,
        }
    }

    /// The entry recording `action` by this actor on `target`, with the
    /// action's arguments `details`, at `now`.
    pub fn entry(
        &self,
        action: AdminAction,
        target: Option<UserId>,
        details: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> NewAdminAuditEntry {
        NewAdminAuditEntry {
            action,
            actor_id: self.user_id,
            target_user_id: target,
            details,
            request_id: self.request_id.clone(),
            created_at: now,
        }
    }
}

/// A JSON object of an action's arguments, by their API names (serde_json
/// keeps keys sorted, so equal arguments always read the same).
pub fn details<const N: usize>(arguments: [(&str, Value); N]) -> Map<String, Value> {
    arguments
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// One page of the log, newest first: up to `first` entries matching
/// `filter` before the entry `before_id`, and whether more follow.
pub async fn page(
    state: &AppState,
    filter: AuditFilter,
    first: i64,
    before_id: Option<AdminAuditEntryId>,
) -> Result<Page<AdminAuditEntry>, ServiceError> {
    let mut conn = state.read_conn(ReadSource::Replica).await?;
    let fetched = admin_audit::page(&mut conn, filter, before_id, page::fetch_limit(first)).await?;
    Ok(Page::from_fetched(fetched, first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    #[test]
    fn details_are_a_json_object_of_the_arguments() {
        let d = details([
            ("userId", Value::from("7")),
            ("amount", Value::from(-5)),
            ("note", Value::from("a \"quoted\", note")),
        ]);
        assert_eq!(
            Value::Object(d).to_string(),
            r#"{"amount":-5,"note":"a \"quoted\", note","userId":"7"}"#
        );
        assert_eq!(Value::Object(details([])).to_string(), "{}");
    }

    #[test]
    fn the_command_line_has_no_actor_and_no_request() {
        let cli = AdminActor::command_line();
        let entry = cli.entry(
            AdminAction::CreateAdmin,
            Some(UserId(3)),
            details([]),
            Utc::now(),
        );
        assert_eq!((entry.actor_id, entry.request_id), (None, None));
        let admin = AdminActor::admin(
            Identity {
                user_id: UserId(1),
                role: Role::Admin,
                session: crate::model::SessionId(1),
            },
            Some("req-1".into()),
        );
        let entry = admin.entry(
            AdminAction::DeleteUser,
            Some(UserId(3)),
            details([]),
            Utc::now(),
        );
        assert_eq!(
            (
                entry.actor_id,
                entry.request_id.as_deref(),
                entry.target_user_id
            ),
            (Some(UserId(1)), Some("req-1"), Some(UserId(3)))
        );
    }
}
