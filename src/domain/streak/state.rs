//! One user's chain as read at one moment ([`ChainState`]), and what each
//! change makes of it: the state every status and every decision about a
//! streak starts from.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::chain::{self, DayKind, History, NextSignIn};
use super::day;
use super::protection::StreakProtection;
use super::status::SignInStatus;
use crate::domain::schedule::RewardsByDate;

/// One user's chain as read at one moment: what the status and every
/// decision about their chain need. Cached per user for the day (theirs:
/// [`ChainState::today`]) it was read on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    /// The recent dates (anchored at a stored position: see [`History`]).
    pub history: History,
    /// Freezes bought and not used.
    pub freezes_held: u16,
    /// The registration date, in the zone the user had then.
    pub registered_on: NaiveDate,
    /// Make-ups made in the calendar month (of the user's zone) of the day
    /// this was read on.
    pub make_ups_this_month: u32,
    /// The user's time zone now (`User.timeZone`).
    pub time_zone: Tz,
    /// Points the sign-in on the day this was read earned, as recorded
    /// when it happened (None without one). A later make-up renumbers the
    /// dates, so today's cycle day may then name another reward; this one
    /// stays what was paid.
    #[serde(default)]
    pub today_reward: Option<u32>,
}

impl ChainState {
    /// The chain of a user with no dates and nothing held, registered
    /// `today` in `time_zone` (a user the store has no wallet for).
    pub fn empty(today: NaiveDate, time_zone: Tz) -> Self {
        Self {
            history: History::new(),
            freezes_held: 0,
            registered_on: today,
            make_ups_this_month: 0,
            time_zone,
            today_reward: None,
        }
    }

    /// The user's today at `now` (see [`day::today`]): the date in their
    /// zone, never before a date already recorded.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        day::today(now, self.time_zone, &self.history)
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
    /// user's whole chain (see `store::streak::load_many`), so the chain rule
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
        status.time_zone = Some(self.time_zone);
        status.make_up_cost = rules.make_up_cost;
        status.freeze_cost = rules.freeze_cost;
        status.max_freezes = rules.max_freezes;
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            time_zone: Tz::UTC,
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
}
