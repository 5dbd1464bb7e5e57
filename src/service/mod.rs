//! Application services: each public function is one use case. They apply
//! the domain's rules to data from the store, commit, then hand what they
//! changed to `after_commit` in one call (caches, events, jobs). The GraphQL
//! layer, the command line and the jobs call these.

pub mod accounts;
pub mod admin;
pub mod admin_audit;
pub mod cached;
pub mod chain;
pub mod error;
pub mod export;
pub mod page;
pub mod protection;
pub mod schedules;
pub mod sign_in;
pub mod unit_of_work;
pub mod wallet;

pub use error::{Input, ServiceError, Unavailable};
pub use page::Page;

use std::future::Future;
use std::sync::Arc;

use tracing::Instrument;

use crate::state::AppState;

/// Runs the use case `change` on a task of its own and waits for its
/// result. A caller that goes away (a client hanging up, a request
/// timeout) drops only its wait: the change runs on to its commit and
/// hands over its after-commit work (cache drops, announcements, jobs), so
/// nothing committed is left unannounced.
///
/// Errors: the use case's own, or `Internal` if its task panicked.
pub async fn to_completion<T, F, Fut>(state: &Arc<AppState>, change: F) -> Result<T, ServiceError>
where
    F: FnOnce(Arc<AppState>) -> Fut,
    Fut: Future<Output = Result<T, ServiceError>> + Send + 'static,
    T: Send + 'static,
{
    tokio::spawn(change(state.clone()).instrument(tracing::Span::current()))
        .await
        .map_err(ServiceError::internal)?
}
