//! DataLoaders: however many users a query touches, each kind of row is
//! read in one query per batch. They live in the schema (not per request)
//! and cache nothing, so concurrent requests batch together and no request
//! ever sees another's stale data.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::Context;
use chrono::NaiveDate;

use crate::domain::cycle::SignInStatus;
use crate::model::{User, UserId};
use crate::service::{sign_in, wallet, ServiceError};
use crate::state::AppState;
use crate::store::sign_ins::HistoryRow;
use crate::store::users;

pub struct Loaders {
    pub user: DataLoader<UserLoader>,
    pub status: DataLoader<StatusLoader>,
    pub balance: DataLoader<BalanceLoader>,
    pub history: DataLoader<HistoryLoader>,
}

impl Loaders {
    pub fn new(state: Arc<AppState>) -> Self {
        Loaders {
            user: DataLoader::new(UserLoader(state.clone()), tokio::spawn),
            status: DataLoader::new(StatusLoader(state.clone()), tokio::spawn),
            balance: DataLoader::new(BalanceLoader(state.clone()), tokio::spawn),
            history: DataLoader::new(HistoryLoader(state), tokio::spawn),
        }
    }

    pub fn of<'a>(ctx: &Context<'a>) -> Result<&'a Loaders, ServiceError> {
        ctx.data::<Loaders>()
            .map_err(|_| ServiceError::internal("loaders missing"))
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<ServiceError>>;

/// Live (not deleted) users by id.
pub struct UserLoader(Arc<AppState>);

impl Loader<UserId> for UserLoader {
    type Value = User;
    type Error = Arc<ServiceError>;

    async fn load(&self, ids: &[UserId]) -> LoadResult<UserId, User> {
        let mut conn = self.0.db().await.map_err(|e| Arc::new(e.into()))?;
        let rows = users::find_active(&mut conn, ids)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// Today's sign-in status by user id.
pub struct StatusLoader(Arc<AppState>);

impl Loader<UserId> for StatusLoader {
    type Value = SignInStatus;
    type Error = Arc<ServiceError>;

    async fn load(&self, ids: &[UserId]) -> LoadResult<UserId, SignInStatus> {
        sign_in::statuses(&self.0, ids).await.map_err(Arc::new)
    }
}

/// Wallet balances by user id.
pub struct BalanceLoader(Arc<AppState>);

impl Loader<UserId> for BalanceLoader {
    type Value = i64;
    type Error = Arc<ServiceError>;

    async fn load(&self, ids: &[UserId]) -> LoadResult<UserId, i64> {
        wallet::balances(&self.0, ids).await.map_err(Arc::new)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HistoryKey {
    pub user_id: UserId,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A user's sign-ins in a date range. Keys are grouped by range: one query
/// per distinct range in the batch (one, in practice).
pub struct HistoryLoader(Arc<AppState>);

impl Loader<HistoryKey> for HistoryLoader {
    type Value = Vec<HistoryRow>;
    type Error = Arc<ServiceError>;

    async fn load(&self, keys: &[HistoryKey]) -> LoadResult<HistoryKey, Vec<HistoryRow>> {
        let mut by_range: HashMap<(NaiveDate, NaiveDate), Vec<UserId>> = HashMap::new();
        for key in keys {
            by_range
                .entry((key.from, key.to))
                .or_default()
                .push(key.user_id);
        }
        let loads = by_range
            .into_iter()
            .map(|((from, to), user_ids)| async move {
                let rows = sign_in::history(&self.0, &user_ids, from, to).await?;
                Ok::<_, ServiceError>((from, to, user_ids, rows))
            });
        let mut result = HashMap::new();
        for loaded in futures::future::join_all(loads).await {
            let (from, to, user_ids, mut rows) = loaded.map_err(Arc::new)?;
            for user_id in user_ids {
                result.insert(
                    HistoryKey { user_id, from, to },
                    rows.remove(&user_id).unwrap_or_default(),
                );
            }
        }
        Ok(result)
    }
}
