//! The reward queue's producer side: the job type, the queue's settings
//! (which the worker in `jobs` reads too), and the push.

use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_core::backend::Vacuum;
use apalis_redis::{Config as QueueConfig, ConnectionManager, RedisStorage};
use redis::aio::ConnectionManagerConfig;
use tokio::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::model::SignInId;

/// Credit the reward of one committed sign-in. The job carries only the id:
/// the amount is read from the sign-in row, so a stale job cannot pay the
/// wrong amount. Serialised as `{"sign_in_id": N}` (jobs already queued by an
/// older build stay readable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardJob {
    pub sign_in_id: SignInId,
}

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
}

/// Pushes reward jobs. Connects lazily, so the API starts (and sign-ins
/// commit) while Redis is down; a failed push is left to the relay.
#[derive(Debug)]
pub struct RewardQueue {
    redis_url: String,
    queue_name: String,
    storage: Mutex<Option<RedisStorage<RewardJob>>>,
}

impl RewardQueue {
    /// A producer for `queue_name` on `redis_url`; nothing connects yet.
    pub fn new(redis_url: impl Into<String>, queue_name: impl Into<String>) -> Self {
        Self {
            redis_url: redis_url.into(),
            queue_name: queue_name.into(),
            storage: Mutex::new(None),
        }
    }

    /// The apalis queue's name (namespaced per install).
    pub fn queue_name(&self) -> &str {
        &self.queue_name
    }

    async fn storage(&self) -> Result<RedisStorage<RewardJob>, QueueError> {
        let mut guard = self.storage.lock().await;
        if let Some(storage) = guard.as_ref() {
            return Ok(storage.clone());
        }
        let conn = connection(&self.redis_url).await?;
        let storage = RedisStorage::new(conn).with_config(queue_config(&self.queue_name));
        *guard = Some(storage.clone());
        Ok(storage)
    }

    /// Drops finished jobs older than `age` (apalis keeps every job's data,
    /// metadata and id forever otherwise) and the done-set of ids.
    pub async fn vacuum(&self, age: Duration) -> Result<usize, QueueError> {
        let work = async {
            let mut storage = self.storage().await?;
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

    /// Pushes one job, giving up after `RESPONSE_TIMEOUT`.
    pub async fn push(&self, job: RewardJob) -> Result<(), QueueError> {
        let work = async {
            let mut storage = self.storage().await?;
            let task = TaskBuilder::new(job).max_attempts(MAX_ATTEMPTS).build();
            storage
                .push_task(task)
                .await
                .map_err(|e| QueueError::Queue(e.to_string()))
        };
        tokio::time::timeout(RESPONSE_TIMEOUT, work)
            .await
            .map_err(|_| QueueError::Timeout)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reward_jobs_keep_their_queued_shape() {
        let job = RewardJob {
            sign_in_id: SignInId(42),
        };
        assert_eq!(serde_json::to_string(&job).unwrap(), r#"{"sign_in_id":42}"#);
        assert_eq!(
            serde_json::from_str::<RewardJob>(r#"{"sign_in_id":42}"#).unwrap(),
            job
        );
    }
}
