//! Failed-login counters per username, in Redis so that every replica sees
//! the same count.

use std::time::Duration;

use redis::AsyncCommands;

use super::{RedisKeys, RedisPool};
use crate::config::LoginLimits;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Allowed after waiting this long (an attacker's guesses get slow).
    Delay(Duration),
    /// Refused until the window has passed.
    Refuse {
        retry_after: Duration,
    },
}

/// What the number of recent failures means for the next attempt.
pub fn verdict(failures: u32, ttl: Duration, limits: &LoginLimits) -> Verdict {
    if failures >= limits.refuse_after {
        Verdict::Refuse {
            retry_after: ttl.max(Duration::from_secs(1)),
        }
    } else if failures >= limits.slow_after {
        let steps = failures - limits.slow_after + 1;
        Verdict::Delay(Duration::from_millis(u64::from(steps) * 250).min(Duration::from_secs(2)))
    } else {
        Verdict::Allow
    }
}

pub async fn check(
    pool: &RedisPool,
    keys: &RedisKeys,
    username: &str,
    limits: &LoginLimits,
) -> Result<Verdict, StoreError> {
    let key = keys.login_failures(username);
    let mut conn = pool.get().await?;
    let (failures, ttl): (Option<u32>, i64) = redis::pipe()
        .get(&key)
        .ttl(&key)
        .query_async(&mut *conn)
        .await?;
    let ttl = Duration::from_secs(u64::try_from(ttl).unwrap_or(0));
    Ok(verdict(failures.unwrap_or(0), ttl, limits))
}

pub async fn record_failure(
    pool: &RedisPool,
    keys: &RedisKeys,
    username: &str,
    limits: &LoginLimits,
) -> Result<(), StoreError> {
    let key = keys.login_failures(username);
    let mut conn = pool.get().await?;
    let window = i64::try_from(limits.window.as_secs())
        .unwrap_or(i64::MAX)
        .max(1);
    // NX: the window starts at the first failure and is not pushed back by
    // later ones.
    let _: () = redis::pipe()
        .incr(&key, 1)
        .ignore()
        .cmd("EXPIRE")
        .arg(&key)
        .arg(window)
        .arg("NX")
        .ignore()
        .query_async(&mut *conn)
        .await?;
    Ok(())
}

pub async fn reset(pool: &RedisPool, keys: &RedisKeys, username: &str) -> Result<(), StoreError> {
    let mut conn = pool.get().await?;
    let _: () = conn.del(keys.login_failures(username)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_down_then_refuse() {
        let limits = LoginLimits {
            slow_after: 3,
            refuse_after: 5,
            window: Duration::from_secs(60),
        };
        let ttl = Duration::from_secs(42);
        assert_eq!(verdict(0, ttl, &limits), Verdict::Allow);
        assert_eq!(verdict(2, ttl, &limits), Verdict::Allow);
        assert_eq!(
            verdict(3, ttl, &limits),
            Verdict::Delay(Duration::from_millis(250))
        );
        assert_eq!(
            verdict(4, ttl, &limits),
            Verdict::Delay(Duration::from_millis(500))
        );
        assert_eq!(
            verdict(5, ttl, &limits),
            Verdict::Refuse { retry_after: ttl }
        );
        assert_eq!(
            verdict(50, Duration::ZERO, &limits),
            Verdict::Refuse {
                retry_after: Duration::from_secs(1)
            }
        );
    }
}
