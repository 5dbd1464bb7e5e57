//! Wallet changes: rewards, spends and adjustments, each one ledger row.

use std::collections::HashMap;

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{page, Page, ServiceError};
use crate::after_commit::Committed;
use crate::domain::money::{self, Change};
use crate::model::{LedgerEntry, LedgerEntryId, LedgerKind, SignInId, UserId};
use crate::state::AppState;
use crate::store::admin_audit::{self, NewAdminAuditEntry};
use crate::store::ledger::{self, Entry};
use crate::store::sign_ins;

/// A change requested by a person, made at most once per idempotency key.
pub struct Request<'a> {
    pub user_id: UserId,
    pub change: Change,
    pub idempotency_key: &'a str,
    pub note: Option<&'a str>,
}

/// Applies `request` (or returns the transaction its key already made) and
/// announces it. The wallet row lock serializes changes to one wallet, so
/// concurrent spends cannot overdraw it.
pub async fn apply(state: &AppState, request: Request<'_>) -> Result<LedgerEntry, ServiceError> {
    apply_recorded(state, request, None).await
}

/// As [`apply`], and when the request is not a replay, appends `audit` (an
/// admin action's entry) in the same transaction, before the ledger row:
/// both commit or neither does, and a replay writes no second entry.
pub async fn apply_recorded(
    state: &AppState,
    request: Request<'_>,
    audit: Option<NewAdminAuditEntry<'_>>,
) -> Result<LedgerEntry, ServiceError> {
    money::validate_idempotency_key(request.idempotency_key)?;
    money::validate_note(request.note)?;
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    let (row, replayed) = conn
        .transaction::<_, ServiceError, _>(async |conn| {
            let balance = ledger::lock_balance(conn, request.user_id)
                .await?
                .ok_or(ServiceError::NotFound("wallet"))?;
            if let Some(first) =
                ledger::by_idempotency_key(conn, request.user_id, request.idempotency_key).await?
            {
                request.change.check_replay_of(ledger::change(&first))?;
                return Ok((first, true));
            }
            let balance_after = request.change.apply_to(balance)?;
            if let Some(audit) = &audit {
                admin_audit::append(conn, audit.clone()).await?;
            }
            let entry = Entry {
                user_id: request.user_id,
                change: request.change,
                balance_after,
                note: request.note,
                idempotency_key: Some(request.idempotency_key),
                sign_in_id: None,
                created_at: now,
            };
            Ok((ledger::append(conn, entry).await?, false))
        })
        .await?;
    if !replayed {
        announce(state, &row).await;
    }
    Ok(row)
}

/// Credits a committed sign-in's reward and its milestone bonus, once:
/// returns the ledger rows written (reward first), or None when the sign-in
/// already was credited. The sign-in row lock and the ledger's unique
/// (sign-in, kind) key make a second delivery of the job a no-op.
pub async fn credit_sign_in(
    state: &AppState,
    sign_in_id: SignInId,
) -> Result<Option<Vec<LedgerEntry>>, ServiceError> {
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    let credited = conn
        .transaction::<_, ServiceError, _>(async |conn| credit_in(conn, sign_in_id, now).await)
        .await?;
    if let Some(rows) = &credited {
        let mut committed = Committed::default();
        for row in rows {
            let counter = match row.kind {
                LedgerKind::MilestoneBonus => "signin_milestone_bonuses_credited_total",
                _ => "signin_rewards_credited_total",
            };
            metrics::counter!(counter).increment(1);
            metrics::counter!("signin_reward_points_total").increment(row.amount.unsigned_abs());
            committed = committed.ledger_appended(row.clone());
        }
        state.after_commit.hand_over(committed).await;
    }
    Ok(credited)
}

async fn credit_in(
    conn: &mut AsyncPgConnection,
    sign_in_id: SignInId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Vec<LedgerEntry>>, ServiceError> {
    let sign_in = sign_ins::lock(conn, sign_in_id)
        .await?
        .ok_or(ServiceError::NotFound("sign-in"))?;
    if sign_in.credited_at.is_some() {
        return Ok(None);
    }
    let mut balance = ledger::lock_balance(conn, sign_in.user_id)
        .await?
        .ok_or(ServiceError::NotFound("wallet"))?;
    let mut changes = vec![Change::reward(sign_in.reward)?];
    if let Some(bonus) = sign_in.milestone_bonus {
        changes.push(Change::milestone_bonus(bonus)?);
    }
    let mut rows = Vec::with_capacity(changes.len());
    for change in changes {
        balance = change.apply_to(balance)?;
        let entry = Entry {
            user_id: sign_in.user_id,
            change,
            balance_after: balance,
            note: None,
            idempotency_key: None,
            sign_in_id: Some(sign_in_id),
            created_at: now,
        };
        rows.push(ledger::append(conn, entry).await?);
    }
    sign_ins::mark_credited(conn, sign_in_id, now).await?;
    Ok(Some(rows))
}

async fn announce(state: &AppState, row: &LedgerEntry) {
    state
        .after_commit
        .hand_over(Committed::default().ledger_appended(row.clone()))
        .await;
}

/// The balances of `user_ids` (one query); users without a wallet are absent.
pub async fn balances(
    state: &AppState,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, i64>, ServiceError> {
    let mut conn = state.db().await?;
    Ok(ledger::balances(&mut conn, user_ids)
        .await?
        .into_iter()
        .collect())
}

/// One page of the ledger, newest first: up to `first` rows before the row
/// `before_id`, and whether more follow.
pub async fn transactions(
    state: &AppState,
    user_id: UserId,
    first: i64,
    before_id: Option<LedgerEntryId>,
) -> Result<Page<LedgerEntry>, ServiceError> {
    let mut conn = state.db().await?;
    let fetched = ledger::page(&mut conn, user_id, before_id, page::fetch_limit(first)).await?;
    Ok(Page::from_fetched(fetched, first))
}
