//! Attempt counters in Redis (so every replica sees the same counts): failed
//! logins per username and per client address (a failed `changePassword`
//! check counts as a failed login of its user), and registrations per
//! client address.
//!
//! An attempt is **reserved** before the slow password hash, in one atomic
//! `INCR` per counter: the n-th of any number of concurrent attempts sees
//! n - 1 earlier ones, so at most the limit are ever tried, however many
//! arrive at once and on however many replicas. A failed attempt keeps its
//! reservation (it is the failure's count); a successful login gives it back
//! ([`succeeded`]); a refused one gives it back at once.

use std::net::IpAddr;
use std::time::Duration;

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
    /// Failed logins (and failed `changePassword` checks) of one username.
    Username(&'a Username),
    /// Failed logins from one client address, across usernames.
    Address(IpAddr),
    /// Registrations from one client address, successful or not.
    Registrations(IpAddr),
}

/// When a subject's attempts slow down and are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    /// Earlier attempts in the window before each further one is slowed.
    slow_after: u32,
    /// Earlier attempts in the window before further ones are refused.
    refuse_after: u32,
    /// Seconds from the first counted attempt until the count is forgotten.
    window_secs: i64,
}

impl Subject<'_> {
    fn key(&self, keys: &RedisKeys) -> String {
        match self {
            Subject::Username(name) => keys.login_failures(name),
            Subject::Address(ip) => keys.login_failures_from(*ip),
            Subject::Registrations(ip) => keys.registrations_from(*ip),
        }
    }

    fn rule(&self, limits: &LoginLimits) -> Rule {
        let seconds = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX).max(1);
        match self {
            Subject::Username(_) => Rule {
                slow_after: limits.slow_after,
                refuse_after: limits.refuse_after,
                window_secs: seconds(limits.window),
            },
            Subject::Address(_) => Rule {
                slow_after: limits.address_slow_after,
                refuse_after: limits.address_refuse_after,
                window_secs: seconds(limits.window),
            },
            // Registrations are refused past the limit, never slowed.
            Subject::Registrations(_) => Rule {
                slow_after: u32::MAX,
                refuse_after: limits.registrations_per_address,
                window_secs: seconds(limits.registration_window),
            },
        }
    }

    /// Whether a successful attempt gives its reservation back (a login's
    /// username counter is then forgotten altogether, see [`succeeded`]).
    fn released_on_success(&self) -> bool {
        !matches!(self, Subject::Registrations(_))
    }
}

/// What `failures` earlier attempts in the window mean for the next one.
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

/// The strictest verdict over the subjects, from the count each `INCR`
/// answered (this attempt included) and each counter's time to live.
fn strictest(rules: &[Rule], replies: &[(i64, i64)]) -> Verdict {
    rules
        .iter()
        .zip(replies)
        .map(|(rule, &(count, ttl))| {
            // Attempts before this one.
            let earlier = u32::try_from(count.saturating_sub(1).max(0)).unwrap_or(u32::MAX);
            let ttl = Duration::from_secs(u64::try_from(ttl).unwrap_or(0));
            verdict(earlier, ttl, rule.slow_after, rule.refuse_after)
        })
        .max()
        .unwrap_or(Verdict::Allow)
}

/// Reserves one attempt against every subject's limit, atomically, in one
/// round trip: each counter is incremented (its window starting at its
/// first attempt: `EXPIRE .. NX`), and the verdict is the strictest over
/// the attempts each counter had before this one. A refused attempt is
/// not counted (its reservations are given back before this returns); an
/// allowed or delayed one is, until [`succeeded`] gives it back.
pub async fn reserve(
    pool: &RedisPool,
    keys: &RedisKeys,
    subjects: &[Subject<'_>],
    limits: &LoginLimits,
) -> Result<Verdict, CacheError> {
    if subjects.is_empty() {
        return Ok(Verdict::Allow);
    }
    let rules: Vec<Rule> = subjects.iter().map(|s| s.rule(limits)).collect();
    let mut pipe = redis::pipe();
    for (subject, rule) in subjects.iter().zip(&rules) {
        let key = subject.key(keys);
        // NX: the window starts at the first attempt and is not pushed
        // back by later ones.
        pipe.incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(rule.window_secs)
            .arg("NX")
            .ignore()
            .ttl(&key);
    }
    let mut conn = pool.get().await?;
    let flat: Vec<redis::Value> = pipe.query_async(&mut *conn).await?;
    // (count after this attempt's INCR, time to live) per subject; a reply
    // that is not a number counts as none.
    let replies: Vec<(i64, i64)> = flat
        .chunks(2)
        .map(|pair| {
            let number = |v: Option<&redis::Value>| {
                v.and_then(|v| redis::from_redis_value::<i64>(v.clone()).ok())
                    .unwrap_or(0)
            };
            (number(pair.first()), number(pair.get(1)))
        })
        .collect();
    let verdict = strictest(&rules, &replies);
    if matches!(verdict, Verdict::Refuse { .. }) {
        give_back(&mut conn, keys, subjects).await?;
    }
    Ok(verdict)
}

/// Takes one attempt off each subject's counter.
async fn give_back(
    conn: &mut bb8::PooledConnection<'_, super::RedisManager>,
    keys: &RedisKeys,
    subjects: &[Subject<'_>],
) -> Result<(), CacheError> {
    let mut pipe = redis::pipe();
    for subject in subjects {
        pipe.decr(subject.key(keys), 1).ignore();
    }
    let _: () = pipe.query_async(&mut **conn).await?;
    Ok(())
}

/// A reserved attempt succeeded (the right password): its username's
/// failures are forgotten, and its reservations per address are given
/// back (a registration stays counted).
pub async fn succeeded(
    pool: &RedisPool,
    keys: &RedisKeys,
    subjects: &[Subject<'_>],
) -> Result<(), CacheError> {
    if subjects.is_empty() {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    for subject in subjects.iter().filter(|s| s.released_on_success()) {
        match subject {
            Subject::Username(_) => pipe.del(subject.key(keys)).ignore(),
            _ => pipe.decr(subject.key(keys), 1).ignore(),
        };
    }
    let mut conn = pool.get().await?;
    let _: () = pipe.query_async(&mut *conn).await?;
    Ok(())
}

/// Gives reserved attempts back: the attempt was not tried (the password
/// check could not run).
pub async fn release(
    pool: &RedisPool,
    keys: &RedisKeys,
    subjects: &[Subject<'_>],
) -> Result<(), CacheError> {
    if subjects.is_empty() {
        return Ok(());
    }
    let mut conn = pool.get().await?;
    give_back(&mut conn, keys, subjects).await
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

    /// The n-th of any number of concurrent reservations sees n - 1
    /// earlier attempts: with a limit of 10, the 11th and later are
    /// refused, whatever order they arrive in.
    #[test]
    fn reservations_past_the_limit_are_refused() {
        let rule = Rule {
            slow_after: 3,
            refuse_after: 10,
            window_secs: 900,
        };
        let cases: &[(i64, Verdict)] = &[
            (1, Verdict::Allow),
            (3, Verdict::Allow),
            (4, Verdict::Delay(Duration::from_millis(250))),
            (10, Verdict::Delay(Duration::from_millis(1750))),
            (
                11,
                Verdict::Refuse {
                    retry_after: Duration::from_secs(900),
                },
            ),
            (
                40,
                Verdict::Refuse {
                    retry_after: Duration::from_secs(900),
                },
            ),
        ];
        for (count, want) in cases {
            assert_eq!(strictest(&[rule], &[(*count, 900)]), *want, "{count}");
        }
        // Two subjects: the stricter decides.
        let address = Rule {
            slow_after: 20,
            refuse_after: 2,
            window_secs: 900,
        };
        assert!(matches!(
            strictest(&[rule, address], &[(1, 900), (3, 60)]),
            Verdict::Refuse { retry_after } if retry_after == Duration::from_secs(60)
        ));
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
