//! The reward job's handler.

use std::sync::Arc;

use apalis::prelude::{AbortError, BoxDynError, Data as JobData};

use crate::after_commit::RewardBatch;
use crate::service::{wallet, ServiceError};
use crate::state::AppState;

/// Credits the batch's sign-ins in one transaction. Idempotent: a batch
/// delivered twice credits once. A transient failure (PostgreSQL away) is
/// returned for apalis to retry the whole batch. A sign-in the rules refuse
/// is left uncredited while the others are credited, and the batch is then
/// aborted: kept in apalis's dead set where an operator sees it, counted,
/// logged, and offered again by the relay (its credited sign-ins are
/// skipped then). Anything else aborts the batch the same way.
#[tracing::instrument(name = "reward_job", skip_all, fields(sign_ins = batch.sign_in_ids.len()))]
pub async fn handle(batch: RewardBatch, state: JobData<Arc<AppState>>) -> Result<(), BoxDynError> {
    match wallet::credit_sign_ins_within(&state, &batch.sign_in_ids, batch.dates).await {
        Ok(credits) => {
            let count = |outcome: &'static str, n: usize| {
                metrics::counter!("signin_jobs_total", "outcome" => outcome).increment(n as u64);
            };
            count("credited", credits.credited.len());
            count("already_credited", credits.already_credited.len());
            count("failed", credits.refused.len());
            let Some((_, first)) = credits.refused.first() else {
                return Ok(());
            };
            for (sign_in_id, error) in &credits.refused {
                tracing::error!(sign_in_id = sign_in_id.0, %error, "sign-in not credited; parked for the relay");
            }
            Err(Box::new(AbortError::new(first.to_string())))
        }
        Err(ServiceError::Unavailable(error)) => {
            metrics::counter!("signin_jobs_total", "outcome" => "retried")
                .increment(batch.sign_in_ids.len() as u64);
            tracing::warn!(sign_in_ids = ?batch.sign_in_ids, %error, "reward job failed; will retry");
            Err(Box::new(error))
        }
        Err(error) => {
            metrics::counter!("signin_jobs_total", "outcome" => "failed")
                .increment(batch.sign_in_ids.len() as u64);
            tracing::error!(sign_in_ids = ?batch.sign_in_ids, %error, "reward job failed permanently");
            Err(Box::new(AbortError::new(error)))
        }
    }
}
