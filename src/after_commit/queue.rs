//! The reward queue's producer side: the job type, the queue's settings
//! (which the worker in `jobs` reads too), the push, and the worker's fetch
//! gate (a worker asks Redis for jobs only when told some may be there).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_core::backend::Vacuum;
use apalis_redis::{Config as QueueConfig, ConnectionManager, RedisStorage};
use redis::aio::ConnectionManagerConfig;
use tokio::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::model::SignInId;

/// Credit the reward of one committed sign-in: what a committed change
/// leaves to do. The job carries only the id: the amount is read from the
/// sign-in row, so a stale job cannot pay the wrong amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardJob {
    pub sign_in_id: SignInId,
}

/// What the queue holds: the reward jobs pushed together, credited together
/// (one apalis job, one transaction). apalis keeps several Redis records per
/// job for its whole life (about nine commands from push to ack), so one
/// record per sign-in was most of a sign-in's Redis work.
///
/// Serialised as `{"sign_in_ids": [N, ...]}`; a job queued by an older
/// build as `{"sign_in_id": N}` reads as a batch of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "QueuedShape")]
pub struct RewardBatch {
    pub sign_in_ids: Vec<SignInId>,
}

/// Every shape a reward job has had in the queue.
#[derive(Deserialize)]
#[serde(untagged)]
enum QueuedShape {
    Batch { sign_in_ids: Vec<SignInId> },
    One { sign_in_id: SignInId },
}

impl From<QueuedShape> for RewardBatch {
    fn from(shape: QueuedShape) -> Self {
        match shape {
            QueuedShape::Batch { sign_in_ids } => RewardBatch { sign_in_ids },
            QueuedShape::One { sign_in_id } => RewardBatch {
                sign_in_ids: vec![sign_in_id],
            },
        }
    }
}

/// Most sign-ins in one queued batch (one transaction in the worker).
pub const MAX_BATCH: usize = 100;

/// How long a push waits for more jobs to join it. Jobs are pushed after
/// the caller has its answer, so this delays only the credit (whose target
/// is well under a second), and under load it turns a job per sign-in into
/// a job per few dozen.
const PUSH_LINGER: Duration = Duration::from_millis(20);

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

/// A Redis connection manager for apalis, with timeouts we chose.
pub async fn connection(redis_url: &str) -> Result<ConnectionManager, QueueError> {
    let client = redis::Client::open(redis_url)?;
    let config = ConnectionManagerConfig::new()
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(1));
    Ok(client.get_connection_manager_with_config(config).await?)
}

/// The queue's settings; producers and workers must agree on them.
pub fn queue_config(queue_name: &str) -> QueueConfig {
    QueueConfig::default()
        .queue(queue_name)
        .batch_size(32)
        .heartbeat_interval(Duration::from_secs(5))
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

/// Lets a worker's fetch through only when jobs may be waiting: when this
/// process pushed one, another process announced one on [`wake_channel`],
/// the last fetch brought a full batch (a backlog drains without waiting),
/// or `max_wait` passed (retries scheduled by apalis, jobs re-enqueued from
/// a dead worker, a lost announcement). An idle worker then costs Redis one
/// fetch per `max_wait` instead of one per poll interval. A wake that comes
/// while a fetch is in flight is kept for the next fetch, so none is lost.
///
/// Fetches woken by pushes start at least `min_gap` apart, so under load
/// one fetch (about a dozen Redis commands however many jobs it brings)
/// carries many jobs instead of one; a lone push is fetched at once.
#[derive(Debug)]
pub struct FetchGate {
    open: AtomicBool,
    /// The last fetch was a full batch: the next one goes without a gap.
    more_now: AtomicBool,
    notify: tokio::sync::Notify,
    last_fetch: std::sync::Mutex<Option<tokio::time::Instant>>,
    min_gap: Duration,
    max_wait: Duration,
}

impl FetchGate {
    /// A gate that is open (the first fetch goes through at once).
    pub fn new(min_gap: Duration, max_wait: Duration) -> Arc<Self> {
        Arc::new(Self {
            open: AtomicBool::new(true),
            more_now: AtomicBool::new(false),
            notify: tokio::sync::Notify::new(),
            last_fetch: std::sync::Mutex::new(None),
            min_gap,
            max_wait,
        })
    }

    /// Jobs may be waiting: let the next fetch through.
    pub fn wake(&self) {
        self.open.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// The last fetch was full: let the next one through without a gap.
    fn more_waiting(&self) {
        self.more_now.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Waits until the gate is open, or `max_wait` has passed; then, unless
    /// more jobs are known to wait, until `min_gap` after the last fetch
    /// began (pushes meanwhile join this fetch). Closes the gate behind it.
    async fn pass(&self) {
        let deadline = tokio::time::Instant::now() + self.max_wait;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.open.load(Ordering::SeqCst) {
                break;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        let last = *self.last_fetch.lock().unwrap_or_else(|p| p.into_inner());
        if !self.more_now.swap(false, Ordering::SeqCst) {
            if let Some(last) = last {
                tokio::time::sleep_until(last + self.min_gap).await;
            }
        }
        // Closed before the fetch is sent: a wake from here on is for a
        // job this fetch may miss, and opens the gate for the next one.
        self.open.store(false, Ordering::SeqCst);
        *self.last_fetch.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(tokio::time::Instant::now());
    }
}

/// The worker's connection to the queue: apalis's own commands go straight
/// through, except its fetch script, which waits at the [`FetchGate`].
/// (apalis re-fetches whenever its task is woken for any reason, and polls
/// on a timer besides; gating the fetch itself is what bounds its cost.)
#[derive(Clone)]
pub struct GatedConnection {
    inner: ConnectionManager,
    gate: Arc<FetchGate>,
    /// The first two keys of apalis's fetch script (its workers set and
    /// active list), by which a fetch is recognised.
    fetch_keys: Arc<(Vec<u8>, Vec<u8>)>,
    /// How many jobs one fetch asks for.
    batch_size: usize,
}

impl std::fmt::Debug for GatedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatedConnection")
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

impl GatedConnection {
    /// `inner` with its fetches for `queue_name` gated by `gate`.
    pub fn new(inner: ConnectionManager, gate: Arc<FetchGate>, queue_name: &str) -> Self {
        let config = queue_config(queue_name);
        Self {
            inner,
            gate,
            batch_size: config.batch_size,
            fetch_keys: Arc::new((
                config.workers_set().into_bytes(),
                config.active_jobs_list().into_bytes(),
            )),
        }
    }

    fn is_fetch(&self, cmd: &redis::Cmd) -> bool {
        is_fetch_of(cmd, &self.fetch_keys)
    }
}

/// Whether `cmd` is apalis's fetch: `EVALSHA|EVAL <script> 7 <workers set>
/// <active list> ...` (`fetch_keys`; no other apalis script takes 7 keys).
fn is_fetch_of(cmd: &redis::Cmd, fetch_keys: &(Vec<u8>, Vec<u8>)) -> bool {
    {
        let mut args = cmd.args_iter().map(|arg| match arg {
            redis::Arg::Simple(bytes) => bytes,
            _ => &[][..],
        });
        let verb = args.next().unwrap_or_default();
        if !(verb.eq_ignore_ascii_case(b"EVALSHA") || verb.eq_ignore_ascii_case(b"EVAL")) {
            return false;
        }
        let _script = args.next();
        args.next() == Some(&b"7"[..])
            && args.next() == Some(&fetch_keys.0[..])
            && args.next() == Some(&fetch_keys.1[..])
    }
}

/// Whether a fetch's reply (`{ {data...}, {meta...} }`) holds at least `n`
/// jobs.
fn fetched_at_least(reply: &redis::Value, n: usize) -> bool {
    match reply {
        redis::Value::Array(parts) => {
            matches!(parts.first(), Some(redis::Value::Array(data)) if data.len() >= n)
        }
        _ => false,
    }
}

impl redis::aio::ConnectionLike for GatedConnection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        Box::pin(async move {
            if !self.is_fetch(cmd) {
                return self.inner.req_packed_command(cmd).await;
            }
            self.gate.pass().await;
            let reply = self.inner.req_packed_command(cmd).await;
            // A full batch may have left more behind, and an error (say,
            // apalis loading its script) is retried at once. A partial
            // batch emptied the queue: whatever is pushed after it wakes
            // the gate again.
            if reply
                .as_ref()
                .map_or(true, |reply| fetched_at_least(reply, self.batch_size))
            {
                self.gate.more_waiting();
            }
            reply
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        self.inner.req_packed_commands(pipeline, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

/// Pushes reward jobs. Connects lazily, so the API starts (and sign-ins
/// commit) while Redis is down; a failed push is left to the relay.
///
/// Pushes are batched: the first job starts a push on a task of its own,
/// which waits `PUSH_LINGER` for others to join; all of them are queued as
/// one [`RewardBatch`] (up to `MAX_BATCH`), in one apalis call with one
/// wake-up. Jobs handed over while a push is in flight go in the next one.
#[derive(Debug)]
pub struct RewardQueue(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    redis_url: String,
    queue_name: String,
    storage: Mutex<Option<RedisStorage<RewardBatch>>>,
    /// The fetch gate of a worker running in this process, if any.
    local_worker: std::sync::Mutex<Weak<FetchGate>>,
    batch: std::sync::Mutex<Batch>,
}

/// Jobs waiting for the next push, each with whom to tell how it went.
#[derive(Debug, Default)]
struct Batch {
    jobs: Vec<RewardJob>,
    /// Whom to tell how the push of the jobs went.
    waiting: Vec<tokio::sync::oneshot::Sender<Result<(), String>>>,
    /// A push task is running (it takes the next batch when it is done).
    pushing: bool,
}

impl RewardQueue {
    /// A producer for `queue_name` on `redis_url`; nothing connects yet.
    pub fn new(redis_url: impl Into<String>, queue_name: impl Into<String>) -> Self {
        Self(Arc::new(Shared {
            redis_url: redis_url.into(),
            queue_name: queue_name.into(),
            storage: Mutex::new(None),
            local_worker: std::sync::Mutex::new(Weak::new()),
            batch: std::sync::Mutex::new(Batch::default()),
        }))
    }

    /// A worker in this process fetches through `gate`: pushes from here
    /// open it directly instead of announcing on Redis. Held while the
    /// gate lives (the worker's run).
    pub fn attach_worker(&self, gate: &Arc<FetchGate>) {
        *self
            .0
            .local_worker
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Arc::downgrade(gate);
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
    pub async fn push(&self, jobs: impl IntoIterator<Item = RewardJob>) -> Result<(), QueueError> {
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

impl Shared {
    fn local_worker(&self) -> Option<Arc<FetchGate>> {
        self.local_worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .upgrade()
    }

    async fn storage(&self) -> Result<RedisStorage<RewardBatch>, QueueError> {
        let mut guard = self.storage.lock().await;
        if let Some(storage) = guard.as_ref() {
            return Ok(storage.clone());
        }
        let conn = connection(&self.redis_url).await?;
        let storage = RedisStorage::new(conn).with_config(queue_config(&self.queue_name));
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
            for done in waiting {
                let _ = done.send(result.clone());
            }
        }
    }

    /// One apalis push of `jobs` (as batches of at most `MAX_BATCH`), then
    /// the wake-up.
    async fn push_now(&self, jobs: Vec<RewardJob>) -> Result<(), QueueError> {
        let mut storage = self.storage().await?;
        let tasks = batches(jobs)
            .into_iter()
            .map(|batch| TaskBuilder::new(batch).max_attempts(MAX_ATTEMPTS).build());
        storage
            .push_all(futures::stream::iter(tasks))
            .await
            .map_err(|e| QueueError::Queue(e.to_string()))?;
        match self.local_worker() {
            Some(gate) => gate.wake(),
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

/// `jobs` as queued batches: each sign-in once, at most `MAX_BATCH` a batch.
fn batches(jobs: Vec<RewardJob>) -> Vec<RewardBatch> {
    let mut ids: Vec<SignInId> = jobs.into_iter().map(|job| job.sign_in_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.chunks(MAX_BATCH)
        .map(|chunk| RewardBatch {
            sign_in_ids: chunk.to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(jobs: usize) -> redis::Value {
        redis::Value::Array(vec![
            redis::Value::Array(vec![redis::Value::Nil; jobs]),
            redis::Value::Array(vec![]),
        ])
    }

    #[test]
    fn only_a_full_batch_asks_for_another_fetch_at_once() {
        assert!(!fetched_at_least(&reply(0), 32));
        assert!(!fetched_at_least(&reply(31), 32));
        assert!(fetched_at_least(&reply(32), 32));
        assert!(!fetched_at_least(&redis::Value::Nil, 32));
    }

    #[tokio::test]
    async fn the_gate_lets_one_fetch_through_per_wake() {
        // A max_wait no test run reaches: every pass below is let through
        // by a wake, or the test times out.
        let gate = FetchGate::new(Duration::ZERO, Duration::from_secs(3600));
        let pass = |gate: Arc<FetchGate>| async move {
            tokio::time::timeout(Duration::from_secs(5), gate.pass()).await
        };
        assert!(pass(gate.clone()).await.is_ok(), "open at first");

        // Closed after that one fetch...
        let waiting = tokio::spawn(pass(gate.clone()));
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        // ...until a wake, which lets it through.
        gate.wake();
        assert!(waiting.await.unwrap().is_ok());

        // A wake that comes while no fetch waits is kept for the next one.
        gate.wake();
        assert!(pass(gate.clone()).await.is_ok());
    }

    #[tokio::test]
    async fn a_closed_gate_still_lets_a_fetch_through_after_its_max_wait() {
        let gate = FetchGate::new(Duration::ZERO, Duration::from_millis(20));
        gate.pass().await;
        let started = std::time::Instant::now();
        gate.pass().await;
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    #[tokio::test]
    async fn woken_fetches_keep_their_gap_unless_a_full_batch_left_more() {
        let gap = Duration::from_millis(30);
        let gate = FetchGate::new(gap, Duration::from_secs(3600));
        gate.pass().await;
        let first = std::time::Instant::now();
        gate.wake();
        gate.pass().await;
        assert!(
            first.elapsed() >= gap - Duration::from_millis(2),
            "{:?}",
            first.elapsed()
        );
        let second = std::time::Instant::now();
        gate.more_waiting();
        gate.pass().await;
        assert!(second.elapsed() < gap, "{:?}", second.elapsed());
    }

    #[test]
    fn fetches_are_told_from_the_other_commands_by_their_keys() {
        let config = queue_config("ns:rewards");
        let fetch = |verb: &str, keys: usize, first: &str| {
            let mut cmd = redis::cmd(verb);
            cmd.arg("sha")
                .arg(keys)
                .arg(first)
                .arg(config.active_jobs_list());
            cmd
        };
        let keys = (
            config.workers_set().into_bytes(),
            config.active_jobs_list().into_bytes(),
        );
        let is_fetch = |cmd: &redis::Cmd| is_fetch_of(cmd, &keys);
        assert!(is_fetch(&fetch("EVALSHA", 7, &config.workers_set())));
        assert!(is_fetch(&fetch("evalsha", 7, &config.workers_set())));
        assert!(is_fetch(&fetch("EVAL", 7, &config.workers_set())));
        // apalis's re-enqueue script starts with the same keys, but 4 of them.
        assert!(!is_fetch(&fetch("EVALSHA", 4, &config.workers_set())));
        assert!(!is_fetch(&fetch("EVALSHA", 7, "other:workers")));
        assert!(!is_fetch(&redis::cmd("PING")));
    }

    #[test]
    fn queued_batches_keep_their_shape_and_read_the_older_one() {
        let batch = RewardBatch {
            sign_in_ids: vec![SignInId(42), SignInId(43)],
        };
        let json = serde_json::to_string(&batch).unwrap();
        assert_eq!(json, r#"{"sign_in_ids":[42,43]}"#);
        assert_eq!(serde_json::from_str::<RewardBatch>(&json).unwrap(), batch);
        // Queued by a build that pushed one job per sign-in.
        assert_eq!(
            serde_json::from_str::<RewardBatch>(r#"{"sign_in_id":42}"#).unwrap(),
            RewardBatch {
                sign_in_ids: vec![SignInId(42)]
            }
        );
        assert!(serde_json::from_str::<RewardBatch>(r#"{"id":42}"#).is_err());
    }

    #[test]
    fn jobs_are_queued_once_each_in_bounded_batches() {
        let jobs = |ids: std::ops::Range<i64>| {
            ids.map(|id| RewardJob {
                sign_in_id: SignInId(id),
            })
            .collect::<Vec<_>>()
        };
        assert!(batches(Vec::new()).is_empty());
        let mut twice = jobs(1..4);
        twice.extend(jobs(2..3));
        assert_eq!(
            batches(twice),
            vec![RewardBatch {
                sign_in_ids: vec![SignInId(1), SignInId(2), SignInId(3)]
            }]
        );
        let sizes: Vec<usize> = batches(jobs(0..(2 * MAX_BATCH as i64 + 1)))
            .iter()
            .map(|b| b.sign_in_ids.len())
            .collect();
        assert_eq!(sizes, vec![MAX_BATCH, MAX_BATCH, 1]);
    }
}
