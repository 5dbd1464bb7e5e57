//! A PostgreSQL streaming replica (hot standby) for admin reads, and how far
//! it lags behind the primary.
//!
//! Admin reads (history, stats, user search, the audit log, the CSV
//! exports) may be served by a replica (`state::ReadSource::Replica`); what a
//! caller must see of their own writes is read from the primary. The
//! replica is used only while it is known to be fresh: a check (each
//! second in a process that serves the API, `AppState::watch_replica`)
//! compares the primary's WAL position with what the
//! replica has replayed, and past `SIGNIN_REPLICA_MAX_LAG_SECS`, or when
//! the replica cannot be reached or is not a standby, reads go to the
//! primary until a check finds it fresh again.
//!
//! The lag is measured, not taken from `pg_last_xact_replay_timestamp()`:
//! that is the commit time of the last replayed transaction, which after
//! an idle hour on the primary reads as an hour of lag, and reads 0 while
//! the standby's WAL receiver is cut off. Instead each check samples the
//! primary's `pg_current_wal_lsn()` with the time, and the replica's lag is
//! at most the time since the newest sample it has replayed ([`LagTracker`]).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::sql_types::{BigInt, Bool, Nullable};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use super::{PgPool, StoreError};

/// Most samples of the primary's WAL position kept: with a check a second,
/// about four minutes. A replica further behind than the oldest sample
/// lags at least that long, which is past any sensible maximum.
pub const MAX_SAMPLES: usize = 256;

/// How long the replica's data may be behind the primary's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lag {
    /// It has replayed everything the primary had written this long ago.
    AtMost(Duration),
    /// It has not replayed what the primary had written this long ago (the
    /// oldest sample kept), so it lags at least that much.
    AtLeast(Duration),
}

impl Lag {
    /// The bound, in seconds (for `/readyz` and the gauge).
    pub fn seconds(self) -> f64 {
        match self {
            Lag::AtMost(d) | Lag::AtLeast(d) => d.as_secs_f64(),
        }
    }

    /// Whether the replica is known to be at most `max` behind.
    pub fn within(self, max: Duration) -> bool {
        matches!(self, Lag::AtMost(d) if d <= max)
    }
}

/// Samples of the primary's WAL position (bytes since `0/0`) over time,
/// oldest first, and the replica's lag from its replayed position.
///
/// If the replica has replayed position `R` and a sample says the primary
/// was at `P <= R` at time `t`, the replica holds everything committed by
/// `t`: its lag is at most `now - t`, for the newest such `t`. Positions
/// only grow, so samples older than that one are never needed again.
#[derive(Debug, Default, Clone)]
pub struct LagTracker {
    samples: VecDeque<(DateTime<Utc>, u64)>,
}

impl LagTracker {
    /// Records that the primary was at `position` at `at`. At most
    /// [`MAX_SAMPLES`] are kept (the oldest go).
    pub fn sample(&mut self, at: DateTime<Utc>, position: u64) {
        if self.samples.len() == MAX_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back((at, position));
    }

    /// The lag at `now` of a replica that has replayed up to `replayed`;
    /// forgets the samples it no longer needs. None before any sample.
    pub fn lag(&mut self, now: DateTime<Utc>, replayed: u64) -> Option<Lag> {
        let since = |at: DateTime<Utc>| (now - at).max(TimeDelta::zero()).to_std().ok();
        let newest_replayed = self.samples.iter().rposition(|&(_, p)| p <= replayed);
        match newest_replayed {
            Some(i) => {
                self.samples.drain(..i);
                let (at, _) = self.samples.front()?;
                since(*at).map(Lag::AtMost)
            }
            None => {
                let (at, _) = self.samples.front()?;
                since(*at).map(Lag::AtLeast)
            }
        }
    }
}

/// What the last check found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Health {
    /// Not checked yet: reads go to the primary until the first check.
    Unchecked,
    /// Reachable, a standby, and within the maximum lag.
    Fresh(Lag),
    /// Reachable, but behind by more than the maximum lag (or by an
    /// unknown amount).
    Lagging(Lag),
    /// Could not be reached (or a check or connection failed).
    Unavailable,
    /// Reachable but not in recovery: not a standby (promoted, or
    /// misconfigured), so its data may be anything.
    NotAStandby,
}

impl Health {
    /// The word `/readyz` reports and the fallback metric's `reason`.
    pub fn name(self) -> &'static str {
        match self {
            Health::Unchecked => "unchecked",
            Health::Fresh(_) => "ok",
            Health::Lagging(_) => "lagging",
            Health::Unavailable => "unavailable",
            Health::NotAStandby => "not_a_standby",
        }
    }

    /// Whether reads may be served by the replica.
    pub fn is_fresh(self) -> bool {
        matches!(self, Health::Fresh(_))
    }

    /// The lag's bound in seconds, when one is known.
    pub fn lag_seconds(self) -> Option<f64> {
        match self {
            Health::Fresh(lag) | Health::Lagging(lag) => Some(lag.seconds()),
            _ => None,
        }
    }
}

/// The replica's pool and what is known of its freshness.
#[derive(Debug)]
pub struct Replica {
    pool: PgPool,
    max_lag: Duration,
    state: Mutex<(LagTracker, Health)>,
}

/// How long one check (a statement on each side) may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(QueryableByName)]
struct PrimaryPosition {
    #[diesel(sql_type = BigInt)]
    position: i64,
}

#[derive(QueryableByName)]
struct StandbyPosition {
    #[diesel(sql_type = Bool)]
    in_recovery: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    replayed: Option<i64>,
}

impl Replica {
    pub fn new(pool: PgPool, max_lag: Duration) -> Self {
        Replica {
            pool,
            max_lag,
            state: Mutex::new((LagTracker::default(), Health::Unchecked)),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// What the last check found.
    pub fn health(&self) -> Health {
        self.state
            .lock()
            .map(|s| s.1)
            .unwrap_or(Health::Unavailable)
    }

    /// Samples the primary's WAL position at `now`, reads the replica's
    /// replayed position, and records the replica's health, which it
    /// returns. A change of health is logged (warn when reads leave the
    /// replica, info when they come back).
    ///
    /// When the primary gives no position in time (its pool is busy, say),
    /// the lag is still bounded by the samples held, and that bound grows
    /// with the time since the last one: a replica that stops replaying
    /// stops being fresh whether or not the primary answers.
    pub async fn check(&self, primary: &PgPool, now: DateTime<Utc>) -> Health {
        // The primary is sampled first: whatever the replica has replayed
        // by the time it answers, it is compared with a position the
        // primary had reached before.
        let position = tokio::time::timeout(CHECK_TIMEOUT, primary_position(primary))
            .await
            .ok()
            .and_then(Result::ok);
        let standby = tokio::time::timeout(CHECK_TIMEOUT, standby_position(&self.pool)).await;
        let health = {
            let Ok(mut state) = self.state.lock() else {
                return Health::Unavailable;
            };
            let (tracker, health) = &mut *state;
            if let Some(position) = position {
                tracker.sample(now, position);
            }
            let found = match standby {
                Ok(Ok(StandbyPosition {
                    in_recovery: true,
                    replayed: Some(replayed),
                })) => match tracker.lag(now, replayed.max(0) as u64) {
                    Some(lag) if lag.within(self.max_lag) => Health::Fresh(lag),
                    Some(lag) => Health::Lagging(lag),
                    // No sample yet: nothing is known of the lag.
                    None => Health::Unchecked,
                },
                Ok(Ok(_)) => Health::NotAStandby,
                Ok(Err(_)) | Err(_) => Health::Unavailable,
            };
            let before = std::mem::replace(health, found);
            if std::mem::discriminant(&before) != std::mem::discriminant(&found) {
                self.log_change(found);
            }
            found
        };
        metrics::gauge!("signin_replica_fresh").set(f64::from(u8::from(health.is_fresh())));
        if let Some(seconds) = health.lag_seconds() {
            metrics::gauge!("signin_replica_lag_seconds").set(seconds);
        }
        health
    }

    /// Records that a connection to the replica could not be had, so reads
    /// go to the primary until the next check finds it again.
    pub fn mark_unavailable(&self, error: &StoreError) {
        if let Ok(mut state) = self.state.lock() {
            if state.1 != Health::Unavailable {
                state.1 = Health::Unavailable;
                tracing::warn!(%error, "replica unavailable: admin reads go to the primary");
            }
        }
    }

    fn log_change(&self, health: Health) {
        let max_lag_secs = self.max_lag.as_secs();
        match health {
            Health::Fresh(lag) => tracing::info!(
                lag_secs = lag.seconds(),
                "replica fresh: admin reads go to the replica"
            ),
            Health::Lagging(lag) => tracing::warn!(
                lag_secs = lag.seconds(),
                max_lag_secs,
                "replica lags past SIGNIN_REPLICA_MAX_LAG_SECS: admin reads go to the primary"
            ),
            Health::Unavailable => {
                tracing::warn!("replica unavailable: admin reads go to the primary")
            }
            Health::NotAStandby => tracing::warn!(
                "DATABASE_REPLICA_URL is not in recovery (not a standby): admin reads go to the primary"
            ),
            Health::Unchecked => {}
        }
    }
}

async fn primary_position(primary: &PgPool) -> Result<u64, StoreError> {
    let mut conn = primary.get().await?;
    let row: PrimaryPosition =
        diesel::sql_query("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS position")
            .get_result(&mut *conn)
            .await?;
    Ok(row.position.max(0) as u64)
}

async fn standby_position(replica: &PgPool) -> Result<StandbyPosition, StoreError> {
    let mut conn = replica.get().await?;
    Ok(diesel::sql_query(
        "SELECT pg_is_in_recovery() AS in_recovery, \
                (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS replayed",
    )
    .get_result(&mut *conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_lag_is_the_time_since_the_newest_replayed_sample() {
        // (samples as (second, position), now, replayed) -> lag
        type Case = (&'static [(i64, u64)], i64, u64, Option<Lag>);
        let cases: &[Case] = &[
            (&[], 10, 100, None),
            // Caught up with the newest sample: no lag.
            (&[(0, 100), (1, 200)], 1, 200, Some(Lag::AtMost(secs(0)))),
            (&[(0, 100), (1, 200)], 1, 250, Some(Lag::AtMost(secs(0)))),
            // An idle primary: the same position for a minute is no lag.
            (&[(0, 100), (60, 100)], 60, 100, Some(Lag::AtMost(secs(0)))),
            // Behind the newest, past the one before.
            (
                &[(0, 100), (5, 200), (9, 300)],
                9,
                250,
                Some(Lag::AtMost(secs(4))),
            ),
            // Equal to a sample counts as replayed.
            (
                &[(0, 100), (5, 200), (9, 300)],
                12,
                200,
                Some(Lag::AtMost(secs(7))),
            ),
            // Behind every sample: at least as old as the oldest.
            (&[(0, 100), (5, 200)], 31, 50, Some(Lag::AtLeast(secs(31)))),
            // The primary gave no new sample for 40 s: the bound grows.
            (&[(0, 100)], 40, 100, Some(Lag::AtMost(secs(40)))),
            // A clock that went back reads as no lag, never a negative one.
            (&[(10, 100)], 5, 100, Some(Lag::AtMost(secs(0)))),
        ];
        for (samples, now, replayed, expected) in cases {
            let mut tracker = LagTracker::default();
            for &(second, position) in *samples {
                tracker.sample(at(second), position);
            }
            assert_eq!(
                tracker.lag(at(*now), *replayed),
                *expected,
                "samples {samples:?}, now {now}, replayed {replayed}"
            );
        }
    }

    #[test]
    fn samples_the_replica_has_passed_are_forgotten_and_the_rest_bounded() {
        let mut tracker = LagTracker::default();
        for i in 0..10 {
            tracker.sample(at(i), 100 * i as u64);
        }
        assert_eq!(tracker.lag(at(9), 500), Some(Lag::AtMost(secs(4))));
        assert_eq!(tracker.samples.len(), 5, "samples before 500's are gone");
        // Positions only grow, so a later read never needs them again.
        assert_eq!(tracker.lag(at(9), 550), Some(Lag::AtMost(secs(4))));

        let mut tracker = LagTracker::default();
        for i in 0..(MAX_SAMPLES as i64 + 50) {
            tracker.sample(at(i), 1_000 + i as u64);
        }
        assert_eq!(tracker.samples.len(), MAX_SAMPLES);
        // The replica stuck before every kept sample lags at least as long
        // as the oldest kept one.
        assert_eq!(
            tracker.lag(at(MAX_SAMPLES as i64 + 49), 0),
            Some(Lag::AtLeast(secs(MAX_SAMPLES as u64 - 1)))
        );
    }

    #[test]
    fn only_a_known_lag_within_the_maximum_is_fresh() {
        let cases = [
            (Lag::AtMost(secs(0)), true),
            (Lag::AtMost(secs(30)), true),
            (Lag::AtMost(secs(31)), false),
            (Lag::AtLeast(secs(0)), false),
            (Lag::AtLeast(secs(5)), false),
        ];
        for (lag, fresh) in cases {
            assert_eq!(lag.within(secs(30)), fresh, "{lag:?}");
        }
    }
}
