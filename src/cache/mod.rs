//! Redis: key names, the connection pool, and what lives there (login
//! failure counters). Redis never holds the only copy of anything that
//! matters: money and sign-ins live in PostgreSQL.

pub mod error;
pub mod local;
pub mod login_limiter;
pub mod persisted_queries;
pub mod schedules;
pub mod versioned;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bb8_redis::RedisConnectionManager;

use crate::domain::account::Username;

pub use error::CacheError;

/// The Redis connection pool, behind a circuit breaker: after a failure to
/// get a connection, callers fail at once for `BREAKER_OPEN` instead of
/// each waiting out a connect timeout, so a Redis outage costs requests
/// nothing (they fall back to PostgreSQL or skip the Redis step).
#[derive(Debug, Clone)]
pub struct RedisPool {
    pool: bb8::Pool<RedisConnectionManager>,
    open_until_ms: Arc<AtomicU64>,
}

/// How long the breaker stays open after a failure.
const BREAKER_OPEN: Duration = Duration::from_secs(1);

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl RedisPool {
    pub async fn get(
        &self,
    ) -> Result<bb8::PooledConnection<'_, RedisConnectionManager>, CacheError> {
        if now_ms() < self.open_until_ms.load(Ordering::Relaxed) {
            return Err(CacheError::Unavailable(
                "recently unreachable; not trying yet".into(),
            ));
        }
        match self.pool.get().await {
            Ok(conn) => Ok(conn),
            Err(error) => {
                self.open_until_ms.store(
                    now_ms() + BREAKER_OPEN.as_millis() as u64,
                    Ordering::Relaxed,
                );
                metrics::counter!("signin_redis_breaker_opened_total").increment(1);
                Err(error.into())
            }
        }
    }

    pub fn state(&self) -> bb8::State {
        self.pool.state()
    }
}

/// Every Redis key and queue of one install (or one test run) starts with
/// its namespace, so installs and test runs never see each other's data.
#[derive(Debug, Clone)]
pub struct RedisKeys {
    namespace: String,
}

impl RedisKeys {
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The failed-login counter of `username` (case-insensitive).
    pub fn login_failures(&self, username: &Username) -> String {
        format!("{}:login-failures:{}", self.namespace, username.folded())
    }

    pub fn login_failures_from(&self, address: std::net::IpAddr) -> String {
        format!("{}:login-failures-from:{address}", self.namespace)
    }

    pub fn events_channel(&self) -> String {
        format!("{}:events", self.namespace)
    }

    pub fn reward_queue(&self) -> String {
        format!("{}:rewards", self.namespace)
    }
}

pub async fn connect(
    redis_url: &str,
    max_size: u32,
    timeout: Duration,
) -> Result<RedisPool, CacheError> {
    let manager = RedisConnectionManager::new(redis_url)?;
    // build_unchecked: start even while Redis is down; the service degrades
    // (sign-ins still commit) and the pool connects once Redis is back.
    // bb8 checks each connection with a PING on checkout. It costs a round
    // trip, but it is what drops connections that died with a Redis restart
    // (a multiplexed connection does not reconnect, and bb8-redis cannot
    // tell it is broken otherwise): without it they stay in the pool for good.
    let pool = bb8::Pool::builder()
        .max_size(max_size)
        .connection_timeout(timeout)
        .test_on_check_out(true)
        .build_unchecked(manager);
    Ok(RedisPool {
        pool,
        open_until_ms: Arc::default(),
    })
}
