//! Data access: PostgreSQL through diesel-async (Redis is `cache`'s). One module per table family;
//! functions take a connection so callers choose the transaction.

pub mod admin_audit;
pub mod audit;
pub mod export;
pub mod history;
pub mod instrument;
pub mod ledger;
pub mod migrate;
pub mod prepared;
pub mod replica;
pub mod schedules;
pub mod sessions;
pub mod sign_ins;
pub mod streak;
pub mod users;
pub mod webhooks;

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, PoolError};
use diesel_async::{AsyncConnection, AsyncPgConnection};

pub type PgPool = diesel_async::pooled_connection::bb8::Pool<AsyncPgConnection>;
pub type PgConn<'a> = diesel_async::pooled_connection::bb8::PooledConnection<'a, AsyncPgConnection>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection could be had in time: the database is down or saturated.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("unique constraint {constraint} violated")]
    UniqueViolation { constraint: String },
    #[error("database error: {0}")]
    Query(DieselError),
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::UniqueViolation {
                    constraint: info.constraint_name().unwrap_or_default().to_owned(),
                }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                StoreError::Unavailable("connection closed".into())
            }
            _ => StoreError::Query(error),
        }
    }
}

impl From<bb8::RunError<PoolError>> for StoreError {
    fn from(error: bb8::RunError<PoolError>) -> Self {
        match error {
            bb8::RunError::TimedOut => {
                StoreError::Unavailable("timed out waiting for a connection".into())
            }
            bb8::RunError::User(e) => StoreError::Unavailable(e.to_string()),
        }
    }
}

impl StoreError {
    /// Whether retrying later may succeed (a dependency is down), as opposed
    /// to a bug or a broken invariant.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Query(DieselError::DatabaseError(kind, info)) => match kind {
                DatabaseErrorKind::SerializationFailure
                | DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand => true,
                // The server ended the session (SQLSTATE 57P01..57P03:
                // terminated by an admin, crash recovery, shutting down), or
                // chose this transaction to break a deadlock (40P01: every
                // path locks a wallet before its user's sign-ins, so this
                // should not happen; if it does, a retry succeeds). diesel
                // does not expose the SQLSTATE, so the (stable, English)
                // message is the signal.
                DatabaseErrorKind::Unknown => {
                    let message = info.message();
                    message.starts_with("terminating connection")
                        || message.starts_with("the database system is")
                        || message == "deadlock detected"
                }
                _ => false,
            },
            StoreError::Query(DieselError::BrokenTransactionManager) => true,
            _ => false,
        }
    }
}

/// A pool whose connections are checked out for at most `timeout`, so a
/// database outage turns into a quick `SERVICE_UNAVAILABLE`, not a hang.
/// Every connection reports its statements to `log`. `test_on_check_out`:
/// each check-out first runs a statement on the connection, so a server
/// that went away is noticed there (a round trip per check-out; worth it
/// where the caller can go elsewhere, as reads from a replica can).
pub async fn connect(
    database_url: &str,
    max_size: u32,
    timeout: Duration,
    test_on_check_out: bool,
    log: &instrument::StatementLog,
) -> Result<PgPool, StoreError> {
    let mut config = ManagerConfig::default();
    let log = log.clone();
    config.custom_setup = Box::new(move |url| {
        let (url, log) = (url.to_owned(), log.clone());
        Box::pin(async move {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            conn.set_instrumentation(log.for_connection());
            Ok(conn)
        })
    });
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    bb8::Pool::builder()
        .max_size(max_size)
        .connection_timeout(timeout)
        .test_on_check_out(test_on_check_out)
        .build(manager)
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}
