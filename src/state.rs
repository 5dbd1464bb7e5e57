//! The handles every part of the service shares.

use std::sync::Arc;
use std::time::Duration;

use crate::after_commit::{AfterCommit, RewardQueue, WebhookQueue};
use crate::auth::password::Hasher;
use crate::auth::token::TokenKeys;
use crate::cache::local::LocalCaches;
use crate::cache::versioned::VersionedCache;
use crate::cache::{self, CacheError, RedisKeys, RedisPool, RedisTarget};
use crate::clock::{BusinessCalendar, Clock, StartedAtClock, SystemClock};
use crate::config::Config;
use crate::events::{EventChannel, EventHub};
use crate::store::instrument::StatementLog;
use crate::store::replica::{Health, Replica};
use crate::store::{self, PgPool, StoreError};
use crate::webhook_client::WebhookClient;

/// Where a read may be served from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadSource {
    /// The primary: reads that must see the caller's own writes.
    Primary,
    /// The replica when one is configured and fresh, else the primary.
    Replica,
}

#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub db: PgPool,
    /// `DATABASE_REPLICA_URL`'s pool and freshness, if one is configured
    /// (see [`AppState::read_conn`]).
    pub replica: Option<Arc<Replica>>,
    /// What the pool's connections run (counts; timings when recording).
    pub statements: StatementLog,
    pub redis: RedisPool,
    /// Where Redis is (`REDIS_URL`, or the master under Sentinel): what
    /// every Redis connection outside the pool (event and wake-up
    /// subscriptions, the job queues) connects through.
    pub redis_target: Arc<RedisTarget>,
    pub keys: RedisKeys,
    /// Statuses and users, cache-aside (see `service::cached`).
    pub cache: Arc<VersionedCache>,
    /// In-process copies of hot entries, kept fresh by the event listener.
    pub local: Arc<LocalCaches>,
    pub calendar: BusinessCalendar,
    pub tokens: TokenKeys,
    /// The reward queue's producer (the relay pushes through it too).
    pub queue: Arc<RewardQueue>,
    /// The webhook queue's producer (the sweep pushes through it too).
    pub webhook_queue: Arc<WebhookQueue>,
    /// Sends webhook messages (`webhook_client`).
    pub webhook_client: WebhookClient,
    /// Where use cases hand over what they committed (caches, events, jobs).
    pub after_commit: AfterCommit,
    pub hub: EventHub,
    /// Computes password hashes, a bounded number at once
    /// (`SIGNIN_MAX_CONCURRENT_HASHES`, `SIGNIN_HASH_QUEUE`).
    pub hasher: Hasher,
}

/// Why the shared state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Database(#[from] StoreError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("{0}")]
    Webhooks(String),
}

/// How long a request waits for a pooled connection before the dependency
/// counts as unavailable.
const POOL_TIMEOUT: Duration = Duration::from_secs(3);
/// The same for Redis, shorter: Redis answers in microseconds when it is
/// up, and every Redis step has a PostgreSQL fallback or may be skipped.
const REDIS_POOL_TIMEOUT: Duration = Duration::from_millis(500);
/// How long an admin read waits for a connection to the replica before
/// counting it unavailable and reading from the primary.
const REPLICA_POOL_TIMEOUT: Duration = Duration::from_secs(1);
/// How often each process checks the replica's lag.
pub const REPLICA_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// Events a live subscription may fall behind by before it is dropped.
const SUBSCRIBER_BUFFER: usize = 64;

impl AppState {
    /// Connects to PostgreSQL and Redis with the clock the config asks for.
    pub async fn connect(config: Config) -> Result<Arc<Self>, ConnectError> {
        let clock: Arc<dyn Clock> = match config.now {
            Some(start) => {
                tracing::warn!(%start, "SIGNIN_NOW is set: the service clock is a TEST CLOCK started at this instant");
                Arc::new(StartedAtClock::new(start))
            }
            None => Arc::new(SystemClock),
        };
        Self::connect_with_clock(config, clock).await
    }

    /// As `connect`, with the given clock (tests inject theirs here).
    pub async fn connect_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, ConnectError> {
        let statements = StatementLog::default();
        let db = store::connect(
            &config.database_url,
            config.db_pool_size,
            POOL_TIMEOUT,
            false,
            &statements,
        )
        .await?;
        let replica = match &config.database_replica_url {
            Some(url) => Some(Arc::new(Replica::new(
                store::connect(
                    url,
                    config.db_pool_size,
                    REPLICA_POOL_TIMEOUT,
                    true,
                    &statements,
                )
                .await?,
                config.replica_max_lag,
            ))),
            None => None,
        };
        let redis_target = Arc::new(
            RedisTarget::new(&config.redis_url, config.redis_sentinel.as_ref())
                .map_err(CacheError::from)?,
        );
        let redis = cache::connect(
            redis_target.clone(),
            &config.redis_url,
            config.redis_pool_size,
            REDIS_POOL_TIMEOUT,
        )
        .await?;
        let keys = RedisKeys::new(config.redis_namespace.clone());
        let local = Arc::new(LocalCaches::default());
        let cache = Arc::new(VersionedCache::new(redis.clone(), keys.clone()));
        let queue = Arc::new(RewardQueue::new(redis_target.clone(), keys.reward_queue()));
        let webhook_queue = Arc::new(WebhookQueue::new(
            redis_target.clone(),
            keys.webhook_queue(),
        ));
        let webhook_client = WebhookClient::new(
            config.webhook_timeout,
            config.environment == crate::config::Environment::Production,
        )
        .map_err(|e| ConnectError::Webhooks(e.to_string()))?;
        let after_commit = AfterCommit::new(
            local.clone(),
            cache.clone(),
            redis.clone(),
            EventChannel::new(&keys),
            queue.clone(),
            webhook_queue.clone(),
        );
        Ok(Arc::new(AppState {
            calendar: BusinessCalendar::new(clock, config.timezone),
            tokens: TokenKeys::new(
                config.jwt_secret.as_bytes(),
                &config.jwt_previous_secrets,
                config.token_ttl,
            ),
            queue,
            webhook_queue,
            webhook_client,
            after_commit,
            cache,
            hub: EventHub::new(SUBSCRIBER_BUFFER, local.clone()),
            hasher: Hasher::new(config.hashing),
            local,
            db,
            replica,
            statements,
            redis,
            redis_target,
            keys,
            config,
        }))
    }

    /// Whether reads from `source` have capacity to spare: two pooled
    /// connections idle, so no other request is waiting on them. A large
    /// read may then split its work across connections and cores.
    pub fn has_spare_capacity(&self, source: ReadSource) -> bool {
        self.read_pool(source).state().idle_connections >= 2
    }

    /// The pool a read from `source` would use now.
    fn read_pool(&self, source: ReadSource) -> &PgPool {
        match (&self.replica, source) {
            (Some(replica), ReadSource::Replica) if replica.health().is_fresh() => replica.pool(),
            _ => &self.db,
        }
    }

    /// Checks the replica's lag (if one is configured) every
    /// [`REPLICA_CHECK_INTERVAL`] on the service's clock, until `shutdown`.
    /// Run by the processes that serve admin reads (`app::start`).
    pub async fn watch_replica(self: Arc<Self>, shutdown: tokio_util::sync::CancellationToken) {
        let Some(replica) = &self.replica else {
            return;
        };
        let mut ticks = tokio::time::interval(REPLICA_CHECK_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticks.tick() => {
                    replica.check(&self.db, self.calendar.now()).await;
                }
            }
        }
    }

    /// A connection for a read that may be served from `source`: the
    /// replica when `source` allows it and the replica is configured and
    /// fresh (see `store::replica`), else the primary. Reads that leave a
    /// configured replica for the primary are counted in
    /// `signin_replica_fallback_total` by reason; a replica whose pool
    /// cannot connect is marked unavailable until the next check, while a
    /// pool that is only full (long exports hold its connections) sends
    /// this read to the primary and marks nothing. The connection is
    /// owned, so a streaming read may keep it.
    pub async fn read_conn(
        &self,
        source: ReadSource,
    ) -> Result<store::PgConn<'static>, StoreError> {
        if let (Some(replica), ReadSource::Replica) = (&self.replica, source) {
            let health = replica.health();
            if health.is_fresh() {
                match replica.pool().get_owned().await {
                    Ok(conn) => {
                        metrics::counter!("signin_replica_reads_total").increment(1);
                        return Ok(conn);
                    }
                    Err(error) => {
                        let pool = replica.pool().state();
                        let busy = matches!(error, bb8::RunError::TimedOut)
                            && pool.connections >= self.config.db_pool_size
                            && pool.idle_connections == 0;
                        let reason = if busy {
                            "busy"
                        } else {
                            replica.mark_unavailable(&StoreError::from(error));
                            Health::Unavailable.name()
                        };
                        metrics::counter!("signin_replica_fallback_total", "reason" => reason)
                            .increment(1);
                    }
                }
            } else {
                metrics::counter!("signin_replica_fallback_total", "reason" => health.name())
                    .increment(1);
            }
        }
        Ok(self.db.get_owned().await?)
    }

    pub async fn db(&self) -> Result<store::PgConn<'_>, StoreError> {
        Ok(self.db.get().await?)
    }
}
