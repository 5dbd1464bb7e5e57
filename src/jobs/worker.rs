//! The supervised reward worker: restarted with a fresh name whenever its
//! stream ends (a Redis failure ends an apalis worker for good), stopped
//! gracefully on shutdown.

use std::sync::Arc;
use std::time::Duration;

use apalis::layers::retry::backoff::{ExponentialBackoffMaker, MakeBackoff};
use apalis::layers::retry::HasherRng;
use apalis::prelude::*;
use apalis_redis::RedisStorage;
use tokio_util::sync::CancellationToken;

use super::{relay, reward};
use crate::after_commit::queue::{
    connection, queue_config, wake_channel, QueueError, RewardBatch, WakeSignal, Wakes,
};
use crate::state::AppState;

/// How apalis decides when to ask Redis for jobs, all through its public
/// poll strategies (`PollWith`): a fetch whenever a push wakes the worker
/// (`Wakes`, fed by this process's pushes and the wake channel), and besides
/// on a timer that starts at `BUSY_POLL` after a fetch that brought work and
/// doubles while fetches come back empty, up to `IDLE_POLL`. The timer picks
/// up what no wake announces: retries apalis scheduled, jobs re-enqueued
/// from a dead worker (each heartbeat, every 5 s, also fetches), a lost
/// announcement. (A push that lands while a fetch is in flight is caught by
/// the second wake of `Wakes`, see `WAKE_AGAIN_AFTER`.) Each fetch is one
/// script of about five Redis commands, so an idle worker costs about
/// 5 / `IDLE_POLL` commands a second, plus its heartbeat (about ten every
/// 5 s, its own fetch included).
const BUSY_POLL: Duration = Duration::from_millis(250);
pub const IDLE_POLL: Duration = Duration::from_secs(4);
/// In-process retries of a failing job before apalis records a failure.
const RETRIES: usize = 3;

/// A name no other worker process has: apalis refuses a second worker under
/// a live name, and never re-enqueues a dead worker's jobs under its own.
pub fn unique_worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "signin-{host}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Runs the worker and the relay until `shutdown` is cancelled.
pub async fn run(state: Arc<AppState>, shutdown: CancellationToken) {
    let relay = tokio::spawn(relay::run(state.clone(), shutdown.clone()));
    let mut backoff = Duration::from_millis(200);
    while !shutdown.is_cancelled() {
        let name = unique_worker_name();
        tracing::info!(worker = %name, queue = state.queue.queue_name(), "reward worker starting");
        let result = run_once(&state, &name, shutdown.clone()).await;
        if shutdown.is_cancelled() {
            break;
        }
        metrics::counter!("signin_worker_restarts_total").increment(1);
        match result {
            Ok(()) => {
                tracing::error!(worker = %name, "reward worker stopped by itself; restarting")
            }
            Err(error) => {
                tracing::error!(worker = %name, %error, retry_in = ?backoff, "reward worker failed; restarting")
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
    if let Err(error) = relay.await {
        tracing::error!(%error, "relay task panicked");
    }
    tracing::info!("reward worker stopped");
}

async fn run_once(
    state: &Arc<AppState>,
    name: &str,
    shutdown: CancellationToken,
) -> Result<(), QueueError> {
    let queue_name = state.queue.queue_name();
    let conn = connection(&state.config.redis_url).await?;
    let wake = WakeSignal::new();
    // Pushes from other processes (an API without a worker, the relay of
    // another replica) arrive as messages on the wake channel; if the
    // subscription fails, the poll timer still finds their jobs.
    let wakes = tokio::spawn(listen_for_wakes(
        state.config.redis_url.clone(),
        wake_channel(queue_name),
        Arc::downgrade(&wake),
    ));
    let _stop_listening = AbortOnDrop(wakes);
    state.queue.attach_worker(&wake);
    // Two `PollWith` layers rather than one `Strategy` of both: apalis-core
    // 1.0's `Strategy` does not pass `on_poll` on to what it holds, so a
    // backoff inside it never backs off (it polled every `BUSY_POLL`).
    let storage = RedisStorage::<RewardBatch>::new(conn)
        .with_config(queue_config(queue_name))
        .poll_with_stream(Wakes::new(wake.clone()))
        .poll_with_backoff(
            BUSY_POLL,
            BackoffConfig::new(IDLE_POLL).with_multiplier(2.0),
        );
    let backoff = ExponentialBackoffMaker::new(
        Duration::from_millis(50),
        Duration::from_secs(2),
        0.5,
        HasherRng::default(),
    )
    .map_err(|e| QueueError::Queue(e.to_string()))?
    .make_backoff();
    let worker = WorkerBuilder::new(name)
        .backend(storage)
        .data(state.clone())
        .concurrency(state.config.worker_concurrency)
        .retry(RetryPolicy::retries(RETRIES).with_backoff(backoff))
        .build(credit_on_own_task);
    worker
        .run_until(async move {
            shutdown.cancelled().await;
            Ok::<(), std::io::Error>(())
        })
        .await
        .map_err(|e| QueueError::Queue(e.to_string()))
}

/// Runs [`reward::handle`] on a task of its own. apalis fetches whenever the
/// worker's task is woken, and a credit run on that task would wake it (and
/// send a fetch, about five Redis commands) at every database round trip.
/// (apalis's own `parallelize(tokio::spawn)` does the same, but with it the
/// worker's future fails rustc's `Send` check when spawned, "implementation
/// of `FnOnce` is not general enough" over the boxed error's lifetime: the
/// higher-ranked auto-trait limitation of rust-lang/rust#64552.)
async fn credit_on_own_task(
    batch: RewardBatch,
    state: Data<Arc<AppState>>,
) -> Result<(), BoxDynError> {
    tokio::spawn(reward::handle(batch, state))
        .await
        .map_err(|error| Box::new(error) as BoxDynError)?
}

/// Aborts a task when dropped (the wake listener ends with its worker run).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Wakes the worker for every message on `channel` while `wake` lives.
async fn listen_for_wakes(redis_url: String, channel: String, wake: std::sync::Weak<WakeSignal>) {
    use futures::StreamExt;
    let subscribed = async {
        let client = redis::Client::open(redis_url.as_str())?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(&channel).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    let pubsub = match subscribed.await {
        Ok(pubsub) => pubsub,
        Err(error) => {
            tracing::warn!(%error, "worker wake-up channel unavailable; polling every {IDLE_POLL:?} at most");
            return;
        }
    };
    let mut messages = pubsub.into_on_message();
    while messages.next().await.is_some() {
        match wake.upgrade() {
            Some(wake) => wake.wake(),
            None => return,
        }
    }
}
