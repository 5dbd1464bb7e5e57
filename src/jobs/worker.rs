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
    connection, queue_config, wake_channel, FetchGate, GatedConnection, QueueError, RewardBatch,
};
use crate::state::AppState;

/// How long an idle worker waits before it asks Redis for work anyway
/// (apalis's scheduled retries, jobs re-enqueued from a dead worker, a lost
/// wake-up). Pushes wake it at once; see `FetchGate`. Below the heartbeat
/// interval, so a waiting fetch never delays a heartbeat by much.
pub const IDLE_FETCH_EVERY: Duration = Duration::from_secs(2);
/// The least time between two fetches woken by pushes: under load a fetch
/// then carries up to a batch of jobs instead of one (each fetch is about a
/// dozen Redis commands). Adds at most this to a credit's delay.
const FETCH_GAP: Duration = Duration::from_millis(50);
/// How often apalis's own loop is woken to look at the gate (cheap: no
/// Redis command unless the gate is open).
const POLL_INTERVAL: Duration = Duration::from_millis(100);
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
    let gate = FetchGate::new(FETCH_GAP, IDLE_FETCH_EVERY);
    // Pushes from other processes (an API without a worker, the relay of
    // another replica) arrive as messages on the wake channel; if the
    // subscription fails, the periodic fetch still finds their jobs.
    let wakes = tokio::spawn(listen_for_wakes(
        state.config.redis_url.clone(),
        wake_channel(queue_name),
        Arc::downgrade(&gate),
    ));
    let _stop_listening = AbortOnDrop(wakes);
    state.queue.attach_worker(&gate);
    let conn = GatedConnection::new(conn, gate.clone(), queue_name);
    let storage = RedisStorage::<RewardBatch, GatedConnection>::new(conn)
        .with_config(queue_config(queue_name));
    let backoff = ExponentialBackoffMaker::new(
        Duration::from_millis(50),
        Duration::from_secs(2),
        0.5,
        HasherRng::default(),
    )
    .map_err(|e| QueueError::Queue(e.to_string()))?
    .make_backoff();
    let worker = WorkerBuilder::new(name)
        .backend(storage.poll_with_interval(POLL_INTERVAL))
        .data(state.clone())
        .concurrency(state.config.worker_concurrency)
        .retry(RetryPolicy::retries(RETRIES).with_backoff(backoff))
        .build(reward::handle);
    worker
        .run_until(async move {
            shutdown.cancelled().await;
            Ok::<(), std::io::Error>(())
        })
        .await
        .map_err(|e| QueueError::Queue(e.to_string()))
}

/// Aborts a task when dropped (the wake listener ends with its worker run).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Opens `gate` for every message on `channel` while the gate lives.
async fn listen_for_wakes(redis_url: String, channel: String, gate: std::sync::Weak<FetchGate>) {
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
            tracing::warn!(%error, "worker wake-up channel unavailable; fetching every {IDLE_FETCH_EVERY:?}");
            return;
        }
    };
    let mut messages = pubsub.into_on_message();
    while messages.next().await.is_some() {
        match gate.upgrade() {
            Some(gate) => gate.wake(),
            None => return,
        }
    }
}
