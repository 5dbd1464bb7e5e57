//! The chain rule with streak protection: where every signed, made-up and
//! frozen date stands, what a sign-in now would get (and which freezes it
//! would use), which dates a make-up may fill, and the status a user sees.
//!
//! Source of the rules: the contract, section "Streak protection and
//! milestones" (and "The sign-in rules" for the 7-day cycle). Everything
//! here is a pure function of its arguments: the caller reads the history,
//! the clock, the registration date and the settings, and writes whatever a
//! decision says. For a history of signed dates alone, [`status`] and
//! [`next_sign_in`] agree with [`cycle::status`] and [`cycle::next_position`]
//! (a generated test below holds them to that).
//!
//! Dates are the user's calendar dates (see `day`); day counts are whole
//! days. No function here panics, whatever the dates (`NaiveDate::MIN`,
//! `NaiveDate::MAX`, dates centuries apart); work and memory grow with the
//! number of dates in the history and, for the lists returned, with
//! `window_days` or `freezes_held`, which is why those two are `u16`.
//!
//! [`cycle::status`]: super::cycle::status
//! [`cycle::next_position`]: super::cycle::next_position

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::status::{CycleEntry, SignInStatus, CYCLE_LENGTH};
use crate::domain::schedule::RewardsByDate;

/// What a date of a user's history holds. One outcome per date: the map in
/// [`History`] makes a second outcome for the same date unrepresentable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DayKind {
    /// A normal `signIn` on that date.
    Signed,
    /// Filled afterwards by `makeUpSignIn`; takes a position like a sign-in
    /// (it earns no reward, which is the caller's business, not the chain's).
    MadeUp,
    /// Covered by a streak freeze: keeps the chain alive, takes no position.
    Frozen,
    /// Jumped over by a change of time zone to the east (`day`): counts
    /// wherever a frozen date counts, but used no freeze and is not shown
    /// as frozen.
    Jumped,
}

impl DayKind {
    /// Whether a date of this kind takes the next position of the chain
    /// (`cycleDay`, `streak`): signed and made-up dates do, frozen and
    /// jumped ones not.
    pub fn takes_position(self) -> bool {
        matches!(self, DayKind::Signed | DayKind::MadeUp)
    }
}

/// A user's signed, made-up and frozen dates. Dates absent from `days` are
/// missed. Dates after the `today` a function is given are left out of what
/// that function decides (they cannot exist unless the clock went back).
///
/// A history may be a recent part of a longer one: the `anchor` is then a
/// signed or made-up date of `days` whose position is already known (kept
/// from an earlier decision), and the chain rule starts there. Dates before
/// the anchor only count as covered (for make-ups); nothing is positioned
/// from them. This is how the service decides from the last few weeks of a
/// user with years of history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Date (the user's, as recorded) → what it holds.
    pub days: BTreeMap<NaiveDate, DayKind>,
    /// Where the chain rule starts, with that date's known position.
    pub anchor: Option<(NaiveDate, Position)>,
}

impl History {
    /// An empty history: a user who never signed in.
    pub fn new() -> Self {
        Self::default()
    }

    /// The history with `date` recorded as `kind` (replacing what it held),
    /// e.g. the history a make-up or a sign-in would leave.
    #[must_use]
    pub fn with(mut self, date: NaiveDate, kind: DayKind) -> Self {
        self.days.insert(date, kind);
        self
    }

    /// The history with the chain rule starting at `date`, a signed or
    /// made-up date at the known `position`; `date` is recorded as signed
    /// unless it already holds a made-up date.
    #[must_use]
    pub fn anchored_at(mut self, date: NaiveDate, position: Position) -> Self {
        self.days.entry(date).or_insert(DayKind::Signed);
        self.anchor = Some((date, position));
        self
    }

    /// The dates the chain rule walks, in ascending order: from the anchor
    /// on (all of them without one), and before `end` (at most `end` when
    /// `inclusive`), if given.
    fn walked(
        &self,
        end: Option<NaiveDate>,
        inclusive: bool,
    ) -> impl Iterator<Item = (&NaiveDate, &DayKind)> {
        let start = self.anchor.map_or(NaiveDate::MIN, |(date, _)| date);
        self.days
            .range(start..)
            .take_while(move |(date, _)| match end {
                Some(end) if inclusive => **date <= end,
                Some(end) => **date < end,
                None => true,
            })
    }
}

impl FromIterator<(NaiveDate, DayKind)> for History {
    /// Later pairs for the same date replace earlier ones.
    fn from_iter<I: IntoIterator<Item = (NaiveDate, DayKind)>>(iter: I) -> Self {
        Self {
            days: iter.into_iter().collect(),
            anchor: None,
        }
    }
}

/// Where a signed or made-up date stands in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    /// 1..=7, the day of the 7-day cycle.
    pub cycle_day: u8,
    /// At least 1: the signed and made-up dates in the unbroken chain up to and
    /// including this one (frozen dates add nothing).
    pub streak: u32,
}

impl Position {
    /// The first date of a chain, or the date after a break.
    pub const FIRST: Position = Position {
        cycle_day: 1,
        streak: 1,
    };

    /// The position of the next signed or made-up date of the same chain:
    /// `cycleDay = prev % 7 + 1`, `streak = prev.streak + 1` (saturating, so
    /// no history overflows it).
    pub fn next(self) -> Position {
        Position {
            cycle_day: self.cycle_day % CYCLE_LENGTH + 1,
            streak: self.streak.saturating_add(1),
        }
    }
}

/// What a `signIn` on `today` would get: see [`next_sign_in`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextSignIn {
    /// The position the sign-in takes (its reward is that of `cycle_day`).
    pub position: Position,
    /// The missed dates the sign-in would cover with freezes, oldest first;
    /// empty when it uses none. Its length is the number of freezes used,
    /// never more than the `freezes_held` given.
    pub freezes_used: Vec<NaiveDate>,
}

/// Why a make-up of a date is refused: `extensions.reason` of
/// `MAKE_UP_NOT_ALLOWED` (contract, "Streak protection and milestones").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MakeUpRefusal {
    /// The date is already signed, made up or frozen.
    NotMissed,
    /// The date is today, later, or older than `today - window_days`.
    OutOfWindow,
    /// The date is before the user's registration date (in their zone then).
    BeforeRegistration,
}

impl MakeUpRefusal {
    /// The contract's reason code, e.g. `"NOT_MISSED"`.
    pub fn code(self) -> &'static str {
        match self {
            MakeUpRefusal::NotMissed => "NOT_MISSED",
            MakeUpRefusal::OutOfWindow => "OUT_OF_WINDOW",
            MakeUpRefusal::BeforeRegistration => "BEFORE_REGISTRATION",
        }
    }
}

/// The run of covered (signed, made-up or frozen) dates a walk ended in.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// The latest covered date of the run.
    last_covered: NaiveDate,
    /// The position of the run's latest signed or made-up date; `None` for a
    /// run of frozen dates alone, which has no position to continue.
    last_position: Option<Position>,
}

/// The chain rule applied to dates in ascending order.
#[derive(Debug, Default)]
struct Walk {
    /// Every signed or made-up date with its position, oldest first.
    positioned: Vec<(NaiveDate, Position)>,
    /// The run the dates ended in; `None` for no dates.
    run: Option<Run>,
}

/// Applies the chain rule to `days`, which must come in ascending date order
/// (as a `BTreeMap` gives them). A date right after the run's last covered
/// date continues the run; any other date starts a new run, because the
/// dates between are missed and "any other missed date breaks the chain".
fn walk<'a>(
    anchor: Option<(NaiveDate, Position)>,
    days: impl Iterator<Item = (&'a NaiveDate, &'a DayKind)>,
) -> Walk {
    let mut out = Walk::default();
    for (&date, &kind) in days {
        if let Some((anchor_date, position)) = anchor.filter(|(d, _)| *d == date) {
            // The known position, whatever came before it.
            out.positioned.push((anchor_date, position));
            out.run = Some(Run {
                last_covered: date,
                last_position: Some(position),
            });
            continue;
        }
        let continues = out
            .run
            .is_some_and(|run| run.last_covered.succ_opt() == Some(date));
        let previous = if continues {
            out.run.and_then(|run| run.last_position)
        } else {
            None
        };
        let last_position = if kind.takes_position() {
            let position = previous.map_or(Position::FIRST, Position::next);
            out.positioned.push((date, position));
            Some(position)
        } else {
            // A frozen date keeps the chain alive without a position of its own.
            previous
        };
        out.run = Some(Run {
            last_covered: date,
            last_position,
        });
    }
    out
}

/// The position of every signed and made-up date of `history`, by the chain
/// rule alone (contract, "Streak protection and milestones", "The chain").
///
/// This is also the renumbering after a make-up: call it on the history with
/// the made-up date added. It never adds freezes ("renumbering after a
/// make-up uses no new freezes"): only [`next_sign_in`] decides on freezes.
/// Frozen dates get no entry. Cost: O(n log n) for n dates.
pub fn positions(history: &History) -> BTreeMap<NaiveDate, Position> {
    walk(history.anchor, history.walked(None, false))
        .positioned
        .into_iter()
        .collect()
}

/// What a sign-in on `today` would continue, from the walk of the dates
/// before today, and the freezes it would use.
struct Projection {
    /// The position the sign-in continues; `None` when the chain restarts.
    previous: Option<Position>,
    /// The missed dates it covers with freezes, oldest first.
    freezes_used: Vec<NaiveDate>,
}

impl Projection {
    fn position(&self) -> Position {
        self.previous.map_or(Position::FIRST, Position::next)
    }
}

/// The freeze rule: the k dates missed between the run's last covered date
/// and `today` are frozen when 1 <= k <= `freezes_held`; with k = 0 the chain
/// simply continues, with k > `freezes_held` it restarts and none is used.
fn project(run: Option<Run>, today: NaiveDate, freezes_held: u16) -> Projection {
    let restart = Projection {
        previous: None,
        freezes_used: Vec::new(),
    };
    // Nothing to protect: no date at all, or (a state signIn never leaves)
    // a run of frozen dates without a signed or made-up date in it.
    let Some((last_covered, previous)) =
        run.and_then(|run| run.last_position.map(|p| (run.last_covered, p)))
    else {
        return restart;
    };
    // `last_covered < today` because the walk only saw dates before today;
    // whole days between two `NaiveDate`s always fit an i64.
    let missed = today.signed_duration_since(last_covered).num_days() - 1;
    if missed <= 0 {
        return Projection {
            previous: Some(previous),
            freezes_used: Vec::new(),
        };
    }
    if missed > i64::from(freezes_held) {
        return restart;
    }
    // `missed <= freezes_held <= u16::MAX`, so the conversion cannot fail
    // and the list stays small.
    let count = usize::try_from(missed).unwrap_or(0);
    Projection {
        previous: Some(previous),
        freezes_used: last_covered.iter_days().skip(1).take(count).collect(),
    }
}

/// What a `signIn` on `today` would get, given the freezes the user holds
/// (contract, "Streak protection and milestones": "The chain" and "Streak
/// freeze"). `None` when `today` already holds an outcome (normally: signed
/// in already, which is `ALREADY_SIGNED_IN`).
///
/// Let L be the latest signed or made-up date before today and k the dates
/// missed since (neither signed, made up nor frozen). k = 0: the chain
/// continues. 1 <= k <= `freezes_held`: k freezes are used, those k dates
/// become frozen (`freezes_used`), and the chain continues. k larger, or no
/// L at all: no freeze is used and the sign-in is `cycleDay 1`, `streak 1`.
/// Dates after `today` are left out.
pub fn next_sign_in(history: &History, today: NaiveDate, freezes_held: u16) -> Option<NextSignIn> {
    if history.days.contains_key(&today) {
        return None;
    }
    let run = walk(history.anchor, history.walked(Some(today), false)).run;
    let projection = project(run, today, freezes_held);
    Some(NextSignIn {
        position: projection.position(),
        freezes_used: projection.freezes_used,
    })
}

/// The status a user sees on `today` (the fields of [`SignInStatus`]), with
/// streak protection (contract, "Streak protection and milestones"):
///
/// - signed in today: `streak` and `cycle_day` are today's position;
/// - otherwise they show what a sign-in now would get, using the freezes
///   held as [`next_sign_in`] would: `cycle_day` and `today_reward` continue
///   the protected chain, and `streak` counts the run a sign-in would
///   continue (0 when it would restart);
/// - `cycle` is the current cycle, day 1 first: the signed and made-up dates
///   before today that are in it (`signed_in`), today, then the days after
///   today a daily sign-in would fill. Frozen dates, and the dates a sign-in
///   now would freeze, take no cycle day and are skipped. Its entries are 7,
///   fewer only within 6 days of `NaiveDate::MAX`, where the dates after it
///   do not exist.
///
/// Dates after `today` are left out. (A frozen `today`, which no rule
/// produces, is treated as not signed in.)
pub fn status(
    history: &History,
    today: NaiveDate,
    freezes_held: u16,
    rewards: &impl RewardsByDate,
) -> SignInStatus {
    let before = walk(history.anchor, history.walked(Some(today), false));
    let today_kind = history.days.get(&today).copied();
    let signed_in_today = today_kind.is_some_and(DayKind::takes_position);
    let (position, streak) = if signed_in_today {
        let position = walk(history.anchor, history.walked(Some(today), true))
            .positioned
            .last()
            .map_or(Position::FIRST, |&(_, p)| p);
        (position, position.streak)
    } else {
        let projection = project(before.run, today, freezes_held);
        (
            projection.position(),
            projection.previous.map_or(0, |p| p.streak),
        )
    };
    let cycle_day = position.cycle_day;

    // The days of this cycle before today are the (cycle_day - 1) latest
    // signed or made-up dates before today: a cycle day above 1 means the
    // chain continued into today, so they are all in the same run.
    let earlier_count = usize::from(cycle_day.saturating_sub(1));
    let earlier = &before.positioned[before.positioned.len().saturating_sub(earlier_count)..];
    let mut cycle: Vec<CycleEntry> = earlier
        .iter()
        .map(|&(date, p)| CycleEntry {
            day: p.cycle_day,
            date,
            reward: rewards.reward_on(date, p.cycle_day),
            signed_in: true,
        })
        .collect();
    cycle.push(CycleEntry {
        day: cycle_day,
        date: today,
        reward: rewards.reward_on(today, cycle_day),
        signed_in: signed_in_today,
    });
    for day in cycle_day.saturating_add(1)..=CYCLE_LENGTH {
        let Some(date) = today.checked_add_days(Days::new(u64::from(day - cycle_day))) else {
            break;
        };
        cycle.push(CycleEntry {
            day,
            date,
            reward: rewards.reward_on(date, day),
            signed_in: false,
        });
    }

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

/// The oldest date a make-up on `today` may fill: `today - window_days`, or
/// `NaiveDate::MIN` when that is before it.
fn window_start(today: NaiveDate, window_days: u16) -> NaiveDate {
    today
        .checked_sub_days(Days::new(u64::from(window_days)))
        .unwrap_or(NaiveDate::MIN)
}

/// Whether a make-up on `today` may fill `date` (contract, "Make-up
/// sign-in"): `today - window_days <= date < today`, `date` not before
/// `registered_on` (the registration date in the user's zone then), and `date`
/// neither signed, made up nor frozen. Points and the monthly limit are the
/// caller's checks.
///
/// When several reasons apply, the first of this order is given:
/// `OutOfWindow` (a fact of the date and today alone), `BeforeRegistration`,
/// `NotMissed`; so today, even when signed, is `OutOfWindow`.
pub fn make_up_check(
    history: &History,
    date: NaiveDate,
    today: NaiveDate,
    registered_on: NaiveDate,
    window_days: u16,
) -> Result<(), MakeUpRefusal> {
    if date >= today || date < window_start(today, window_days) {
        return Err(MakeUpRefusal::OutOfWindow);
    }
    if date < registered_on {
        return Err(MakeUpRefusal::BeforeRegistration);
    }
    if history.days.contains_key(&date) {
        return Err(MakeUpRefusal::NotMissed);
    }
    Ok(())
}

/// Every date [`make_up_check`] allows on `today`, oldest first: the
/// `makeUpDates` of the status (points and the monthly count aside). At
/// most `window_days` dates.
pub fn make_up_dates(
    history: &History,
    today: NaiveDate,
    registered_on: NaiveDate,
    window_days: u16,
) -> Vec<NaiveDate> {
    let first = window_start(today, window_days).max(registered_on);
    first
        .iter_days()
        .take_while(|date| *date < today)
        .filter(|date| !history.days.contains_key(date))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rewards::RewardTable;
    use crate::domain::streak::status::{self, CyclePosition};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A history from a pattern of one letter per date from `start`:
    /// `S` signed, `M` made up, `F` frozen, `J` jumped (a zone change east),
    /// `.` missed.
    fn history(start: &str, pattern: &str) -> History {
        let start = d(start);
        pattern
            .chars()
            .enumerate()
            .filter_map(|(i, c)| {
                let date = start + Days::new(i as u64);
                match c {
                    'S' => Some((date, DayKind::Signed)),
                    'M' => Some((date, DayKind::MadeUp)),
                    'F' => Some((date, DayKind::Frozen)),
                    'J' => Some((date, DayKind::Jumped)),
                    '.' => None,
                    other => panic!("bad pattern letter {other:?}"),
                }
            })
            .collect()
    }

    fn pos(cycle_day: u8, streak: u32) -> Position {
        Position { cycle_day, streak }
    }

    /// One row of the chain table.
    struct Case {
        name: &'static str,
        /// First date of `pattern`.
        start: &'static str,
        /// See [`history`].
        pattern: &'static str,
        /// A date made up (checked allowed on `today`, window 7, registered
        /// on `start`) before anything else is looked at.
        make_up: Option<&'static str>,
        today: &'static str,
        freezes_held: u16,
        /// (cycle day, streak) of every signed and made-up date, oldest
        /// first, after the make-up.
        positions: &'static [(u8, u32)],
        /// What a sign-in today would get: (cycle day, streak, freezes used);
        /// `None` when today is taken.
        next: Option<(u8, u32, &'static [&'static str])>,
        /// Status (streak, cycle day).
        status: (u32, u8),
        /// The status's cycle, day 1 first; `+` marks `signed_in`.
        cycle: &'static str,
    }

    const CASES: &[Case] = &[
        Case {
            name: "a jumped date keeps the chain and takes no position, using no freeze",
            start: "2026-01-01",
            pattern: "SSJ",
            make_up: None,
            today: "2026-01-04",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2)],
            next: Some((3, 3, &[])),
            status: (2, 3),
            cycle: "2026-01-01+ 2026-01-02+ 2026-01-04 2026-01-05 2026-01-06 2026-01-07 2026-01-08",
        },
        Case {
            name: "a jumped date then a missed one: the freeze covers the missed date only",
            start: "2026-01-01",
            pattern: "SSJ.",
            make_up: None,
            today: "2026-01-05",
            freezes_held: 1,
            positions: &[(1, 1), (2, 2)],
            next: Some((3, 3, &["2026-01-04"])),
            status: (2, 3),
            cycle: "2026-01-01+ 2026-01-02+ 2026-01-05 2026-01-06 2026-01-07 2026-01-08 2026-01-09",
        },
        Case {
            name: "a jumped date does not mend a missed one without freezes",
            start: "2026-01-01",
            pattern: "SS.J",
            make_up: None,
            today: "2026-01-05",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2)],
            next: Some((1, 1, &[])),
            status: (0, 1),
            cycle: "2026-01-05 2026-01-06 2026-01-07 2026-01-08 2026-01-09 2026-01-10 2026-01-11",
        },
        Case {
            name: "a make-up of the missed date before a jumped one mends the chain",
            start: "2026-01-01",
            pattern: "SS.J",
            make_up: Some("2026-01-03"),
            today: "2026-01-05",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (3, 3)],
            next: Some((4, 4, &[])),
            status: (3, 4),
            cycle:
                "2026-01-01+ 2026-01-02+ 2026-01-03+ 2026-01-05 2026-01-06 2026-01-07 2026-01-08",
        },
        Case {
            name: "empty history",
            start: "2026-01-01",
            pattern: "",
            make_up: None,
            today: "2026-01-10",
            freezes_held: 2,
            positions: &[],
            next: Some((1, 1, &[])),
            status: (0, 1),
            cycle: "2026-01-10 2026-01-11 2026-01-12 2026-01-13 2026-01-14 2026-01-15 2026-01-16",
        },
        Case {
            name: "make-up fills the only gap: later dates renumbered, wrapping past day 7",
            start: "2026-01-01",
            pattern: "SSSSS.SSSSSS",
            make_up: Some("2026-01-06"),
            today: "2026-01-13",
            freezes_held: 0,
            positions: &[
                (1, 1),
                (2, 2),
                (3, 3),
                (4, 4),
                (5, 5),
                (6, 6),
                (7, 7),
                (1, 8),
                (2, 9),
                (3, 10),
                (4, 11),
                (5, 12),
            ],
            next: Some((6, 13, &[])),
            status: (12, 6),
            cycle:
                "2026-01-08+ 2026-01-09+ 2026-01-10+ 2026-01-11+ 2026-01-12+ 2026-01-13 2026-01-14",
        },
        Case {
            name: "the same history before the make-up: broken at the gap",
            start: "2026-01-01",
            pattern: "SSSSS.SSSSSS",
            make_up: None,
            today: "2026-01-13",
            freezes_held: 0,
            positions: &[
                (1, 1),
                (2, 2),
                (3, 3),
                (4, 4),
                (5, 5),
                (1, 1),
                (2, 2),
                (3, 3),
                (4, 4),
                (5, 5),
                (6, 6),
            ],
            next: Some((7, 7, &[])),
            status: (6, 7),
            cycle:
                "2026-01-07+ 2026-01-08+ 2026-01-09+ 2026-01-10+ 2026-01-11+ 2026-01-12+ 2026-01-13",
        },
        Case {
            name: "make-up in a gap of two: the chain stays broken at the other date",
            start: "2026-01-01",
            pattern: "SSS..SSS",
            make_up: Some("2026-01-04"),
            today: "2026-01-09",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (3, 3), (4, 4), (1, 1), (2, 2), (3, 3)],
            next: Some((4, 4, &[])),
            status: (3, 4),
            cycle:
                "2026-01-06+ 2026-01-07+ 2026-01-08+ 2026-01-09 2026-01-10 2026-01-11 2026-01-12",
        },
        Case {
            name: "make-up of the later date of a gap of two: broken before it",
            start: "2026-01-01",
            pattern: "SSS..SSS",
            make_up: Some("2026-01-05"),
            today: "2026-01-09",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (3, 3), (1, 1), (2, 2), (3, 3), (4, 4)],
            next: Some((5, 5, &[])),
            status: (4, 5),
            cycle:
                "2026-01-05+ 2026-01-06+ 2026-01-07+ 2026-01-08+ 2026-01-09 2026-01-10 2026-01-11",
        },
        Case {
            name: "one freeze covers one missed date; status shows the protected run",
            start: "2026-01-01",
            pattern: "SSS",
            make_up: None,
            today: "2026-01-05",
            freezes_held: 1,
            positions: &[(1, 1), (2, 2), (3, 3)],
            next: Some((4, 4, &["2026-01-04"])),
            status: (3, 4),
            cycle:
                "2026-01-01+ 2026-01-02+ 2026-01-03+ 2026-01-05 2026-01-06 2026-01-07 2026-01-08",
        },
        Case {
            name: "two freezes cover two missed dates",
            start: "2026-01-01",
            pattern: "SSS",
            make_up: None,
            today: "2026-01-06",
            freezes_held: 2,
            positions: &[(1, 1), (2, 2), (3, 3)],
            next: Some((4, 4, &["2026-01-04", "2026-01-05"])),
            status: (3, 4),
            cycle:
                "2026-01-01+ 2026-01-02+ 2026-01-03+ 2026-01-06 2026-01-07 2026-01-08 2026-01-09",
        },
        Case {
            name: "one missed date uses one of two freezes held",
            start: "2026-01-01",
            pattern: "SSS",
            make_up: None,
            today: "2026-01-05",
            freezes_held: 2,
            positions: &[(1, 1), (2, 2), (3, 3)],
            next: Some((4, 4, &["2026-01-04"])),
            status: (3, 4),
            cycle:
                "2026-01-01+ 2026-01-02+ 2026-01-03+ 2026-01-05 2026-01-06 2026-01-07 2026-01-08",
        },
        Case {
            name: "more missed dates than freezes: restart, no freeze used",
            start: "2026-01-01",
            pattern: "SSS",
            make_up: None,
            today: "2026-01-07",
            freezes_held: 2,
            positions: &[(1, 1), (2, 2), (3, 3)],
            next: Some((1, 1, &[])),
            status: (0, 1),
            cycle: "2026-01-07 2026-01-08 2026-01-09 2026-01-10 2026-01-11 2026-01-12 2026-01-13",
        },
        Case {
            name: "no freeze held: one missed date restarts",
            start: "2026-01-01",
            pattern: "SSS",
            make_up: None,
            today: "2026-01-05",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (3, 3)],
            next: Some((1, 1, &[])),
            status: (0, 1),
            cycle: "2026-01-05 2026-01-06 2026-01-07 2026-01-08 2026-01-09 2026-01-10 2026-01-11",
        },
        Case {
            name: "signed yesterday: no freeze used even when held",
            start: "2026-01-01",
            pattern: "SSS",
            make_up: None,
            today: "2026-01-04",
            freezes_held: 2,
            positions: &[(1, 1), (2, 2), (3, 3)],
            next: Some((4, 4, &[])),
            status: (3, 4),
            cycle:
                "2026-01-01+ 2026-01-02+ 2026-01-03+ 2026-01-04 2026-01-05 2026-01-06 2026-01-07",
        },
        Case {
            name: "frozen dates keep the chain, take no position, and are skipped in the cycle",
            start: "2026-01-01",
            pattern: "SSFFSS",
            make_up: None,
            today: "2026-01-06",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (3, 3), (4, 4)],
            next: None,
            status: (4, 4),
            cycle:
                "2026-01-01+ 2026-01-02+ 2026-01-05+ 2026-01-06+ 2026-01-07 2026-01-08 2026-01-09",
        },
        Case {
            name: "a frozen date followed by a make-up elsewhere: renumbered through the freeze",
            start: "2026-01-01",
            pattern: "SSSFSS.SS",
            make_up: Some("2026-01-07"),
            today: "2026-01-10",
            freezes_held: 0,
            positions: &[
                (1, 1),
                (2, 2),
                (3, 3),
                (4, 4),
                (5, 5),
                (6, 6),
                (7, 7),
                (1, 8),
            ],
            next: Some((2, 9, &[])),
            status: (8, 2),
            cycle: "2026-01-09+ 2026-01-10 2026-01-11 2026-01-12 2026-01-13 2026-01-14 2026-01-15",
        },
        Case {
            name: "a make-up before a frozen date joins the chains on both sides",
            start: "2026-01-01",
            pattern: "SS.SFS",
            make_up: Some("2026-01-03"),
            today: "2026-01-07",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)],
            next: Some((6, 6, &[])),
            status: (5, 6),
            cycle:
                "2026-01-01+ 2026-01-02+ 2026-01-03+ 2026-01-04+ 2026-01-06+ 2026-01-07 2026-01-08",
        },
        Case {
            name: "a make-up on the last missed date continues today, no freeze used",
            start: "2026-01-01",
            pattern: "SSS",
            make_up: Some("2026-01-05"),
            today: "2026-01-06",
            freezes_held: 2,
            positions: &[(1, 1), (2, 2), (3, 3), (1, 1)],
            next: Some((2, 2, &[])),
            status: (1, 2),
            cycle: "2026-01-05+ 2026-01-06 2026-01-07 2026-01-08 2026-01-09 2026-01-10 2026-01-11",
        },
        Case {
            name: "month boundary",
            start: "2026-01-30",
            pattern: "SSSS",
            make_up: None,
            today: "2026-02-03",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (3, 3), (4, 4)],
            next: Some((5, 5, &[])),
            status: (4, 5),
            cycle:
                "2026-01-30+ 2026-01-31+ 2026-02-01+ 2026-02-02+ 2026-02-03 2026-02-04 2026-02-05",
        },
        Case {
            name: "month boundary, make-up on the last day of the month",
            start: "2026-04-28",
            pattern: "SSS.S",
            make_up: Some("2026-05-01"),
            today: "2026-05-03",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)],
            next: Some((6, 6, &[])),
            status: (5, 6),
            cycle:
                "2026-04-28+ 2026-04-29+ 2026-04-30+ 2026-05-01+ 2026-05-02+ 2026-05-03 2026-05-04",
        },
        Case {
            name: "year boundary: freezes cover the 31st and the 1st",
            start: "2026-12-28",
            pattern: "SSS",
            make_up: None,
            today: "2027-01-02",
            freezes_held: 2,
            positions: &[(1, 1), (2, 2), (3, 3)],
            next: Some((4, 4, &["2026-12-31", "2027-01-01"])),
            status: (3, 4),
            cycle:
                "2026-12-28+ 2026-12-29+ 2026-12-30+ 2027-01-02 2027-01-03 2027-01-04 2027-01-05",
        },
        Case {
            name: "year boundary, signed today after wrapping",
            start: "2026-12-25",
            pattern: "SSSSSSSSS",
            make_up: None,
            today: "2027-01-02",
            freezes_held: 0,
            positions: &[
                (1, 1),
                (2, 2),
                (3, 3),
                (4, 4),
                (5, 5),
                (6, 6),
                (7, 7),
                (1, 8),
                (2, 9),
            ],
            next: None,
            status: (9, 2),
            cycle: "2027-01-01+ 2027-01-02+ 2027-01-03 2027-01-04 2027-01-05 2027-01-06 2027-01-07",
        },
        Case {
            name: "leap day made up",
            start: "2028-02-27",
            pattern: "SS.S",
            make_up: Some("2028-02-29"),
            today: "2028-03-02",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (3, 3), (4, 4)],
            next: Some((5, 5, &[])),
            status: (4, 5),
            cycle:
                "2028-02-27+ 2028-02-28+ 2028-02-29+ 2028-03-01+ 2028-03-02 2028-03-03 2028-03-04",
        },
        Case {
            name: "leap day frozen",
            start: "2028-02-27",
            pattern: "SS",
            make_up: None,
            today: "2028-03-01",
            freezes_held: 1,
            positions: &[(1, 1), (2, 2)],
            next: Some((3, 3, &["2028-02-29"])),
            status: (2, 3),
            cycle: "2028-02-27+ 2028-02-28+ 2028-03-01 2028-03-02 2028-03-03 2028-03-04 2028-03-05",
        },
        Case {
            name: "no leap day in 2027: Feb 28 and Mar 1 are consecutive",
            start: "2027-02-27",
            pattern: "SS",
            make_up: None,
            today: "2027-03-01",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2)],
            next: Some((3, 3, &[])),
            status: (2, 3),
            cycle: "2027-02-27+ 2027-02-28+ 2027-03-01 2027-03-02 2027-03-03 2027-03-04 2027-03-05",
        },
        Case {
            name: "a missed date before a frozen one still breaks the chain",
            start: "2026-01-01",
            pattern: "SS.FS",
            make_up: None,
            today: "2026-01-06",
            freezes_held: 0,
            positions: &[(1, 1), (2, 2), (1, 1)],
            next: Some((2, 2, &[])),
            status: (1, 2),
            cycle: "2026-01-05+ 2026-01-06 2026-01-07 2026-01-08 2026-01-09 2026-01-10 2026-01-11",
        },
    ];

    fn parse_cycle(s: &str) -> Vec<(NaiveDate, bool)> {
        s.split_whitespace()
            .map(|t| match t.strip_suffix('+') {
                Some(date) => (d(date), true),
                None => (d(t), false),
            })
            .collect()
    }

    #[test]
    fn chain_table() {
        let rewards = RewardTable::default();
        for case in CASES {
            let name = case.name;
            let today = d(case.today);
            let mut h = history(case.start, case.pattern);
            if let Some(date) = case.make_up {
                let date = d(date);
                assert_eq!(
                    make_up_check(&h, date, today, d(case.start), 7),
                    Ok(()),
                    "{name}: make-up allowed"
                );
                assert!(
                    make_up_dates(&h, today, d(case.start), 7).contains(&date),
                    "{name}: listed in makeUpDates"
                );
                h = h.with(date, DayKind::MadeUp);
                assert_eq!(
                    make_up_check(&h, date, today, d(case.start), 7),
                    Err(MakeUpRefusal::NotMissed),
                    "{name}: not twice"
                );
            }

            let got: Vec<(u8, u32)> = positions(&h)
                .values()
                .map(|p| (p.cycle_day, p.streak))
                .collect();
            assert_eq!(got, case.positions, "{name}: positions");

            let next = next_sign_in(&h, today, case.freezes_held);
            let expected = case.next.map(|(cycle_day, streak, frozen)| NextSignIn {
                position: pos(cycle_day, streak),
                freezes_used: frozen.iter().map(|s| d(s)).collect(),
            });
            assert_eq!(next, expected, "{name}: next sign-in");

            let s = status(&h, today, case.freezes_held, &rewards);
            assert_eq!((s.streak, s.cycle_day), case.status, "{name}: status");
            assert_eq!(s.signed_in_today, next.is_none(), "{name}: signed today");
            assert_eq!(s.today_reward, rewards.for_day(s.cycle_day), "{name}");
            let cycle: Vec<(NaiveDate, bool)> =
                s.cycle.iter().map(|e| (e.date, e.signed_in)).collect();
            assert_eq!(cycle, parse_cycle(case.cycle), "{name}: cycle");
            let days: Vec<u8> = s.cycle.iter().map(|e| e.day).collect();
            assert_eq!(days, (1..=7).collect::<Vec<u8>>(), "{name}: cycle days");
            for e in &s.cycle {
                assert_eq!(e.reward, rewards.for_day(e.day), "{name}: reward");
            }
            if let Some(next) = next {
                // What the status promises is what the sign-in gets.
                assert_eq!(next.position.cycle_day, s.cycle_day, "{name}");
                // And after that sign-in, the positions agree with it.
                let after = next
                    .freezes_used
                    .iter()
                    .fold(h.clone(), |h, &f| h.with(f, DayKind::Frozen))
                    .with(today, DayKind::Signed);
                assert_eq!(
                    positions(&after).get(&today),
                    Some(&next.position),
                    "{name}: sign-in agrees with the chain"
                );
                let s_after = status(&after, today, 0, &rewards);
                assert_eq!(s_after.cycle_day, s.cycle_day, "{name}");
                assert_eq!(s_after.streak, next.position.streak, "{name}");
                let dates = |s: &SignInStatus| s.cycle.iter().map(|e| e.date).collect::<Vec<_>>();
                assert_eq!(dates(&s_after), dates(&s), "{name}: same cycle dates");
            }
        }
    }

    #[test]
    fn make_up_check_table() {
        // Signed Jan 1-3 and 6, frozen Jan 5; registered Jan 2; today Jan 10.
        let h = history("2026-01-01", "SSS.FS");
        let today = d("2026-01-10");
        let registered = d("2026-01-02");
        let cases: &[(&str, &str, u16, Result<(), MakeUpRefusal>)] = &[
            ("missed, in window", "2026-01-04", 7, Ok(())),
            (
                "oldest date of the window, signed",
                "2026-01-03",
                7,
                Err(MakeUpRefusal::NotMissed),
            ),
            ("yesterday, missed", "2026-01-09", 7, Ok(())),
            ("exactly window days ago", "2026-01-07", 3, Ok(())),
            (
                "one day too old",
                "2026-01-06",
                3,
                Err(MakeUpRefusal::OutOfWindow),
            ),
            ("today", "2026-01-10", 7, Err(MakeUpRefusal::OutOfWindow)),
            ("tomorrow", "2026-01-11", 7, Err(MakeUpRefusal::OutOfWindow)),
            (
                "far future",
                "2999-01-01",
                7,
                Err(MakeUpRefusal::OutOfWindow),
            ),
            ("signed", "2026-01-06", 7, Err(MakeUpRefusal::NotMissed)),
            ("frozen", "2026-01-05", 7, Err(MakeUpRefusal::NotMissed)),
            (
                "before registration",
                "2026-01-01",
                30,
                Err(MakeUpRefusal::BeforeRegistration),
            ),
            (
                "before registration and too old",
                "2026-01-01",
                3,
                Err(MakeUpRefusal::OutOfWindow),
            ),
            (
                "window 0 allows nothing",
                "2026-01-09",
                0,
                Err(MakeUpRefusal::OutOfWindow),
            ),
        ];
        for (name, date, window, expected) in cases {
            assert_eq!(
                make_up_check(&h, d(date), today, registered, *window),
                *expected,
                "{name}"
            );
        }
        let made_up = h.clone().with(d("2026-01-04"), DayKind::MadeUp);
        assert_eq!(
            make_up_check(&made_up, d("2026-01-04"), today, registered, 7),
            Err(MakeUpRefusal::NotMissed),
            "made up already"
        );
        // A jumped date counts where a frozen one does: not missed.
        let jumped = h.clone().with(d("2026-01-08"), DayKind::Jumped);
        assert_eq!(
            make_up_check(&jumped, d("2026-01-08"), today, registered, 7),
            Err(MakeUpRefusal::NotMissed),
            "jumped"
        );
        assert!(!make_up_dates(&jumped, today, registered, 7).contains(&d("2026-01-08")));
        // Today signed is still out of the window (the order of reasons).
        let signed_today = h.clone().with(today, DayKind::Signed);
        assert_eq!(
            make_up_check(&signed_today, today, today, registered, 7),
            Err(MakeUpRefusal::OutOfWindow)
        );
        assert_eq!(MakeUpRefusal::NotMissed.code(), "NOT_MISSED");
        assert_eq!(MakeUpRefusal::OutOfWindow.code(), "OUT_OF_WINDOW");
        assert_eq!(
            MakeUpRefusal::BeforeRegistration.code(),
            "BEFORE_REGISTRATION"
        );
    }

    #[test]
    fn make_up_dates_lists_what_the_check_allows_oldest_first() {
        let h = history("2026-01-01", "SSS.FS");
        let today = d("2026-01-10");
        assert_eq!(
            make_up_dates(&h, today, d("2026-01-02"), 7),
            vec![
                d("2026-01-04"),
                d("2026-01-07"),
                d("2026-01-08"),
                d("2026-01-09")
            ]
        );
        // The registration date bounds the window.
        assert_eq!(
            make_up_dates(&h, today, d("2026-01-08"), 7),
            vec![d("2026-01-08"), d("2026-01-09")]
        );
        // Registered today: nothing to make up.
        assert_eq!(make_up_dates(&h, today, today, 7), Vec::<NaiveDate>::new());
        assert_eq!(
            make_up_dates(&h, today, d("2026-01-02"), 0),
            Vec::<NaiveDate>::new()
        );
        // Across a leap day and a year end.
        let h = history("2028-02-27", "S");
        assert_eq!(
            make_up_dates(&h, d("2028-03-01"), d("2028-02-01"), 3),
            vec![d("2028-02-28"), d("2028-02-29")]
        );
        assert_eq!(
            make_up_dates(&History::new(), d("2027-01-02"), d("2026-01-01"), 2),
            vec![d("2026-12-31"), d("2027-01-01")]
        );
        // Agreement with make_up_check over a range of dates, registrations and windows.
        let h = history("2026-01-01", "S.SM.F..S.S");
        for today_offset in 0..16u64 {
            let today = d("2026-01-01") + Days::new(today_offset);
            for reg_offset in 0..12u64 {
                let registered = d("2025-12-30") + Days::new(reg_offset);
                for window in [0u16, 1, 3, 7, 30] {
                    let listed = make_up_dates(&h, today, registered, window);
                    let allowed: Vec<NaiveDate> = d("2025-11-01")
                        .iter_days()
                        .take(120)
                        .filter(|&date| make_up_check(&h, date, today, registered, window).is_ok())
                        .collect();
                    assert_eq!(listed, allowed, "{today} {registered} {window}");
                }
            }
        }
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        let rewards = RewardTable::default();
        let far_apart: History = [
            (NaiveDate::MIN, DayKind::Signed),
            (d("2026-01-01"), DayKind::Frozen),
            (d("2026-01-02"), DayKind::MadeUp),
            (NaiveDate::MAX, DayKind::Signed),
        ]
        .into_iter()
        .collect();
        let edges = [
            NaiveDate::MIN,
            NaiveDate::MIN.succ_opt().unwrap(),
            d("2026-01-03"),
            NaiveDate::MAX.pred_opt().unwrap(),
            NaiveDate::MAX,
        ];
        for h in [History::new(), far_apart] {
            let _ = positions(&h);
            for &today in &edges {
                for held in [0, 1, u16::MAX] {
                    let next = next_sign_in(&h, today, held);
                    let s = status(&h, today, held, &rewards);
                    assert!(!s.cycle.is_empty() && s.cycle.len() <= 7);
                    assert!((1..=7).contains(&s.cycle_day));
                    if let Some(next) = next {
                        assert!(next.freezes_used.len() <= usize::from(held));
                    }
                }
                for &other in &edges {
                    for window in [0, 7, u16::MAX] {
                        let _ = make_up_check(&h, other, today, other, window);
                        let dates = make_up_dates(&h, today, other, window);
                        assert!(dates.len() <= usize::from(window));
                    }
                }
            }
        }
        // At NaiveDate::MAX the cycle stops at the last date there is.
        let s = status(&History::new(), NaiveDate::MAX, 0, &rewards);
        assert_eq!(s.cycle.len(), 1);
        assert_eq!(s.cycle[0].date, NaiveDate::MAX);
        // The largest freeze count covers that many dates, one more restarts.
        let h = history("2000-01-01", "S");
        let next = next_sign_in(
            &h,
            d("2000-01-02") + Days::new(u64::from(u16::MAX)),
            u16::MAX,
        );
        assert_eq!(
            next.map(|n| n.freezes_used.len()),
            Some(usize::from(u16::MAX))
        );
        let next = next_sign_in(
            &h,
            d("2000-01-03") + Days::new(u64::from(u16::MAX)),
            u16::MAX,
        );
        assert_eq!(
            next.map(|n| (n.position, n.freezes_used.len())),
            Some((Position::FIRST, 0))
        );
    }

    #[test]
    fn a_streak_at_the_limit_saturates() {
        let p = pos(7, u32::MAX);
        assert_eq!(p.next(), pos(1, u32::MAX));
        // Out-of-range cycle days (only from hand-built positions) still wrap into 1..=7.
        assert_eq!(pos(0, 1).next().cycle_day, 1);
        assert_eq!(pos(u8::MAX, 1).next().cycle_day, u8::MAX % 7 + 1);
    }

    /// A deterministic generator (xorshift64*), so the test needs no crate
    /// and every run checks the same histories.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Plain histories (signed dates only, no freezes held): the chain rule
    /// must give what today's `cycle` module gives, so the service can switch
    /// over without a visible change.
    #[test]
    fn plain_histories_agree_with_the_cycle_module() {
        let rewards: RewardTable = "1,2,3,4,5,6,7".parse().unwrap();
        let starts = [
            "2026-01-01",
            "2026-01-29",
            "2026-12-20",
            "2028-02-20",
            "2027-02-25",
            "1999-12-25",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..3000 {
            let start = d(starts[round % starts.len()]) + Days::new(rng.below(40));
            let len = rng.below(45);
            // From sparse to nearly every day, so long chains and wraps occur.
            let percent_signed = [30, 70, 90, 100][round % 4];
            let signed: Vec<NaiveDate> = (0..len)
                .filter(|_| rng.below(100) < percent_signed)
                .map(|i| start + Days::new(i))
                .collect();
            let h: History = signed.iter().map(|&date| (date, DayKind::Signed)).collect();

            // Positions by the old rule, one sign-in after the other.
            let mut old: Vec<CyclePosition> = Vec::new();
            for &date in &signed {
                let (cycle_day, streak) = status::next_position(old.last(), date);
                old.push(CyclePosition {
                    day: date,
                    cycle_day,
                    streak,
                });
            }
            let new = positions(&h);
            let new_as_old: Vec<CyclePosition> = new
                .iter()
                .map(|(&day, p)| CyclePosition {
                    day,
                    cycle_day: p.cycle_day,
                    streak: p.streak,
                })
                .collect();
            assert_eq!(new_as_old, old, "round {round}: positions");

            // Today anywhere from before the history to past its end.
            let today = start + Days::new(rng.below(len + 5)) - Days::new(2);
            let latest = old.iter().rev().find(|p| p.day <= today);
            assert_eq!(
                status(&h, today, 0, &rewards),
                status::status(latest, today, &rewards),
                "round {round}: status on {today} of {signed:?}"
            );
            let before = old.iter().rev().find(|p| p.day < today);
            let expected_next = if latest.is_some_and(|l| l.day == today) {
                None
            } else {
                let (cycle_day, streak) = status::next_position(before, today);
                Some(NextSignIn {
                    position: pos(cycle_day, streak),
                    freezes_used: Vec::new(),
                })
            };
            assert_eq!(
                next_sign_in(&h, today, 0),
                expected_next,
                "round {round}: next sign-in on {today}"
            );
        }
    }

    /// Mixed histories: whatever a sign-in now is told (status), it gets
    /// (next_sign_in, then positions after it), and makeUpDates agrees with
    /// the check.
    #[test]
    fn generated_mixed_histories_keep_their_promises() {
        let rewards = RewardTable::default();
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        for round in 0..2000 {
            let start = d("2027-12-15") + Days::new(rng.below(90));
            let len = rng.below(30);
            let h: History = (0..len)
                .filter_map(|i| {
                    let kind = match rng.below(10) {
                        0..=4 => DayKind::Signed,
                        5 => DayKind::MadeUp,
                        6 => DayKind::Frozen,
                        _ => return None,
                    };
                    Some((start + Days::new(i), kind))
                })
                .collect();
            let today = start + Days::new(len + rng.below(5));
            let held = u16::try_from(rng.below(4)).unwrap();
            let s = status(&h, today, held, &rewards);
            assert_eq!(s.cycle.len(), 7, "round {round}");
            assert_eq!(s.cycle[usize::from(s.cycle_day) - 1].date, today);
            let Some(next) = next_sign_in(&h, today, held) else {
                continue;
            };
            assert_eq!(next.position.cycle_day, s.cycle_day, "round {round}");
            let after = next
                .freezes_used
                .iter()
                .fold(h.clone(), |h, &f| h.with(f, DayKind::Frozen))
                .with(today, DayKind::Signed);
            assert_eq!(positions(&after).get(&today), Some(&next.position));
            let s_after = status(&after, today, 0, &rewards);
            assert_eq!(s_after.streak, next.position.streak, "round {round}");
            let dates = |s: &SignInStatus| s.cycle.iter().map(|e| e.date).collect::<Vec<_>>();
            assert_eq!(dates(&s_after), dates(&s), "round {round}");
            // A make-up never renumbers dates before it.
            for date in make_up_dates(&h, today, start, 7) {
                let filled = positions(&h.clone().with(date, DayKind::MadeUp));
                let old = positions(&h);
                for (day, p) in old.range(..date) {
                    assert_eq!(filled.get(day), Some(p), "round {round}");
                }
            }
            // The same history anchored at any positioned date, with the
            // position the whole history gives it, decides the same.
            let all = positions(&h);
            for (&anchor, &position) in &all {
                let recent = History {
                    days: h.days.clone(),
                    anchor: None,
                }
                .anchored_at(anchor, position);
                // The status shows up to six earlier dates of the cycle: it
                // needs an anchor at least that far back (the service loads
                // the seven latest positioned dates at least).
                if all.range(anchor..today).count() >= 6 || all.keys().next() == Some(&anchor) {
                    assert_eq!(
                        status(&recent, today, held, &rewards),
                        s,
                        "round {round} anchored at {anchor}"
                    );
                }
                assert_eq!(
                    next_sign_in(&recent, today, held).as_ref(),
                    Some(&next),
                    "round {round} anchored at {anchor}"
                );
                let from_anchor: BTreeMap<_, _> =
                    all.range(anchor..).map(|(d, p)| (*d, *p)).collect();
                assert_eq!(positions(&recent), from_anchor, "round {round}");
                // Dates before the anchor may be dropped: they only count as
                // covered, which nothing after the anchor asks.
                let cut = History {
                    days: h.days.range(anchor..).map(|(d, k)| (*d, *k)).collect(),
                    anchor: None,
                }
                .anchored_at(anchor, position);
                assert_eq!(positions(&cut), from_anchor, "round {round}");
                assert_eq!(next_sign_in(&cut, today, held).as_ref(), Some(&next));
            }
        }
    }

    #[test]
    fn an_anchor_after_today_decides_nothing_and_does_not_panic() {
        let h = History::new().anchored_at(d("2027-03-10"), pos(4, 11));
        let s = status(&h, d("2027-03-01"), 1, &RewardTable::default());
        assert_eq!((s.cycle_day, s.streak, s.signed_in_today), (1, 0, false));
        assert_eq!(
            next_sign_in(&h, d("2027-03-01"), 1).map(|n| n.position),
            Some(Position::FIRST)
        );
        assert_eq!(positions(&h).get(&d("2027-03-10")), Some(&pos(4, 11)));
    }
}
