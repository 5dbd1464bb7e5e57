//! Redis: key names, the connection pool, and what lives there (login
//! failure counters). Redis never holds the only copy of anything that
//! matters: money and sign-ins live in PostgreSQL.

pub mod login_limiter;

use std::time::Duration;

use bb8_redis::RedisConnectionManager;

use crate::store::StoreError;

pub type RedisPool = bb8::Pool<RedisConnectionManager>;

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

    pub fn login_failures(&self, username: &str) -> String {
        format!(
            "{}:login-failures:{}",
            self.namespace,
            username.to_lowercase()
        )
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
) -> Result<RedisPool, StoreError> {
    let manager = RedisConnectionManager::new(redis_url)?;
    // build_unchecked: start even while Redis is down; the service degrades
    // (sign-ins still commit) and the pool connects once Redis is back.
    Ok(bb8::Pool::builder()
        .max_size(max_size)
        .connection_timeout(timeout)
        .build_unchecked(manager))
}
