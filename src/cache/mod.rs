//! Redis: key names, the connection pool, and what lives there (login
//! failure counters). Redis never holds the only copy of anything that
//! matters: money and sign-ins live in PostgreSQL.

pub mod error;
pub mod local;
pub mod login_limiter;
pub mod persisted_queries;
pub mod schedules;
pub mod target;
pub mod versioned;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::domain::account::Username;

pub use error::CacheError;
pub use target::RedisTarget;

/// The Redis connection pool, behind a circuit breaker: after a failure to
/// get a connection, callers fail at once for `BREAKER_OPEN` instead of
/// each waiting out a connect timeout, so a Redis outage costs requests
/// nothing (they fall back to PostgreSQL or skip the Redis step).
#[derive(Debug, Clone)]
pub struct RedisPool {
    pool: bb8::Pool<RedisManager>,
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
    pub async fn get(&self) -> Result<bb8::PooledConnection<'_, RedisManager>, CacheError> {
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

    /// Runs `pipe` (its replies unread), on another pooled connection
    /// whenever the one it got turns out dead: a multiplexed connection
    /// says so only when a command on it fails, which marks it broken
    /// ([`RedisConnection`]) so the pool drops it, and after a Redis restart
    /// every idle connection is dead. At most once more per connection the
    /// pool held at the first failure. A pipeline sent twice is one whose
    /// connection broke after Redis ran it: use this for commands that
    /// may run twice.
    pub async fn run_on_live_connection(&self, pipe: &redis::Pipeline) -> Result<(), CacheError> {
        // Counted at the first failure: the pool's size is read under its
        // lock, which the round trip that works needs not take.
        let mut retries: Option<u32> = None;
        loop {
            let mut conn = self.get().await?;
            match pipe.query_async::<()>(&mut *conn).await {
                Err(error) if breaks_connection(&error) => {
                    let left = retries.get_or_insert_with(|| self.state().connections);
                    if *left == 0 {
                        return Err(error.into());
                    }
                    *left -= 1;
                }
                sent => return Ok(sent?),
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

    /// Registrations from one client address (`cache::login_limiter`).
    pub fn registrations_from(&self, address: std::net::IpAddr) -> String {
        format!("{}:registrations-from:{address}", self.namespace)
    }

    pub fn events_channel(&self) -> String {
        format!("{}:events", self.namespace)
    }

    pub fn reward_queue(&self) -> String {
        format!("{}:rewards", self.namespace)
    }

    /// The webhook messages' apalis queue.
    pub fn webhook_queue(&self) -> String {
        format!("{}:webhooks", self.namespace)
    }
}

/// A pooled Redis connection: bb8-redis's `MultiplexedConnection`, which
/// also remembers whether it broke. A command that failed on the connection
/// itself (I/O error, dropped connection, timeout) or was abandoned
/// mid-flight (its future dropped, e.g. by a caller's timeout, which leaves
/// the reply unread) marks it broken, and the pool then drops it instead of
/// handing it out again.
///
/// Why: bb8's check on checkout (`test_on_check_out`, a `PING` before every
/// use) costs a round trip and a Redis command per cache call, so the pool
/// runs without it; and bb8-redis 0.26 answers `has_broken` with a constant
/// `false` (`bb8-redis-0.26.0/src/lib.rs`: a `MultiplexedConnection` does
/// not say it was closed until a command fails), so without this mark a
/// connection killed by a Redis restart would stay in the pool and fail
/// every checkout. Everything else
/// (opening connections, the optional `PING` check) is bb8-redis's
/// [`bb8_redis::RedisConnectionManager`]; see [`RedisManager`].
pub struct RedisConnection {
    inner: redis::aio::MultiplexedConnection,
    broken: bool,
    /// Who the server is and what it holds: its `run_id` (new at each
    /// restart) and its replication id (`master_replid`, new at each
    /// promotion, failbacks included), so values cached before a restart
    /// or a failover are told apart from what that server holds now (see
    /// `versioned`). Empty if the server does not say.
    server: Arc<str>,
}

impl RedisConnection {
    /// The identity of the Redis server this connection talks to and of
    /// its data (`<run_id>.<master_replid>`, empty if unknown).
    pub fn server(&self) -> Arc<str> {
        self.server.clone()
    }
}

/// `<run_id>.<master_replid>` of the server `conn` talks to (`INFO server`
/// and `INFO replication`); empty when `INFO` is refused (some managed
/// services rename it): values are then told apart by their version
/// alone. A connection that fails here is an error, not an empty id.
async fn server_id(
    conn: &mut redis::aio::MultiplexedConnection,
) -> Result<Arc<str>, redis::RedisError> {
    let info: Result<(String, String), redis::RedisError> = redis::pipe()
        .cmd("INFO")
        .arg("server")
        .cmd("INFO")
        .arg("replication")
        .query_async(conn)
        .await;
    let (server, replication) = match info {
        Ok(info) => info,
        Err(error) if breaks_connection(&error) => return Err(error),
        Err(_) => return Ok(Arc::from("")),
    };
    let field = |text: &str, name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_owned())
            .unwrap_or_default()
    };
    Ok(Arc::from(format!(
        "{}.{}",
        field(&server, "run_id:"),
        field(&replication, "master_replid:")
    )))
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnection")
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

/// Whether `error` says the connection itself is unusable (as opposed to
/// an error reply to one command, after which the connection is fine).
fn breaks_connection(error: &redis::RedisError) -> bool {
    use redis::{ErrorKind, ServerErrorKind};
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_timeout()
        || error.is_unrecoverable_error()
        // A master demoted by a failover (Sentinel) refuses writes; the
        // next connection asks for the new one (see `target`).
        || matches!(
            error.kind(),
            ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown)
        )
}

/// Marks the connection broken if dropped before `done` (the command's
/// future was abandoned while its reply was still due).
struct UntilDone<'a> {
    broken: &'a mut bool,
    done: bool,
}

impl Drop for UntilDone<'_> {
    fn drop(&mut self) {
        if !self.done {
            *self.broken = true;
        }
    }
}

impl redis::aio::ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        Box::pin(async move {
            let mut guard = UntilDone {
                broken: &mut self.broken,
                done: false,
            };
            let result = self.inner.req_packed_command(cmd).await;
            guard.done = true;
            if let Err(error) = &result {
                *guard.broken |= breaks_connection(error);
            }
            result
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        Box::pin(async move {
            let mut guard = UntilDone {
                broken: &mut self.broken,
                done: false,
            };
            let result = self
                .inner
                .req_packed_commands(pipeline, offset, count)
                .await;
            guard.done = true;
            if let Err(error) = &result {
                *guard.broken |= breaks_connection(error);
            }
            result
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

/// The pool's connection manager: bb8-redis's [`RedisConnectionManager`]
/// (which opens the connections and answers `is_valid`), with the two
/// things it lacks: `has_broken` from the mark each [`RedisConnection`]
/// keeps (for a pool that skips the check on checkout), and, under Redis
/// Sentinel, a server that changes: each new connection goes to the master
/// the sentinels name then, through a bb8-redis manager for it (bb8-redis
/// holds one fixed address; see `target`).
///
/// [`RedisConnectionManager`]: bb8_redis::RedisConnectionManager
#[derive(Debug, Clone)]
pub struct RedisManager {
    /// `REDIS_URL`'s server (not used for connecting under Sentinel).
    upstream: bb8_redis::RedisConnectionManager,
    target: Arc<RedisTarget>,
}

impl bb8::ManageConnection for RedisManager {
    type Connection = RedisConnection;
    type Error = redis::RedisError;

    async fn connect(&self) -> Result<RedisConnection, redis::RedisError> {
        let mut inner = if self.target.follows_failover() {
            let master = self.target.client().await?;
            bb8_redis::RedisConnectionManager::new(master.get_connection_info().clone())?
                .connect()
                .await?
        } else {
            self.upstream.connect().await?
        };
        let server = server_id(&mut inner).await?;
        Ok(RedisConnection {
            inner,
            broken: false,
            server,
        })
    }

    /// Only used if a check on checkout is asked for (it is not).
    async fn is_valid(&self, conn: &mut RedisConnection) -> Result<(), redis::RedisError> {
        self.upstream.is_valid(&mut conn.inner).await
    }

    fn has_broken(&self, conn: &mut RedisConnection) -> bool {
        conn.broken || self.upstream.has_broken(&mut conn.inner)
    }
}

/// The pool of connections to `target` (whose `REDIS_URL` is `redis_url`),
/// at most `max_size`, each checkout waiting at most `timeout`.
pub async fn connect(
    target: Arc<RedisTarget>,
    redis_url: &str,
    max_size: u32,
    timeout: Duration,
) -> Result<RedisPool, CacheError> {
    let manager = RedisManager {
        upstream: bb8_redis::RedisConnectionManager::new(redis_url)?,
        target,
    };
    // build_unchecked: start even while Redis is down; the service degrades
    // (sign-ins still commit) and the pool connects once Redis is back.
    // No PING on checkout: broken connections are found by their own
    // failures (see `RedisConnection`).
    let pool = bb8::Pool::builder()
        .max_size(max_size)
        .connection_timeout(timeout)
        .test_on_check_out(false)
        .build_unchecked(manager);
    Ok(RedisPool {
        pool,
        open_until_ms: Arc::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Type-level: compiles only while the pool is bb8's over
    /// [`RedisManager`], which wraps bb8-redis's manager and hands out the
    /// connections it opens (the live path is tested against Redis in
    /// `tests/api/cache.rs`).
    #[test]
    fn the_pool_is_bb8_redis_underneath() {
        fn pool_of(pool: &RedisPool) -> &bb8::Pool<RedisManager> {
            &pool.pool
        }
        fn upstream_of(manager: &RedisManager) -> &bb8_redis::RedisConnectionManager {
            &manager.upstream
        }
        fn connection_of(
            conn: &RedisConnection,
        ) -> &<bb8_redis::RedisConnectionManager as bb8::ManageConnection>::Connection {
            &conn.inner
        }
        let _ = (
            pool_of as fn(&RedisPool) -> &bb8::Pool<RedisManager>,
            upstream_of as fn(&RedisManager) -> &bb8_redis::RedisConnectionManager,
            connection_of as fn(&RedisConnection) -> &redis::aio::MultiplexedConnection,
        );
    }
}
