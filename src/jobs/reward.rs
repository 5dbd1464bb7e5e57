//! The reward job's handler.

use std::sync::Arc;

use apalis::prelude::{AbortError, BoxDynError, Data as JobData};

use crate::after_commit::RewardJob;
use crate::service::{wallet, ServiceError};
use crate::state::AppState;

/// Credits the sign-in. Idempotent: a job delivered twice credits once.
/// Transient failures are returned for apalis to retry; anything else is
/// aborted (kept in the dead set, counted, and retried by the relay once
/// the cause is fixed).
#[tracing::instrument(name = "reward_job", skip(state), fields(sign_in_id = job.sign_in_id.0))]
pub async fn handle(job: RewardJob, state: JobData<Arc<AppState>>) -> Result<(), BoxDynError> {
    match wallet::credit_sign_in(&state, job.sign_in_id).await {
        Ok(Some(_)) => {
            metrics::counter!("signin_jobs_total", "outcome" => "credited").increment(1);
            Ok(())
        }
        Ok(None) => {
            metrics::counter!("signin_jobs_total", "outcome" => "already_credited").increment(1);
            Ok(())
        }
        Err(ServiceError::Unavailable(error)) => {
            metrics::counter!("signin_jobs_total", "outcome" => "retried").increment(1);
            tracing::warn!(sign_in_id = job.sign_in_id.0, %error, "reward job failed; will retry");
            Err(Box::new(error))
        }
        Err(error) => {
            metrics::counter!("signin_jobs_total", "outcome" => "failed").increment(1);
            tracing::error!(sign_in_id = job.sign_in_id.0, %error, "reward job failed permanently");
            Err(Box::new(AbortError::new(error)))
        }
    }
}
