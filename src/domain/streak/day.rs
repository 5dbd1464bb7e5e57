//! Every user's own day (contract, "Every user's own day"): which date is a
//! user's today, when it begins and ends, what a change of time zone does
//! to their dates, and how often they may change it.
//!
//! A user's **today** is the date now in their zone, except that it never
//! goes back before a date already recorded: after a move west, today may
//! be a date already signed, and stays that date (so `signIn` is
//! `ALREADY_SIGNED_IN`) until the new zone reaches a later one. A move east
//! may jump over a whole date: the dates strictly between the user's today
//! just before the change and the new zone's date at that instant are
//! **jumped dates** ([`DayKind::Jumped`]), which keep the chain like a
//! frozen date, use no freeze and earn nothing.
//!
//! Everything here is a pure function of its arguments (the instant "now"
//! included); zones are IANA names as `chrono-tz` knows them.
//!
//! [`DayKind::Jumped`]: super::chain::DayKind::Jumped

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::chain::{DayKind, History};

/// Longest time zone name accepted (the longest IANA name,
/// `America/Argentina/ComodRivadavia`, has 32 characters).
pub const MAX_ZONE_NAME: usize = 64;

/// Why a time zone name is refused (`BAD_USER_INPUT` naming `timeZone`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneNameError {
    #[error("must be an IANA time zone name such as Europe/Paris")]
    Unknown,
    #[error("must be at most {MAX_ZONE_NAME} characters")]
    TooLong,
}

/// The zone named `name`, an IANA name (`Asia/Shanghai`, `UTC`, and the
/// IANA database's links such as `US/Pacific`), matched exactly.
pub fn parse_zone(name: &str) -> Result<Tz, ZoneNameError> {
    if name.len() > MAX_ZONE_NAME {
        return Err(ZoneNameError::TooLong);
    }
    name.parse::<Tz>().map_err(|_| ZoneNameError::Unknown)
}

/// The calendar date at `instant` in `zone`.
pub fn local_date(instant: DateTime<Utc>, zone: Tz) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

/// The newest date any zone has at `instant`: the date at UTC+14 (the
/// easternmost offset in use, Pacific/Kiritimati). A reward schedule must
/// start after it, so that nothing shown to anyone changes.
pub fn newest_date(instant: DateTime<Utc>) -> NaiveDate {
    (instant + TimeDelta::hours(14)).date_naive()
}

/// The instant `date` begins in `zone`. A date can begin at a local time
/// that does not exist (a DST jump at midnight, e.g. America/Havana): then
/// the earliest valid instant of the first hour that exists.
pub fn start_of(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    (0..=23)
        .find_map(|hour| {
            date.and_hms_opt(hour, 0, 0)?
                .and_local_timezone(zone)
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// The instant the date after `date` begins in `zone`: when a user's today
/// ends (`SignInStatus.dayEndsAt`).
pub fn end_of(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    start_of(date.succ_opt().unwrap_or(date), zone)
}

/// The instant the calendar month of `date` begins in `zone` (make-ups are
/// counted per calendar month of the user's zone).
pub fn start_of_month(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    start_of(date.with_day(1).unwrap_or(date), zone)
}

/// The earliest date that may still be the user's today: the latest
/// recorded date (signed, made up or frozen), or the date after the latest
/// jumped one. None for a history without dates.
fn floor(history: &History) -> Option<NaiveDate> {
    // The latest date decides (a jumped date's successor is later than any
    // date before it): O(log n), on every status read.
    history
        .days
        .iter()
        .next_back()
        .map(|(date, kind)| match kind {
            DayKind::Jumped => date.succ_opt().unwrap_or(*date),
            DayKind::Signed | DayKind::MadeUp | DayKind::Frozen => *date,
        })
}

/// The user's today at `now`: the date in `zone`, or the [`floor`] of their
/// history when that is later (after a move west). So a recorded date never
/// decreases and no date is signed twice.
pub fn today(now: DateTime<Utc>, zone: Tz, history: &History) -> NaiveDate {
    let local = local_date(now, zone);
    floor(history).map_or(local, |floor| floor.max(local))
}

/// What a change of zone does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneChange {
    /// The zone asked for is the one the user has: nothing changes and the
    /// change is not counted.
    Unchanged,
    /// The zone changes; `jumped` are the jumped dates, oldest first (at
    /// most one: two zones' dates differ by at most one at any instant).
    Changed { jumped: Vec<NaiveDate> },
}

/// A change refused because the last one was less than
/// `SIGNIN_TIMEZONE_CHANGE_DAYS` × 24 hours ago (`LIMIT_REACHED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeTooSoon {
    /// Seconds until a change is allowed (`extensions.retryAfter`), at least 1.
    pub retry_after_secs: u64,
}

/// A change of the user's zone from `current` to `requested` at `now`
/// (contract, "Every user's own day"): unchanged when they are the same
/// zone; refused when `last_change` is less than `limit_days` × 24 hours
/// before `now`; otherwise the dates it jumps over: those strictly between
/// the user's today just before the change and the date in `requested` at
/// `now`.
pub fn change_zone(
    now: DateTime<Utc>,
    history: &History,
    current: Tz,
    requested: Tz,
    last_change: Option<DateTime<Utc>>,
    limit_days: u16,
) -> Result<ZoneChange, ChangeTooSoon> {
    if current == requested {
        return Ok(ZoneChange::Unchanged);
    }
    if let Some(last) = last_change {
        let allowed_at = last + TimeDelta::days(i64::from(limit_days));
        if now < allowed_at {
            let wait = allowed_at - now;
            // Round up: after `retryAfter` seconds the change is allowed.
            let secs = wait.num_seconds() + i64::from(wait.subsec_nanos() > 0);
            return Err(ChangeTooSoon {
                retry_after_secs: u64::try_from(secs).unwrap_or(1).max(1),
            });
        }
    }
    let before = today(now, current, history);
    let after = local_date(now, requested);
    let jumped = before
        .checked_add_days(Days::new(1))
        .map(|first| first.iter_days().take_while(|d| *d < after).collect())
        .unwrap_or_default();
    Ok(ZoneChange::Changed { jumped })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn zone(name: &str) -> Tz {
        parse_zone(name).unwrap()
    }

    fn signed(dates: &[&str]) -> History {
        dates.iter().map(|s| (d(s), DayKind::Signed)).collect()
    }

    #[test]
    fn zone_names_are_iana_names_matched_exactly() {
        let cases: &[(&str, Result<&str, ZoneNameError>)] = &[
            ("Europe/Paris", Ok("Europe/Paris")),
            ("UTC", Ok("UTC")),
            ("Asia/Shanghai", Ok("Asia/Shanghai")),
            ("US/Pacific", Ok("US/Pacific")),
            ("Etc/GMT+5", Ok("Etc/GMT+5")),
            ("europe/paris", Err(ZoneNameError::Unknown)),
            ("Mars/Olympus_Mons", Err(ZoneNameError::Unknown)),
            ("", Err(ZoneNameError::Unknown)),
            (" UTC", Err(ZoneNameError::Unknown)),
            ("+02:00", Err(ZoneNameError::Unknown)),
            ("Europe/Paris\0", Err(ZoneNameError::Unknown)),
        ];
        for (name, want) in cases {
            let got = parse_zone(name).map(|z| z.name());
            assert_eq!(got, *want, "{name:?}");
        }
        assert_eq!(
            parse_zone(&"A".repeat(MAX_ZONE_NAME + 1)),
            Err(ZoneNameError::TooLong)
        );
    }

    /// The same instant is a different date for users 23 hours apart.
    #[test]
    fn the_same_instant_is_each_users_own_date() {
        let now = at("2026-03-10T10:30:00Z");
        let cases = [
            ("Pacific/Kiritimati", "2026-03-11"), // UTC+14
            ("Asia/Shanghai", "2026-03-10"),
            ("UTC", "2026-03-10"),
            ("America/Los_Angeles", "2026-03-10"),
            ("Pacific/Pago_Pago", "2026-03-09"), // UTC-11: 23:30 on the 9th
            ("Etc/GMT+12", "2026-03-09"),
        ];
        for (name, want) in cases {
            assert_eq!(local_date(now, zone(name)), d(want), "{name}");
            assert_eq!(today(now, zone(name), &History::new()), d(want), "{name}");
        }
        // Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart.
        assert_eq!(newest_date(now), d("2026-03-11"));
        assert_eq!(newest_date(at("2026-03-10T09:59:59Z")), d("2026-03-10"));
    }

    /// A move west onto a signed date: today stays that date until the new
    /// zone reaches a later one.
    #[test]
    fn today_never_goes_back_before_a_recorded_date() {
        let paris = zone("Europe/Paris");
        let la = zone("America/Los_Angeles");
        let history = signed(&["2026-03-09", "2026-03-10"]);
        // 00:30 on the 10th in Paris is 15:30 on the 9th in Los Angeles.
        let cases = [
            ("2026-03-09T23:30:00Z", paris, "2026-03-10"),
            ("2026-03-09T23:30:00Z", la, "2026-03-10"),
            ("2026-03-10T06:59:00Z", la, "2026-03-10"), // 23:59 on the 9th in LA (PDT)
            ("2026-03-11T07:00:00Z", la, "2026-03-11"), // 00:00 on the 11th in LA (PDT)
        ];
        for (now, zone, want) in cases {
            assert_eq!(today(at(now), zone, &history), d(want), "{now} {zone}");
        }
        // A jumped date: today is at least the date after it.
        let jumped = signed(&["2026-03-08"]).with(d("2026-03-09"), DayKind::Jumped);
        assert_eq!(
            today(at("2026-03-08T12:00:00Z"), la, &jumped),
            d("2026-03-10")
        );
        // A made-up date later than the last signed one counts too.
        let made_up = signed(&["2026-03-05"]).with(d("2026-03-09"), DayKind::MadeUp);
        assert_eq!(
            today(at("2026-03-08T12:00:00Z"), la, &made_up),
            d("2026-03-09")
        );
    }

    #[test]
    fn days_begin_and_end_at_local_midnight_across_dst() {
        let cases = [
            // (date, zone, start, end)
            (
                "2026-03-10",
                "Asia/Shanghai",
                "2026-03-09T16:00:00Z",
                "2026-03-10T16:00:00Z",
            ),
            // Los Angeles springs forward on 2026-03-08 at 02:00: a 23-hour day.
            (
                "2026-03-08",
                "America/Los_Angeles",
                "2026-03-08T08:00:00Z",
                "2026-03-09T07:00:00Z",
            ),
            // ... and falls back on 2026-11-01: a 25-hour day.
            (
                "2026-11-01",
                "America/Los_Angeles",
                "2026-11-01T07:00:00Z",
                "2026-11-02T08:00:00Z",
            ),
            // Havana springs forward at midnight: 2026-03-08 begins at 01:00 local.
            (
                "2026-03-08",
                "America/Havana",
                "2026-03-08T05:00:00Z",
                "2026-03-09T04:00:00Z",
            ),
        ];
        for (date, name, start, end) in cases {
            assert_eq!(start_of(d(date), zone(name)), at(start), "{date} {name}");
            assert_eq!(end_of(d(date), zone(name)), at(end), "{date} {name}");
        }
        assert_eq!(
            start_of_month(d("2026-03-10"), zone("Asia/Shanghai")),
            at("2026-02-28T16:00:00Z")
        );
        // An instant in the repeated hour of a fall-back is still one date.
        let la = zone("America/Los_Angeles");
        assert_eq!(local_date(at("2026-11-01T08:30:00Z"), la), d("2026-11-01"));
        assert_eq!(local_date(at("2026-11-01T09:30:00Z"), la), d("2026-11-01"));
    }

    #[test]
    fn zone_changes_jump_dates_going_east_and_are_limited() {
        let empty = History::new();
        let week = 7;
        // (now, from, to, last change, want)
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
            Result<Vec<&'a str>, u64>,
        );
        let cases: &[Case] = &[
            // 23:30 on the 10th in Los Angeles is 16:30 on the 11th in Shanghai:
            // the next date, nothing jumped.
            (
                "2026-03-11T06:30:00Z",
                "America/Los_Angeles",
                "Asia/Shanghai",
                None,
                Ok(vec![]),
            ),
            // 23:30 on the 10th at UTC-11 is 00:30 on the 12th at UTC+14: the 11th is jumped.
            (
                "2026-03-11T10:30:00Z",
                "Pacific/Pago_Pago",
                "Pacific/Kiritimati",
                None,
                Ok(vec!["2026-03-11"]),
            ),
            // At 23:59 and at 00:01 of the old zone.
            (
                "2026-03-11T10:59:00Z",
                "Pacific/Pago_Pago",
                "Pacific/Kiritimati",
                None,
                Ok(vec!["2026-03-11"]),
            ),
            (
                "2026-03-11T11:01:00Z",
                "Pacific/Pago_Pago",
                "Pacific/Kiritimati",
                None,
                Ok(vec![]),
            ),
            // West: nothing jumped.
            (
                "2026-03-11T10:30:00Z",
                "Pacific/Kiritimati",
                "Pacific/Pago_Pago",
                None,
                Ok(vec![]),
            ),
            // The limit: 7 × 24 hours after the last change.
            (
                "2026-03-11T10:30:00Z",
                "UTC",
                "Europe/Paris",
                Some("2026-03-05T10:30:00Z"),
                Err(86_400),
            ),
            (
                "2026-03-11T10:30:00Z",
                "UTC",
                "Europe/Paris",
                Some("2026-03-04T10:30:01Z"),
                Err(1),
            ),
            (
                "2026-03-11T10:30:00Z",
                "UTC",
                "Europe/Paris",
                Some("2026-03-04T10:30:00Z"),
                Ok(vec![]),
            ),
        ];
        for (now, from, to, last, want) in cases {
            let got = change_zone(at(now), &empty, zone(from), zone(to), last.map(at), week);
            let want = match want {
                Ok(dates) => Ok(ZoneChange::Changed {
                    jumped: dates.iter().map(|s| d(s)).collect(),
                }),
                Err(secs) => Err(ChangeTooSoon {
                    retry_after_secs: *secs,
                }),
            };
            assert_eq!(got, want, "{now} {from} -> {to}");
        }
        // The zone one already has: unchanged, and not refused by the limit.
        assert_eq!(
            change_zone(
                at("2026-03-11T10:30:00Z"),
                &empty,
                zone("UTC"),
                zone("UTC"),
                Some(at("2026-03-11T10:00:00Z")),
                week
            ),
            Ok(ZoneChange::Unchanged)
        );
        // A limit of 0 days: every change is allowed.
        assert!(change_zone(
            at("2026-03-11T10:30:00Z"),
            &empty,
            zone("UTC"),
            zone("Asia/Tokyo"),
            Some(at("2026-03-11T10:30:00Z")),
            0
        )
        .is_ok());
    }

    /// After a move west left today on a signed date, a move east jumps
    /// from that date, not from the old zone's earlier one.
    #[test]
    fn jumps_start_after_the_users_today_not_the_old_zones_date() {
        let history = signed(&["2026-03-11"]);
        // 10:30Z: the 10th at UTC-11 (but today is the signed 11th), the 12th at UTC+14.
        let got = change_zone(
            at("2026-03-11T10:30:00Z"),
            &history,
            zone("Pacific/Pago_Pago"),
            zone("Pacific/Kiritimati"),
            None,
            7,
        );
        assert_eq!(got, Ok(ZoneChange::Changed { jumped: vec![] }));
    }
}
