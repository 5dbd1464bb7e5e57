//! The service clock. Every rule that depends on "now" reads it from here,
//! so tests can move time instead of sleeping across midnight.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Starts at a given instant (`SIGNIN_NOW`) and runs on in real time.
#[derive(Debug, Clone, Copy)]
pub struct StartedAtClock {
    offset: TimeDelta,
}

impl StartedAtClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            offset: start - Utc::now(),
        }
    }
}

impl Clock for StartedAtClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    pub fn set(&self, instant: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = instant;
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The clock, and the business time zone (`SIGNIN_TIMEZONE`): the zone of
/// users who chose none, and of the programme's own dates.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    clock: Arc<dyn Clock>,
    zone: Tz,
}

impl BusinessCalendar {
    pub fn new(clock: Arc<dyn Clock>, zone: Tz) -> Self {
        Self { clock, zone }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.day_of(self.clock.now())
    }

    pub fn day_of(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.zone).date_naive()
    }

    /// The business zone (`SIGNIN_TIMEZONE`): a user's zone unless they
    /// chose another.
    pub fn zone(&self) -> Tz {
        self.zone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_read_in_the_business_zone() {
        let clock = Arc::new(ManualClock::new("2026-05-01T15:59:00Z".parse().unwrap()));
        let shanghai = BusinessCalendar::new(clock.clone(), "Asia/Shanghai".parse().unwrap());
        let utc = BusinessCalendar::new(clock.clone(), Tz::UTC);
        assert_eq!(shanghai.today().to_string(), "2026-05-01");
        clock.advance(TimeDelta::minutes(1));
        assert_eq!(shanghai.today().to_string(), "2026-05-02");
        assert_eq!(utc.today().to_string(), "2026-05-01");
        assert_eq!(shanghai.zone(), chrono_tz::Asia::Shanghai);
    }

    #[test]
    fn started_at_clock_runs_on_from_its_start() {
        let start: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        let clock = StartedAtClock::new(start);
        let now = clock.now();
        assert!(now >= start && now - start < TimeDelta::seconds(5));
    }
}
