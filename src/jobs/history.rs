//! The history upkeep's timer (`service::history`): once at start, then
//! every [`HISTORY_EVERY`], on every worker (pg_partman and the archive
//! each take a database lock, so workers never run it twice at once).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::service::history;
use crate::state::AppState;

/// How often the upkeep runs: partitions are made four months ahead, so
/// an hour is far more often than needed; it bounds how long a due month
/// waits to be archived.
pub const HISTORY_EVERY: Duration = Duration::from_secs(3600);

/// Runs the upkeep every [`HISTORY_EVERY`] until `shutdown`.
pub async fn run(state: Arc<AppState>, shutdown: CancellationToken) {
    loop {
        match history::maintain(&state).await {
            Ok(upkeep) => {
                for (table, month) in &upkeep.archived {
                    metrics::counter!("signin_history_archived_months_total", "table" => table.name())
                        .increment(1);
                    tracing::info!(table = table.name(), partition = %month.partition, rows = month.rows,
                        rows_below = %month.rows_below, "history month archived");
                }
                if let Some(reason) = &upkeep.held_back {
                    tracing::warn!(%reason, "history not archived yet");
                }
                metrics::gauge!("signin_history_default_rows").set(upkeep.default_rows as f64);
                if upkeep.default_rows > 0 {
                    tracing::warn!(rows = upkeep.default_rows,
                        "history rows in the default partitions: their months had no partition (docs/operations.md, \"Partitioned history\")");
                }
            }
            Err(error) => {
                metrics::counter!("signin_history_upkeep_failures_total").increment(1);
                tracing::warn!(%error, "history upkeep failed; tried again in an hour");
            }
        }
        if !super::next_round(&shutdown, tokio::time::Instant::now() + HISTORY_EVERY).await {
            return;
        }
    }
}
