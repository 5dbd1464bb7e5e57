//! The daily sign-in and the status a user sees.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;

use diesel_async::AsyncPgConnection;

use super::unit_of_work::{
    self, At, Decided, Key, Locked, LockedChange, Schedules, WalletAndChain,
};
use super::webhooks::Events;
use super::{cached, Input, ServiceError};
use crate::after_commit::{Committed, RewardJob};
use crate::cache::schedules::Snapshot;
use crate::domain::schedule::RewardsByDate;
use crate::domain::streak::chain as chain_rule;
use crate::domain::streak::day;
use crate::domain::streak::state::ChainState;
use crate::domain::streak::status::SignInStatus;
use crate::model::HistoryRow;
use crate::model::{SignIn, UserId};
use crate::state::{AppState, ReadSource};
use crate::store::sign_ins::{self, NewSignIn, UserHistoryRow};
use crate::store::streak as streak_store;

/// Today's sign-in for `user_id`, with streak protection: the freezes it
/// uses (when the dates missed since the last signed date are no more than
/// the freezes held) and the milestone bonus it earns. The row (which is
/// also the reward and bonus obligation), the frozen dates and the freezes
/// used commit in one transaction under the user's wallet lock; then
/// `after_commit` drops the cached status, announces the new one and pushes
/// the reward job. A Redis outage neither fails nor slows the sign-in, and
/// a job that never reaches the queue is pushed later by the relay.
///
/// It runs on its own task, so a client that hangs up while the transaction
/// is in flight cannot leave a committed sign-in whose job was never handed
/// over (its reward would wait for the relay, a grace period later).
pub async fn sign_in(
    state: &Arc<AppState>,
    user_id: UserId,
) -> Result<(SignIn, SignInStatus), ServiceError> {
    let key = Key {
        user_id,
        idempotency_key: None,
    };
    unit_of_work::run(state, key, SignInToday).await
}

/// Today's sign-in, as a change under the user's wallet lock.
struct SignInToday;

impl LockedChange for SignInToday {
    type Lock = WalletAndChain;
    /// What a sign-in earns is fixed now, by the schedule in force today
    /// (a change for today cannot be made).
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
        let user_id = locked.key.user_id;
        let rules = &state.config.protection;
        let rewards = &schedules.schedules;
        let (_, before) = locked.held;
        let today = before.today(at.now);
        // In case an earlier invalidation was lost and the cache still
        // says "not signed in".
        let already = || {
            Decided::refused(
                ServiceError::AlreadySignedIn,
                Committed::default().status_may_be_stale(user_id),
            )
        };
        let Some(next) = chain_rule::next_sign_in(&before.history, today, before.freezes_held)
        else {
            return Ok(already());
        };
        let paid_by = rewards
            .in_force(today)
            .ok_or_else(|| ServiceError::internal("no reward schedule in force"))?;
        let reward = paid_by.rewards.for_day(next.position.cycle_day);
        let new = NewSignIn {
            user_id,
            day: today,
            cycle_day: i16::from(next.position.cycle_day),
            streak: i32::try_from(next.position.streak).unwrap_or(i32::MAX),
            reward: i64::from(reward),
            created_at: at.now,
            made_up: false,
            milestone_bonus: rules
                .milestones
                .bonus_for(next.position.streak)
                .map(i64::from),
            credited_at: None,
            schedule_id: paid_by.id,
        };
        let after = before.after_sign_in(today, &next, reward);
        let mut events = Events::default();
        events.sign_in_recorded(&new);
        if let Some(bonus) = new.milestone_bonus {
            events.milestone_reached(&new, bonus);
        }
        if !next.freezes_used.is_empty() {
            events.freezes_used(user_id, &next.freezes_used, after.freezes_held);
        }
        // The unique (user, day) key stays the last word. The webhook
        // events commit with the sign-in, written by the same statement.
        let Some((row, webhooks_due)) =
            sign_ins::insert_with_events(conn, &new, events.as_slice()).await?
        else {
            return Ok(already());
        };
        if !next.freezes_used.is_empty() {
            streak_store::insert_frozen(conn, user_id, &next.freezes_used, row.id, at.now).await?;
            streak_store::set_freezes_held(conn, user_id, i32::from(after.freezes_held)).await?;
            metrics::counter!("signin_streak_freezes_used_total")
                .increment(next.freezes_used.len() as u64);
        }
        metrics::counter!("signin_sign_ins_total").increment(1);
        let status = after.status(today, rules, rewards);
        let job = RewardJob {
            sign_in_id: row.id,
            day: row.day,
        };
        let after_commit = Committed::default()
            .signed_in(user_id, status.clone(), job)
            .webhooks_due(webhooks_due);
        Ok(Decided::made((row, status), after_commit))
    }
}

/// The status today of a user with no dates and nothing held (in the
/// business zone).
pub async fn empty_status(state: &AppState) -> Result<SignInStatus, ServiceError> {
    let schedules = super::schedules::for_display(state).await?;
    Ok(status_of(
        None,
        state,
        state.calendar.now(),
        &schedules.schedules,
    ))
}

/// `user_id`'s status today from this process's copies alone (its chain
/// and the reward schedules), if it holds both: the warm read, with no
/// batch, no task and no round trip. None sends the caller to
/// [`statuses`].
pub fn status_in_memory(state: &AppState, user_id: UserId) -> Option<SignInStatus> {
    let now = state.calendar.now();
    let chain = state
        .local
        .chain(user_id, now, state.calendar.day_of(now))?;
    let schedules = state.local.schedules.current_for(day::newest_date(now))?;
    Some(status_of(
        chain.as_deref(),
        state,
        now,
        &schedules.schedules,
    ))
}

/// The status at `now` of a user with `chain` (None: no dates, nothing
/// held, the business zone), on their today.
fn status_of(
    chain: Option<&ChainState>,
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
    rewards: &impl RewardsByDate,
) -> SignInStatus {
    let rules = &state.config.protection;
    match chain {
        Some(chain) => chain.status(chain.today(now), rules, rewards),
        None => {
            let today = state.calendar.day_of(now);
            ChainState::empty(today, state.calendar.zone()).status(today, rules, rewards)
        }
    }
}

/// The status of each of `user_ids` today (one batch for all, through the
/// cache).
pub async fn statuses(
    state: &AppState,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, SignInStatus>, ServiceError> {
    let (chains, schedules) = tokio::join!(
        cached::chain_states(state, user_ids),
        super::schedules::for_display(state)
    );
    let (mut chains, schedules) = (chains?, schedules?);
    let rewards = &schedules.schedules;
    let now = state.calendar.now();
    Ok(user_ids
        .iter()
        .map(|id| {
            let chain = chains.remove(id).flatten();
            (*id, status_of(chain.as_deref(), state, now, rewards))
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

/// Users a history read asks for, from which it is split in two parts read
/// at once, on two connections, when the pool has both idle.
const SPLIT_HISTORY_FROM: usize = 64;

/// Every sign-in and frozen date of `user_ids` in the range, by user, oldest
/// first: one statement, or for [`SPLIT_HISTORY_FROM`] users or more while
/// two pooled connections are idle, two at once, one per half. An idle pool
/// means nothing else waits for those connections, and PostgreSQL runs the
/// halves on two cores: a 100-user month answers in about half the time.
/// Under load the pool has nothing idle and the read stays one statement.
/// `source`: where the read may be served (an admin's look at others may
/// be a replica's; a user's own history is the primary's).
pub async fn history(
    state: &AppState,
    source: ReadSource,
    user_ids: &[UserId],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<UserId, Vec<HistoryRow>>, ServiceError> {
    let read = async |user_ids: &[UserId]| -> Result<Vec<UserHistoryRow>, ServiceError> {
        let mut conn = state.read_conn(source).await?;
        Ok(sign_ins::between_many_by_user(&mut conn, user_ids, from, to).await?)
    };
    let rows = if user_ids.len() >= SPLIT_HISTORY_FROM && state.has_spare_capacity(source) {
        let (first, second) = user_ids.split_at(user_ids.len() / 2);
        let (mut first, second) = tokio::try_join!(read(first), read(second))?;
        first.extend(second);
        first
    } else {
        read(user_ids).await?
    };
    let mut by_user: HashMap<UserId, Vec<HistoryRow>> = HashMap::with_capacity(rows.len());
    for row in rows {
        match by_user.entry(row.user_id) {
            Entry::Vacant(entry) => {
                entry.insert(row.into_sign_ins());
            }
            // Their frozen dates, after their sign-ins: one list, by date.
            Entry::Occupied(mut entry) => {
                let dates = entry.get_mut();
                dates.extend(row.into_sign_ins());
                dates.sort_unstable_by_key(|d| d.day);
            }
        }
    }
    Ok(by_user)
}
