//! The settings of streak protection and milestones, and the rules that need
//! nothing but them: what a milestone pays, which one comes next, how many
//! make-ups a month still allows.
//!
//! Source: the contract, section "Streak protection and milestones"
//! (`SIGNIN_MAKEUP_*`, `SIGNIN_FREEZE_COST`, `SIGNIN_MAX_FREEZES`,
//! `SIGNIN_MILESTONES`).

use std::fmt;
use std::str::FromStr;

use super::status::Milestone;
use crate::domain::money::MAX_BALANCE;
use crate::domain::rewards::MAX_REWARD;

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

    #[test]
    fn make_ups_left_never_goes_below_zero() {
        let rules = StreakProtection::default();
        assert_eq!(rules.make_ups_left(0), 3);
        assert_eq!(rules.make_ups_left(2), 1);
        assert_eq!(rules.make_ups_left(3), 0);
        assert_eq!(rules.make_ups_left(9), 0);
    }
}
