//! Upkeep of the partitioned history (`store::history`): the coming
//! months' partitions, and, with `SIGNIN_HISTORY_RETENTION_MONTHS` set, the
//! archiving of the months past it. Run by every worker on a timer
//! (`jobs::history`) and by `signin-rewards maintain-history`; concurrent
//! runs wait for each other in the database.
//!
//! Retention keeps `N` months of sign-ins (by business day) and one month
//! more of the ledger (by `created_at`): a sign-in's ledger rows are
//! written at or after its day (a zone ahead of UTC by up to 14 hours at
//! most moves them into the month before), so every kept sign-in keeps
//! its rows and the audit can check them (`store::audit`).

use diesel_async::AsyncConnection;

use super::error::ServiceError;
use crate::state::AppState;
use crate::store::history::{self, ArchiveError, ArchivedMonth, HistoryTable};

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Upkeep {
    /// The months archived, per table.
    pub archived: Vec<(HistoryTable, ArchivedMonth)>,
    /// Why nothing was archived, when a month was due but could not go
    /// (sign-ins still owed their rewards): tried again on the next pass.
    pub held_back: Option<String>,
    /// Rows in the default partitions (`store::history::default_rows`).
    pub default_rows: i64,
}

/// The ledger's retention in months for sign-ins kept `months` months
/// (see the module doc).
pub fn ledger_months(months: u32) -> u32 {
    months.saturating_add(1)
}

/// Runs one pass: partitions ahead first (its own transaction, so a
/// failing archive never stops them), then the archiving (one transaction
/// for both tables: all of it or none), then the count of default rows.
///
/// Errors: the database's.
pub async fn maintain(state: &AppState) -> Result<Upkeep, ServiceError> {
    let mut conn = state.db().await?;
    conn.transaction::<_, ServiceError, _>(async |conn| Ok(history::create_ahead(conn).await?))
        .await?;
    let mut upkeep = Upkeep::default();
    if let Some(months) = state.config.history_retention_months {
        let now = state.calendar.now();
        let retention = [
            (HistoryTable::SignIns, months),
            (HistoryTable::Ledger, ledger_months(months)),
        ];
        let archived = conn
            .transaction::<_, ArchiveError, _>(async |conn| {
                history::archive(conn, &retention, now).await
            })
            .await;
        match archived {
            Ok(archived) => upkeep.archived = archived,
            Err(held @ ArchiveError::Uncredited { .. }) => {
                upkeep.held_back = Some(held.to_string())
            }
            Err(ArchiveError::Store(error)) => return Err(error.into()),
            Err(error @ ArchiveError::Mismatch { .. }) => {
                return Err(ServiceError::internal(error))
            }
        }
    }
    upkeep.default_rows = history::default_rows(&mut conn).await?;
    Ok(upkeep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_is_kept_one_month_longer_than_the_sign_ins() {
        for (months, ledger) in [(1, 2), (12, 13), (u32::MAX, u32::MAX)] {
            assert_eq!(ledger_months(months), ledger, "{months}");
        }
    }
}
