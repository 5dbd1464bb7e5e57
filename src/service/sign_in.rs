//! The daily sign-in and the status a user sees.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use tracing::Instrument;

use super::{cached, Input, ServiceError};
use crate::after_commit::{Committed, RewardJob};
use crate::domain::cycle::{self, SignInStatus};
use crate::model::{SignIn, UserId};
use crate::state::AppState;
use crate::store::sign_ins::{self, HistoryRow, NewSignIn};

/// Today's sign-in for `user_id`. The row (which is also the reward
/// obligation) commits in one statement; then `after_commit` drops the
/// cached status, announces the new one and pushes the reward job. A Redis
/// outage neither fails nor slows the sign-in, and a job that never reaches
/// the queue is pushed later by the relay.
///
/// It runs on its own task, so a client that hangs up while the insert is
/// in flight cannot leave a committed sign-in whose job was never handed
/// over (its reward would wait for the relay, a grace period later).
pub async fn sign_in(
    state: &Arc<AppState>,
    user_id: UserId,
) -> Result<(SignIn, SignInStatus), ServiceError> {
    let state = state.clone();
    tokio::spawn(
        async move { sign_in_to_completion(&state, user_id).await }
            .instrument(tracing::Span::current()),
    )
    .await
    .map_err(ServiceError::internal)?
}

async fn sign_in_to_completion(
    state: &Arc<AppState>,
    user_id: UserId,
) -> Result<(SignIn, SignInStatus), ServiceError> {
    let now = state.calendar.now();
    let today = state.calendar.day_of(now);
    let schedules = super::schedules::current(state).await?;
    let rewards = &schedules.schedules;
    let inserted = {
        let mut conn = state.db().await?;
        let latest = sign_ins::latest_on_or_before(&mut conn, user_id, today).await?;
        if latest.as_ref().is_some_and(|l| l.day == today) {
            None
        } else {
            let (cycle_day, streak) =
                cycle::next_position(latest.as_ref().map(sign_ins::position).as_ref(), today);
            // What a sign-in earns is fixed now, by the schedule in force today.
            let paid_by = rewards
                .in_force(today)
                .ok_or_else(|| ServiceError::internal("no reward schedule in force"))?;
            let new = NewSignIn {
                user_id,
                day: today,
                cycle_day: i16::from(cycle_day),
                streak: i32::try_from(streak).unwrap_or(i32::MAX),
                reward: i64::from(paid_by.rewards.for_day(cycle_day)),
                created_at: now,
                schedule_id: paid_by.id,
            };
            // The unique (user, day) key decides between concurrent requests.
            sign_ins::insert_if_absent(&mut conn, &new).await?
        }
    };
    let Some(row) = inserted else {
        // In case an earlier invalidation was lost and the cache still
        // says "not signed in".
        state
            .after_commit
            .hand_over(Committed::default().status_may_be_stale(user_id))
            .await;
        return Err(ServiceError::AlreadySignedIn);
    };
    metrics::counter!("signin_sign_ins_total").increment(1);
    let status = cycle::status(Some(&sign_ins::position(&row)), today, rewards);
    let job = RewardJob { sign_in_id: row.id };
    state
        .after_commit
        .hand_over(Committed::default().signed_in(user_id, status.clone(), job))
        .await;
    Ok((row, status))
}

/// The status of each of `user_ids` today (one query for all).
pub async fn statuses(
    state: &AppState,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, SignInStatus>, ServiceError> {
    let today = state.calendar.today();
    let (latest, schedules) = tokio::join!(
        cached::latest_positions(state, user_ids),
        super::schedules::for_display(state)
    );
    let (mut latest, schedules) = (latest?, schedules?);
    Ok(user_ids
        .iter()
        .map(|id| {
            let position = latest.remove(id).flatten();
            (
                *id,
                cycle::status(position.as_ref(), today, &schedules.schedules),
            )
        })
        .collect())
}

/// Longest date range a history query may span.
pub const MAX_HISTORY_DAYS: i64 = 366;

/// Checks an inclusive date range for history queries.
pub fn validate_range(from: NaiveDate, to: NaiveDate) -> Result<(), ServiceError> {
    if from > to {
        return Err(ServiceError::bad_input(
            Input::RangeStart,
            "must not be after the end of the range",
        ));
    }
    if (to - from).num_days() + 1 > MAX_HISTORY_DAYS {
        return Err(ServiceError::bad_input(
            Input::RangeEnd,
            format!("the range may span at most {MAX_HISTORY_DAYS} days"),
        ));
    }
    Ok(())
}

/// Every sign-in of `user_ids` in the range, grouped by user (one query).
pub async fn history(
    state: &AppState,
    user_ids: &[UserId],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<UserId, Vec<HistoryRow>>, ServiceError> {
    let rows = {
        let mut conn = state.db().await?;
        sign_ins::between_many_by_user(&mut conn, user_ids, from, to).await?
    };
    Ok(rows
        .into_iter()
        .map(|r| (r.user_id, r.into_sign_ins()))
        .collect())
}
