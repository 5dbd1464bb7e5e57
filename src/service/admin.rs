//! What admins do to other users.

use std::sync::Arc;

use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use serde_json::Value;

use super::admin_audit::{details, AdminActor};
use super::wallet::{self, Request};
use super::{page, Input, Page, ServiceError};
use crate::after_commit::Committed;
use crate::domain::account::{self, Username};
use crate::domain::money::{self, Change};
use crate::model::{AdminAction, LedgerEntry, Role, User, UserId};
use crate::state::{AppState, ReadSource};
use crate::store::sessions::{self, Ending};
use crate::store::sign_ins::{self, DailyStatsRow};
use crate::store::{admin_audit, users, StoreError};

/// A page of live users whose name contains `query` (case-insensitively),
/// and whether more follow. Text with a character no username has matches
/// nothing, without a query.
pub async fn search_users(
    state: &AppState,
    query: &str,
    first: i64,
    after_id: Option<UserId>,
) -> Result<Page<User>, ServiceError> {
    let needle = account::search_needle(query)
        .map_err(|e| ServiceError::bad_input(Input::SearchText, e.to_string()))?;
    let Some(needle) = needle else {
        return Ok(Page {
            rows: Vec::new(),
            has_next: false,
        });
    };
    // Admin reads may lag (store::replica); the caller's own writes are
    // not what they look for here.
    let mut conn = state.read_conn(ReadSource::Replica).await?;
    let fetched = users::search(&mut conn, &needle, after_id, page::fetch_limit(first)).await?;
    Ok(Page::from_fetched(fetched, first))
}

/// The live (not deleted) users among `ids`, in no order; unknown and
/// deleted ids are left out. Through the cache that token checks read
/// (`cached::users`: this process's copies, then Redis, then one
/// statement), which a write to a user's row reaches before it is
/// answered: an admin's look at a 100-user history read the 100 rows from
/// PostgreSQL on every request (about 1 ms of its time each).
pub async fn live_users(state: &AppState, ids: &[UserId]) -> Result<Vec<User>, ServiceError> {
    Ok(super::cached::users(state, ids)
        .await?
        .into_values()
        .filter(|u| u.deleted_at.is_none())
        .collect())
}

/// The live user named `username` (case-insensitively); None for a name
/// that breaks the register rules, without a look-up.
pub async fn user_by_username(
    state: &AppState,
    username: &str,
) -> Result<Option<User>, ServiceError> {
    let Ok(username) = Username::parse(username) else {
        return Ok(None);
    };
    let mut conn = state.db().await?;
    Ok(users::find_by_username(&mut conn, &username)
        .await?
        .filter(|u| u.deleted_at.is_none()))
}

/// Soft-deletes `user_id`: true when this call deleted them, false when they
/// already were (then nothing is written, not even an audit entry). Admins
/// cannot delete themselves (no lock-out by accident), and the last live
/// admin is never deleted (see [`keeps_an_admin`]). The audit entry and the
/// deletion commit together.
pub async fn delete_user(
    state: &AppState,
    actor: &AdminActor,
    user_id: UserId,
) -> Result<bool, ServiceError> {
    if actor.user_id == Some(user_id) {
        return Err(ServiceError::bad_input(
            Input::TargetUser,
            "admins cannot delete themselves",
        ));
    }
    let now = state.calendar.now();
    let entry = actor.entry(
        AdminAction::DeleteUser,
        Some(user_id),
        details([("id", Value::from(user_id.to_string()))]),
        now,
    );
    let mut conn = state.db().await?;
    let deleted = conn
        .transaction::<_, Unchanged, _>(async |conn| {
            users::lock_admins(conn).await?;
            match users::find(conn, user_id).await? {
                None => return Err(ServiceError::NotFound("user").into()),
                Some(user) if user.deleted_at.is_some() => return Err(Unchanged::Nothing),
                Some(user) => keeps_an_admin(conn, actor, &user, Role::User).await?,
            }
            admin_audit::append(conn, entry.clone()).await?;
            // The row lock this takes orders concurrent deletions: the one
            // that comes second finds the user deleted and rolls its entry
            // back.
            if users::soft_delete(conn, user_id, now).await? {
                sessions::end_all(conn, user_id, None, Ending::Deleted, now).await?;
                Ok(())
            } else {
                Err(Unchanged::Nothing)
            }
        })
        .await;
    match deleted {
        Ok(()) => {
            state
                .after_commit
                .hand_over(Committed::default().user_changed(user_id))
                .await;
            Ok(true)
        }
        Err(Unchanged::Nothing) => Ok(false),
        Err(Unchanged::Failed(e)) => Err(e),
    }
}

/// Refuses a change that would leave no live admin: `user` is a live
/// admin about to get `role` (`Role::User` for a deletion) and no other
/// live admin is left (contract, "Accounts and access": the last admin
/// cannot remove their own role or account; only the command line could
/// make another). `BAD_USER_INPUT` naming the target (`id`), as deleting
/// oneself is. Call under `users::lock_admins`, which makes the count and
/// the change one step for every concurrent demotion or deletion.
async fn keeps_an_admin(
    conn: &mut diesel_async::AsyncPgConnection,
    actor: &AdminActor,
    user: &User,
    role: Role,
) -> Result<(), ServiceError> {
    if user.role != Role::Admin || role == Role::Admin {
        return Ok(());
    }
    if users::other_live_admins(conn, user.id).await? > 0 {
        return Ok(());
    }
    let message = if actor.user_id == Some(user.id) {
        "you are the last admin: promote another user before giving up your own role"
    } else {
        "this would leave no admin"
    };
    Err(ServiceError::bad_input(Input::TargetUser, message))
}

/// Why an admin transaction committed nothing: it failed, or it found
/// nothing to change (then its audit entry is rolled back with it).
enum Unchanged {
    Nothing,
    Failed(ServiceError),
}

impl From<ServiceError> for Unchanged {
    fn from(error: ServiceError) -> Self {
        Unchanged::Failed(error)
    }
}

impl From<StoreError> for Unchanged {
    fn from(error: StoreError) -> Self {
        Unchanged::Failed(error.into())
    }
}

impl From<diesel::result::Error> for Unchanged {
    fn from(error: diesel::result::Error) -> Self {
        Unchanged::Failed(error.into())
    }
}

/// Gives the live user `user_id` the role `role`; the audit entry and the
/// change commit together. The last live admin keeps their role (see
/// [`keeps_an_admin`]). Setting the role a user already has is still
/// recorded: it is the admin's stated decision.
pub async fn set_role(
    state: &AppState,
    actor: &AdminActor,
    user_id: UserId,
    role: Role,
) -> Result<User, ServiceError> {
    let entry = actor.entry(
        AdminAction::SetUserRole,
        Some(user_id),
        details([
            ("id", Value::from(user_id.to_string())),
            (
                "role",
                serde_json::to_value(role).map_err(ServiceError::internal)?,
            ),
        ]),
        state.calendar.now(),
    );
    let mut conn = state.db().await?;
    let user = conn
        .transaction::<_, Unchanged, _>(async |conn| {
            if role != Role::Admin {
                users::lock_admins(conn).await?;
            }
            // Only a live user has a role to set (and an id the entry may
            // name).
            let user = users::find(conn, user_id)
                .await?
                .filter(|u| u.deleted_at.is_none())
                .ok_or(Unchanged::Nothing)?;
            keeps_an_admin(conn, actor, &user, role).await?;
            admin_audit::append(conn, entry.clone()).await?;
            users::set_role(conn, user_id, role)
                .await?
                .ok_or(Unchanged::Nothing)
        })
        .await
        .map_err(|e| match e {
            Unchanged::Nothing => ServiceError::NotFound("user"),
            Unchanged::Failed(e) => e,
        })?;
    state
        .after_commit
        .hand_over(Committed::default().user_changed(user_id))
        .await;
    Ok(user)
}

/// Credits (positive) or debits (negative) `user_id`'s wallet, once per
/// idempotency key. The audit entry commits with the ledger row; a replay
/// of the key returns the first transaction and writes no second entry.
pub async fn adjust_wallet(
    state: &Arc<AppState>,
    actor: &AdminActor,
    user_id: UserId,
    amount: i64,
    idempotency_key: &str,
    note: &str,
) -> Result<LedgerEntry, ServiceError> {
    // The caller's text is checked before anything is read with it.
    money::validate_idempotency_key(idempotency_key)?;
    money::validate_note(Some(note))?;
    {
        let mut conn = state.db().await?;
        users::find(&mut conn, user_id)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or(ServiceError::NotFound("user"))?;
    }
    let change = Change::adjustment(amount)?;
    let entry = actor.entry(
        AdminAction::AdjustWallet,
        Some(user_id),
        details([
            ("userId", Value::from(user_id.to_string())),
            ("amount", Value::from(amount)),
            ("idempotencyKey", Value::from(idempotency_key)),
            ("note", Value::from(note)),
        ]),
        state.calendar.now(),
    );
    wallet::apply_recorded(
        state,
        Request {
            user_id,
            change,
            idempotency_key: idempotency_key.to_owned(),
            note: Some(note.to_owned()),
        },
        Some(entry),
    )
    .await
}

/// Per-date statistics, one entry per date in the range, oldest first.
pub async fn sign_in_stats(
    state: &AppState,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DailyStatsRow>, ServiceError> {
    super::sign_in::validate_range(from, to)?;
    let rows = {
        let mut conn = state.read_conn(ReadSource::Replica).await?;
        sign_ins::daily_stats(&mut conn, from, to).await?
    };
    let mut rows = rows.into_iter().peekable();
    Ok(from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|day| match rows.next_if(|r| r.day == day) {
            Some(row) => row,
            None => DailyStatsRow {
                day,
                signed_in: 0,
                by_cycle_day: vec![0; 7],
                reward_total: 0,
                make_ups: 0,
                frozen: 0,
                milestone_bonus_total: 0,
            },
        })
        .collect())
}
