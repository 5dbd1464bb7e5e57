//! Reading ahead for lists of users: what a query asks of each user of a
//! list (`signInStatus`, `wallet { balance }`) is read for the whole list
//! at once, one query per kind. Loaders batch only what arrives within
//! their window, which resolving a long list can outlast; this does not
//! depend on timing.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Lookahead};

use crate::domain::streak::status;
use crate::model::UserId;
use crate::service::{sign_in, wallet, ServiceError};

/// Values read ahead for a whole list of users, one query per kind, so
/// that the list's items need no reads of their own (see [`prefetch`]).
#[derive(Debug, Default)]
pub struct Prefetched {
    pub statuses: HashMap<UserId, status::SignInStatus>,
    pub balances: HashMap<UserId, i64>,
}

/// Reads ahead what a query asks of each user of a list (`signInStatus`,
/// `wallet { balance }`): one query per kind for the whole list, run
/// concurrently. Loaders batch only what arrives within their window, which
/// resolving a long list can outlast; this does not depend on timing.
/// `selection` is where the users sit in the query.
pub async fn prefetch(
    ctx: &Context<'_>,
    selection: Lookahead<'_>,
    ids: &[UserId],
) -> Result<Arc<Prefetched>, ServiceError> {
    let state = crate::graphql::context::state(ctx)?;
    let want_status = selection.field("signInStatus").exists();
    let want_balance = selection.field("wallet").field("balance").exists();
    let (statuses, balances) = tokio::join!(
        async {
            match want_status {
                true => sign_in::statuses(state, ids).await,
                false => Ok(HashMap::new()),
            }
        },
        async {
            match want_balance {
                true => wallet::balances(state, ids).await,
                false => Ok(HashMap::new()),
            }
        }
    );
    Ok(Arc::new(Prefetched {
        statuses: statuses?,
        balances: balances?,
    }))
}
