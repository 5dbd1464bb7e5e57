//! Wallet changes: rewards, spends and adjustments, each one ledger row.

use std::collections::HashMap;
use std::sync::Arc;

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::unit_of_work::{self, At, Decided, Key, Locked, LockedChange};
use super::webhooks::Events;
use super::{page, Page, ServiceError};
use crate::after_commit::Committed;
use crate::domain::money::{self, Change};
use crate::model::{
    LedgerEntry, LedgerEntryId, LedgerKind, SignIn, SignInDates, SignInId, UserId,
    WebhookDeliveryId,
};
use crate::state::AppState;
use crate::store::admin_audit::{self, NewAdminAuditEntry};
use crate::store::ledger::{self, Entry};
use crate::store::sign_ins;

/// A change requested by a person, made at most once per idempotency key.
pub struct Request {
    pub user_id: UserId,
    pub change: Change,
    pub idempotency_key: String,
    pub note: Option<String>,
}

/// Applies `request` (or returns the transaction its key already made) and
/// announces it, as a [`LockedChange`]. The wallet row lock serializes
/// changes to one wallet, so concurrent spends cannot overdraw it.
///
/// Errors: `BadInput` for a bad key or note, `NotFound("wallet")`,
/// `InsufficientFunds`, `IdempotencyConflict` when the key made another
/// change.
pub async fn apply(state: &Arc<AppState>, request: Request) -> Result<LedgerEntry, ServiceError> {
    apply_recorded(state, request, None).await
}

/// As [`apply`], and when the request is not a replay, appends `audit` (an
/// admin action's entry) in the same transaction, before the ledger row:
/// both commit or neither does, and a replay writes no second entry.
pub async fn apply_recorded(
    state: &Arc<AppState>,
    request: Request,
    audit: Option<NewAdminAuditEntry>,
) -> Result<LedgerEntry, ServiceError> {
    money::validate_idempotency_key(&request.idempotency_key)?;
    money::validate_note(request.note.as_deref())?;
    let key = Key {
        user_id: request.user_id,
        idempotency_key: Some(request.idempotency_key.clone()),
    };
    unit_of_work::run(state, key, LedgerChange { request, audit }).await
}

/// A person's change to a wallet, with its audit entry when an admin made
/// it.
struct LedgerChange {
    request: Request,
    audit: Option<NewAdminAuditEntry>,
}

impl LockedChange for LedgerChange {
    type Lock = unit_of_work::Wallet;
    type ReadFirst = unit_of_work::Nothing;
    type Output = LedgerEntry;

    async fn decide(
        self,
        conn: &mut AsyncPgConnection,
        _state: &AppState,
        _read: (),
        locked: Locked<i64>,
        at: At,
    ) -> Result<Decided<LedgerEntry>, ServiceError> {
        let request = self.request;
        if let Some(first) = locked.first {
            request.change.check_replay_of(ledger::change(&first))?;
            return Ok(Decided::made(first, Committed::default()));
        }
        let balance_after = request.change.apply_to(locked.held)?;
        if let Some(audit) = self.audit {
            admin_audit::append(conn, audit).await?;
        }
        let entry = Entry {
            user_id: request.user_id,
            change: request.change,
            balance_after,
            note: request.note.as_deref(),
            idempotency_key: Some(&request.idempotency_key),
            sign_in_id: None,
            created_at: at.now,
        };
        let row = ledger::append(conn, entry).await?;
        let after_commit = Committed::default().ledger_appended(row.clone());
        Ok(Decided::made(row, after_commit))
    }
}

/// What crediting a batch of sign-ins came to.
#[derive(Debug, Default)]
pub struct Credits {
    /// The ledger rows written now, per sign-in (reward first, then its
    /// milestone bonus).
    pub credited: Vec<(SignInId, Vec<LedgerEntry>)>,
    /// Sign-ins credited before (a job delivered again): nothing written.
    pub already_credited: Vec<SignInId>,
    /// Sign-ins left uncredited, each with why: no such sign-in or wallet
    /// (`NotFound`), or a money rule refused the credit (`BadInput`: the
    /// balance would pass its maximum). The relay offers the ones that
    /// exist again later.
    pub refused: Vec<(SignInId, ServiceError)>,
    /// The webhook messages (`reward.credited`) the credits wrote.
    pub webhooks_due: Vec<WebhookDeliveryId>,
}

/// Credits committed sign-ins' rewards and milestone bonuses, each once, in
/// one transaction: their wallets are locked, then the sign-in rows (a
/// second delivery of a job finds them credited and writes nothing; the
/// ledger's unique (sign-in, kind) key backs that up), then the ledger rows
/// and balances are written in two statements. A sign-in the rules refuse is
/// left out; the others are credited. When the transaction fails for a
/// reason other than PostgreSQL being away, each sign-in is credited on its
/// own, so one that cannot be credited is refused without holding back
/// the rest of its batch.
///
/// The sign-ins are looked up within `dates` (the reward job's, which
/// records each sign-in's date): a sign-in dated outside it is refused as
/// not found, and credited when offered again with its date (the relay).
///
/// Errors: `Unavailable` when PostgreSQL is (the whole batch is retried).
pub async fn credit_sign_ins_within(
    state: &AppState,
    sign_in_ids: &[SignInId],
    dates: SignInDates,
) -> Result<Credits, ServiceError> {
    let credits = match credit_together(state, sign_in_ids, dates).await {
        Ok(credits) => credits,
        Err(ServiceError::Unavailable(error)) => return Err(ServiceError::Unavailable(error)),
        // Something about one sign-in failed the whole transaction (say, a
        // ledger row already written for it by hand): each is tried alone,
        // so the others are credited and only that one is refused.
        Err(error) if sign_in_ids.len() > 1 => {
            tracing::warn!(%error, "a batch of credits failed; crediting its sign-ins one by one");
            let mut credits = Credits::default();
            for &id in sign_in_ids {
                match credit_together(state, &[id], dates).await {
                    Ok(one) => credits.absorb(one),
                    Err(ServiceError::Unavailable(error)) => {
                        return Err(ServiceError::Unavailable(error))
                    }
                    Err(error) => credits.refused.push((id, error)),
                }
            }
            credits
        }
        Err(error) => return Err(error),
    };
    if !credits.credited.is_empty() {
        let mut committed = Committed::default().webhooks_due(credits.webhooks_due.clone());
        for row in credits.credited.iter().flat_map(|(_, rows)| rows) {
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
    Ok(credits)
}

/// [`credit_sign_ins_within`] for ids whose dates the caller does not know:
/// every month kept is searched.
pub async fn credit_sign_ins(
    state: &AppState,
    sign_in_ids: &[SignInId],
) -> Result<Credits, ServiceError> {
    credit_sign_ins_within(state, sign_in_ids, SignInDates::ANY).await
}

impl Credits {
    fn absorb(&mut self, other: Credits) {
        self.credited.extend(other.credited);
        self.already_credited.extend(other.already_credited);
        self.refused.extend(other.refused);
        self.webhooks_due.extend(other.webhooks_due);
    }
}

/// One transaction crediting all of `sign_in_ids` (see [`credit_in`]);
/// nothing is announced yet.
async fn credit_together(
    state: &AppState,
    sign_in_ids: &[SignInId],
    dates: SignInDates,
) -> Result<Credits, ServiceError> {
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    conn.transaction::<_, ServiceError, _>(async |conn| {
        credit_in(conn, sign_in_ids, dates, now).await
    })
    .await
}

/// Credits one committed sign-in (see [`credit_sign_ins`]): the ledger rows
/// written (reward first), or None when it already was credited.
///
/// Errors: `NotFound` for no such sign-in or wallet, `BadInput` when the
/// balance would pass its maximum, `Unavailable`.
pub async fn credit_sign_in(
    state: &AppState,
    sign_in_id: SignInId,
) -> Result<Option<Vec<LedgerEntry>>, ServiceError> {
    let mut credits = credit_sign_ins(state, &[sign_in_id]).await?;
    if let Some((_, error)) = credits.refused.pop() {
        return Err(error);
    }
    Ok(credits.credited.pop().map(|(_, rows)| rows))
}

async fn credit_in(
    conn: &mut AsyncPgConnection,
    sign_in_ids: &[SignInId],
    dates: SignInDates,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Credits, ServiceError> {
    let mut ids = sign_in_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // Wallets first, as every change to a user's chain or wallet locks
    // them: a make-up renumbering these sign-ins holds its user's wallet.
    let mut balances: HashMap<UserId, i64> = ledger::lock_balances_of_sign_ins(conn, &ids, dates)
        .await?
        .into_iter()
        .collect();
    let locked = sign_ins::lock_many(conn, &ids, dates).await?;
    let mut credits = Credits::default();
    for id in &ids {
        if !locked.iter().any(|s| s.id == *id) {
            credits
                .refused
                .push((*id, ServiceError::NotFound("sign-in")));
        }
    }
    let (due, done): (Vec<_>, Vec<_>) = locked.into_iter().partition(|s| s.credited_at.is_none());
    credits.already_credited = done.into_iter().map(|s| s.id).collect();
    if due.is_empty() {
        return Ok(credits);
    }
    let mut entries = Vec::with_capacity(due.len() * 2);
    let mut credited = Vec::with_capacity(due.len());
    for sign_in in due {
        let Some(balance) = balances.get_mut(&sign_in.user_id) else {
            credits
                .refused
                .push((sign_in.id, ServiceError::NotFound("wallet")));
            continue;
        };
        match sign_in_entries(&sign_in, *balance, now) {
            Ok(written) => {
                *balance = written.last().map_or(*balance, |e| e.balance_after);
                entries.extend(written);
                credited.push((sign_in.id, sign_in.day));
            }
            Err(error) => credits.refused.push((sign_in.id, error)),
        }
    }
    if credited.is_empty() {
        return Ok(credits);
    }
    let rows = ledger::append_many(conn, &entries).await?;
    sign_ins::mark_credited(conn, &credited, now).await?;
    // `reward.credited`, in the credit's transaction.
    let mut events = Events::default();
    for row in &rows {
        events.reward_credited(row);
    }
    credits.webhooks_due = events.record(conn, now).await?;
    credits.credited = credited
        .into_iter()
        .map(|(id, _)| {
            let of_this: Vec<LedgerEntry> = rows
                .iter()
                .filter(|row| row.sign_in_id == Some(id))
                .cloned()
                .collect();
            (id, of_this)
        })
        .collect();
    Ok(credits)
}

/// The ledger entries that credit `sign_in` on top of `balance`: its
/// reward, then its milestone bonus if it earned one.
fn sign_in_entries(
    sign_in: &SignIn,
    mut balance: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Entry<'static>>, ServiceError> {
    let mut changes = vec![Change::reward(sign_in.reward)?];
    if let Some(bonus) = sign_in.milestone_bonus {
        changes.push(Change::milestone_bonus(bonus)?);
    }
    changes
        .into_iter()
        .map(|change| {
            balance = change.apply_to(balance)?;
            Ok(Entry {
                user_id: sign_in.user_id,
                change,
                balance_after: balance,
                note: None,
                idempotency_key: None,
                sign_in_id: Some(sign_in.id),
                created_at: now,
            })
        })
        .collect()
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
