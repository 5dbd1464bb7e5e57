//! The supervised workers (rewards, webhook messages): each restarted with
//! a fresh name whenever its stream ends (a Redis failure ends an apalis
//! worker for good), stopped gracefully on shutdown.

use std::sync::Arc;
use std::time::Duration;

use apalis::layers::retry::backoff::{ExponentialBackoffMaker, MakeBackoff};
use apalis::layers::retry::HasherRng;
use apalis::prelude::*;
use apalis_redis::RedisStorage;
use tokio_util::sync::CancellationToken;

use super::{history, relay, reward, webhooks};
use crate::after_commit::queue::{
    connection, queue_config, wake_channel, QueueError, QueuedBatch, RewardBatch, WakeSignal,
    Wakes, WebhookBatch,
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
/// The reward worker's longest wait between fetches (see `QueuedBatch::IDLE_POLL`).
pub const IDLE_POLL: Duration = <RewardBatch as QueuedBatch>::IDLE_POLL;
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

/// Runs the reward worker, the webhook worker, the relay, the webhook
/// sweep, the reminders' sweep and the history upkeep until `shutdown` is
/// cancelled.
pub async fn run(state: Arc<AppState>, shutdown: CancellationToken) {
    let relay = tokio::spawn(relay::run(state.clone(), shutdown.clone()));
    let sweep = tokio::spawn(webhooks::sweep(state.clone(), shutdown.clone()));
    let remind = tokio::spawn(webhooks::remind(state.clone(), shutdown.clone()));
    let upkeep = tokio::spawn(history::run(state.clone(), shutdown.clone()));
    let hooks = tokio::spawn(supervise(
        "webhook worker",
        state.clone(),
        shutdown.clone(),
        run_webhooks_once,
    ));
    supervise("reward worker", state.clone(), shutdown, run_rewards_once).await;
    for (task, done) in [
        ("relay", relay.await),
        ("webhook sweep", sweep.await),
        ("reminder sweep", remind.await),
        ("history upkeep", upkeep.await),
        ("webhook worker", hooks.await),
    ] {
        if let Err(error) = done {
            tracing::error!(%error, task, "background task panicked");
        }
    }
    // The webhook sends the jobs started and did not wait for: those not
    // done by then are attempted again when their lease ends.
    let within = state.config.webhook_timeout + Duration::from_secs(1);
    if !state.webhook_client.limits().drain(within).await {
        tracing::warn!(?within, "webhook sends still running at shutdown; their messages are sent again after their lease");
    }
    tracing::info!("workers stopped");
}

/// Runs `once` with a fresh worker name until `shutdown`, restarting it
/// (with a growing pause) whenever it ends by itself or fails.
async fn supervise<F, Fut>(
    what: &'static str,
    state: Arc<AppState>,
    shutdown: CancellationToken,
    once: F,
) where
    F: Fn(Arc<AppState>, String, CancellationToken) -> Fut,
    Fut: std::future::Future<Output = Result<(), QueueError>>,
{
    let mut backoff = Duration::from_millis(200);
    while !shutdown.is_cancelled() {
        let name = unique_worker_name();
        tracing::info!(worker = %name, what, "worker starting");
        let result = once(state.clone(), name.clone(), shutdown.clone()).await;
        if shutdown.is_cancelled() {
            break;
        }
        metrics::counter!("signin_worker_restarts_total", "worker" => what).increment(1);
        match result {
            Ok(()) => tracing::error!(worker = %name, what, "worker stopped by itself; restarting"),
            Err(error) => {
                tracing::error!(worker = %name, what, %error, retry_in = ?backoff, "worker failed; restarting")
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
    tracing::info!(what, "worker stopped");
}

/// Runs one apalis worker of `$queue` (a [`JobQueue`]) named `$name`
/// until `$shutdown`: its storage woken by this process's pushes and the
/// queue's wake channel (pushes from other processes: an API without a
/// worker, another replica's relay; if the subscription fails, the poll
/// timer still finds their jobs) and polled on a backoff timer; `$build`
/// finishes the `WorkerBuilder` (concurrency, retries, handler). A macro
/// rather than a function: the backend's and the handler's types are
/// apalis's layered generics, which a signature would have to spell out.
macro_rules! run_queue {
    ($state:expr, $name:expr, $queue:expr, $batch:ty, $shutdown:expr, |$builder:ident| $build:expr) => {{
        let state: &Arc<AppState> = $state;
        let queue_name = $queue.queue_name();
        let conn = connection(&state.redis_target).await?;
        let wake = WakeSignal::new();
        let wakes = tokio::spawn(listen_for_wakes(
            state.clone(),
            wake_channel(queue_name),
            Arc::downgrade(&wake),
        ));
        let _stop_listening = AbortOnDrop(wakes);
        $queue.attach_worker(&wake);
        // Two `PollWith` layers rather than one `Strategy` of both:
        // apalis-core 1.0's `Strategy` does not pass `on_poll` on to what
        // it holds, so a backoff inside it never backs off (it polled
        // every `BUSY_POLL`).
        let storage = RedisStorage::<$batch>::new(conn)
            .with_config(queue_config::<$batch>(queue_name))
            .poll_with_stream(Wakes::new(wake.clone()))
            .poll_with_backoff(
                BUSY_POLL,
                BackoffConfig::new(<$batch as QueuedBatch>::IDLE_POLL).with_multiplier(2.0),
            );
        let $builder = WorkerBuilder::new($name)
            .backend(storage)
            .data(state.clone());
        let worker = $build;
        let shutdown: CancellationToken = $shutdown;
        worker
            .run_until(async move {
                shutdown.cancelled().await;
                Ok::<(), std::io::Error>(())
            })
            .await
            .map_err(|e| QueueError::Queue(e.to_string()))
    }};
}

async fn run_rewards_once(
    state: Arc<AppState>,
    name: String,
    shutdown: CancellationToken,
) -> Result<(), QueueError> {
    let backoff = ExponentialBackoffMaker::new(
        Duration::from_millis(50),
        Duration::from_secs(2),
        0.5,
        HasherRng::default(),
    )
    .map_err(|e| QueueError::Queue(e.to_string()))?
    .make_backoff();
    run_queue!(
        &state,
        name.as_str(),
        state.queue,
        RewardBatch,
        shutdown,
        |builder| builder
            .concurrency(state.config.worker_concurrency)
            .retry(RetryPolicy::retries(RETRIES).with_backoff(backoff))
            .build(credit_on_own_task)
    )
}

/// Batches of webhook messages attempted at once (each batch's messages
/// are attempted together too).
const WEBHOOK_CONCURRENCY: usize = 8;

async fn run_webhooks_once(
    state: Arc<AppState>,
    name: String,
    shutdown: CancellationToken,
) -> Result<(), QueueError> {
    run_queue!(
        &state,
        name.as_str(),
        state.webhook_queue,
        WebhookBatch,
        shutdown,
        |builder| builder
            .concurrency(WEBHOOK_CONCURRENCY)
            .build(attempt_on_own_task)
    )
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

/// Runs [`webhooks::handle`] on a task of its own, as
/// [`credit_on_own_task`] does.
async fn attempt_on_own_task(
    batch: WebhookBatch,
    state: Data<Arc<AppState>>,
) -> Result<(), BoxDynError> {
    tokio::spawn(webhooks::handle(batch, state))
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
async fn listen_for_wakes(
    state: Arc<AppState>,
    channel: String,
    wake: std::sync::Weak<WakeSignal>,
) {
    use futures::StreamExt;
    let subscribed = async {
        let client = state.redis_target.client().await?;
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
