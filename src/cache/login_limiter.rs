//! Failed-login counters in Redis (so every replica sees the same counts),
//! per username and per client address.

use std::net::IpAddr;
use std::time::Duration;

use redis::AsyncCommands;

use super::CacheError;
use super::{RedisKeys, RedisPool};
use crate::config::LoginLimits;
use crate::domain::account::Username;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Allow,
    /// Allowed after waiting this long (an attacker's guesses get slow).
    Delay(Duration),
    /// Refused until the window has passed.
    Refuse {
        retry_after: Duration,
    },
}

/// What is being counted.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Username(&'a Username),
    Address(IpAddr),
}

impl Subject<'_> {
    fn key(&self, keys: &RedisKeys) -> String {
        match self {
            Subject::Username(name) => keys.login_failures(name),
            Subject::Address(ip) => keys.login_failures_from(*ip),
        }
    }

    /// (slow after, refuse after) failures.
    fn thresholds(&self, limits: &LoginLimits) -> (u32, u32) {
        match self {
            Subject::Username(_) => (limits.slow_after, limits.refuse_after),
            Subject::Address(_) => (limits.address_slow_after, limits.address_refuse_after),
        }
    }
}

/// What `failures` recent failures mean for the next attempt.
pub fn verdict(failures: u32, ttl: Duration, slow_after: u32, refuse_after: u32) -> Verdict {
    if failures >= refuse_after {
        Verdict::Refuse {
            retry_after: ttl.max(Duration::from_secs(1)),
        }
    } else if failures >= slow_after {
        let steps = failures - slow_after + 1;
        Verdict::Delay(Duration::from_millis(u64::from(steps) * 250).min(Duration::from_secs(2)))
    } else {
        Verdict::Allow
    }
}

/// The strictest verdict over `subjects`, in one round trip.
pub async fn check(
    pool: &RedisPool,
    keys: &RedisKeys,
    subjects: &[Subject<'_>],
    limits: &LoginLimits,
) -> Result<Verdict, CacheError> {
    if subjects.is_empty() {
        return Ok(Verdict::Allow);
    }
    let mut pipe = redis::pipe();
    for subject in subjects {
        let key = subject.key(keys);
        pipe.get(&key).ttl(&key);
    }
    let mut conn = pool.get().await?;
    let replies: Vec<(Option<u32>, i64)> = {
        let flat: Vec<redis::Value> = pipe.query_async(&mut *conn).await?;
        flat.chunks(2)
            .map(|pair| {
                let failures = redis::from_redis_value(pair[0].clone()).unwrap_or(None);
                let ttl = redis::from_redis_value(pair[1].clone()).unwrap_or(0);
                (failures, ttl)
            })
            .collect()
    };
    Ok(subjects
        .iter()
        .zip(replies)
        .map(|(subject, (failures, ttl))| {
            let (slow, refuse) = subject.thresholds(limits);
            let ttl = Duration::from_secs(u64::try_from(ttl).unwrap_or(0));
            verdict(failures.unwrap_or(0), ttl, slow, refuse)
        })
        .max()
        .unwrap_or(Verdict::Allow))
}

pub async fn record_failure(
    pool: &RedisPool,
    keys: &RedisKeys,
    subjects: &[Subject<'_>],
    limits: &LoginLimits,
) -> Result<(), CacheError> {
    if subjects.is_empty() {
        return Ok(());
    }
    let window = i64::try_from(limits.window.as_secs())
        .unwrap_or(i64::MAX)
        .max(1);
    let mut pipe = redis::pipe();
    for subject in subjects {
        let key = subject.key(keys);
        // NX: the window starts at the first failure and is not pushed back
        // by later ones.
        pipe.incr(&key, 1)
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window)
            .arg("NX")
            .ignore();
    }
    let mut conn = pool.get().await?;
    let _: () = pipe.query_async(&mut *conn).await?;
    Ok(())
}

/// Forgets a username's failures (after a successful login).
pub async fn reset(
    pool: &RedisPool,
    keys: &RedisKeys,
    username: &Username,
) -> Result<(), CacheError> {
    let mut conn = pool.get().await?;
    let _: () = conn.del(keys.login_failures(username)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_down_then_refuse() {
        let ttl = Duration::from_secs(42);
        assert_eq!(verdict(0, ttl, 3, 5), Verdict::Allow);
        assert_eq!(verdict(2, ttl, 3, 5), Verdict::Allow);
        assert_eq!(
            verdict(3, ttl, 3, 5),
            Verdict::Delay(Duration::from_millis(250))
        );
        assert_eq!(
            verdict(4, ttl, 3, 5),
            Verdict::Delay(Duration::from_millis(500))
        );
        assert_eq!(verdict(5, ttl, 3, 5), Verdict::Refuse { retry_after: ttl });
        assert_eq!(
            verdict(50, Duration::ZERO, 3, 5),
            Verdict::Refuse {
                retry_after: Duration::from_secs(1)
            }
        );
    }

    #[test]
    fn the_strictest_verdict_wins() {
        let refuse = Verdict::Refuse {
            retry_after: Duration::from_secs(1),
        };
        assert!(refuse > Verdict::Delay(Duration::from_secs(2)));
        assert!(Verdict::Delay(Duration::from_millis(1)) > Verdict::Allow);
    }
}
