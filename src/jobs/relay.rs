//! The outbox relay: sign-ins whose reward job never ran (Redis was down at
//! sign-in, the API died between commit and push, the job was parked after
//! repeated failures) are enqueued again after a grace period.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel_async::AsyncConnection;
use tokio_util::sync::CancellationToken;

use crate::after_commit::RewardJob;
use crate::service::{sessions, ServiceError};
use crate::state::AppState;
use crate::store::sign_ins;

/// Most obligations re-enqueued per pass.
const BATCH: i64 = 500;

/// Enqueues the due obligations once; returns how many.
pub async fn run_once(state: &AppState) -> Result<usize, ServiceError> {
    let now = state.calendar.now();
    let grace = chrono::TimeDelta::from_std(state.config.relay_grace).unwrap_or_default();
    let cutoff = now - grace;
    let mut conn = state.db().await?;
    // The rows stay locked while their jobs are pushed; if a push fails the
    // transaction rolls back and they stay due for the next pass.
    conn.transaction::<_, ServiceError, _>(async |conn| {
        let due = sign_ins::due_for_relay(conn, cutoff, BATCH).await?;
        state
            .queue
            .push(
                due.iter()
                    .map(|&(sign_in_id, day)| RewardJob { sign_in_id, day }),
            )
            .await?;
        sign_ins::mark_enqueued(conn, &due, now).await?;
        Ok(due.len())
    })
    .await
}

/// How often finished jobs are cleared out of Redis, and how old they
/// must be.
const VACUUM_EVERY: Duration = Duration::from_secs(600);
/// How often sessions past their end are ended, and ended ones past their
/// retention deleted (`service::sessions::sweep`).
const SWEEP_EVERY: Duration = Duration::from_secs(600);
const VACUUM_AGE: Duration = Duration::from_secs(3600);

/// Runs the relay every `relay_interval` until `shutdown`, and clears
/// finished jobs out of Redis now and then.
pub async fn run(state: Arc<AppState>, shutdown: CancellationToken) {
    let mut last_vacuum = Instant::now();
    let mut last_sweep: Option<Instant> = None;
    loop {
        if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            last_sweep = Some(Instant::now());
            match sessions::sweep(&state).await {
                Ok(deleted) => tracing::debug!(deleted, "ended sessions swept"),
                Err(error) => tracing::warn!(%error, "session sweep failed"),
            }
        }
        if last_vacuum.elapsed() >= VACUUM_EVERY {
            last_vacuum = Instant::now();
            match state.queue.vacuum(VACUUM_AGE).await {
                Ok(removed) => tracing::debug!(removed, "finished jobs cleared from the queue"),
                Err(error) => tracing::warn!(%error, "queue vacuum failed"),
            }
        }
        match run_once(&state).await {
            Ok(0) => {}
            Ok(count) => {
                metrics::counter!("signin_relay_enqueued_total").increment(count as u64);
                tracing::info!(count, "relay re-enqueued uncredited sign-ins");
            }
            Err(error) => {
                metrics::counter!("signin_relay_failures_total").increment(1);
                tracing::warn!(%error, "relay pass failed");
            }
        }
        if let Ok(mut conn) = state.db.get().await {
            if let Ok(backlog) = sign_ins::count_uncredited(&mut conn).await {
                metrics::gauge!("signin_outbox_backlog").set(backlog as f64);
            }
        }
        let next = tokio::time::Instant::now() + state.config.relay_interval;
        if !super::next_round(&shutdown, next).await {
            return;
        }
    }
}
