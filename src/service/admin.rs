//! What admins do to other users.

use chrono::NaiveDate;

use super::wallet::{self, Request};
use super::{page, Input, Page, ServiceError};
use crate::after_commit::Committed;
use crate::auth::Identity;
use crate::domain::account::{self, Username};
use crate::domain::money::{self, Change};
use crate::model::{LedgerEntry, Role, User, UserId};
use crate::state::AppState;
use crate::store::sign_ins::{self, DailyStatsRow};
use crate::store::users;

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
    let mut conn = state.db().await?;
    let fetched = users::search(&mut conn, &needle, after_id, page::fetch_limit(first)).await?;
    Ok(Page::from_fetched(fetched, first))
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
/// already were. Admins cannot delete themselves (no lock-out by accident).
pub async fn delete_user(
    state: &AppState,
    caller: Identity,
    user_id: UserId,
) -> Result<bool, ServiceError> {
    if caller.user_id == user_id {
        return Err(ServiceError::bad_input(
            Input::TargetUser,
            "admins cannot delete themselves",
        ));
    }
    let mut conn = state.db().await?;
    if users::soft_delete(&mut conn, user_id, state.calendar.now()).await? {
        state
            .after_commit
            .hand_over(Committed::default().user_changed(user_id))
            .await;
        return Ok(true);
    }
    match users::find(&mut conn, user_id).await? {
        Some(_) => Ok(false),
        None => Err(ServiceError::NotFound("user")),
    }
}

pub async fn set_role(state: &AppState, user_id: UserId, role: Role) -> Result<User, ServiceError> {
    let mut conn = state.db().await?;
    let user = users::set_role(&mut conn, user_id, role)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    state
        .after_commit
        .hand_over(Committed::default().user_changed(user_id))
        .await;
    Ok(user)
}

pub async fn adjust_wallet(
    state: &AppState,
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
    wallet::apply(
        state,
        Request {
            user_id,
            change,
            idempotency_key,
            note: Some(note),
        },
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
        let mut conn = state.db().await?;
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
