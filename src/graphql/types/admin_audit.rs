//! The admin audit log as the API shows it.
//!
//! `actor` and `targetUser` are resolved like `Query.user`: a deleted user
//! is null, as everywhere else in the API (a deleted account is not shown
//! as a `User`). What the entry records is never lost with them:
//! `actorId` and `targetUserId` keep the ids (a `deleteUser` entry's
//! target is always deleted by the time anyone reads it), and the
//! `adminAuditLog` filters take ids, so a deleted user's entries can still
//! be found.

use super::ids::live_user;
use async_graphql::{Context, Object, SimpleObject, ID};

use super::paging::{edges, PageInfo};
use super::scalars::DateTime;
use super::user::User;
use crate::graphql::errors::ApiResult;
use crate::model;
use crate::service::Page;

/// The cursor kind of `adminAuditLog`.
pub const AUDIT_CURSOR: &str = "audit";

/// One admin action, written in the same transaction as the change it records.
pub struct AdminAuditEntry(pub model::AdminAuditEntry);

#[Object]
impl AdminAuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The mutation or command: deleteUser, setUserRole, adjustWallet, publishRewardSchedule, cancelRewardSchedule, create-admin.
    async fn action(&self) -> &'static str {
        self.0.action.as_str()
    }

    /// Null when the action was taken from the command line, or when that admin has been deleted since (see actorId).
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        live_user(ctx, self.0.actor_id).await
    }

    /// The id of `actor`, kept when that user is deleted; null for the command line.
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(|id| ID(id.to_string()))
    }

    /// The user the action was aimed at; null when there is none or they are deleted (see targetUserId).
    async fn target_user(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        live_user(ctx, self.0.target_user_id).await
    }

    /// The id of the user the action was aimed at, kept when that user is deleted.
    async fn target_user_id(&self) -> Option<ID> {
        self.0.target_user_id.map(|id| ID(id.to_string()))
    }

    /// The action's arguments as a JSON object (passwords never included).
    async fn details(&self) -> &str {
        &self.0.details
    }

    /// The id of the HTTP request that took the action (its `x-request-id`); null otherwise.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

#[derive(SimpleObject)]
pub struct AdminAuditEntryEdge {
    pub cursor: String,
    pub node: AdminAuditEntry,
}

#[derive(SimpleObject)]
pub struct AdminAuditEntryConnection {
    pub edges: Vec<AdminAuditEntryEdge>,
    pub page_info: PageInfo,
}

/// The connection of one page of entries.
pub fn audit_connection(page: Page<model::AdminAuditEntry>) -> AdminAuditEntryConnection {
    let (edges, page_info) = edges(
        AUDIT_CURSOR,
        page,
        |row| row.id,
        |cursor, row| AdminAuditEntryEdge {
            cursor,
            node: AdminAuditEntry(row),
        },
    );
    AdminAuditEntryConnection { edges, page_info }
}
