//! Batched loaders: however many users a query touches, each kind of row
//! is read in one query per batch. They live in the schema (not per
//! request) and cache nothing, so concurrent requests batch together and no
//! request ever sees another's stale data.
//!
//! Not async-graphql's `DataLoader`: it waits on a timer (1 ms by default,
//! and even a zero delay goes through `futures-timer`'s thread) before every
//! load, so a lone request at one connection paid about a millisecond doing
//! nothing. Here a batch starts as soon as the runtime gets to it: the keys
//! asked for meanwhile (by fields of the same request, or by other requests
//! on other threads) join it, and nothing sleeps.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use async_graphql::dataloader::Loader;
use async_graphql::Context;
use chrono::NaiveDate;
use tokio::sync::oneshot;

use crate::domain::cycle::SignInStatus;
use crate::model::{User, UserId};
use crate::service::{cached, sign_in, wallet, ServiceError};
use crate::state::AppState;
use crate::store::sign_ins::HistoryRow;
use crate::store::users;

pub struct Loaders {
    pub user: Batched<UserId, UserLoader>,
    /// The rows behind bearer tokens, through the cache.
    pub session_user: Batched<UserId, SessionUserLoader>,
    /// The same, reading the users' chains into this process's copies in
    /// the same batch (`service::cached::users_and_chains`).
    pub session_user_and_chain: Batched<UserId, SessionUserLoader>,
    pub status: Batched<UserId, StatusLoader>,
    pub balance: Batched<UserId, BalanceLoader>,
    pub history: Batched<HistoryKey, HistoryLoader>,
}

impl Loaders {
    pub fn new(state: Arc<AppState>) -> Self {
        Loaders {
            user: Batched::new(UserLoader(state.clone())),
            session_user: Batched::new(SessionUserLoader {
                state: state.clone(),
                with_chains: false,
            }),
            session_user_and_chain: Batched::new(SessionUserLoader {
                state: state.clone(),
                with_chains: true,
            }),
            status: Batched::new(StatusLoader(state.clone())),
            balance: Batched::new(BalanceLoader(state.clone())),
            history: Batched::new(HistoryLoader(state)),
        }
    }

    pub fn of<'a>(ctx: &Context<'a>) -> Result<&'a Loaders, ServiceError> {
        ctx.data::<Loaders>()
            .map_err(|_| ServiceError::internal("loaders missing"))
    }
}

/// Launches the batch if its first caller goes away before doing so.
struct Launch<'a, K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K, Error = Arc<ServiceError>>,
{
    batched: &'a Batched<K, L>,
    done: bool,
}

impl<K, L> Drop for Launch<'_, K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K, Error = Arc<ServiceError>>,
{
    fn drop(&mut self) {
        if !self.done {
            self.batched.launch();
        }
    }
}

/// What one batch loads and whom it answers.
type Answer<K, V> = Result<HashMap<K, V>, Arc<ServiceError>>;

struct Waiting<K, V> {
    keys: Vec<K>,
    answer: oneshot::Sender<Answer<K, V>>,
}

/// The batch being gathered, if any, shared with the task that loads it.
type Shared<K, V> = Arc<Mutex<Option<Pending<K, V>>>>;

struct Pending<K, V> {
    keys: HashSet<K>,
    waiting: Vec<Waiting<K, V>>,
}

/// Batches the loads of one [`Loader`]: the first caller's keys start a
/// batch, which the other fields of its request join (it yields once before
/// launching it), and so do callers from other requests until the load
/// begins; the load runs on a task of its own, and each caller gets the
/// values of its own keys (a key with no row is absent).
pub struct Batched<K, L: Loader<K>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    loader: Arc<L>,
    pending: Shared<K, L::Value>,
}

impl<K, L> Batched<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K, Error = Arc<ServiceError>>,
{
    pub fn new(loader: L) -> Self {
        Self {
            loader: Arc::new(loader),
            pending: Arc::new(Mutex::new(None)),
        }
    }

    /// Loads what is pending on a task of its own, which answers everyone
    /// waiting (a caller that goes away cannot strand the others).
    fn launch(&self) {
        let loader = self.loader.clone();
        let pending = self.pending.clone();
        let work = async move {
            let Some(batch) = pending.lock().unwrap_or_else(|p| p.into_inner()).take() else {
                return;
            };
            let keys: Vec<K> = batch.keys.into_iter().collect();
            let mut loaded = loader.load(&keys).await;
            // The last caller takes the values; those before it get copies
            // (a lone caller, the usual case, copies nothing: an admin's
            // history is thousands of rows).
            let last = batch.waiting.len().saturating_sub(1);
            for (i, waiting) in batch.waiting.into_iter().enumerate() {
                let keys = waiting.keys.into_iter();
                let answer = match &mut loaded {
                    Ok(values) if i == last => Ok(keys
                        .filter_map(|k| values.remove(&k).map(|v| (k, v)))
                        .collect()),
                    Ok(values) => Ok(keys
                        .filter_map(|k| values.get(&k).map(|v| (k, v.clone())))
                        .collect()),
                    Err(error) => Err(error.clone()),
                };
                let _ = waiting.answer.send(answer);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(work);
            }
            // No runtime (shutting down): the waiters are told it failed.
            Err(_) => {
                self.pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
            }
        }
    }

    /// The value of `key`, if it has one.
    pub async fn load_one(&self, key: K) -> Result<Option<L::Value>, Arc<ServiceError>> {
        let mut values = self.load_many([key.clone()]).await?;
        Ok(values.remove(&key))
    }

    /// The values of `keys` that have one.
    pub async fn load_many(&self, keys: impl IntoIterator<Item = K>) -> Answer<K, L::Value> {
        let keys: Vec<K> = keys.into_iter().collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let start = pending.is_none();
            let batch = pending.get_or_insert_with(|| Pending {
                keys: HashSet::new(),
                waiting: Vec::new(),
            });
            batch.keys.extend(keys.iter().cloned());
            batch.waiting.push(Waiting { keys, answer });
            start
        };
        if start {
            // Let the rest of this request's fields (polled in the same
            // sweep of its task) add their keys first; a yield, not a timer.
            let mut launch = Launch {
                batched: self,
                done: false,
            };
            tokio::task::yield_now().await;
            launch.done = true;
            self.launch();
        }
        answered
            .await
            .unwrap_or_else(|_| Err(Arc::new(ServiceError::internal("batch load abandoned"))))
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

/// Users by id as a token check needs them (deleted ones included), through
/// the cache: concurrent requests of users this process has not seen share
/// one Redis read and one statement. `with_chains` reads their chains in
/// the same round trips.
pub struct SessionUserLoader {
    state: Arc<AppState>,
    with_chains: bool,
}

impl Loader<UserId> for SessionUserLoader {
    type Value = User;
    type Error = Arc<ServiceError>;

    async fn load(&self, ids: &[UserId]) -> LoadResult<UserId, User> {
        let rows = if self.with_chains {
            cached::users_and_chains(&self.state, ids).await
        } else {
            cached::users(&self.state, ids).await
        };
        rows.map_err(Arc::new)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Squares its keys (0 has no value); counts its loads.
    #[derive(Default)]
    struct Squares {
        loads: AtomicUsize,
    }

    impl Loader<u32> for Squares {
        type Value = u64;
        type Error = Arc<ServiceError>;

        async fn load(&self, keys: &[u32]) -> LoadResult<u32, u64> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            Ok(keys
                .iter()
                .filter(|k| **k != 0)
                .map(|k| (*k, u64::from(*k) * u64::from(*k)))
                .collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_loads_of_one_request_make_one_batch_and_each_gets_its_own_keys() {
        let batched = Batched::new(Squares::default());
        let loads = (0..200u32).map(|k| batched.load_one(k));
        let values = futures::future::join_all(loads).await;
        assert_eq!(batched.loader.loads.load(Ordering::SeqCst), 1);
        assert_eq!(values[0].as_ref().unwrap(), &None);
        assert_eq!(values[7].as_ref().unwrap(), &Some(49));
        let many = batched.load_many([3, 4, 0]).await.unwrap();
        assert_eq!(many, HashMap::from([(3, 9), (4, 16)]));
    }

    /// async-graphql's DataLoader waited at least 1 ms before each load;
    /// 200 lone loads one after the other then took at least 200 ms.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_load_waits_on_no_timer() {
        let batched = Batched::new(Squares::default());
        let started = std::time::Instant::now();
        for k in 1..=200u32 {
            assert_eq!(batched.load_one(k).await.unwrap(), Some(u64::from(k * k)));
        }
        assert_eq!(batched.loader.loads.load(Ordering::SeqCst), 200);
        assert!(
            started.elapsed() < std::time::Duration::from_millis(150),
            "200 lone loads took {:?}",
            started.elapsed()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_goes_away_does_not_strand_the_others() {
        let batched = Arc::new(Batched::new(Squares::default()));
        // The first caller (who launches the batch) is dropped at once...
        let first = batched.load_one(2);
        let second = batched.load_one(3);
        let mut first = Box::pin(first);
        let mut second = Box::pin(second);
        // Poll both once: both keys are pending, the first caller yielded.
        futures::future::poll_fn(|cx| {
            let _ = first.as_mut().poll(cx);
            let _ = second.as_mut().poll(cx);
            std::task::Poll::Ready(())
        })
        .await;
        drop(first);
        // ...and the second still gets its answer.
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), second).await;
        assert_eq!(answer.unwrap().unwrap(), Some(9));
    }
}
