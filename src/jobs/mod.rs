//! Background work on apalis + Redis, consumer side only: the reward job's
//! handler, the relay that re-enqueues obligations the queue lost (the
//! backstop of `after_commit`), the webhook messages' handler and sweep,
//! the history upkeep's timer, and the supervised workers that run them.
//! The job type and its producer live below the use cases, in
//! `after_commit::queue`.

pub mod history;
pub mod relay;
pub mod reward;
pub mod webhooks;
pub mod worker;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Waits until `at`, the next round of a timed task; false when `shutdown`
/// came first (the task then returns).
pub async fn next_round(shutdown: &CancellationToken, at: Instant) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = tokio::time::sleep_until(at) => true,
    }
}
