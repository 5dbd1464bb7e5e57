//! The service clock. Every rule that depends on "now" reads it from here,
//! so tests can move time instead of sleeping across midnight.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
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

/// The clock read in the business time zone: what "today" means.
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

    /// The instant the business day after `day` begins (for cache expiry).
    pub fn start_of_next_day(&self, day: NaiveDate) -> DateTime<Utc> {
        self.start_of(day.succ_opt().unwrap_or(day))
    }

    /// The instant the calendar month of `day` begins in the business zone
    /// (make-ups are counted per calendar month).
    pub fn start_of_month(&self, day: NaiveDate) -> DateTime<Utc> {
        self.start_of(day.with_day(1).unwrap_or(day))
    }

    /// The instant the business day `day` begins.
    fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        // A day can start at a time that does not exist (a DST jump at
        // midnight); take the earliest valid instant that hour.
        (0..=23)
            .find_map(|hour| {
                day.and_hms_opt(hour, 0, 0)?
                    .and_local_timezone(self.zone)
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
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
        assert_eq!(
            shanghai.start_of_next_day(shanghai.today()).to_rfc3339(),
            "2026-05-02T16:00:00+00:00"
        );
        assert_eq!(
            shanghai.start_of_month(shanghai.today()).to_rfc3339(),
            "2026-04-30T16:00:00+00:00"
        );
        assert_eq!(
            utc.start_of_month("2028-02-29".parse().unwrap())
                .to_rfc3339(),
            "2028-02-01T00:00:00+00:00"
        );
    }

    #[test]
    fn started_at_clock_runs_on_from_its_start() {
        let start: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        let clock = StartedAtClock::new(start);
        let now = clock.now();
        assert!(now >= start && now - start < TimeDelta::seconds(5));
    }
}
