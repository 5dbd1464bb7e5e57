//! Streak protection bought with points: the make-up sign-in and the streak
//! freeze (contract, "Streak protection and milestones"). Each is a
//! [`LockedChange`] (one transaction under the user's wallet lock, on a
//! task of its own), idempotent per (user, idempotency key) in the
//! namespace `spend` and `adjustWallet` share, and announced through
//! `after_commit` once committed.

use std::sync::Arc;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;

use super::unit_of_work::{
    self, At, Decided, Key, Locked, LockedChange, Schedules, SchedulesShown, WalletAndChain,
};
use super::ServiceError;
use crate::after_commit::Committed;
use crate::cache::schedules::Snapshot;
use crate::domain::money::{self, Change};
use crate::domain::streak::chain as chain_rule;
use crate::domain::streak::state::ChainState;
use crate::domain::streak::status::SignInStatus;
use crate::model::{LedgerEntry, LedgerKind, SignIn, UserId};
use crate::state::AppState;
use crate::store::ledger::{self, Entry};
use crate::store::sign_ins::{self, NewSignIn};
use crate::store::streak as streak_store;

/// A paid change's answer: the first call's result with the status after
/// it, announced (`streakUpdated`, `walletUpdated`) and counted
/// (`counter`); or a replay's, with the status now, announcing nothing.
#[allow(clippy::too_many_arguments)]
fn answer<T>(
    state: &AppState,
    user_id: UserId,
    at: At,
    rewards: &Snapshot,
    result: T,
    chain: ChainState,
    made: Option<(LedgerEntry, &'static str)>,
) -> Decided<(T, SignInStatus)> {
    let status = chain.status(
        chain.today(at.now),
        &state.config.protection,
        &rewards.schedules,
    );
    match made {
        Some((row, counter)) => {
            metrics::counter!(counter).increment(1);
            let after_commit = Committed::default()
                .status_changed(user_id, status.clone())
                .ledger_appended(row);
            Decided::made((result, status), after_commit)
        }
        None => Decided::made((result, status), Committed::default()),
    }
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
    state: &Arc<AppState>,
    user_id: UserId,
    date: NaiveDate,
    idempotency_key: String,
) -> Result<(SignIn, SignInStatus), ServiceError> {
    money::validate_idempotency_key(&idempotency_key)?;
    let key = Key {
        user_id,
        idempotency_key: Some(idempotency_key),
    };
    unit_of_work::run(state, key, MakeUp { date }).await
}

/// Filling a missed date.
struct MakeUp {
    date: NaiveDate,
}

impl LockedChange for MakeUp {
    type Lock = WalletAndChain;
    /// The schedule in force on the made-up date is recorded, though it
    /// pays nothing (contract: SignInRecord.scheduleId).
    type ReadFirst = Schedules;
    type Output = (SignIn, SignInStatus);

    async fn decide(
        self,
        conn: &mut AsyncPgConnection,
        state: &AppState,
        schedules: Arc<Snapshot>,
        locked: Locked<(i64, ChainState)>,
        at: At,
    ) -> Result<Decided<Self::Output>, ServiceError> {
        let (user_id, date) = (locked.key.user_id, self.date);
        let rules = &state.config.protection;
        let (balance, before) = locked.held;
        if let Some(first) = locked.first {
            let filled = match (first.kind, first.sign_in_id) {
                (LedgerKind::MakeUpFee, Some(id)) => sign_ins::find(conn, id).await?,
                _ => None,
            };
            return match filled {
                Some(row) if row.day == date => {
                    Ok(answer(state, user_id, at, &schedules, row, before, None))
                }
                _ => Err(ServiceError::IdempotencyConflict),
            };
        }
        chain_rule::make_up_check(
            &before.history,
            date,
            before.today(at.now),
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
        let schedule_id = schedules
            .schedules
            .in_force(date)
            .ok_or_else(|| ServiceError::internal("no reward schedule in force"))?
            .id;
        let row = sign_ins::insert_if_absent(
            conn,
            &NewSignIn {
                user_id,
                day: date,
                cycle_day: i16::from(position.cycle_day),
                streak: i32::try_from(position.streak).unwrap_or(i32::MAX),
                reward: 0,
                created_at: at.now,
                made_up: true,
                milestone_bonus: None,
                credited_at: Some(at.now),
                schedule_id,
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
                idempotency_key: locked.key.idempotency_key.as_deref(),
                sign_in_id: Some(row.id),
                created_at: at.now,
            },
        )
        .await?;
        // Later dates continue from the filled one.
        let later: Vec<_> = positions
            .range((std::ops::Bound::Excluded(date), std::ops::Bound::Unbounded))
            .collect();
        if !later.is_empty() {
            let days: Vec<NaiveDate> = later.iter().map(|(d, _)| **d).collect();
            let cycle_days: Vec<i16> = later.iter().map(|(_, p)| i16::from(p.cycle_day)).collect();
            let streaks: Vec<i32> = later
                .iter()
                .map(|(_, p)| i32::try_from(p.streak).unwrap_or(i32::MAX))
                .collect();
            streak_store::renumber(conn, user_id, &days, &cycle_days, &streaks).await?;
        }
        let made = Some((fee_row, "signin_make_ups_total"));
        Ok(answer(state, user_id, at, &schedules, row, after, made))
    }
}

/// Buys one streak freeze for `SIGNIN_FREEZE_COST` points
/// (`buyStreakFreeze`): a ledger row of kind `STREAK_FREEZE` and one more
/// freeze held, in one transaction.
///
/// Errors: `LimitReached` when `SIGNIN_MAX_FREEZES` are held already (then
/// nothing is debited), `InsufficientFunds`, `IdempotencyConflict` when the
/// key was used for another operation; a bad key is `BadInput`.
pub async fn buy_freeze(
    state: &Arc<AppState>,
    user_id: UserId,
    idempotency_key: String,
) -> Result<(LedgerEntry, SignInStatus), ServiceError> {
    money::validate_idempotency_key(&idempotency_key)?;
    let key = Key {
        user_id,
        idempotency_key: Some(idempotency_key),
    };
    unit_of_work::run(state, key, BuyFreeze).await
}

/// Buying one freeze.
struct BuyFreeze;

impl LockedChange for BuyFreeze {
    type Lock = WalletAndChain;
    /// For the status shown after.
    type ReadFirst = SchedulesShown;
    type Output = (LedgerEntry, SignInStatus);

    async fn decide(
        self,
        conn: &mut AsyncPgConnection,
        state: &AppState,
        schedules: Arc<Snapshot>,
        locked: Locked<(i64, ChainState)>,
        at: At,
    ) -> Result<Decided<Self::Output>, ServiceError> {
        let user_id = locked.key.user_id;
        let rules = &state.config.protection;
        let (balance, before) = locked.held;
        if let Some(first) = locked.first {
            return match first.kind {
                LedgerKind::StreakFreeze => {
                    Ok(answer(state, user_id, at, &schedules, first, before, None))
                }
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
                idempotency_key: locked.key.idempotency_key.as_deref(),
                sign_in_id: None,
                created_at: at.now,
            },
        )
        .await?;
        let after = before.after_buying_a_freeze();
        streak_store::set_freezes_held(conn, user_id, i32::from(after.freezes_held)).await?;
        let made = Some((row.clone(), "signin_streak_freezes_bought_total"));
        Ok(answer(state, user_id, at, &schedules, row, after, made))
    }
}
