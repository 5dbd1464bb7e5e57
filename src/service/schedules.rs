//! Reward schedules: the copy every sign-in and status reads (kept current
//! on every replica), and the admin's use cases (list, publish, cancel).
//!
//! `SIGNIN_REWARDS` is the first base schedule (`created_by` null). Each
//! process makes the table agree with its setting once, before its first
//! read of the schedules ([`apply_setting`], the rule is
//! `domain::schedule::config_schedule_action`): written from the beginning
//! on a new install; when an operator changes the setting and restarts,
//! the new table applies **from the day after the newest date any zone has**
//! (today at UTC+14), so what today's sign-ins earn and what users were
//! already shown for today does not change mid-day, wherever they are.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::admin_audit::{details, AdminActor};
use super::{Input, ServiceError};
use crate::after_commit::Committed;
use crate::cache::schedules::Snapshot;
use crate::domain::money;
use crate::domain::schedule::{self, Cancellation, ConfigAction, Proposal, Schedules};
use crate::domain::streak::day;
use crate::model::ScheduleRow;
use crate::model::{AdminAction, ScheduleId};
use crate::state::AppState;
use crate::store::schedules::{self as store, NewSchedule};
use crate::store::{admin_audit, StoreError};

/// The newest date any user's zone has now (`day::newest_date`): the
/// programme's "today" for reward schedules, so that a schedule starting
/// after it changes nothing already shown to anyone.
fn newest_date(state: &AppState) -> NaiveDate {
    day::newest_date(state.calendar.now())
}

/// How often each serving process compares the table's version with its
/// copy's, in case an announcement was lost (Redis down, a reconnect):
/// with the reload, a change reaches every replica within a second.
pub const VERSION_CHECK_INTERVAL: Duration = Duration::from_millis(400);

/// The schedules, current for today: from this process's copy, reloaded
/// first when a change was announced or the copy was read before today.
pub async fn current(state: &AppState) -> Result<Arc<Snapshot>, ServiceError> {
    let today = newest_date(state);
    if let Some(snapshot) = state.local.schedules.current_for(today) {
        return Ok(snapshot);
    }
    reload(state).await
}

/// The schedules for showing rewards (statuses): as [`current`], but when
/// they cannot be read again (PostgreSQL down), the copy this process has,
/// however old, rather than no status at all. Never for paying a sign-in.
pub async fn for_display(state: &AppState) -> Result<Arc<Snapshot>, ServiceError> {
    match current(state).await {
        Ok(snapshot) => Ok(snapshot),
        Err(error) => match state.local.schedules.latest() {
            Some(snapshot) => {
                tracing::warn!(%error, "reward schedules not read again; showing the copy in memory");
                Ok(snapshot)
            }
            None => Err(error),
        },
    }
}

/// Reads the schedules into this process's copy (one reader at a time;
/// callers that waited for another's read use it).
async fn reload(state: &AppState) -> Result<Arc<Snapshot>, ServiceError> {
    let copy = &state.local.schedules;
    let _one_at_a_time = copy.reloading().await;
    if let Some(snapshot) = copy.current_for(newest_date(state)) {
        return Ok(snapshot);
    }
    if !copy.setting_applied() {
        apply_setting(state).await?;
        copy.set_setting_applied();
    }
    let generation = copy.generation();
    let mut conn = state.db().await?;
    let (rows, read_on) = conn
        .transaction::<_, StoreError, _>(async |conn| {
            store::lock_for_snapshot(conn).await?;
            // The day is read after the lock: a change that commits after
            // this read checked its date against a clock no earlier.
            let read_on = newest_date(state);
            Ok((store::all(conn).await?, read_on))
        })
        .await?;
    let schedules = store::to_schedules(&rows)?;
    metrics::counter!("signin_schedule_reloads_total").increment(1);
    Ok(copy.store(
        generation,
        Snapshot {
            schedules: Schedules::new(schedules),
            version: store::version_of(&rows),
            read_on,
        },
    ))
}

/// Makes the schedules agree with `SIGNIN_REWARDS` (see the module's
/// documentation), under the schedules' lock, so processes starting at
/// once agree. Announces a change to the other processes.
pub async fn apply_setting(state: &AppState) -> Result<(), ServiceError> {
    let setting = state.config.rewards;
    let mut conn = state.db().await?;
    let action = conn
        .transaction::<_, StoreError, _>(async |conn| {
            store::lock_for_change(conn).await?;
            let today = newest_date(state);
            let rows = store::all(conn).await?;
            let all = store::to_schedules(&rows)?;
            let latest_from_setting = rows
                .iter()
                .zip(&all)
                .filter(|(row, s)| row.created_by.is_none() && !s.cancelled)
                .map(|(_, s)| s)
                .max_by_key(|s| (s.effective_from, s.id));
            let any_sign_in = store::any_sign_in(conn).await?;
            let action = schedule::config_schedule_action(
                latest_from_setting,
                &Schedules::new(all.iter().cloned()),
                &setting,
                today,
                any_sign_in,
            );
            let now = state.calendar.now();
            let insert = |effective_from| NewSchedule {
                rewards: store::rewards_column(&setting),
                effective_from,
                effective_to: None,
                note: "SIGNIN_REWARDS",
                created_at: now,
                created_by: None,
            };
            match action {
                ConfigAction::Keep | ConfigAction::Ignore { .. } => {}
                ConfigAction::Insert { effective_from } => {
                    store::insert(conn, &insert(effective_from)).await?;
                }
                ConfigAction::Replace {
                    cancel,
                    effective_from,
                } => {
                    store::cancel(conn, cancel, now).await?;
                    store::insert(conn, &insert(effective_from)).await?;
                }
            }
            Ok(action)
        })
        .await?;
    match action {
        ConfigAction::Keep => return Ok(()),
        ConfigAction::Insert { effective_from } if effective_from == schedule::beginning() => {
            tracing::info!(rewards = %setting, "SIGNIN_REWARDS is the first reward schedule");
        }
        ConfigAction::Insert { effective_from } => tracing::warn!(
            rewards = %setting,
            %effective_from,
            "SIGNIN_REWARDS changed: the new table is a base schedule from the day after today at UTC+14; \
             today's sign-ins keep the table in force (plan changes with publishRewardSchedule)"
        ),
        ConfigAction::Replace {
            cancel,
            effective_from,
        } => tracing::warn!(
            rewards = %setting,
            %effective_from,
            replaced = cancel.0,
            "SIGNIN_REWARDS changed: its schedule had paid nothing yet and is replaced"
        ),
        ConfigAction::Ignore { other } => {
            tracing::warn!(
                rewards = %setting,
                schedule = other.0,
                "SIGNIN_REWARDS changed, but an admin's base schedule starts tomorrow, \
                 when the new table would: it is not applied"
            );
            return Ok(());
        }
    }
    // The caller reads the schedules next; the other processes are told.
    state
        .after_commit
        .hand_over(Committed::default().schedules_changed())
        .await;
    Ok(())
}

/// Keeps this process's copy current until `shutdown`: reloads when a
/// change is announced, and compares the table's version every
/// [`VERSION_CHECK_INTERVAL`] in case an announcement was lost. Either way
/// the hot path rarely waits for a read.
pub async fn keep_fresh(state: Arc<AppState>, shutdown: CancellationToken) {
    let copy = &state.local.schedules;
    // At start: the setting applied and the copy read before the first
    // request needs them.
    if let Err(error) = current(&state).await {
        tracing::warn!(%error, "reward schedules not read at start; the next use retries");
    }
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = copy.changed() => {}
            _ = tokio::time::sleep(VERSION_CHECK_INTERVAL) => {
                match version(&state).await {
                    Ok(version) if copy.latest().is_some_and(|s| s.version == version) => {}
                    Ok(_) => copy.mark_stale(),
                    Err(error) => {
                        tracing::warn!(%error, "reward schedules' version not read");
                        continue;
                    }
                }
            }
        }
        if let Err(error) = current(&state).await {
            tracing::warn!(%error, "reward schedules not reloaded; the next use retries");
        }
    }
}

async fn version(state: &AppState) -> Result<i64, ServiceError> {
    let mut conn = state.db().await?;
    Ok(store::version(&mut conn).await?)
}

/// Every schedule, cancelled ones included, newest `effective_from` first.
pub async fn list(state: &AppState) -> Result<Vec<ScheduleRow>, ServiceError> {
    // The first schedule exists once this process has read them.
    current(state).await?;
    let mut conn = state.db().await?;
    Ok(store::all(&mut conn).await?)
}

/// What an admin asks to publish.
#[derive(Debug, Clone)]
pub struct Publish<'a> {
    pub rewards: &'a [i64],
    pub effective_from: NaiveDate,
    /// None for a base schedule.
    pub effective_to: Option<NaiveDate>,
    pub note: &'a str,
}

/// Publishes a base schedule or a campaign (rules:
/// `domain::schedule::validate_publish`; the note as wallet notes), with
/// its admin audit entry in the same transaction. `BAD_USER_INPUT` naming
/// the input, and nothing written, when refused. Every replica sees it
/// within a second.
pub async fn publish(
    state: &AppState,
    actor: &AdminActor,
    request: Publish<'_>,
) -> Result<ScheduleRow, ServiceError> {
    money::validate_note(Some(request.note))
        .map_err(|e| ServiceError::bad_input(Input::Note, e.to_string()))?;
    current(state).await?;
    let mut conn = state.db().await?;
    let row = conn
        .transaction::<_, ServiceError, _>(async |conn| {
            store::lock_for_change(conn).await?;
            // "Today" is read under the lock (see store::schedules).
            let today = newest_date(state);
            let live = live_schedules(conn).await?;
            let table = schedule::validate_publish(
                &live,
                today,
                &Proposal {
                    rewards: request.rewards,
                    effective_from: request.effective_from,
                    effective_to: request.effective_to,
                },
            )?;
            let now = state.calendar.now();
            // The audit entry (the action's arguments) commits with the
            // schedule, or neither does.
            admin_audit::append(
                conn,
                actor.entry(
                    AdminAction::PublishRewardSchedule,
                    None,
                    details([
                        ("rewards", Value::from(request.rewards.to_vec())),
                        (
                            "effectiveFrom",
                            Value::from(request.effective_from.to_string()),
                        ),
                        (
                            "effectiveTo",
                            request
                                .effective_to
                                .map_or(Value::Null, |d| Value::from(d.to_string())),
                        ),
                        ("note", Value::from(request.note)),
                    ]),
                    now,
                ),
            )
            .await?;
            let row = store::insert(
                conn,
                &NewSchedule {
                    rewards: store::rewards_column(&table),
                    effective_from: request.effective_from,
                    effective_to: request.effective_to,
                    note: request.note,
                    created_at: now,
                    created_by: actor.user_id,
                },
            )
            .await?;
            Ok(row)
        })
        .await?;
    changed(state).await;
    Ok(row)
}

/// Withdraws a schedule that has not taken effect (rule:
/// `domain::schedule::check_cancel`), with its admin audit entry in the
/// same transaction. Cancelling one already cancelled
/// changes nothing and answers it as it is (a retried request succeeds,
/// and writes no second audit entry). `NOT_FOUND` for an unknown id.
pub async fn cancel(
    state: &AppState,
    actor: &AdminActor,
    id: ScheduleId,
) -> Result<ScheduleRow, ServiceError> {
    current(state).await?;
    let mut conn = state.db().await?;
    let (row, cancelled_now) = conn
        .transaction::<_, ServiceError, _>(async |conn| {
            store::lock_for_change(conn).await?;
            let today = newest_date(state);
            let row = store::find(conn, id)
                .await?
                .ok_or(ServiceError::NotFound("reward schedule"))?;
            match schedule::check_cancel(&row.to_schedule()?, today)? {
                Cancellation::AlreadyCancelled => Ok((row, false)),
                Cancellation::Withdraw => {
                    let now = state.calendar.now();
                    // The audit entry commits with the cancellation, or
                    // neither does; a repeated cancel writes none.
                    admin_audit::append(
                        conn,
                        actor.entry(
                            AdminAction::CancelRewardSchedule,
                            None,
                            details([("id", Value::from(id.to_string()))]),
                            now,
                        ),
                    )
                    .await?;
                    let row = store::cancel(conn, id, now)
                        .await?
                        .ok_or(ServiceError::NotFound("reward schedule"))?;
                    Ok((row, true))
                }
            }
        })
        .await?;
    if cancelled_now {
        changed(state).await;
    }
    Ok(row)
}

async fn live_schedules(
    conn: &mut diesel_async::AsyncPgConnection,
) -> Result<Schedules, StoreError> {
    let rows = store::all(conn).await?;
    Ok(Schedules::new(store::to_schedules(&rows)?))
}

/// After a committed change: this process reloads its copy now (the
/// admin's next read sees the change), the others are told.
async fn changed(state: &AppState) {
    state
        .after_commit
        .hand_over(Committed::default().schedules_changed())
        .await;
    if let Err(error) = current(state).await {
        tracing::warn!(%error, "reward schedules not reloaded; the next use retries");
    }
}
