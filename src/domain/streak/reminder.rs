//! Streak reminders (contract, "Webhooks and streak reminders"): whether a
//! user's streak is at risk on their today (it breaks at their next
//! midnight unless they sign in), and whether the midnight that began their
//! today broke it. Pure, from the chain the service read.

use chrono::NaiveDate;

use super::chain;
use super::protection::StreakProtection;
use super::state::ChainState;
use crate::domain::schedule::RewardsByDate;

/// What a `streak.at_risk` message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRisk {
    /// The streak that breaks at midnight (at least 1).
    pub streak: u32,
    pub freezes_held: u16,
}

/// What a `streak.lost` message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// The streak the midnight broke.
    pub streak: u32,
    /// The dates a make-up could still fill (the status's `makeUpDates`).
    pub make_up_dates: Vec<NaiveDate>,
}

/// Streaks only: the rewards of the dates play no part.
struct NoRewards;

impl RewardsByDate for NoRewards {
    fn reward_on(&self, _date: NaiveDate, _cycle_day: u8) -> u32 {
        0
    }
}

/// The streak a user has on `date` if they do not sign in before it ends
/// (the protected run a sign-in on `date` would continue; 0 when it would
/// restart), and whether `date` is signed.
fn streak_on(chain: &ChainState, date: NaiveDate) -> (u32, bool) {
    let status = chain::status(&chain.history, date, chain.freezes_held, &NoRewards);
    (status.streak, status.signed_in_today)
}

/// At risk on `today`: a streak of at least 1, `today` not signed, and
/// more dates missed by the next midnight than freezes held (so a sign-in
/// tomorrow would restart it).
pub fn at_risk(chain: &ChainState, today: NaiveDate) -> Option<AtRisk> {
    let (streak, signed) = streak_on(chain, today);
    if signed || streak == 0 {
        return None;
    }
    let tomorrow = today.succ_opt()?;
    let (after_midnight, _) = streak_on(chain, tomorrow);
    (after_midnight == 0).then_some(AtRisk {
        streak,
        freezes_held: chain.freezes_held,
    })
}

/// Lost at the midnight that began `today`: yesterday a sign-in would still
/// have continued a streak of at least 1, and today one would restart it.
pub fn lost(chain: &ChainState, today: NaiveDate, rules: &StreakProtection) -> Option<Lost> {
    let (now, signed_today) = streak_on(chain, today);
    if signed_today || now > 0 {
        return None;
    }
    let yesterday = today.pred_opt()?;
    let (before, signed_yesterday) = streak_on(chain, yesterday);
    if signed_yesterday || before == 0 {
        return None;
    }
    Some(Lost {
        streak: before,
        make_up_dates: chain.status(today, rules, &NoRewards).make_up_dates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::streak::chain::{DayKind, History};

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    fn chain(signed: &[u32], frozen: &[u32], freezes_held: u16) -> ChainState {
        let history: History = signed
            .iter()
            .map(|&x| (d(x), DayKind::Signed))
            .chain(frozen.iter().map(|&x| (d(x), DayKind::Frozen)))
            .collect();
        ChainState {
            history,
            freezes_held,
            registered_on: d(1),
            make_ups_this_month: 0,
            time_zone: chrono_tz::Tz::UTC,
            today_reward: None,
        }
    }

    #[test]
    fn who_is_at_risk_and_who_lost_a_streak() {
        let rules = StreakProtection::default();
        // (name, signed, frozen, freezes held, today, at risk, lost)
        type Case = (
            &'static str,
            &'static [u32],
            &'static [u32],
            u16,
            u32,
            Option<u32>,
            Option<u32>,
        );
        let cases: &[Case] = &[
            (
                "signed yesterday, not today: at risk",
                &[8, 9],
                &[],
                0,
                10,
                Some(2),
                None,
            ),
            ("signed today: safe", &[8, 9, 10], &[], 0, 10, None, None),
            (
                "a freeze held covers tomorrow's miss",
                &[8, 9],
                &[],
                1,
                10,
                None,
                None,
            ),
            (
                "one freeze, one miss already: at risk",
                &[7, 8],
                &[],
                1,
                10,
                Some(2),
                None,
            ),
            ("no streak at all", &[], &[], 0, 10, None, None),
            (
                "missed yesterday without freezes: lost at midnight",
                &[7, 8],
                &[],
                0,
                10,
                None,
                Some(2),
            ),
            (
                "lost two days ago: not lost again today",
                &[6, 7],
                &[],
                0,
                10,
                None,
                None,
            ),
            (
                "a frozen date keeps the run alive",
                &[7, 9],
                &[8],
                0,
                10,
                Some(2),
                None,
            ),
        ];
        for (name, signed, frozen, held, today, risk, lost_streak) in cases {
            let c = chain(signed, frozen, *held);
            assert_eq!(at_risk(&c, d(*today)).map(|r| r.streak), *risk, "{name}");
            assert_eq!(
                lost(&c, d(*today), &rules).map(|l| l.streak),
                *lost_streak,
                "{name}"
            );
        }
        // The lost message names the dates a make-up could fill.
        let l = lost(&chain(&[7, 8], &[], 0), d(10), &rules).unwrap();
        assert!(l.make_up_dates.contains(&d(9)), "{l:?}");
    }
}
