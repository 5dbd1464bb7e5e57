//! Batched loaders: however many users a query touches, each kind of row
//! is read in one query per batch. They live in the schema (not per
//! request) and cache nothing, so concurrent requests batch together and no
//! request ever sees another's stale data.
//!
//! Batching is the `dataloader` crate's non-cached [`Batcher`] (0.18,
//! feature `runtime-tokio`): a load yields to the runtime [`YIELDS`] times
//! (no timer) while other fields and other requests add their keys, then
//! reads the batch. async-graphql's `DataLoader` was tried and not kept:
//! it sleeps 1 ms by default, and with no delay it gathered no concurrent
//! requests (20 token checks: 3 statements instead of 1,
//! `cache::concurrent_token_checks_read_their_users_in_one_batch`).
//!
//! The crate resumes a batch's callers one per poll of their task (its
//! `tokio::sync::Mutex` hands over one at a time) and reads one batch of a
//! loader at a time, holding that mutex. It reads a batch inside the future
//! of whichever caller gets there first: were that future dropped mid-load,
//! the batch's other callers would panic (`expect("failed")` in its
//! `non_cached.rs`), hence [`Finished`].
//!
//! Holding that mutex while it reads (`try_load` in the crate's
//! `non_cached.rs`, 0.18; no upstream issue filed) also keeps keys asked for
//! meanwhile out of any batch until the read ends: one loader is one batch
//! at a time, and its callers wait out the read in front of theirs
//! whatever the cores have to spare. So the loader of cold status reads
//! (`session_user_and_chain`) is [`COLD_READ_LANES`] of the crate's
//! loaders, and a load joins the first that is not reading: while one
//! reads, the next batch gathers in the other (cold status reads at 32
//! connections: about 10 % more a second, `docs/performance.md`). Keys
//! asked for together still make one batch: they join the lane that was
//! gathering when they came. The other loaders keep one lane: two lanes
//! were measured on the cold status read only (signIn's figures swung too
//! widely on the machine of that evening to tell either way).

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;

use async_graphql::dataloader::Loader;
use async_graphql::Context;
use chrono::NaiveDate;
use dataloader::non_cached::Loader as Batcher;
use dataloader::BatchFn;

use crate::domain::streak::status::SignInStatus;
use crate::model::HistoryRow;
use crate::model::{User, UserId};
use crate::service::{admin, cached, sign_in, wallet, ServiceError};
use crate::state::{AppState, ReadSource};

/// How many times a load yields to the runtime before it reads its batch
/// (the crate's default, kept on purpose). A yield is no timer, but on a
/// worker thread each one goes through the runtime's driver: 2000 lone loads
/// one after the other took about 25 us each with 10 yields, 10 with 3, 7
/// with none (debug build, this 2-core machine under other builds); at the
/// service, cold token checks at one connection ran as fast with 10 as with
/// 3 (`bench/results/issue23-loader.md`). Fewer is not enough: the users one
/// request has just read resume one per poll of its task (see the module
/// doc), so their statuses join one batch only if it waits about that many
/// polls: with 3, twelve users' statuses took 2 statements, with 10 one
/// (`loaders::one_request_of_many_users_...` tests 10 users). Warm status
/// reads ask no loader.
pub const YIELDS: usize = 10;

/// The most keys one batch reads: a burst of concurrent requests builds no
/// unbounded `= ANY` array (PostgreSQL 15 descends the index once per
/// element). A load that fills the batch reads it at once; keys asked for
/// later start the next. Well above what one request asks for (at most 1000
/// keys of a kind: the `users` and `signInHistory` limits), so a request's
/// own keys never fill a batch, and the crate's default (200) would have
/// read a 1000-user history in 5 statements.
pub const MAX_BATCH: usize = 4096;

/// The crate's loaders behind the loader of cold status reads (see the
/// module doc): two, so one batch gathers while one is read. More split
/// the same requests into smaller batches, each a statement more (four
/// lanes: no faster than one, cold status reads at 32 connections,
/// 2026-12-07).
pub const COLD_READ_LANES: usize = 2;

pub struct Loaders {
    pub user: BatchLoader<UserId, UserLoader>,
    /// The rows behind bearer tokens, through the cache.
    pub session_user: BatchLoader<UserId, SessionUserLoader>,
    /// The same, reading the users' chains into this process's copies in
    /// the same batch (`service::cached::users_and_chains`).
    pub session_user_and_chain: BatchLoader<UserId, SessionUserLoader>,
    pub status: BatchLoader<UserId, StatusLoader>,
    pub balance: BatchLoader<UserId, BalanceLoader>,
    pub history: BatchLoader<HistoryKey, HistoryLoader>,
}

impl Loaders {
    pub fn new(state: Arc<AppState>) -> Self {
        Loaders {
            user: BatchLoader::new(UserLoader(state.clone())),
            session_user: BatchLoader::new(SessionUserLoader {
                state: state.clone(),
                with_chains: false,
            }),
            session_user_and_chain: BatchLoader::with_lanes(
                SessionUserLoader {
                    state: state.clone(),
                    with_chains: true,
                },
                COLD_READ_LANES,
            ),
            status: BatchLoader::new(StatusLoader(state.clone())),
            balance: BatchLoader::new(BalanceLoader(state.clone())),
            history: BatchLoader::new(HistoryLoader(state)),
        }
    }

    /// The schema's loaders (one set, shared by the strict and the fast
    /// schema, so their requests batch together).
    pub fn of<'a>(ctx: &Context<'a>) -> Result<&'a Loaders, ServiceError> {
        ctx.data::<Arc<Loaders>>()
            .map(|loaders| loaders.as_ref())
            .map_err(|_| ServiceError::internal("loaders missing"))
    }
}

/// What a caller gets for one key: its value, `None` when it has no row, or
/// the error that failed its batch.
type Loaded<V> = Result<Option<V>, Arc<ServiceError>>;

/// A [`Loader`] as the crate's [`BatchFn`], which has no error type and
/// wants an entry for every key (it refuses a key without one): each key
/// gets its value, `None`, or the batch's error. `reading` is true while a
/// batch is being read (what [`BatchLoader`] routes loads by).
struct PerKey<L> {
    loader: Arc<L>,
    reading: Arc<AtomicBool>,
}

/// Clears a lane's `reading` when its read ends, however it ends.
struct Reading<'a>(&'a AtomicBool);

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl<K, L> BatchFn<K, Loaded<L::Value>> for PerKey<L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K, Error = Arc<ServiceError>>,
{
    async fn load(&mut self, keys: &[K]) -> HashMap<K, Loaded<L::Value>> {
        self.reading.store(true, Ordering::Release);
        let _reading = Reading(&self.reading);
        match self.loader.load(keys).await {
            Ok(mut values) => keys
                .iter()
                .map(|k| (k.clone(), Ok(values.remove(k))))
                .collect(),
            Err(error) => keys
                .iter()
                .map(|k| (k.clone(), Err(error.clone())))
                .collect(),
        }
    }
}

/// One [`Loader`] batched by the `dataloader` crate, in one lane or more
/// (see the module doc).
pub struct BatchLoader<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + Debug + 'static,
    L: Loader<K, Error = Arc<ServiceError>>,
{
    first: Lane<K, L>,
    others: Vec<Lane<K, L>>,
}

/// One of the crate's loaders, and whether it is reading a batch.
struct Lane<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + Debug + 'static,
    L: Loader<K, Error = Arc<ServiceError>>,
{
    batcher: Batcher<K, Loaded<L::Value>, PerKey<L>>,
    reading: Arc<AtomicBool>,
}

impl<K, L> BatchLoader<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + Debug + 'static,
    L: Loader<K, Error = Arc<ServiceError>>,
{
    /// One lane: one batch read at a time.
    pub fn new(loader: L) -> Self {
        Self::with_lanes(loader, 1)
    }

    /// `lanes` of the crate's loaders (at least one), one batch gathering
    /// while others are read.
    pub fn with_lanes(loader: L, lanes: usize) -> Self {
        let loader = Arc::new(loader);
        let lane = || {
            let reading = Arc::new(AtomicBool::new(false));
            let per_key = PerKey {
                loader: loader.clone(),
                reading: reading.clone(),
            };
            Lane {
                batcher: Batcher::new(per_key)
                    .with_yield_count(YIELDS)
                    .with_max_batch_size(MAX_BATCH),
                reading,
            }
        };
        Self {
            first: lane(),
            others: (1..lanes).map(|_| lane()).collect(),
        }
    }

    /// The lane a load joins now: the first not reading a batch (the one
    /// gathering, or an idle one); when all are reading, the first, whose
    /// next batch it then waits for.
    fn lane(&self) -> &Batcher<K, Loaded<L::Value>, PerKey<L>> {
        let lane = std::iter::once(&self.first)
            .chain(&self.others)
            .find(|lane| !lane.reading.load(Ordering::Acquire))
            .unwrap_or(&self.first);
        &lane.batcher
    }

    /// The value of `key`, if it has one. Errors as [`Self::load_many`].
    pub async fn load_one(&self, key: K) -> Loaded<L::Value> {
        Ok(self.load_many([key.clone()]).await?.remove(&key))
    }

    /// The values of `keys` that have one, in one batch (with whatever
    /// else is being asked for meanwhile). Errors: the batch's, shared with
    /// its other callers.
    pub async fn load_many(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<HashMap<K, L::Value>, Arc<ServiceError>> {
        let keys: Vec<K> = keys.into_iter().collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let batcher = self.lane().clone();
        let load = async move { batcher.try_load_many(keys).await };
        let finished = Finished {
            load: Some(Box::pin(load)),
            started: false,
        };
        // PerKey answers every key: not reached.
        let loaded = finished.await.map_err(|missing| {
            Arc::new(ServiceError::internal(format!("batch load: {missing}")))
        })?;
        let mut values = HashMap::with_capacity(loaded.len());
        for (key, value) in loaded {
            if let Some(value) = value? {
                values.insert(key, value);
            }
        }
        Ok(values)
    }
}

/// A load that runs to its end even if its caller goes away: dropped once
/// started and before it has finished, it is handed to a task of its own
/// (the batch it may be reading answers other callers too; see the module
/// doc), and takes its own answer out of the crate's table (dropped, it
/// would stay there for good). A load never polled is just dropped (it has
/// joined no batch).
struct Finished<F: Future<Output: Send> + Send + 'static> {
    load: Option<Pin<Box<F>>>,
    started: bool,
}

impl<F: Future<Output: Send> + Send + 'static> Future for Finished<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        // Polled again after it finished: a caller's mistake; stay pending.
        let Some(load) = self.load.as_mut() else {
            return Poll::Pending;
        };
        let answer = load.as_mut().poll(cx);
        self.started = true;
        if answer.is_ready() {
            self.load = None;
        }
        answer
    }
}

impl<F: Future<Output: Send> + Send + 'static> Drop for Finished<F> {
    fn drop(&mut self) {
        if let (true, Some(load)) = (self.started, self.load.take()) {
            // No runtime: it is shutting down, and the batch's callers with it.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(load);
            }
        }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<ServiceError>>;

/// Live (not deleted) users by id.
pub struct UserLoader(Arc<AppState>);

impl Loader<UserId> for UserLoader {
    type Value = User;
    type Error = Arc<ServiceError>;

    async fn load(&self, ids: &[UserId]) -> LoadResult<UserId, User> {
        let rows = admin::live_users(&self.0, ids).await.map_err(Arc::new)?;
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
    /// The primary for the user's own history (they must see their own
    /// sign-ins), the replica for an admin's look at others.
    pub source: ReadSource,
}

impl HistoryKey {
    /// `user_id`'s days `from..=to` as `viewer` reads them: from the
    /// primary when they are the viewer's own (a user must see their own
    /// sign-ins), else (an admin looking at others) from the replica when
    /// it is fresh.
    pub fn seen_by(viewer: UserId, user_id: UserId, from: NaiveDate, to: NaiveDate) -> Self {
        HistoryKey {
            user_id,
            from,
            to,
            source: if viewer == user_id {
                ReadSource::Primary
            } else {
                ReadSource::Replica
            },
        }
    }
}

/// A user's sign-ins in a date range. Keys are grouped by range and source:
/// one query per distinct pair in the batch (one, in practice). Each user's rows are
/// shared (`Arc`): the batcher hands every caller a clone of its values, and
/// an admin's history is thousands of rows.
pub struct HistoryLoader(Arc<AppState>);

impl Loader<HistoryKey> for HistoryLoader {
    type Value = Arc<Vec<HistoryRow>>;
    type Error = Arc<ServiceError>;

    async fn load(&self, keys: &[HistoryKey]) -> LoadResult<HistoryKey, Arc<Vec<HistoryRow>>> {
        let mut by_range: HashMap<(NaiveDate, NaiveDate, ReadSource), Vec<UserId>> = HashMap::new();
        for key in keys {
            by_range
                .entry((key.from, key.to, key.source))
                .or_default()
                .push(key.user_id);
        }
        let loads = by_range
            .into_iter()
            .map(|((from, to, source), user_ids)| async move {
                let rows = sign_in::history(&self.0, source, &user_ids, from, to).await?;
                Ok::<_, ServiceError>((from, to, source, user_ids, rows))
            });
        let mut result = HashMap::new();
        for loaded in futures::future::join_all(loads).await {
            let (from, to, source, user_ids, mut rows) = loaded.map_err(Arc::new)?;
            for user_id in user_ids {
                result.insert(
                    HistoryKey {
                        user_id,
                        from,
                        to,
                        source,
                    },
                    Arc::new(rows.remove(&user_id).unwrap_or_default()),
                );
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A key that fails its batch.
    const UNLUCKY: u32 = u32::MAX;

    /// Squares its keys (0 has no value, UNLUCKY fails its batch); counts its
    /// loads; takes `pause` to load.
    #[derive(Clone, Default)]
    struct Squares {
        loads: Arc<AtomicUsize>,
        pause: Duration,
    }

    impl Loader<u32> for Squares {
        type Value = u64;
        type Error = Arc<ServiceError>;

        async fn load(&self, keys: &[u32]) -> LoadResult<u32, u64> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            // Not even a zero sleep when none is asked for: tokio's timer
            // rounds it up to its next millisecond.
            if !self.pause.is_zero() {
                tokio::time::sleep(self.pause).await;
            }
            if keys.contains(&UNLUCKY) {
                return Err(Arc::new(ServiceError::internal("unlucky")));
            }
            Ok(keys
                .iter()
                .filter(|k| **k != 0)
                .map(|k| (*k, u64::from(*k) * u64::from(*k)))
                .collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_loads_of_one_request_make_one_batch_and_each_gets_its_own_keys() {
        let squares = Squares::default();
        let loader = BatchLoader::new(squares.clone());
        let loads = (0..200u32).map(|k| loader.load_one(k));
        let values = futures::future::join_all(loads).await;
        assert_eq!(squares.loads.load(Ordering::SeqCst), 1);
        assert_eq!(values[0].as_ref().unwrap(), &None);
        assert_eq!(values[7].as_ref().unwrap(), &Some(49));
        let many = loader.load_many([3, 4, 0]).await.unwrap();
        assert_eq!(many, HashMap::from([(3, 9), (4, 16)]));
        assert!(loader.load_many([]).await.unwrap().is_empty());
    }

    /// A failed batch fails each of its callers with its error; the next
    /// batch is unaffected.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_batch_fails_its_callers_only() {
        let loader = BatchLoader::new(Squares::default());
        let (a, b) = tokio::join!(loader.load_one(UNLUCKY), loader.load_many([2, 3]));
        assert!(matches!(a.unwrap_err().as_ref(), ServiceError::Internal(m) if m == "unlucky"));
        assert!(b.is_err());
        assert_eq!(loader.load_one(2).await.unwrap(), Some(4));
    }

    /// More keys than a batch holds: read in full batches, every key answered.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keys_past_the_batch_bound_start_the_next_batch() {
        let squares = Squares::default();
        let loader = BatchLoader::new(squares.clone());
        let keys = 1..=(MAX_BATCH as u32 + 10);
        let values = loader.load_many(keys.clone()).await.unwrap();
        assert_eq!(values.len(), MAX_BATCH + 10);
        assert_eq!(squares.loads.load(Ordering::SeqCst), 2);
    }

    /// Nothing sleeps on a timer: 200 lone loads one after the other take
    /// well under the 200 ms that a 1 ms delay before each would cost.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_load_waits_on_no_timer() {
        let squares = Squares::default();
        let loader = BatchLoader::new(squares.clone());
        let started = std::time::Instant::now();
        for k in 1..=200u32 {
            assert_eq!(loader.load_one(k).await.unwrap(), Some(u64::from(k * k)));
        }
        assert_eq!(squares.loads.load(Ordering::SeqCst), 200);
        assert!(
            started.elapsed() < Duration::from_millis(150),
            "200 lone loads took {:?}",
            started.elapsed()
        );
    }

    /// The caller whose task reads the batch goes away mid-load: the others
    /// of its batch are answered all the same (on the crate's loader used
    /// directly, they would panic), and so are later callers.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_goes_away_does_not_strand_the_others() {
        let squares = Squares {
            pause: Duration::from_millis(50),
            ..Squares::default()
        };
        let loader = BatchLoader::new(squares.clone());
        let mut first = Box::pin(loader.load_one(2));
        let mut second = Box::pin(loader.load_one(3));
        // Both join one batch, which the first (polled first) then reads:
        // drive them until it is being read (it takes 50 ms).
        let both = futures::future::join(&mut first, &mut second);
        let _ = tokio::time::timeout(Duration::from_millis(20), both).await;
        assert_eq!(
            squares.loads.load(Ordering::SeqCst),
            1,
            "the batch is loading"
        );
        drop(first);
        let answer = tokio::time::timeout(Duration::from_secs(5), second).await;
        assert_eq!(answer.unwrap().unwrap(), Some(9));
        assert_eq!(loader.load_one(4).await.unwrap(), Some(16));
    }

    /// Holds the batch with key 0 until the test lets it go; answers the
    /// others at once (their key doubled).
    struct HeldAtZero {
        go: Arc<tokio::sync::Semaphore>,
        loads: Arc<AtomicUsize>,
    }

    impl Loader<u32> for HeldAtZero {
        type Value = u32;
        type Error = Arc<ServiceError>;

        async fn load(&self, keys: &[u32]) -> LoadResult<u32, u32> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            if keys.contains(&0) {
                let _go = self.go.acquire().await;
            }
            Ok(keys.iter().map(|k| (*k, k * 2)).collect())
        }
    }

    /// With two lanes, while one batch is being read, the keys asked for
    /// meanwhile make the next batch and are read without waiting for it;
    /// with one lane they would wait for the held read to end.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_gathers_and_is_read_while_another_is_being_read() {
        let go = Arc::new(tokio::sync::Semaphore::new(0));
        let loads = Arc::new(AtomicUsize::new(0));
        let loader = Arc::new(BatchLoader::with_lanes(
            HeldAtZero {
                go: go.clone(),
                loads: loads.clone(),
            },
            COLD_READ_LANES,
        ));
        let held = tokio::spawn({
            let loader = loader.clone();
            async move { loader.load_one(0).await }
        });
        while loads.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let (a, b) = tokio::time::timeout(
            Duration::from_secs(5),
            futures::future::join(loader.load_one(3), loader.load_one(4)),
        )
        .await
        .expect("read while the first batch is held");
        assert_eq!((a.unwrap(), b.unwrap()), (Some(6), Some(8)));
        assert_eq!(loads.load(Ordering::SeqCst), 2, "3 and 4 in one batch");
        assert!(!held.is_finished());
        go.add_permits(1);
        assert_eq!(held.await.unwrap().unwrap(), Some(0));
    }
}
