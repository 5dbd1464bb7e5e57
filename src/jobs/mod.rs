//! Background work on apalis + Redis: the reward job that credits a
//! sign-in, the relay that re-enqueues obligations the queue lost, and the
//! supervised worker that runs both.

pub mod queue;
pub mod relay;
pub mod reward;
pub mod worker;

pub use queue::RewardQueue;

use serde::{Deserialize, Serialize};

use crate::model::SignInId;

/// Credit the reward of one committed sign-in. The job carries only the id:
/// the amount is read from the sign-in row, so a stale job cannot pay the
/// wrong amount. Serialized as `{"sign_in_id": 42}`: jobs already queued
/// stay readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardJob {
    pub sign_in_id: SignInId,
}

/// A queue that cannot be reached is a dependency being unavailable.
impl From<JobError> for crate::service::ServiceError {
    fn from(error: JobError) -> Self {
        crate::service::ServiceError::Unavailable(crate::store::StoreError::RedisUnavailable(
            error.to_string(),
        ))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("queue: {0}")]
    Queue(String),
    #[error("timed out talking to the queue")]
    Timeout,
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
