//! The job queues' producer side: the job types (reward batches, webhook
//! messages), the queues' settings (which the workers in `jobs` read too),
//! the push, and the wake-up a push sends the workers (the stream their
//! apalis backend polls with).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_core::backend::Vacuum;
use apalis_redis::{Config as QueueConfig, ConnectionManager, RedisStorage};
use redis::aio::ConnectionManagerConfig;
use tokio::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::cache::RedisTarget;
use crate::model::{SignInDates, SignInId, WebhookDeliveryId};

/// Credit the reward of one committed sign-in: what a committed change
/// leaves to do. The job carries only the id: the amount is read from the
/// sign-in row, so a stale job cannot pay the wrong amount. `day` is the
/// sign-in's date, by which the worker finds it (see [`SignInDates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardJob {
    pub sign_in_id: SignInId,
    pub day: chrono::NaiveDate,
}

/// What the queue holds: the reward jobs pushed together, credited together
/// (one apalis job, one transaction). apalis keeps several Redis records per
/// job for its whole life (about nine commands from push to ack), so one
/// record per sign-in was most of a sign-in's Redis work.
///
/// Serialised as `{"sign_in_ids": [N, ...], "dates": {"first": "YYYY-MM-DD",
/// "last": "YYYY-MM-DD"}}` (the dates the sign-ins lie in); a job queued by
/// an older build as `{"sign_in_ids": [N, ...]}` or `{"sign_in_id": N}`
/// reads with every date ([`SignInDates::ANY`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "QueuedShape")]
pub struct RewardBatch {
    pub sign_in_ids: Vec<SignInId>,
    pub dates: SignInDates,
}

/// Every shape a reward job has had in the queue.
#[derive(Deserialize)]
#[serde(untagged)]
enum QueuedShape {
    Batch {
        sign_in_ids: Vec<SignInId>,
        dates: Option<SignInDates>,
    },
    One {
        sign_in_id: SignInId,
    },
}

impl From<QueuedShape> for RewardBatch {
    fn from(shape: QueuedShape) -> Self {
        match shape {
            QueuedShape::Batch { sign_in_ids, dates } => RewardBatch {
                sign_in_ids,
                dates: dates.unwrap_or(SignInDates::ANY),
            },
            QueuedShape::One { sign_in_id } => RewardBatch {
                sign_in_ids: vec![sign_in_id],
                dates: SignInDates::ANY,
            },
        }
    }
}

/// Most sign-ins in one queued batch (one transaction in the worker).
pub const MAX_BATCH: usize = 100;

/// How long a push waits for more jobs to join it. Jobs are pushed after
/// the caller has its answer, so this delays only the credit (whose target
/// is well under a second), and under load it turns a job per sign-in into
/// a job per few dozen. Each queued job costs Redis about 30 commands
/// (its push, its fetch, its ack, and the two empty fetches apalis sends
/// around it: one when its fetched batch is handed out, one when the job
/// is done), so at one connection (a sign-in every few milliseconds) 50 ms
/// keeps a sign-in near 10 Redis commands where 20 ms cost about 15.
const PUSH_LINGER: Duration = Duration::from_millis(50);

/// The job queue's error: Redis could not be reached through apalis's own
/// connection, or apalis refused the operation.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("queue: {0}")]
    Queue(String),
    #[error("timed out talking to the queue")]
    Timeout,
}

/// How many times apalis itself runs a failing job before it parks it in
/// its dead set; the relay re-enqueues whatever is still uncredited later.
pub const MAX_ATTEMPTS: usize = 5;
/// Redis calls that take longer than this fail (redis-rs defaults to 500 ms,
/// which a busy Redis exceeds and which kills a worker's stream).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// apalis keeps idempotency keys forever unless told otherwise.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);

/// A Redis connection manager for apalis, with timeouts we chose, to the
/// server `target` names now (under Sentinel, the current master: a
/// failover is followed by connecting again, see `Shared::push_batches` and
/// the workers' restarts).
pub async fn connection(target: &RedisTarget) -> Result<ConnectionManager, QueueError> {
    let client = target.client().await?;
    let config = ConnectionManagerConfig::new()
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(1));
    Ok(client.get_connection_manager_with_config(config).await?)
}

/// The settings of the queue of `B`; producers and workers must agree on
/// them.
pub fn queue_config<B: QueuedBatch>(queue_name: &str) -> QueueConfig {
    QueueConfig::default()
        .queue(queue_name)
        .batch_size(32)
        .heartbeat_interval(B::HEARTBEAT)
        .missed_heartbeats(3)
        .idempotency_ttl(Some(IDEMPOTENCY_TTL))
        // apalis PUBLISHes on every push and ack for its dashboards; nobody
        // here listens, so that is pure Redis load.
        .emit_events(false)
        // A fetched job is already in the worker's in-flight set (which is
        // what a dead worker's jobs are re-enqueued from); the lease on top
        // (one script and five commands per job, plus renewals) only
        // records who runs it for apalis's dashboards.
        .lock_tasks(false)
}

/// The pub/sub channel on which a producer with no worker in its own
/// process tells the workers that jobs were pushed.
pub fn wake_channel(queue_name: &str) -> String {
    format!("{queue_name}:wake")
}

/// Tells a worker in this process that jobs were pushed: set by this
/// process's pushes and by the announcements of other processes on
/// [`wake_channel`]; read by the worker through [`Wakes`], which its apalis
/// backend polls with (apalis-core's `StreamStrategy`, the way apalis-redis's
/// own `RedisStorageFactory` wakes its workers from pub/sub). Wakes that come
/// together are delivered once.
#[derive(Debug, Default)]
pub struct WakeSignal {
    set: AtomicBool,
    waker: futures::task::AtomicWaker,
}

impl WakeSignal {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Jobs may be waiting: wake the worker.
    pub fn wake(&self) {
        self.set.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// How long after a wake the worker is woken once more. apalis-core's
/// `PollWith` takes a wake even while a fetch is in flight (its strategy is
/// polled before every backend poll), and a fetch Redis ran just before the
/// push cannot have seen the job: the wake would be spent and the job left
/// for the poll timer. Waking again this much later (longer than any fetch
/// on a healthy Redis) gives the job a fetch of its own. Each wake re-arms
/// it, so under steady pushes it fires once, after the last.
pub const WAKE_AGAIN_AFTER: Duration = Duration::from_millis(100);

/// The worker's end of a [`WakeSignal`]: yields once per delivered wake
/// (wakes that come together are one), and once more [`WAKE_AGAIN_AFTER`]
/// after the last one; never ends.
#[derive(Debug)]
pub struct Wakes {
    signal: Arc<WakeSignal>,
    again: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Wakes {
    pub fn new(signal: Arc<WakeSignal>) -> Self {
        Self {
            signal,
            again: None,
        }
    }

    /// Takes a delivered wake. `cx` is registered for the next one every
    /// time, even when a wake is taken: apalis-core's `PollWith` polls its
    /// strategy once per backend poll and ignores a ready one (it does not
    /// poll again until pending), so a stream that registers only when it
    /// has nothing to give is left with no waker after a delivery, and the
    /// pushes after it wake nobody until a timer does. (apalis-redis 1.0's
    /// own `factory::Pubsub` registers only when it has nothing to give, so
    /// its workers can miss wakes the same way; whether upstream has an
    /// issue for it was not checked, no network here.)
    fn take(&self, cx: &Context<'_>) -> bool {
        self.signal.waker.register(cx.waker());
        self.signal.set.swap(false, Ordering::AcqRel)
    }
}

impl futures::Stream for Wakes {
    type Item = ();

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        if self.take(cx) {
            let mut again = Box::pin(tokio::time::sleep(WAKE_AGAIN_AFTER));
            // Polled once so that its timer holds `cx` (pending: just set).
            let _ = again.as_mut().poll(cx);
            self.again = Some(again);
            return Poll::Ready(Some(()));
        }
        if let Some(again) = self.again.as_mut() {
            if again.as_mut().poll(cx).is_ready() {
                self.again = None;
                return Poll::Ready(Some(()));
            }
        }
        Poll::Pending
    }
}

/// What one queue holds: a batch of jobs of one kind, queued as one apalis
/// job and handled together.
pub trait QueuedBatch:
    Serialize + serde::de::DeserializeOwned + Send + Sync + Unpin + 'static
{
    /// One job handed over.
    type Item: Send + std::fmt::Debug + 'static;

    /// How often a worker of this queue tells apalis it lives (about ten
    /// Redis commands each time); a dead worker's jobs are re-enqueued
    /// after three missed beats.
    const HEARTBEAT: Duration;
    /// The longest a worker of this queue waits between two fetches when
    /// no wake-up came (each fetch is about five Redis commands).
    const IDLE_POLL: Duration;

    /// `items` as queued batches (each once, at most `MAX_BATCH` a batch).
    fn batches(items: Vec<Self::Item>) -> Vec<Self>;
}

/// Pushes jobs of one kind (`B`). Connects lazily, so the API starts (and
/// changes commit) while Redis is down; a failed push is left to the
/// relay (rewards) or the sweep (webhooks).
///
/// Pushes are batched: the first job starts a push on a task of its own,
/// which waits `PUSH_LINGER` for others to join; all of them are queued as
/// batches of `B` (up to `MAX_BATCH` each), in one apalis call with one
/// wake-up. Jobs handed over while a push is in flight go in the next one.
#[derive(Debug)]
pub struct JobQueue<B: QueuedBatch>(Arc<Shared<B>>);

/// The reward jobs' queue.
pub type RewardQueue = JobQueue<RewardBatch>;

#[derive(Debug)]
struct Shared<B: QueuedBatch> {
    target: Arc<RedisTarget>,
    queue_name: String,
    storage: Mutex<Option<RedisStorage<B>>>,
    /// The wake-up of a worker running in this process, if any.
    local_worker: std::sync::Mutex<Weak<WakeSignal>>,
    batch: std::sync::Mutex<Batch<B::Item>>,
}

/// Jobs waiting for the next push, each with whom to tell how it went.
#[derive(Debug)]
struct Batch<T> {
    jobs: Vec<T>,
    /// Whom to tell how the push of the jobs went.
    waiting: Vec<tokio::sync::oneshot::Sender<Result<(), String>>>,
    /// A push task is running (it takes the next batch when it is done).
    pushing: bool,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch {
            jobs: Vec::new(),
            waiting: Vec::new(),
            pushing: false,
        }
    }
}

impl<B: QueuedBatch> JobQueue<B> {
    /// A producer for `queue_name` on `target`; nothing connects yet.
    pub fn new(target: Arc<RedisTarget>, queue_name: impl Into<String>) -> Self {
        Self(Arc::new(Shared {
            target,
            queue_name: queue_name.into(),
            storage: Mutex::new(None),
            local_worker: std::sync::Mutex::new(Weak::new()),
            batch: std::sync::Mutex::new(Batch::default()),
        }))
    }

    /// A worker in this process is woken by `wake`: pushes from here wake
    /// it directly instead of announcing on Redis. Held while `wake` lives
    /// (the worker's run).
    pub fn attach_worker(&self, wake: &Arc<WakeSignal>) {
        *self
            .0
            .local_worker
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Arc::downgrade(wake);
    }

    /// The apalis queue's name (namespaced per install).
    pub fn queue_name(&self) -> &str {
        &self.0.queue_name
    }

    /// Drops finished jobs older than `age` (apalis keeps every job's data,
    /// metadata and id forever otherwise) and the done-set of ids.
    pub async fn vacuum(&self, age: Duration) -> Result<usize, QueueError> {
        let work = async {
            let mut storage = self.0.storage().await?;
            let removed = storage
                .vacuum_before(age)
                .await
                .map_err(|e| QueueError::Queue(e.to_string()))?;
            let done = storage.get_config().done_jobs_set();
            let _: () = redis::cmd("DEL")
                .arg(done)
                .query_async(storage.get_connection())
                .await?;
            Ok(removed)
        };
        tokio::time::timeout(Duration::from_secs(30), work)
            .await
            .map_err(|_| QueueError::Timeout)?
    }

    /// Pushes `jobs` (with whatever else is handed over meanwhile), giving
    /// up after `RESPONSE_TIMEOUT`, and wakes a worker: this process's own
    /// if it runs one (no Redis command), else every worker through
    /// [`wake_channel`] (one PUBLISH).
    pub async fn push(&self, jobs: impl IntoIterator<Item = B::Item>) -> Result<(), QueueError> {
        let (done, pushed) = tokio::sync::oneshot::channel();
        let start = {
            let mut batch = self.0.batch.lock().unwrap_or_else(|p| p.into_inner());
            let before = batch.jobs.len();
            batch.jobs.extend(jobs);
            if batch.jobs.len() == before {
                return Ok(());
            }
            batch.waiting.push(done);
            !std::mem::replace(&mut batch.pushing, true)
        };
        if start {
            tokio::spawn(self.0.clone().push_batches());
        }
        match tokio::time::timeout(RESPONSE_TIMEOUT, pushed).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(error))) => Err(QueueError::Queue(error)),
            Ok(Err(_)) => Err(QueueError::Queue("push abandoned".into())),
            Err(_) => Err(QueueError::Timeout),
        }
    }
}

impl<B: QueuedBatch> Shared<B> {
    fn local_worker(&self) -> Option<Arc<WakeSignal>> {
        self.local_worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .upgrade()
    }

    async fn storage(&self) -> Result<RedisStorage<B>, QueueError> {
        let mut guard = self.storage.lock().await;
        if let Some(storage) = guard.as_ref() {
            return Ok(storage.clone());
        }
        let conn = connection(&self.target).await?;
        let storage = RedisStorage::new(conn).with_config(queue_config::<B>(&self.queue_name));
        *guard = Some(storage.clone());
        Ok(storage)
    }

    /// Pushes batches until none is waiting.
    async fn push_batches(self: Arc<Self>) {
        loop {
            tokio::time::sleep(PUSH_LINGER).await;
            let (jobs, waiting) = {
                let mut batch = self.batch.lock().unwrap_or_else(|p| p.into_inner());
                if batch.jobs.is_empty() {
                    batch.pushing = false;
                    return;
                }
                (
                    std::mem::take(&mut batch.jobs),
                    std::mem::take(&mut batch.waiting),
                )
            };
            let result = tokio::time::timeout(RESPONSE_TIMEOUT, self.push_now(jobs))
                .await
                .unwrap_or(Err(QueueError::Timeout))
                .map_err(|e| e.to_string());
            if result.is_err() && self.target.follows_failover() {
                // redis-rs's connection manager reconnects to the address
                // it was made for: after a failover, the old master. The
                // next push connects afresh, to the master named then.
                *self.storage.lock().await = None;
            }
            for done in waiting {
                let _ = done.send(result.clone());
            }
        }
    }

    /// One apalis push of `jobs` (as batches of at most `MAX_BATCH`), then
    /// the wake-up.
    async fn push_now(&self, jobs: Vec<B::Item>) -> Result<(), QueueError> {
        let mut storage = self.storage().await?;
        let tasks = B::batches(jobs)
            .into_iter()
            .map(|batch| TaskBuilder::new(batch).max_attempts(MAX_ATTEMPTS).build());
        storage
            .push_all(futures::stream::iter(tasks))
            .await
            .map_err(|e| QueueError::Queue(e.to_string()))?;
        match self.local_worker() {
            Some(worker) => worker.wake(),
            None => {
                // Lost, the jobs wait for a worker's own periodic fetch.
                let _: Result<(), _> = redis::cmd("PUBLISH")
                    .arg(wake_channel(&self.queue_name))
                    .arg(1)
                    .query_async(storage.get_connection())
                    .await;
            }
        }
        Ok(())
    }
}

impl QueuedBatch for RewardBatch {
    type Item = RewardJob;
    const HEARTBEAT: Duration = Duration::from_secs(5);
    const IDLE_POLL: Duration = Duration::from_secs(4);

    /// Each sign-in once, at most `MAX_BATCH` a batch, in id order (ids
    /// grow with time, so a batch's dates span few months).
    fn batches(mut jobs: Vec<RewardJob>) -> Vec<RewardBatch> {
        jobs.sort_unstable_by_key(|job| job.sign_in_id);
        jobs.dedup_by_key(|job| job.sign_in_id);
        jobs.chunks(MAX_BATCH)
            .map(|chunk| RewardBatch {
                sign_in_ids: chunk.iter().map(|job| job.sign_in_id).collect(),
                dates: SignInDates::spanning(chunk.iter().map(|job| job.day))
                    .unwrap_or(SignInDates::ANY),
            })
            .collect()
    }
}

/// What the webhook queue holds: messages due for an attempt, attempted
/// together (each on its own, at once). Serialised as
/// `{"delivery_ids": [N, ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookBatch {
    pub delivery_ids: Vec<WebhookDeliveryId>,
}

/// The webhook messages' queue: its own apalis queue and worker, so a slow
/// receiver never holds up a reward.
pub type WebhookQueue = JobQueue<WebhookBatch>;

/// Webhook messages need no quick rescue: the sweep hands a message whose
/// job was lost to the queue again after a minute, and it wakes this
/// process's worker directly; so its worker beats and polls rarely, and an
/// idle process costs Redis little more than with the reward worker alone.
impl QueuedBatch for WebhookBatch {
    type Item = WebhookDeliveryId;
    const HEARTBEAT: Duration = Duration::from_secs(30);
    const IDLE_POLL: Duration = Duration::from_secs(30);

    /// Each message once, at most `MAX_BATCH` a batch.
    fn batches(mut ids: Vec<WebhookDeliveryId>) -> Vec<WebhookBatch> {
        ids.sort_unstable();
        ids.dedup();
        ids.chunks(MAX_BATCH)
            .map(|chunk| WebhookBatch {
                delivery_ids: chunk.to_vec(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_are_delivered_once_then_again_and_none_is_lost() {
        use futures::StreamExt;
        let signal = WakeSignal::new();
        let mut wakes = Wakes::new(signal.clone());
        let next = |wakes: &mut Wakes| {
            futures::FutureExt::now_or_never(wakes.next()).map(|item| item.is_some())
        };
        assert_eq!(next(&mut wakes), None, "nothing to deliver yet");
        signal.wake();
        signal.wake();
        let delivered = std::time::Instant::now();
        assert_eq!(next(&mut wakes), Some(true));
        assert_eq!(next(&mut wakes), None, "two wakes before a poll are one");

        // Once more, WAKE_AGAIN_AFTER later (for a fetch that was in
        // flight), and then no more.
        let again = tokio::time::timeout(Duration::from_secs(5), wakes.next()).await;
        assert_eq!(again, Ok(Some(())));
        assert!(delivered.elapsed() >= WAKE_AGAIN_AFTER);
        assert_eq!(next(&mut wakes), None);

        // A wake while the worker waits reaches it.
        let waiting = tokio::spawn(async move { wakes.next().await });
        tokio::task::yield_now().await;
        signal.wake();
        let woken = tokio::time::timeout(Duration::from_secs(5), waiting).await;
        assert!(matches!(woken, Ok(Ok(Some(())))));
    }

    /// apalis's `PollWith` polls the stream once per backend poll and does
    /// not poll it again after a delivery until something else wakes the
    /// worker: the next push must wake it by itself (without this, a burst
    /// of pushes waited for the poll timer, seconds).
    #[tokio::test]
    async fn a_delivered_wake_leaves_the_worker_registered_for_the_next() {
        use std::sync::atomic::AtomicUsize;
        struct Count(AtomicUsize);
        impl futures::task::ArcWake for Count {
            fn wake_by_ref(count: &Arc<Self>) {
                count.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = futures::task::waker(count.clone());
        let mut cx = Context::from_waker(&waker);
        let signal = WakeSignal::new();
        let mut wakes = Wakes::new(signal.clone());
        signal.wake();
        let delivered = futures::Stream::poll_next(Pin::new(&mut wakes), &mut cx);
        assert_eq!(delivered, Poll::Ready(Some(())));
        signal.wake();
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the push woke the worker"
        );
    }

    fn date(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn queued_batches_keep_their_shape_and_read_the_older_ones() {
        let batch = RewardBatch {
            sign_in_ids: vec![SignInId(42), SignInId(43)],
            dates: SignInDates {
                first: date("2026-01-31"),
                last: date("2026-02-01"),
            },
        };
        let json = serde_json::to_string(&batch).unwrap();
        assert_eq!(
            json,
            r#"{"sign_in_ids":[42,43],"dates":{"first":"2026-01-31","last":"2026-02-01"}}"#
        );
        assert_eq!(serde_json::from_str::<RewardBatch>(&json).unwrap(), batch);
        // Queued by builds that pushed one job per sign-in, or batches
        // without their dates: every date.
        assert_eq!(
            serde_json::from_str::<RewardBatch>(r#"{"sign_in_id":42}"#).unwrap(),
            RewardBatch {
                sign_in_ids: vec![SignInId(42)],
                dates: SignInDates::ANY,
            }
        );
        assert_eq!(
            serde_json::from_str::<RewardBatch>(r#"{"sign_in_ids":[42,43]}"#).unwrap(),
            RewardBatch {
                dates: SignInDates::ANY,
                ..batch
            }
        );
        assert!(serde_json::from_str::<RewardBatch>(r#"{"id":42}"#).is_err());
        assert!(serde_json::from_str::<RewardBatch>(
            r#"{"sign_in_ids":[42],"dates":{"first":"2026-02-30","last":"2026-03-01"}}"#
        )
        .is_err());
    }

    #[test]
    fn jobs_are_queued_once_each_in_bounded_batches_with_their_dates() {
        let jobs = |ids: std::ops::Range<i64>| {
            ids.map(|id| RewardJob {
                sign_in_id: SignInId(id),
                // Ids in the order of their dates, as the database makes them.
                day: date("2026-01-01") + chrono::Days::new(id.unsigned_abs() / 3),
            })
            .collect::<Vec<_>>()
        };
        assert!(RewardBatch::batches(Vec::new()).is_empty());
        let mut twice = jobs(1..4);
        twice.extend(jobs(2..3));
        assert_eq!(
            RewardBatch::batches(twice),
            vec![RewardBatch {
                sign_in_ids: vec![SignInId(1), SignInId(2), SignInId(3)],
                dates: SignInDates {
                    first: date("2026-01-01"),
                    last: date("2026-01-02"),
                },
            }]
        );
        let batches = RewardBatch::batches(jobs(0..(2 * MAX_BATCH as i64 + 1)));
        let shapes: Vec<(usize, SignInDates)> = batches
            .iter()
            .map(|b| (b.sign_in_ids.len(), b.dates))
            .collect();
        let span = |first: &str, last: &str| SignInDates {
            first: date(first),
            last: date(last),
        };
        assert_eq!(
            shapes,
            vec![
                (MAX_BATCH, span("2026-01-01", "2026-02-03")),
                (MAX_BATCH, span("2026-02-03", "2026-03-08")),
                (1, span("2026-03-08", "2026-03-08")),
            ]
        );
    }

    #[test]
    fn dates_span_their_first_and_last() {
        assert_eq!(SignInDates::spanning([]), None);
        assert_eq!(
            SignInDates::spanning([date("2026-03-02"), date("2025-12-31"), date("2026-01-05")]),
            Some(SignInDates {
                first: date("2025-12-31"),
                last: date("2026-03-02"),
            })
        );
        assert!(SignInDates::ANY.first < date("0001-01-01"));
        assert_eq!(SignInDates::ANY.last, chrono::NaiveDate::MAX);
    }
}
