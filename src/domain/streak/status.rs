//! The 7-day cycle: which cycle day and streak a sign-in gets, and the status
//! a user sees.

#[cfg(test)]
use chrono::Days;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[cfg(test)]
use crate::domain::schedule::RewardsByDate;

pub const CYCLE_LENGTH: u8 = 7;

/// A streak length and the bonus (points) a sign-in reaching it earns
/// (`SignInStatus.nextMilestone`; the list is `protection::Milestones`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// At least 1.
    pub streak: u32,
    /// 1..=`rewards::MAX_REWARD` points.
    pub bonus: u32,
}

/// Where a sign-in stands in its cycle (the rule before streak protection,
/// kept as the tests' oracle: `domain::chain` must agree with it on
/// histories of signed dates alone).
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CyclePosition {
    pub day: NaiveDate,
    pub cycle_day: u8,
    pub streak: u32,
}

/// The (cycle day, streak) of a sign-in on `today`, given the user's latest
/// sign-in before today: the next day of the chain when that was yesterday,
/// otherwise day 1 of a new chain. Test oracle (see [`CyclePosition`]).
#[cfg(test)]
pub fn next_position(previous: Option<&CyclePosition>, today: NaiveDate) -> (u8, u32) {
    match previous {
        Some(prev) if today.pred_opt() == Some(prev.day) => (
            prev.cycle_day % CYCLE_LENGTH + 1,
            prev.streak.saturating_add(1),
        ),
        _ => (1, 1),
    }
}

/// One day of the current cycle. Serialised as it travels in events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleEntry {
    pub day: u8,
    pub date: NaiveDate,
    pub reward: u32,
    pub signed_in: bool,
}

/// What a user sees of their sign-ins on `today`. Serialised as it travels
/// in events (`events::Event::StreakUpdated`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStatus {
    pub today: NaiveDate,
    pub signed_in_today: bool,
    pub streak: u32,
    pub cycle_day: u8,
    pub today_reward: u32,
    pub cycle: Vec<CycleEntry>,
    /// Streak freezes held now.
    #[serde(default)]
    pub freezes_held: u16,
    /// Missed dates a make-up may fill now, oldest first.
    #[serde(default)]
    pub make_up_dates: Vec<NaiveDate>,
    /// Make-ups still allowed this calendar month.
    #[serde(default)]
    pub make_ups_left: u32,
    /// The first milestone above `streak`.
    #[serde(default)]
    pub next_milestone: Option<Milestone>,
    /// Points a make-up costs now (`SIGNIN_MAKEUP_COST`).
    #[serde(default)]
    pub make_up_cost: u32,
    /// Points a streak freeze costs now (`SIGNIN_FREEZE_COST`).
    #[serde(default)]
    pub freeze_cost: u32,
    /// Freezes a user may hold (`SIGNIN_MAX_FREEZES`).
    #[serde(default)]
    pub max_freezes: u16,
    /// The user's time zone, in which `today` is counted (None only in
    /// statuses announced by older builds).
    #[serde(default)]
    pub time_zone: Option<Tz>,
}

/// The status on `today` from the user's latest sign-in on or before today.
///
/// Every day of a cycle before the current one is signed in: a cycle is a
/// chain of consecutive sign-ins, and a missed day starts a new one.
#[cfg(test)]
pub fn status(
    latest: Option<&CyclePosition>,
    today: NaiveDate,
    rewards: &impl RewardsByDate,
) -> SignInStatus {
    let signed_in_today = latest.is_some_and(|l| l.day == today);
    let (cycle_day, streak) = match latest {
        Some(l) if l.day == today => (l.cycle_day, l.streak),
        // Not signed today: the streak still counts up to yesterday.
        Some(l) if today.pred_opt() == Some(l.day) => (next_position(latest, today).0, l.streak),
        _ => (1, 0),
    };
    let start = today - Days::new(u64::from(cycle_day) - 1);
    let cycle = (1..=CYCLE_LENGTH)
        .map(|day| {
            let date = start + Days::new(u64::from(day) - 1);
            CycleEntry {
                day,
                date,
                reward: rewards.reward_on(date, day),
                signed_in: day < cycle_day || (day == cycle_day && signed_in_today),
            }
        })
        .collect();
    SignInStatus {
        today,
        signed_in_today,
        streak,
        cycle_day,
        today_reward: rewards.reward_on(today, cycle_day),
        cycle,
        ..SignInStatus::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rewards::RewardTable;
    use chrono::{NaiveDateTime, TimeZone};
    use chrono_tz::Tz;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(day: &str, cycle_day: u8, streak: u32) -> CyclePosition {
        CyclePosition {
            day: d(day),
            cycle_day,
            streak,
        }
    }

    /// (case, previous sign-in, today, expected (cycle day, streak))
    type Case = (&'static str, Option<CyclePosition>, &'static str, (u8, u32));

    #[test]
    fn next_position_table() {
        let cases: &[Case] = &[
            ("first sign-in ever", None, "2026-01-10", (1, 1)),
            (
                "yesterday day 1",
                Some(at("2026-01-09", 1, 1)),
                "2026-01-10",
                (2, 2),
            ),
            (
                "yesterday day 6",
                Some(at("2026-01-09", 6, 6)),
                "2026-01-10",
                (7, 7),
            ),
            (
                "after day 7 comes day 1, streak goes on",
                Some(at("2026-01-09", 7, 7)),
                "2026-01-10",
                (1, 8),
            ),
            (
                "second lap",
                Some(at("2026-01-09", 7, 14)),
                "2026-01-10",
                (1, 15),
            ),
            (
                "one-day gap resets",
                Some(at("2026-01-08", 3, 3)),
                "2026-01-10",
                (1, 1),
            ),
            (
                "long gap resets",
                Some(at("2025-03-01", 5, 40)),
                "2026-01-10",
                (1, 1),
            ),
            (
                "across a month end",
                Some(at("2026-01-31", 2, 2)),
                "2026-02-01",
                (3, 3),
            ),
            (
                "across a leap day",
                Some(at("2028-02-29", 4, 11)),
                "2028-03-01",
                (5, 12),
            ),
            (
                "across a year end",
                Some(at("2026-12-31", 5, 5)),
                "2027-01-01",
                (6, 6),
            ),
        ];
        for (name, prev, today, expected) in cases {
            assert_eq!(next_position(prev.as_ref(), d(today)), *expected, "{name}");
        }
    }

    #[test]
    fn eight_consecutive_days_wrap_to_day_one_with_streak_eight() {
        let mut prev: Option<CyclePosition> = None;
        let start = d("2026-03-01");
        let mut seen = Vec::new();
        for i in 0..8u64 {
            let today = start + Days::new(i);
            let (cycle_day, streak) = next_position(prev.as_ref(), today);
            seen.push((cycle_day, streak));
            prev = Some(CyclePosition {
                day: today,
                cycle_day,
                streak,
            });
        }
        assert_eq!(
            seen,
            vec![
                (1, 1),
                (2, 2),
                (3, 3),
                (4, 4),
                (5, 5),
                (6, 6),
                (7, 7),
                (1, 8)
            ]
        );
    }

    #[test]
    fn business_day_boundary_in_shanghai() {
        // 15:59 UTC is 23:59 in Asia/Shanghai, 16:00 UTC is 00:00 the next day.
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let business_day = |utc: &str| {
            let instant = NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M")
                .unwrap()
                .and_utc();
            tz.from_utc_datetime(&instant.naive_utc()).date_naive()
        };
        let before = business_day("2026-05-01 15:59");
        let after = business_day("2026-05-01 16:00");
        assert_eq!(before, d("2026-05-01"));
        assert_eq!(after, d("2026-05-02"));
        // Signing at 23:59 and again at 00:00 are two consecutive days.
        let first = next_position(None, before);
        assert_eq!(first, (1, 1));
        let prev = CyclePosition {
            day: before,
            cycle_day: first.0,
            streak: first.1,
        };
        assert_eq!(next_position(Some(&prev), after), (2, 2));
        // In UTC both instants are the same day.
        assert_eq!(
            NaiveDateTime::parse_from_str("2026-05-01 15:59", "%Y-%m-%d %H:%M")
                .unwrap()
                .date(),
            NaiveDateTime::parse_from_str("2026-05-01 16:00", "%Y-%m-%d %H:%M")
                .unwrap()
                .date()
        );
    }

    #[test]
    fn status_never_signed_in() {
        let s = status(None, d("2026-04-10"), &RewardTable::default());
        assert!(!s.signed_in_today);
        assert_eq!((s.streak, s.cycle_day, s.today_reward), (0, 1, 10));
        assert_eq!(s.cycle.len(), 7);
        assert_eq!(s.cycle[0].date, d("2026-04-10"));
        assert_eq!(s.cycle[6].date, d("2026-04-16"));
        assert!(s.cycle.iter().all(|c| !c.signed_in));
        let rewards: Vec<u32> = s.cycle.iter().map(|c| c.reward).collect();
        assert_eq!(rewards, vec![10, 10, 20, 20, 30, 30, 100]);
    }

    #[test]
    fn status_signed_in_today_on_day_three() {
        let s = status(
            Some(&at("2026-04-10", 3, 10)),
            d("2026-04-10"),
            &RewardTable::default(),
        );
        assert!(s.signed_in_today);
        assert_eq!((s.streak, s.cycle_day, s.today_reward), (10, 3, 20));
        assert_eq!(s.cycle[0].date, d("2026-04-08"));
        let signed: Vec<bool> = s.cycle.iter().map(|c| c.signed_in).collect();
        assert_eq!(signed, vec![true, true, true, false, false, false, false]);
    }

    #[test]
    fn status_signed_in_yesterday_shows_the_day_a_sign_in_would_get() {
        let s = status(
            Some(&at("2026-04-09", 3, 3)),
            d("2026-04-10"),
            &RewardTable::default(),
        );
        assert!(!s.signed_in_today);
        assert_eq!((s.streak, s.cycle_day, s.today_reward), (3, 4, 20));
        assert_eq!(s.cycle[0].date, d("2026-04-07"));
        assert_eq!(s.cycle[3].date, d("2026-04-10"));
        let signed: Vec<bool> = s.cycle.iter().map(|c| c.signed_in).collect();
        assert_eq!(signed, vec![true, true, true, false, false, false, false]);
    }

    #[test]
    fn status_after_a_completed_cycle_starts_a_new_one_today() {
        let s = status(
            Some(&at("2026-04-09", 7, 7)),
            d("2026-04-10"),
            &RewardTable::default(),
        );
        assert_eq!((s.streak, s.cycle_day, s.today_reward), (7, 1, 10));
        assert_eq!(s.cycle[0].date, d("2026-04-10"));
        assert!(s.cycle.iter().all(|c| !c.signed_in));
    }

    #[test]
    fn status_after_a_missed_day_is_back_to_day_one() {
        let s = status(
            Some(&at("2026-04-08", 5, 5)),
            d("2026-04-10"),
            &RewardTable::default(),
        );
        assert_eq!((s.streak, s.cycle_day, s.signed_in_today), (0, 1, false));
        assert_eq!(s.cycle[0].date, d("2026-04-10"));
    }
}
