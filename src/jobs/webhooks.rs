//! The webhook messages' consumer side: the job's handler (every message of
//! a batch attempted at once, each on its own, so one slow receiver does
//! not hold up the others of its batch) and the sweep that hands due
//! messages (new ones whose push was lost, retries) to the queue.

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BoxDynError, Data as JobData};
use tokio_util::sync::CancellationToken;

use crate::after_commit::WebhookBatch;
use crate::service::{reminders, webhooks};
use crate::state::AppState;

/// How often the sweep looks for due messages: the first retry comes 5 s
/// after a failure, so once a second keeps it within a second of its time.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Starts the attempts of the messages of `batch` (those not due, or
/// already being attempted by another worker, are skipped) and returns
/// without waiting for them (`service::webhooks::start_attempts`), so a
/// slow receiver holds none of the worker's job slots. A message whose
/// attempt could not be recorded (PostgreSQL away) stays claimed until its
/// lease ends and is then found again by the sweep; nothing is lost, at
/// most sent twice (receivers deduplicate on `webhook-id`).
#[tracing::instrument(name = "webhook_job", skip_all, fields(messages = batch.delivery_ids.len()))]
pub async fn handle(batch: WebhookBatch, state: JobData<Arc<AppState>>) -> Result<(), BoxDynError> {
    let state: Arc<AppState> = (*state).clone();
    webhooks::start_attempts(&state, &batch.delivery_ids).await?;
    Ok(())
}

/// How often the streak reminders are looked for (`service::reminders`).
pub const REMINDERS_EVERY: Duration = Duration::from_secs(60);

/// Runs the sweep every [`SWEEP_EVERY`], and the reminders' every
/// [`REMINDERS_EVERY`], until `shutdown`.
pub async fn sweep(state: Arc<AppState>, shutdown: CancellationToken) {
    let mut last_reminders: Option<std::time::Instant> = None;
    loop {
        if last_reminders.is_none_or(|at| at.elapsed() >= REMINDERS_EVERY) {
            last_reminders = Some(std::time::Instant::now());
            match reminders::sweep(&state).await {
                Ok(0) => {}
                Ok(count) => {
                    metrics::counter!("signin_streak_reminders_total").increment(count as u64);
                    tracing::info!(count, "streak reminders written");
                }
                Err(error) => tracing::warn!(%error, "reminder sweep failed"),
            }
        }
        match webhooks::enqueue_due(&state).await {
            Ok(0) => {}
            Ok(count) => {
                metrics::counter!("signin_webhook_sweep_enqueued_total").increment(count as u64);
                tracing::debug!(count, "due webhook messages enqueued");
            }
            Err(error) => tracing::warn!(%error, "webhook sweep failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
        }
    }
}
