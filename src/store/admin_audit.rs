//! The `admin_audit_log` table: append and page, nothing else. The table
//! refuses UPDATE, DELETE and TRUNCATE itself (triggers), so this module
//! offers no way to change an entry.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};

use super::StoreError;
use crate::model::{AdminAction, AdminAuditEntry, AdminAuditEntryId, AuditFilter, UserId};
use crate::schema::admin_audit_log;

/// What one admin action writes. Append it with [`append`] on the
/// connection of the transaction that makes the change, so that both
/// commit or neither does.
#[derive(Debug, Clone)]
pub struct NewAdminAuditEntry {
    pub action: AdminAction,
    /// The admin who acted; None for the command line.
    pub actor_id: Option<UserId>,
    /// The user the action is aimed at, if any.
    pub target_user_id: Option<UserId>,
    /// The action's arguments (a JSON object by construction). Never put a
    /// password or a token here: entries can never be deleted.
    pub details: Map<String, Value>,
    /// The HTTP request's id, when the action came over HTTP.
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Appends one entry. Call inside the transaction that makes the change
/// the entry records.
pub async fn append(
    conn: &mut AsyncPgConnection,
    entry: NewAdminAuditEntry,
) -> Result<AdminAuditEntry, StoreError> {
    let details = Value::Object(entry.details).to_string();
    Ok(diesel::insert_into(admin_audit_log::table)
        .values((
            admin_audit_log::action.eq(entry.action),
            admin_audit_log::actor_id.eq(entry.actor_id),
            admin_audit_log::target_user_id.eq(entry.target_user_id),
            admin_audit_log::details.eq(details),
            admin_audit_log::request_id.eq(entry.request_id.as_deref()),
            admin_audit_log::created_at.eq(entry.created_at),
        ))
        .returning(AdminAuditEntry::as_returning())
        .get_result(conn)
        .await?)
}

/// Newest first: at most `limit` entries matching `filter` with ids below
/// `before_id`.
pub async fn page(
    conn: &mut AsyncPgConnection,
    filter: AuditFilter,
    before_id: Option<AdminAuditEntryId>,
    limit: i64,
) -> Result<Vec<AdminAuditEntry>, StoreError> {
    let mut query = admin_audit_log::table
        .order(admin_audit_log::id.desc())
        .limit(limit)
        .select(AdminAuditEntry::as_select())
        .into_boxed();
    if let Some(actor) = filter.actor_id {
        query = query.filter(admin_audit_log::actor_id.eq(actor));
    }
    if let Some(target) = filter.target_user_id {
        query = query.filter(admin_audit_log::target_user_id.eq(target));
    }
    if let Some(before) = before_id {
        query = query.filter(admin_audit_log::id.lt(before));
    }
    Ok(query.load(conn).await?)
}
