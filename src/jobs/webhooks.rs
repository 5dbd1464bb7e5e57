//! The webhook messages' consumer side: the job's handler (every message of
//! a batch attempted at once, each on its own, so one slow receiver does
//! not hold up the others of its batch), the sweep that hands due
//! messages (new ones whose push was lost, retries) to the queue, and the
//! streak reminders' sweep, each on its own task.

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

/// Runs the reminders' sweep every [`REMINDERS_EVERY`] until `shutdown`.
/// A task of its own, apart from [`sweep`]: a zone's sweep writes its
/// reminders for many seconds (100,000 users at risk: bench/reminders.sh),
/// and meanwhile retries and the messages given back for want of room must
/// still be handed to the queue every second.
pub async fn remind(state: Arc<AppState>, shutdown: CancellationToken) {
    loop {
        let started = tokio::time::Instant::now();
        match reminders::sweep(&state).await {
            Ok(0) => {}
            Ok(count) => {
                metrics::counter!("signin_streak_reminders_total").increment(count as u64);
                tracing::info!(count, "streak reminders written");
            }
            Err(error) => tracing::warn!(%error, "reminder sweep failed"),
        }
        if !super::next_round(&shutdown, started + REMINDERS_EVERY).await {
            return;
        }
    }
}

/// Hands the due messages to the queue every [`SWEEP_EVERY`] until
/// `shutdown` (`service::webhooks::enqueue_due`).
pub async fn sweep(state: Arc<AppState>, shutdown: CancellationToken) {
    loop {
        match webhooks::enqueue_due(&state).await {
            Ok(0) => {}
            Ok(count) => {
                metrics::counter!("signin_webhook_sweep_enqueued_total").increment(count as u64);
                tracing::debug!(count, "due webhook messages enqueued");
            }
            Err(error) => tracing::warn!(%error, "webhook sweep failed"),
        }
        if !super::next_round(&shutdown, tokio::time::Instant::now() + SWEEP_EVERY).await {
            return;
        }
    }
}
