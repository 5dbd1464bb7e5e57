//! Streak protection bought with points: the make-up sign-in and the streak
//! freeze (contract, "Streak protection and milestones"). Each is one
//! transaction under the user's wallet lock (`chain::lock`), idempotent per
//! (user, idempotency key) in the namespace `spend` and `adjustWallet`
//! share, and announced through `after_commit` once committed.

use chrono::NaiveDate;
use diesel_async::AsyncConnection;

use super::{chain, ServiceError};
use crate::after_commit::Committed;
use crate::domain::chain as chain_rule;
use crate::domain::cycle::SignInStatus;
use crate::domain::money::{self, Change};
use crate::domain::protection::ChainState;
use crate::domain::schedule::RewardsByDate;
use crate::model::{LedgerEntry, LedgerKind, SignIn, UserId};
use crate::state::AppState;
use crate::store::chain as chain_store;
use crate::store::ledger::{self, Entry};
use crate::store::sign_ins::{self, NewSignIn};

/// What a call did.
enum Outcome<T> {
    /// The first call of its key: its result, the ledger row it wrote and
    /// the user's chain after it.
    Made(T, LedgerEntry, ChainState),
    /// A replay of its key: the first call's result and the chain now (a
    /// replay changes and announces nothing).
    Replayed(T, ChainState),
}

impl<T> Outcome<T> {
    /// The caller's answer, the result and the status now, after a first
    /// call's change is counted (`counter`) and announced (`streakUpdated`,
    /// `walletUpdated`).
    async fn settle(
        self,
        state: &AppState,
        user_id: UserId,
        today: NaiveDate,
        rewards: &impl RewardsByDate,
        counter: &'static str,
    ) -> (T, SignInStatus) {
        let rules = &state.config.protection;
        match self {
            Outcome::Made(result, row, after) => {
                metrics::counter!(counter).increment(1);
                let status = after.status(today, rules, rewards);
                state
                    .after_commit
                    .hand_over(
                        Committed::default()
                            .status_changed(user_id, status.clone())
                            .ledger_appended(row),
                    )
                    .await;
                (result, status)
            }
            Outcome::Replayed(result, now) => (result, now.status(today, rules, rewards)),
        }
    }
}

/// What a paid change finds under the caller's wallet lock.
struct Locked {
    /// Points in the wallet.
    balance: i64,
    /// The caller's chain before the change.
    before: ChainState,
    /// The ledger row the idempotency key already wrote (a replay), if any.
    first: Option<LedgerEntry>,
}

/// Takes `user_id`'s wallet lock (as every change to a chain or wallet
/// does), then reads their chain and what `idempotency_key` already wrote.
async fn lock_for(
    conn: &mut diesel_async::AsyncPgConnection,
    state: &AppState,
    user_id: UserId,
    today: NaiveDate,
    idempotency_key: &str,
) -> Result<Locked, ServiceError> {
    let (balance, before) = chain::lock(
        conn,
        user_id,
        today,
        &state.calendar,
        &state.config.protection,
    )
    .await?;
    let first = ledger::by_idempotency_key(conn, user_id, idempotency_key).await?;
    Ok(Locked {
        balance,
        before,
        first,
    })
}

/// Fills the caller's missed `date` for `SIGNIN_MAKEUP_COST` points
/// (`makeUpSignIn`). The filled date, its fee (ledger kind `MAKE_UP_FEE`)
/// and the renumbering of every later date commit together; rewards and
/// bonuses already earned stay as they are.
///
/// Errors: `MakeUpNotAllowed` (with the reason) when the date rules refuse
/// it, `LimitReached` when the month's make-ups are used up,
/// `InsufficientFunds`, `IdempotencyConflict` when the key was used for
/// another operation or another date; a bad key is `BadInput`.
pub async fn make_up(
    state: &AppState,
    user_id: UserId,
    date: NaiveDate,
    idempotency_key: &str,
) -> Result<(SignIn, SignInStatus), ServiceError> {
    money::validate_idempotency_key(idempotency_key)?;
    let now = state.calendar.now();
    let today = state.calendar.day_of(now);
    let rules = &state.config.protection;
    // The schedule in force on the made-up date is recorded, though it
    // pays nothing (contract: SignInRecord.scheduleId).
    let schedules = super::schedules::current(state).await?;
    let outcome = {
        let mut conn = state.db().await?;
        conn.transaction::<_, ServiceError, _>(async |conn| {
            let Locked {
                balance,
                before,
                first,
            } = lock_for(conn, state, user_id, today, idempotency_key).await?;
            if let Some(first) = first {
                let filled = match (first.kind, first.sign_in_id) {
                    (LedgerKind::MakeUpFee, Some(id)) => sign_ins::find(conn, id).await?,
                    _ => None,
                };
                return match filled {
                    Some(row) if row.day == date => Ok(Outcome::Replayed(row, before)),
                    _ => Err(ServiceError::IdempotencyConflict),
                };
            }
            chain_rule::make_up_check(
                &before.history,
                date,
                today,
                before.registered_on,
                rules.make_up_window_days,
            )
            .map_err(ServiceError::MakeUpNotAllowed)?;
            if rules.make_ups_left(before.make_ups_this_month) == 0 {
                return Err(ServiceError::LimitReached(format!(
                    "you have used the {} make-up sign-ins allowed this month",
                    rules.make_up_monthly_limit
                )));
            }
            let fee = Change::make_up_fee(rules.make_up_cost);
            let balance_after = fee.apply_to(balance)?;

            let after = before.after_make_up(date);
            let positions = chain_rule::positions(&after.history);
            let position = positions
                .get(&date)
                .copied()
                .ok_or_else(|| ServiceError::internal("the made-up date has no position"))?;
            let row = sign_ins::insert_if_absent(
                conn,
                &NewSignIn {
                    user_id,
                    day: date,
                    cycle_day: i16::from(position.cycle_day),
                    streak: i32::try_from(position.streak).unwrap_or(i32::MAX),
                    reward: 0,
                    created_at: now,
                    made_up: true,
                    milestone_bonus: None,
                    credited_at: Some(now),
                    schedule_id: schedules
                        .schedules
                        .in_force(date)
                        .ok_or_else(|| ServiceError::internal("no reward schedule in force"))?
                        .id,
                },
            )
            .await?
            // The wallet lock makes this unreachable; the key still decides.
            .ok_or(ServiceError::MakeUpNotAllowed(
                chain_rule::MakeUpRefusal::NotMissed,
            ))?;
            let fee_row = ledger::append(
                conn,
                Entry {
                    user_id,
                    change: fee,
                    balance_after,
                    note: None,
                    idempotency_key: Some(idempotency_key),
                    sign_in_id: Some(row.id),
                    created_at: now,
                },
            )
            .await?;
            // Later dates continue from the filled one.
            let later: Vec<_> = positions
                .range((std::ops::Bound::Excluded(date), std::ops::Bound::Unbounded))
                .collect();
            if !later.is_empty() {
                let days: Vec<NaiveDate> = later.iter().map(|(d, _)| **d).collect();
                let cycle_days: Vec<i16> =
                    later.iter().map(|(_, p)| i16::from(p.cycle_day)).collect();
                let streaks: Vec<i32> = later
                    .iter()
                    .map(|(_, p)| i32::try_from(p.streak).unwrap_or(i32::MAX))
                    .collect();
                chain_store::renumber(conn, user_id, &days, &cycle_days, &streaks).await?;
            }
            Ok(Outcome::Made(row, fee_row, after))
        })
        .await?
    };
    Ok(outcome
        .settle(
            state,
            user_id,
            today,
            &schedules.schedules,
            "signin_make_ups_total",
        )
        .await)
}

/// Buys one streak freeze for `SIGNIN_FREEZE_COST` points
/// (`buyStreakFreeze`): a ledger row of kind `STREAK_FREEZE` and one more
/// freeze held, in one transaction.
///
/// Errors: `LimitReached` when `SIGNIN_MAX_FREEZES` are held already (then
/// nothing is debited), `InsufficientFunds`, `IdempotencyConflict` when the
/// key was used for another operation; a bad key is `BadInput`.
pub async fn buy_freeze(
    state: &AppState,
    user_id: UserId,
    idempotency_key: &str,
) -> Result<(LedgerEntry, SignInStatus), ServiceError> {
    money::validate_idempotency_key(idempotency_key)?;
    let now = state.calendar.now();
    let today = state.calendar.day_of(now);
    let rules = &state.config.protection;
    // Read before the transaction: nothing fallible may stand between its
    // commit and the hand-over of its after-commit work.
    let schedules = super::schedules::for_display(state).await?;
    let outcome = {
        let mut conn = state.db().await?;
        conn.transaction::<_, ServiceError, _>(async |conn| {
            let Locked {
                balance,
                before,
                first,
            } = lock_for(conn, state, user_id, today, idempotency_key).await?;
            if let Some(first) = first {
                return match first.kind {
                    LedgerKind::StreakFreeze => Ok(Outcome::Replayed(first, before)),
                    _ => Err(ServiceError::IdempotencyConflict),
                };
            }
            if before.freezes_held >= rules.max_freezes {
                return Err(ServiceError::LimitReached(format!(
                    "you already hold the most streak freezes allowed ({})",
                    rules.max_freezes
                )));
            }
            let price = Change::streak_freeze(rules.freeze_cost);
            let balance_after = price.apply_to(balance)?;
            let row = ledger::append(
                conn,
                Entry {
                    user_id,
                    change: price,
                    balance_after,
                    note: None,
                    idempotency_key: Some(idempotency_key),
                    sign_in_id: None,
                    created_at: now,
                },
            )
            .await?;
            let after = before.after_buying_a_freeze();
            chain_store::set_freezes_held(conn, user_id, i32::from(after.freezes_held)).await?;
            Ok(Outcome::Made(row.clone(), row, after))
        })
        .await?
    };
    Ok(outcome
        .settle(
            state,
            user_id,
            today,
            &schedules.schedules,
            "signin_streak_freezes_bought_total",
        )
        .await)
}
