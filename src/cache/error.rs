//! The cache layer's error: Redis could not be reached, or it refused a
//! command. Callers decide what an unreachable Redis means for them (most
//! fall back to PostgreSQL or skip the step; see `service::status_cache`).

/// A failed Redis step.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// No connection could be had in time, or the circuit breaker is open
    /// after a recent failure.
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    /// A command failed (connection dropped, timeout, or a server error).
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

impl CacheError {
    /// Whether retrying later may succeed (Redis is down or slow), as
    /// opposed to a bug such as a wrongly typed key.
    pub fn is_transient(&self) -> bool {
        match self {
            CacheError::Unavailable(_) => true,
            CacheError::Redis(e) => e.is_io_error() || e.is_timeout() || e.is_connection_dropped(),
        }
    }
}

impl From<bb8::RunError<redis::RedisError>> for CacheError {
    fn from(error: bb8::RunError<redis::RedisError>) -> Self {
        match error {
            bb8::RunError::TimedOut => {
                CacheError::Unavailable("timed out waiting for a connection".into())
            }
            bb8::RunError::User(e) => CacheError::Unavailable(e.to_string()),
        }
    }
}
