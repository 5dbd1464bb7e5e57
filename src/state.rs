//! The handles every part of the service shares.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::token::TokenKeys;
use crate::cache::local::LocalCaches;
use crate::cache::versioned::VersionedCache;
use crate::cache::{self, RedisKeys, RedisPool};
use crate::clock::{BusinessCalendar, Clock, StartedAtClock, SystemClock};
use crate::config::Config;
use crate::events::{EventHub, EventPublisher};
use crate::jobs::RewardQueue;
use crate::store::instrument::StatementLog;
use crate::store::{self, PgPool, StoreError};

#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub db: PgPool,
    /// What the pool's connections run (counts; timings when recording).
    pub statements: StatementLog,
    pub redis: RedisPool,
    pub keys: RedisKeys,
    /// Statuses and users, cache-aside (see `service::cached`).
    pub cache: VersionedCache,
    /// In-process copies of hot entries, kept fresh by the event listener.
    pub local: Arc<LocalCaches>,
    pub calendar: BusinessCalendar,
    pub tokens: TokenKeys,
    pub queue: RewardQueue,
    pub events: EventPublisher,
    pub hub: EventHub,
}

/// How long a request waits for a pooled connection before the dependency
/// counts as unavailable.
const POOL_TIMEOUT: Duration = Duration::from_secs(3);
/// The same for Redis, shorter: Redis answers in microseconds when it is
/// up, and every Redis step has a PostgreSQL fallback or may be skipped.
const REDIS_POOL_TIMEOUT: Duration = Duration::from_millis(500);
/// Events a live subscription may fall behind by before it is dropped.
const SUBSCRIBER_BUFFER: usize = 64;

impl AppState {
    /// Connects to PostgreSQL and Redis with the clock the config asks for.
    pub async fn connect(config: Config) -> Result<Arc<Self>, StoreError> {
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
    ) -> Result<Arc<Self>, StoreError> {
        let statements = StatementLog::default();
        let db = store::connect(
            &config.database_url,
            config.db_pool_size,
            POOL_TIMEOUT,
            &statements,
        )
        .await?;
        let redis = cache::connect(
            &config.redis_url,
            config.redis_pool_size,
            REDIS_POOL_TIMEOUT,
        )
        .await?;
        let keys = RedisKeys::new(config.redis_namespace.clone());
        let local = Arc::new(LocalCaches::default());
        Ok(Arc::new(AppState {
            calendar: BusinessCalendar::new(clock, config.timezone),
            tokens: TokenKeys::new(config.jwt_secret.as_bytes(), config.token_ttl),
            queue: RewardQueue::new(config.redis_url.clone(), keys.reward_queue()),
            events: EventPublisher::new(redis.clone(), &keys),
            cache: VersionedCache::new(redis.clone(), keys.clone()),
            hub: EventHub::new(SUBSCRIBER_BUFFER, local.clone()),
            local,
            db,
            statements,
            redis,
            keys,
            config,
        }))
    }

    pub async fn db(&self) -> Result<store::PgConn<'_>, StoreError> {
        Ok(self.db.get().await?)
    }
}
