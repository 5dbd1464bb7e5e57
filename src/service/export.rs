//! Exports for spreadsheets and data pipelines: the rows, read from
//! PostgreSQL a chunk at a time, handed to the caller (the HTTP layer
//! encodes them) through a bounded channel.
//!
//! Memory stays flat whatever the range: at most [`CHUNKS_AHEAD`] chunks
//! of [`CHUNK_ROWS`] rows wait in the channel, and the reader fetches the
//! next chunk only when there is room (back-pressure from the client's
//! socket all the way to the cursor). When the receiver is dropped (the
//! client hung up), the next send fails, the transaction rolls back and
//! the query ends with it.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use tokio::sync::mpsc;

use super::sign_in::validate_range;
use super::ServiceError;
use crate::model::SignInExportRow;
use crate::state::{AppState, ReadSource};
use crate::store::export;

/// One row of the sign-ins export.
use crate::store::StoreError;

/// Rows per fetch from the cursor (and per chunk handed over).
pub const CHUNK_ROWS: u32 = 5_000;
/// Chunks read ahead of the client.
pub const CHUNKS_AHEAD: usize = 2;
/// How long a chunk may wait for a client that neither reads nor hangs up
/// before the export gives up (and frees its connection and snapshot).
pub const STALLED_CLIENT: Duration = Duration::from_secs(60);

/// The chunks of one export, in order; an `Err` is the last item.
pub type Chunks = mpsc::Receiver<Result<Vec<SignInExportRow>, ServiceError>>;

/// Every signed date in `from..=to` (the range rules of `signInStats`),
/// ordered by date then user id, in chunks. The range is checked and a
/// connection taken before this returns, so a bad range or a database
/// outage is an error here, before any byte is sent.
pub async fn sign_ins(
    state: &Arc<AppState>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Chunks, ServiceError> {
    validate_range(from, to)?;
    // A long read on a hot standby needs the standby settings of
    // docs/operations.md ("A read replica"), or replay may cancel it.
    let conn = state.read_conn(ReadSource::Replica).await?;
    let (sender, receiver) = mpsc::channel(CHUNKS_AHEAD);
    tokio::spawn(async move {
        let mut conn = conn;
        let read = conn
            .transaction::<_, Stop, _>(async |conn| {
                export::open_sign_ins(conn, from, to).await?;
                loop {
                    let rows = export::fetch_sign_ins(conn, CHUNK_ROWS).await?;
                    let last = rows.len() < CHUNK_ROWS as usize;
                    if !rows.is_empty() {
                        metrics::counter!("signin_export_rows_total").increment(rows.len() as u64);
                        hand_over(&sender, Ok(rows)).await?;
                    }
                    if last {
                        return Ok(());
                    }
                }
            })
            .await;
        match read {
            Ok(()) => {}
            Err(Stop::ClientGone) => tracing::info!("export stopped: the client went away"),
            Err(Stop::Failed(error)) => {
                tracing::warn!(%error, "export failed");
                let _ = sender.send(Err(error.into())).await;
            }
        }
    });
    Ok(receiver)
}

async fn hand_over(
    sender: &mpsc::Sender<Result<Vec<SignInExportRow>, ServiceError>>,
    chunk: Result<Vec<SignInExportRow>, ServiceError>,
) -> Result<(), Stop> {
    match tokio::time::timeout(STALLED_CLIENT, sender.send(chunk)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) | Err(_) => Err(Stop::ClientGone),
    }
}

/// Why an export's read stopped early.
enum Stop {
    /// The receiver was dropped, or did not take a chunk in time.
    ClientGone,
    Failed(StoreError),
}

impl From<StoreError> for Stop {
    fn from(error: StoreError) -> Self {
        Stop::Failed(error)
    }
}

impl From<diesel::result::Error> for Stop {
    fn from(error: diesel::result::Error) -> Self {
        Stop::Failed(error.into())
    }
}
