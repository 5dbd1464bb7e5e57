//! The partitioned history's upkeep: `sign_ins` (by month of `day`) and
//! `wallet_transactions` (by UTC month of `created_at`), both kept by
//! pg_partman (migration `2026-12-11-000001_partitioned_history`).
//!
//! pg_partman makes the coming months' partitions (`run_maintenance`) and
//! detaches old ones (`drop_partition_time`). What it cannot do is keep
//! the books whole across a detach, so archiving runs here, in one
//! transaction with pg_partman's detach: before a ledger month leaves, its
//! sums per user go to `archived_ledger_totals` (a wallet's balance is that
//! total plus its kept rows) and its idempotency and credit keys are
//! dropped; a month of sign-ins with any still uncredited is not archived
//! at all. Every archived month is written to `archived_history`, which
//! `history_kept_from` (and the audit) reads.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use super::audit::Count;
use super::StoreError;

/// The schema archived months are moved to (detached, kept until an
/// operator drops them).
pub const ARCHIVE_SCHEMA: &str = "history_archive";

/// A partitioned history table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryTable {
    /// `sign_ins`, by month of the business day.
    SignIns,
    /// `wallet_transactions`, by UTC month of `created_at`.
    Ledger,
}

impl HistoryTable {
    pub const ALL: [HistoryTable; 2] = [HistoryTable::SignIns, HistoryTable::Ledger];

    /// The table's name (in `public`).
    pub fn name(self) -> &'static str {
        match self {
            HistoryTable::SignIns => "sign_ins",
            HistoryTable::Ledger => "wallet_transactions",
        }
    }

    /// The name pg_partman knows the table by.
    fn parent(self) -> String {
        format!("public.{}", self.name())
    }
}

/// One month moved out of a history table.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ArchivedMonth {
    /// The partition's table name (now in [`ARCHIVE_SCHEMA`]).
    #[diesel(sql_type = Text)]
    pub partition: String,
    /// Every row of the month is below this instant (its month's end).
    #[diesel(sql_type = Timestamptz)]
    pub rows_below: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub rows: i64,
}

/// Why a month was not archived.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A month of sign-ins still owes rewards: archiving it would lose them.
    #[error("{partition} holds {uncredited} sign-ins not credited yet; not archived")]
    Uncredited { partition: String, uncredited: i64 },
    /// pg_partman detached another number of months than were archived
    /// here (the transaction is rolled back).
    #[error("pg_partman detached {detached} partitions of {table}, {archived} were archived")]
    Mismatch {
        table: &'static str,
        detached: i32,
        archived: usize,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ArchiveError {
    fn from(error: diesel::result::Error) -> Self {
        ArchiveError::Store(error.into())
    }
}

/// Session settings for pg_partman's time arithmetic: month boundaries of
/// `created_at` are UTC months (as the migration made them). Run first in
/// the transaction.
async fn in_utc(conn: &mut AsyncPgConnection) -> Result<(), StoreError> {
    conn.batch_execute("SET LOCAL TIME ZONE 'UTC'").await?;
    Ok(())
}

/// Makes the coming months' partitions of both tables (pg_partman's
/// `run_maintenance`, four months ahead of the database's clock) and gives
/// new ledger partitions their TRUNCATE guard. Call inside a transaction.
pub async fn create_ahead(conn: &mut AsyncPgConnection) -> Result<(), StoreError> {
    in_utc(conn).await?;
    for table in HistoryTable::ALL {
        diesel::sql_query(
            "SELECT partman.run_maintenance($1, p_analyze := false, p_jobmon := false)",
        )
        .bind::<Text, _>(table.parent())
        .execute(conn)
        .await?;
    }
    conn.batch_execute("SELECT guard_history_partitions()")
        .await?;
    Ok(())
}

/// Rows of both default partitions: rows whose month had no partition
/// when they were written (maintenance not run for months, or a clock far
/// off). Nothing is lost there, but pg_partman cannot make their month's
/// partition until they are moved (docs/operations.md).
pub async fn default_rows(conn: &mut AsyncPgConnection) -> Result<i64, StoreError> {
    Ok(diesel::sql_query(
        "SELECT (SELECT count(*) FROM sign_ins_default) \
              + (SELECT count(*) FROM wallet_transactions_default) AS n",
    )
    .get_result::<Count>(conn)
    .await?
    .n)
}

/// `name` as an SQL identifier (double quotes, inner quotes doubled).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Archives, for each `(table, months)` of `retention`, the months that
/// ended more than `months` months before `reference` (pg_partman's
/// retention rule): each is detached into [`ARCHIVE_SCHEMA`] by pg_partman's
/// `drop_partition_time`, after its books are kept here (see the module
/// doc). Call inside a transaction: on any error the caller rolls back and
/// nothing is archived. Concurrent callers wait for each other (a
/// transaction-scoped advisory lock).
pub async fn archive(
    conn: &mut AsyncPgConnection,
    retention: &[(HistoryTable, u32)],
    reference: DateTime<Utc>,
) -> Result<Vec<(HistoryTable, ArchivedMonth)>, ArchiveError> {
    in_utc(conn).await?;
    conn.batch_execute("SELECT pg_advisory_xact_lock(hashtext('signin-rewards history archive'))")
        .await?;
    let mut archived = Vec::new();
    for &(table, months) in retention {
        for month in archive_table(conn, table, months, reference).await? {
            archived.push((table, month));
        }
    }
    Ok(archived)
}

/// [`archive`] of one table; the session set up and the lock held.
async fn archive_table(
    conn: &mut AsyncPgConnection,
    table: HistoryTable,
    months: u32,
    reference: DateTime<Utc>,
) -> Result<Vec<ArchivedMonth>, ArchiveError> {
    let months = i32::try_from(months).unwrap_or(i32::MAX);
    let mut due: Vec<ArchivedMonth> = diesel::sql_query(
        "SELECT p.partition_tablename AS partition, i.child_end_time AS rows_below, 0::BIGINT AS rows \
           FROM partman.show_partitions($1) p \
          CROSS JOIN LATERAL partman.show_partition_info( \
                p.partition_schemaname || '.' || p.partition_tablename, NULL, $1) i \
          WHERE i.child_end_time < $2 - make_interval(months => $3) \
          ORDER BY i.child_end_time",
    )
    .bind::<Text, _>(table.parent())
    .bind::<Timestamptz, _>(reference)
    .bind::<Integer, _>(months)
    .load(conn)
    .await?;
    for month in &mut due {
        let partition = quoted(&month.partition);
        // One read of the month each: its rows counted as it is checked
        // (sign-ins) or summed (ledger).
        month.rows = match table {
            HistoryTable::SignIns => {
                #[derive(QueryableByName)]
                struct Rows {
                    #[diesel(sql_type = BigInt)]
                    rows: i64,
                    #[diesel(sql_type = BigInt)]
                    uncredited: i64,
                }
                let read = diesel::sql_query(format!(
                    "SELECT count(*) AS rows, count(*) FILTER (WHERE credited_at IS NULL) AS uncredited \
                       FROM public.{partition}"
                ))
                .get_result::<Rows>(conn)
                .await?;
                if read.uncredited > 0 {
                    return Err(ArchiveError::Uncredited {
                        partition: month.partition.clone(),
                        uncredited: read.uncredited,
                    });
                }
                read.rows
            }
            HistoryTable::Ledger => {
                let rows = diesel::sql_query(format!(
                    "WITH sums AS ( \
                       SELECT user_id, sum(amount) AS amount, count(*) AS entries, \
                              count(*) FILTER (WHERE kind = 'STREAK_FREEZE') AS freezes_bought \
                         FROM public.{partition} GROUP BY user_id), \
                     kept AS ( \
                       INSERT INTO archived_ledger_totals (user_id, amount, entries, freezes_bought) \
                       SELECT user_id, amount, entries, freezes_bought FROM sums \
                       ON CONFLICT (user_id) DO UPDATE SET \
                          amount = archived_ledger_totals.amount + excluded.amount, \
                          entries = archived_ledger_totals.entries + excluded.entries, \
                          freezes_bought = archived_ledger_totals.freezes_bought + excluded.freezes_bought) \
                     SELECT coalesce(sum(entries), 0)::BIGINT AS n FROM sums"
                ))
                .get_result::<Count>(conn)
                .await?
                .n;
                conn.batch_execute(&format!(
                    "DELETE FROM wallet_transaction_idempotency_keys k USING public.{partition} t \
                      WHERE t.idempotency_key IS NOT NULL \
                        AND k.user_id = t.user_id AND k.idempotency_key = t.idempotency_key; \
                     DELETE FROM wallet_transaction_sign_in_keys k USING public.{partition} t \
                      WHERE t.sign_in_id IS NOT NULL AND k.sign_in_id = t.sign_in_id AND k.kind = t.kind"
                ))
                .await?;
                rows
            }
        };
        diesel::sql_query(
            "INSERT INTO archived_history (partition_name, parent, rows_below, row_count, archived_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind::<Text, _>(format!("{ARCHIVE_SCHEMA}.{}", month.partition))
        .bind::<Text, _>(table.name())
        .bind::<Timestamptz, _>(month.rows_below)
        .bind::<BigInt, _>(month.rows)
        .bind::<Timestamptz, _>(reference)
        .execute(conn)
        .await?;
    }
    if due.is_empty() {
        return Ok(due);
    }

    #[derive(QueryableByName)]
    struct Detached {
        #[diesel(sql_type = Integer)]
        detached: i32,
    }
    let detached = diesel::sql_query(
        "SELECT partman.drop_partition_time($1, make_interval(months => $2), \
                p_keep_table := true, p_retention_schema := $3, \
                p_reference_timestamp := $4) AS detached",
    )
    .bind::<Text, _>(table.parent())
    .bind::<Integer, _>(months)
    .bind::<Text, _>(ARCHIVE_SCHEMA)
    .bind::<Timestamptz, _>(reference)
    .get_result::<Detached>(conn)
    .await?
    .detached;
    if usize::try_from(detached).ok() != Some(due.len()) {
        return Err(ArchiveError::Mismatch {
            table: table.name(),
            detached,
            archived: due.len(),
        });
    }
    Ok(due)
}
