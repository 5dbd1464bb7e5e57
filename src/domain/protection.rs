//! The settings of streak protection and milestones, and the rules that need
//! nothing but them: what a milestone pays, which one comes next, how many
//! make-ups a month still allows.
//!
//! Source: the contract, section "Streak protection and milestones"
//! (`SIGNIN_MAKEUP_*`, `SIGNIN_FREEZE_COST`, `SIGNIN_MAX_FREEZES`,
//! `SIGNIN_MILESTONES`).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::chain::{self, DayKind, History, NextSignIn};
use super::cycle::SignInStatus;
use super::money::MAX_BALANCE;
use super::rewards::MAX_REWARD;
use super::schedule::RewardsByDate;

/// A streak length and the bonus (points) a sign-in reaching it earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// At least 1.
    pub streak: u32,
    /// 1..=[`MAX_REWARD`] points.
    pub bonus: u32,
}

/// `SIGNIN_MILESTONES`: comma-separated `streak:bonus` pairs with distinct
/// positive streaks, kept in ascending streak order. Empty: no milestones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Milestones(Vec<Milestone>);

/// Why a `SIGNIN_MILESTONES` value is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MilestonesError {
    #[error("{0:?} is not a streak:bonus pair")]
    NotAPair(String),
    #[error("the streak of {0:?} is not a whole number of at least 1")]
    BadStreak(String),
    #[error("the bonus of {pair:?} is not a whole number from 1 to {max}")]
    BadBonus { pair: String, max: u32 },
    #[error("the streak {0} is listed twice")]
    Repeated(u32),
}

impl Milestones {
    /// The bonus a sign-in that reaches `streak` earns, if any.
    pub fn bonus_for(&self, streak: u32) -> Option<u32> {
        self.0
            .binary_search_by_key(&streak, |m| m.streak)
            .ok()
            .map(|i| self.0[i].bonus)
    }

    /// The first milestone above `streak` (`SignInStatus.nextMilestone`), or
    /// None when none is left.
    pub fn next_above(&self, streak: u32) -> Option<Milestone> {
        self.0.iter().copied().find(|m| m.streak > streak)
    }

    /// Ascending streak order.
    pub fn as_slice(&self) -> &[Milestone] {
        &self.0
    }
}

impl FromStr for Milestones {
    type Err = MilestonesError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut list = Vec::new();
        if s.trim().is_empty() {
            return Ok(Self(list));
        }
        for pair in s.split(',').map(str::trim) {
            let (streak, bonus) = pair
                .split_once(':')
                .ok_or_else(|| MilestonesError::NotAPair(pair.to_owned()))?;
            let streak: u32 = streak
                .trim()
                .parse()
                .ok()
                .filter(|s| *s >= 1)
                .ok_or_else(|| MilestonesError::BadStreak(pair.to_owned()))?;
            let bonus: u32 = bonus
                .trim()
                .parse()
                .ok()
                .filter(|b| (1..=MAX_REWARD).contains(b))
                .ok_or_else(|| MilestonesError::BadBonus {
                    pair: pair.to_owned(),
                    max: MAX_REWARD,
                })?;
            list.push(Milestone { streak, bonus });
        }
        list.sort_by_key(|m| m.streak);
        if let Some(twice) = list.windows(2).find(|w| w[0].streak == w[1].streak) {
            return Err(MilestonesError::Repeated(twice[0].streak));
        }
        Ok(Self(list))
    }
}

impl fmt::Display for Milestones {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}:{}", m.streak, m.bonus)?;
        }
        Ok(())
    }
}

/// Largest `SIGNIN_MAKEUP_WINDOW_DAYS` and `SIGNIN_MAX_FREEZES`: a year.
/// Both bound the work of a status read and of a sign-in.
pub const MAX_WINDOW_OR_FREEZES: u16 = 366;

/// The largest cost a fee or a freeze may have: what a wallet can hold.
pub const MAX_COST: u32 = MAX_BALANCE as u32;

/// The streak-protection settings, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreakProtection {
    /// `SIGNIN_MAKEUP_COST`: points a make-up costs.
    pub make_up_cost: u32,
    /// `SIGNIN_MAKEUP_WINDOW_DAYS`: how many days back a make-up may reach.
    pub make_up_window_days: u16,
    /// `SIGNIN_MAKEUP_MONTHLY_LIMIT`: make-ups per user per calendar month.
    pub make_up_monthly_limit: u16,
    /// `SIGNIN_FREEZE_COST`: points a streak freeze costs.
    pub freeze_cost: u32,
    /// `SIGNIN_MAX_FREEZES`: freezes a user may hold at once.
    pub max_freezes: u16,
    /// `SIGNIN_MILESTONES`.
    pub milestones: Milestones,
}

impl Default for StreakProtection {
    /// The contract's defaults.
    fn default() -> Self {
        Self {
            make_up_cost: 50,
            make_up_window_days: 7,
            make_up_monthly_limit: 3,
            freeze_cost: 200,
            max_freezes: 2,
            milestones: Milestones::default(),
        }
    }
}

impl StreakProtection {
    /// `makeUpsLeft`: make-ups still allowed this month after `made` ones.
    pub fn make_ups_left(&self, made: u32) -> u32 {
        u32::from(self.make_up_monthly_limit).saturating_sub(made)
    }
}

/// One user's chain as read at one moment: what the status and every
/// decision about their chain need. Cached per user for the business day it
/// was read on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    /// The recent dates (anchored at a stored position: see [`History`]).
    pub history: History,
    /// Freezes bought and not used.
    pub freezes_held: u16,
    /// The registration date in the business zone.
    pub registered_on: NaiveDate,
    /// Make-ups made in the current calendar month (business zone).
    pub make_ups_this_month: u32,
    /// Points the sign-in on the day this was read earned, as recorded
    /// when it happened (None without one). A later make-up renumbers the
    /// dates, so today's cycle day may then name another reward; this one
    /// stays what was paid.
    #[serde(default)]
    pub today_reward: Option<u32>,
}

impl ChainState {
    /// The chain of a user with no dates and nothing held, registered
    /// `today` (a user the store has no wallet for).
    pub fn empty(today: NaiveDate) -> Self {
        Self {
            history: History::new(),
            freezes_held: 0,
            registered_on: today,
            make_ups_this_month: 0,
            today_reward: None,
        }
    }

    /// The chain after a `signIn` on `today` that [`chain::next_sign_in`]
    /// decided as `next` and that earned `reward` points: today signed, the
    /// dates it covers frozen, and as many freezes fewer.
    #[must_use]
    pub fn after_sign_in(mut self, today: NaiveDate, next: &NextSignIn, reward: u32) -> Self {
        self.today_reward = Some(reward);
        for day in &next.freezes_used {
            self.history.days.insert(*day, DayKind::Frozen);
        }
        self.history.days.insert(today, DayKind::Signed);
        let used = u16::try_from(next.freezes_used.len()).unwrap_or(u16::MAX);
        self.freezes_held = self.freezes_held.saturating_sub(used);
        self
    }

    /// The chain after a make-up of `date`: the date made up, one make-up
    /// more this month. A date before the anchor means the history is the
    /// user's whole chain (see `store::chain::load_many`), so the chain rule
    /// then starts from its beginning.
    #[must_use]
    pub fn after_make_up(mut self, date: NaiveDate) -> Self {
        if self.history.anchor.is_some_and(|(anchor, _)| anchor > date) {
            self.history.anchor = None;
        }
        self.history.days.insert(date, DayKind::MadeUp);
        self.make_ups_this_month = self.make_ups_this_month.saturating_add(1);
        self
    }

    /// The chain after buying a freeze.
    #[must_use]
    pub fn after_buying_a_freeze(mut self) -> Self {
        self.freezes_held = self.freezes_held.saturating_add(1);
        self
    }

    /// The status on `today` with every streak-protection field
    /// (contract, "Streak protection and milestones").
    pub fn status(
        &self,
        today: NaiveDate,
        rules: &StreakProtection,
        rewards: &impl RewardsByDate,
    ) -> SignInStatus {
        let mut status = chain::status(&self.history, today, self.freezes_held, rewards);
        // Signed in today: what that sign-in earned (contract: "the reward
        // today's sign-in earned, or would earn"), not the reward of
        // today's cycle day after a make-up renumbered it.
        if status.signed_in_today {
            if let Some(earned) = self.today_reward {
                status.today_reward = earned;
            }
        }
        status.freezes_held = self.freezes_held;
        status.make_up_dates = chain::make_up_dates(
            &self.history,
            today,
            self.registered_on,
            rules.make_up_window_days,
        );
        status.make_ups_left = rules.make_ups_left(self.make_ups_this_month);
        status.next_milestone = rules.milestones.next_above(status.streak);
        status.make_up_cost = rules.make_up_cost;
        status.freeze_cost = rules.freeze_cost;
        status.max_freezes = rules.max_freezes;
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(streak: u32, bonus: u32) -> Milestone {
        Milestone { streak, bonus }
    }

    #[test]
    fn milestones_parse_table() {
        let ok: &[(&str, &[Milestone])] = &[
            ("", &[]),
            ("  ", &[]),
            ("7:50", &[m(7, 50)]),
            (
                "30:300, 7:50 ,100:1000",
                &[m(7, 50), m(30, 300), m(100, 1000)],
            ),
            ("1:1", &[m(1, 1)]),
        ];
        for (raw, want) in ok {
            let parsed: Milestones = raw.parse().unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(parsed.as_slice(), *want, "{raw:?}");
        }
        let bad: &[(&str, MilestonesError)] = &[
            ("7", MilestonesError::NotAPair("7".into())),
            ("7:50,", MilestonesError::NotAPair("".into())),
            ("0:50", MilestonesError::BadStreak("0:50".into())),
            ("-1:50", MilestonesError::BadStreak("-1:50".into())),
            ("x:50", MilestonesError::BadStreak("x:50".into())),
            (
                "7:0",
                MilestonesError::BadBonus {
                    pair: "7:0".into(),
                    max: MAX_REWARD,
                },
            ),
            (
                "7:1000001",
                MilestonesError::BadBonus {
                    pair: "7:1000001".into(),
                    max: MAX_REWARD,
                },
            ),
            ("7:50,7:60", MilestonesError::Repeated(7)),
        ];
        for (raw, want) in bad {
            assert_eq!(raw.parse::<Milestones>().unwrap_err(), *want, "{raw:?}");
        }
    }

    #[test]
    fn bonus_and_next_milestone() {
        let list: Milestones = "7:50,30:300,100:1000".parse().unwrap();
        let table: &[(u32, Option<u32>, Option<Milestone>)] = &[
            (0, None, Some(m(7, 50))),
            (6, None, Some(m(7, 50))),
            (7, Some(50), Some(m(30, 300))),
            (8, None, Some(m(30, 300))),
            (30, Some(300), Some(m(100, 1000))),
            (100, Some(1000), None),
            (u32::MAX, None, None),
        ];
        for (streak, bonus, next) in table {
            assert_eq!(list.bonus_for(*streak), *bonus, "bonus at {streak}");
            assert_eq!(list.next_above(*streak), *next, "next above {streak}");
        }
        assert_eq!(Milestones::default().next_above(0), None);
        assert_eq!(list.to_string(), "7:50,30:300,100:1000");
    }

    /// Issue 24, item 18: `todayReward` is what today's sign-in earned,
    /// whatever a later make-up renumbered. Days 1-5 signed, 6 missed, 7
    /// signed (cycle day 1: 10 points), then 6 made up: today becomes cycle
    /// day 7 (100 in the table) but the sign-in earned 10.
    #[test]
    fn today_reward_is_what_todays_sign_in_earned() {
        use crate::domain::rewards::RewardTable;
        let d = |day: u32| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
        let rewards = RewardTable::default();
        let rules = StreakProtection::default();
        let signed: History = (1..=5)
            .map(|day| (d(day), DayKind::Signed))
            .chain([(d(7), DayKind::Signed)])
            .collect();
        let chain = |history: History, today_reward: Option<u32>| ChainState {
            history,
            freezes_held: 0,
            registered_on: d(1),
            make_ups_this_month: 0,
            today_reward,
        };
        let made_up = signed.clone().with(d(6), DayKind::MadeUp);
        // (name, history, recorded reward of today's sign-in, today, cycle
        // day, todayReward)
        type Case = (&'static str, History, Option<u32>, u32, u8, u32);
        let cases: Vec<Case> = vec![
            (
                "signed day 7 after a miss",
                signed.clone(),
                Some(10),
                7,
                1,
                10,
            ),
            ("then day 6 made up", made_up.clone(), Some(10), 7, 7, 10),
            // Not signed today: what a sign-in now would earn.
            ("tomorrow, not signed", made_up.clone(), None, 8, 1, 10),
            // No recorded reward (an entry cached by an older build): the
            // table's, as before.
            ("nothing recorded", made_up, None, 7, 7, 100),
            ("recorded as it is", signed, Some(10), 7, 1, 10),
        ];
        for (name, history, recorded, today, cycle_day, want) in cases {
            let status = chain(history, recorded).status(d(today), &rules, &rewards);
            assert_eq!(
                (status.cycle_day, status.today_reward),
                (cycle_day, want),
                "{name}"
            );
        }
    }

    #[test]
    fn make_ups_left_never_goes_below_zero() {
        let rules = StreakProtection::default();
        assert_eq!(rules.make_ups_left(0), 3);
        assert_eq!(rules.make_ups_left(2), 1);
        assert_eq!(rules.make_ups_left(3), 0);
        assert_eq!(rules.make_ups_left(9), 0);
    }
}
