//! Reward schedules: which reward table is in force on a date, and the
//! rules for publishing and cancelling one (contract, "Running the
//! programme (admin)").
//!
//! A **base** schedule (no `effective_to`) is in force from its
//! `effective_from` until the next base schedule starts; a **campaign**
//! (with `effective_to`) overrides the base on its dates, both ends
//! included. Cancelled schedules count for nothing. Everything here is
//! decided from the schedules given: the service reads them (from its
//! in-process snapshot) and passes them in.

use chrono::NaiveDate;

use super::rewards::{RewardTable, RewardTableError, MAX_REWARD};
use crate::model::ScheduleId;

/// Longest span of a campaign, both ends included.
pub const MAX_CAMPAIGN_DAYS: i64 = 366;

/// One schedule, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub id: ScheduleId,
    pub rewards: RewardTable,
    pub effective_from: NaiveDate,
    /// None for a base schedule; the last date of a campaign.
    pub effective_to: Option<NaiveDate>,
    pub cancelled: bool,
}

impl Schedule {
    pub fn is_campaign(&self) -> bool {
        self.effective_to.is_some()
    }

    /// Whether a campaign covers `date` (a base schedule covers nothing by
    /// itself: it depends on the next base).
    fn campaign_covers(&self, date: NaiveDate) -> bool {
        self.effective_to
            .is_some_and(|to| self.effective_from <= date && date <= to)
    }
}

/// What a date's reward depends on: the reward of cycle day `cycle_day`
/// (1..=7) on `date`. A single [`RewardTable`] pays the same on every date;
/// [`Schedules`] pays what the schedule in force on the date says.
pub trait RewardsByDate {
    fn reward_on(&self, date: NaiveDate, cycle_day: u8) -> u32;
}

impl RewardsByDate for RewardTable {
    fn reward_on(&self, _date: NaiveDate, cycle_day: u8) -> u32 {
        self.for_day(cycle_day)
    }
}

/// The live (not cancelled) schedules, ready to answer "which one is in
/// force on this date". Built once per snapshot; lookups allocate nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedules {
    /// Live base schedules, oldest `effective_from` first.
    bases: Vec<Schedule>,
    /// Live campaigns, oldest `effective_from` first (they never overlap).
    campaigns: Vec<Schedule>,
}

impl Schedules {
    /// The live ones of `all` (cancelled ones are dropped).
    pub fn new(all: impl IntoIterator<Item = Schedule>) -> Self {
        let (mut campaigns, mut bases): (Vec<_>, Vec<_>) = all
            .into_iter()
            .filter(|s| !s.cancelled)
            .partition(Schedule::is_campaign);
        // Ties (which the rules refuse) are broken by id, so the answer is
        // still deterministic.
        bases.sort_by_key(|s| (s.effective_from, s.id));
        campaigns.sort_by_key(|s| (s.effective_from, s.id));
        Schedules { bases, campaigns }
    }

    /// The schedule in force on `date`: the live campaign covering it, else
    /// the latest live base schedule starting on or before it. None only
    /// before the first base schedule.
    pub fn in_force(&self, date: NaiveDate) -> Option<&Schedule> {
        // Campaigns are few (at most one live one per date, a handful a
        // year), so a scan of those starting on or before `date` is enough.
        let started = self.campaigns.partition_point(|c| c.effective_from <= date);
        if let Some(campaign) = self.campaigns[..started]
            .iter()
            .rev()
            .find(|c| c.campaign_covers(date))
        {
            return Some(campaign);
        }
        let started = self.bases.partition_point(|b| b.effective_from <= date);
        started.checked_sub(1).map(|i| &self.bases[i])
    }

    /// Live campaigns, oldest first.
    pub fn campaigns(&self) -> &[Schedule] {
        &self.campaigns
    }

    /// Live base schedules, oldest first.
    pub fn bases(&self) -> &[Schedule] {
        &self.bases
    }
}

impl RewardsByDate for Schedules {
    /// 0 on a date no schedule covers (before the first base schedule,
    /// which the service places at the beginning of time).
    fn reward_on(&self, date: NaiveDate, cycle_day: u8) -> u32 {
        self.in_force(date)
            .map_or(0, |s| s.rewards.for_day(cycle_day))
    }
}

/// Why a schedule may not be published or cancelled. Each names the input
/// it is about ([`ScheduleError::input`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("expected {expected} rewards (cycle days 1..7), got {got}")]
    WrongCount { expected: usize, got: usize },
    #[error("reward {position} ({value}) must be between 0 and {max}")]
    RewardOutOfRange {
        position: usize,
        value: i64,
        max: u32,
    },
    #[error("must be after today in every time zone ({today}, the date at UTC+14), so nothing already earned or shown for today changes")]
    NotAfterToday { today: NaiveDate },
    #[error("must not be before effectiveFrom ({from})")]
    EndsBeforeStart { from: NaiveDate },
    #[error("a campaign may span at most {MAX_CAMPAIGN_DAYS} days, this one spans {days}")]
    TooLong { days: i64 },
    #[error("overlaps campaign {other:?} ({from} to {to}), which is live")]
    CampaignOverlap {
        other: ScheduleId,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("base schedule {other:?} already starts on {from}")]
    BaseSameStart { other: ScheduleId, from: NaiveDate },
    #[error("schedule {id:?} took effect on {from}; only one that has not taken effect can be cancelled")]
    AlreadyInEffect { id: ScheduleId, from: NaiveDate },
}

/// The input a [`ScheduleError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleInput {
    Rewards,
    EffectiveFrom,
    EffectiveTo,
    /// The schedule a cancellation names.
    Schedule,
}

impl ScheduleError {
    pub fn input(&self) -> ScheduleInput {
        match self {
            ScheduleError::WrongCount { .. } | ScheduleError::RewardOutOfRange { .. } => {
                ScheduleInput::Rewards
            }
            ScheduleError::NotAfterToday { .. }
            | ScheduleError::CampaignOverlap { .. }
            | ScheduleError::BaseSameStart { .. } => ScheduleInput::EffectiveFrom,
            ScheduleError::EndsBeforeStart { .. } | ScheduleError::TooLong { .. } => {
                ScheduleInput::EffectiveTo
            }
            ScheduleError::AlreadyInEffect { .. } => ScheduleInput::Schedule,
        }
    }
}

/// A schedule an admin asks to publish, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal<'a> {
    pub rewards: &'a [i64],
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
}

/// Checks `proposal` against the rules of `publishRewardSchedule`, given
/// the live schedules and `today` (the newest date any zone has:
/// `streak::day::newest_date`); returns its reward table.
///
/// Rewards first (seven, each 0..=`MAX_REWARD`), then the dates
/// (`effective_from` after today; a campaign's end not before its start,
/// at most [`MAX_CAMPAIGN_DAYS`]), then the others: a campaign may not
/// overlap a live campaign, two live base schedules may not start on the
/// same date.
pub fn validate_publish(
    live: &Schedules,
    today: NaiveDate,
    proposal: &Proposal<'_>,
) -> Result<RewardTable, ScheduleError> {
    let table = RewardTable::from_amounts(proposal.rewards).map_err(|e| match e {
        RewardTableError::WrongCount { expected, got } => {
            ScheduleError::WrongCount { expected, got }
        }
        RewardTableError::NotAnAmount { position, .. } => ScheduleError::RewardOutOfRange {
            position,
            value: proposal.rewards[position - 1],
            max: MAX_REWARD,
        },
    })?;
    let from = proposal.effective_from;
    if from <= today {
        return Err(ScheduleError::NotAfterToday { today });
    }
    match proposal.effective_to {
        Some(to) => {
            if to < from {
                return Err(ScheduleError::EndsBeforeStart { from });
            }
            let days = (to - from).num_days() + 1;
            if days > MAX_CAMPAIGN_DAYS {
                return Err(ScheduleError::TooLong { days });
            }
            if let Some(other) = live.campaigns().iter().find(|c| {
                let other_to = c.effective_to.unwrap_or(c.effective_from);
                c.effective_from <= to && from <= other_to
            }) {
                return Err(ScheduleError::CampaignOverlap {
                    other: other.id,
                    from: other.effective_from,
                    to: other.effective_to.unwrap_or(other.effective_from),
                });
            }
        }
        None => {
            if let Some(other) = live.bases().iter().find(|b| b.effective_from == from) {
                return Err(ScheduleError::BaseSameStart {
                    other: other.id,
                    from,
                });
            }
        }
    }
    Ok(table)
}

/// What cancelling a schedule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// It has not taken effect: it is withdrawn now.
    Withdraw,
    /// It already was cancelled: nothing changes, the call answers as the
    /// first one did (a retried request must not fail, nor be audited twice).
    AlreadyCancelled,
}

/// The rule of `cancelRewardSchedule`: only a schedule that has not taken
/// effect (`effective_from` after `today`) can be withdrawn.
pub fn check_cancel(schedule: &Schedule, today: NaiveDate) -> Result<Cancellation, ScheduleError> {
    if schedule.cancelled {
        return Ok(Cancellation::AlreadyCancelled);
    }
    if schedule.effective_from <= today {
        return Err(ScheduleError::AlreadyInEffect {
            id: schedule.id,
            from: schedule.effective_from,
        });
    }
    Ok(Cancellation::Withdraw)
}

/// The date the first schedule (from `SIGNIN_REWARDS`) is in force from:
/// "the beginning", before any sign-in the service can have recorded.
pub fn beginning() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// What the service does at start to make the schedules agree with
/// `SIGNIN_REWARDS` (see [`config_schedule_action`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigAction {
    /// The latest schedule from the setting already holds its table.
    Keep,
    /// Write a schedule from the setting, in force from `effective_from`.
    Insert { effective_from: NaiveDate },
    /// The latest schedule from the setting has paid nothing yet: cancel it
    /// and write the setting's table in its place (same `effective_from`).
    Replace {
        cancel: ScheduleId,
        effective_from: NaiveDate,
    },
    /// The new table could only start tomorrow, and an admin's base
    /// schedule `other` starts then: it would never be in force.
    Ignore { other: ScheduleId },
}

/// How `SIGNIN_REWARDS` becomes a schedule (`created_by` null), given the
/// latest live schedule written from it (`latest_from_setting`), the live
/// schedules, `today`, and whether any sign-in was ever recorded.
///
/// - None yet: the setting is the first base schedule, from [`beginning`].
/// - Same table: nothing to do.
/// - A different table (the operator changed the setting and restarted):
///   - if the latest one from the setting has paid nothing (it starts after
///     today, or no sign-in exists at all), the new table takes its place;
///   - otherwise the new table is a new base schedule **from tomorrow**.
///     What today's sign-ins earn, and what the status already showed for
///     today, must not change under the users' feet mid-day: the same
///     promise `publishRewardSchedule` keeps by refusing today. Admin
///     schedules published for later dates still take over on their dates.
pub fn config_schedule_action(
    latest_from_setting: Option<&Schedule>,
    live: &Schedules,
    setting: &RewardTable,
    today: NaiveDate,
    any_sign_in: bool,
) -> ConfigAction {
    let Some(latest) = latest_from_setting else {
        return ConfigAction::Insert {
            effective_from: beginning(),
        };
    };
    if latest.rewards == *setting {
        return ConfigAction::Keep;
    }
    if latest.effective_from > today || !any_sign_in {
        return ConfigAction::Replace {
            cancel: latest.id,
            effective_from: latest.effective_from,
        };
    }
    let tomorrow = today.succ_opt().unwrap_or(today);
    match live.bases().iter().find(|b| b.effective_from == tomorrow) {
        Some(other) => ConfigAction::Ignore { other: other.id },
        None => ConfigAction::Insert {
            effective_from: tomorrow,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::streak::status::{self, CyclePosition};
    use chrono::{NaiveDateTime, TimeZone};
    use chrono_tz::Tz;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn table(r: [u32; 7]) -> RewardTable {
        RewardTable::new(r).unwrap()
    }

    fn base(id: i64, from: &str, r: [u32; 7]) -> Schedule {
        Schedule {
            id: ScheduleId(id),
            rewards: table(r),
            effective_from: d(from),
            effective_to: None,
            cancelled: false,
        }
    }

    fn campaign(id: i64, from: &str, to: &str, r: [u32; 7]) -> Schedule {
        Schedule {
            effective_to: Some(d(to)),
            ..base(id, from, r)
        }
    }

    fn cancelled(s: Schedule) -> Schedule {
        Schedule {
            cancelled: true,
            ..s
        }
    }

    const FIRST: [u32; 7] = [10, 10, 20, 20, 30, 30, 100];
    const SECOND: [u32; 7] = [1, 2, 3, 4, 5, 6, 7];
    const DOUBLE: [u32; 7] = [20, 20, 40, 40, 60, 60, 200];
    const TRIPLE: [u32; 7] = [30, 30, 60, 60, 90, 90, 300];

    /// The programme every lookup case below runs on:
    /// - #1 the first base, from the beginning;
    /// - #2 a base from 2026-06-01; #3 a base from 2026-09-01, cancelled;
    /// - #4 a campaign inside #1's period (2026-05-10..12);
    /// - #5 a campaign spanning the base change of 2026-06-01 (05-30..06-02);
    /// - #6 a cancelled campaign (2026-07-01..31).
    fn programme() -> Schedules {
        Schedules::new([
            base(1, "1970-01-01", FIRST),
            base(2, "2026-06-01", SECOND),
            cancelled(base(3, "2026-09-01", TRIPLE)),
            campaign(4, "2026-05-10", "2026-05-12", DOUBLE),
            campaign(5, "2026-05-30", "2026-06-02", TRIPLE),
            cancelled(campaign(6, "2026-07-01", "2026-07-31", DOUBLE)),
        ])
    }

    #[test]
    fn the_schedule_in_force_on_a_date() {
        let s = programme();
        let cases: &[(&str, &str, Option<i64>)] = &[
            ("before anything was published", "2000-01-01", Some(1)),
            ("the day before a campaign", "2026-05-09", Some(1)),
            ("a campaign's first day", "2026-05-10", Some(4)),
            ("inside a campaign", "2026-05-11", Some(4)),
            ("a campaign's last day", "2026-05-12", Some(4)),
            (
                "the day after a campaign: the base again",
                "2026-05-13",
                Some(1),
            ),
            (
                "a campaign spanning a base change, before it",
                "2026-05-31",
                Some(5),
            ),
            (
                "a campaign spanning a base change, on it",
                "2026-06-01",
                Some(5),
            ),
            ("after that campaign: the new base", "2026-06-03", Some(2)),
            ("the day before a base change", "2026-05-29", Some(1)),
            ("a cancelled campaign's dates", "2026-07-15", Some(2)),
            ("a cancelled base's dates", "2026-09-02", Some(2)),
            ("far future", "2030-01-01", Some(2)),
        ];
        for (name, date, expected) in cases {
            assert_eq!(
                s.in_force(d(date)).map(|s| s.id.0),
                *expected,
                "{name} ({date})"
            );
        }
        assert_eq!(Schedules::default().in_force(d("2026-01-01")), None);
        assert_eq!(
            Schedules::new([base(7, "2026-01-02", FIRST)]).in_force(d("2026-01-01")),
            None,
            "before the first base"
        );
    }

    #[test]
    fn rewards_follow_the_schedule_of_each_date() {
        let s = programme();
        assert_eq!(s.reward_on(d("2026-05-09"), 7), 100);
        assert_eq!(s.reward_on(d("2026-05-10"), 7), 200);
        assert_eq!(s.reward_on(d("2026-06-01"), 1), 30);
        assert_eq!(s.reward_on(d("2026-06-03"), 1), 1);
        assert_eq!(s.reward_on(d("2026-06-03"), 7), 7);
        assert_eq!(Schedules::default().reward_on(d("2026-06-03"), 7), 0);
        // A plain table pays the same whatever the date.
        assert_eq!(table(SECOND).reward_on(d("1999-01-01"), 3), 3);
    }

    /// A cycle that crosses schedule changes: each date of the strip shows
    /// the reward of its own schedule, today's reward included.
    #[test]
    fn a_cycle_crossing_schedule_changes_shows_each_dates_reward() {
        let s = programme();
        // Signed in yesterday (2026-05-27) on cycle day 2: today is day 3,
        // the strip runs 05-26 .. 06-01.
        let latest = CyclePosition {
            day: d("2026-05-27"),
            cycle_day: 2,
            streak: 2,
        };
        let status = status::status(Some(&latest), d("2026-05-28"), &s);
        let strip: Vec<(NaiveDate, u32)> =
            status.cycle.iter().map(|c| (c.date, c.reward)).collect();
        assert_eq!(
            strip,
            vec![
                (d("2026-05-26"), 10),  // day 1, first base
                (d("2026-05-27"), 10),  // day 2, first base
                (d("2026-05-28"), 20),  // day 3, first base (today)
                (d("2026-05-29"), 20),  // day 4, first base
                (d("2026-05-30"), 90),  // day 5, campaign #5
                (d("2026-05-31"), 90),  // day 6, campaign #5
                (d("2026-06-01"), 300), // day 7, campaign #5 over base #2
            ]
        );
        assert_eq!(status.today_reward, 20);
        // Two days later the campaign pays today's reward.
        let latest = CyclePosition {
            day: d("2026-05-29"),
            cycle_day: 4,
            streak: 4,
        };
        let status = status::status(Some(&latest), d("2026-05-30"), &s);
        assert_eq!(status.today_reward, 90);
        // A new cycle starting inside the new base after the campaign.
        let status = status::status(None, d("2026-06-03"), &s);
        let rewards: Vec<u32> = status.cycle.iter().map(|c| c.reward).collect();
        assert_eq!(rewards, SECOND.to_vec());
    }

    /// The date of a sign-in is the business zone's: at 23:59 in Shanghai
    /// the old table pays, a minute later (still the same UTC date) the new
    /// one does.
    #[test]
    fn the_business_zones_midnight_decides_the_schedule() {
        let s = Schedules::new([base(1, "1970-01-01", FIRST), base(2, "2026-05-02", SECOND)]);
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let business_day = |utc: &str| {
            let instant = NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M")
                .unwrap()
                .and_utc();
            tz.from_utc_datetime(&instant.naive_utc()).date_naive()
        };
        let before = business_day("2026-05-01 15:59");
        let after = business_day("2026-05-01 16:00");
        assert_eq!(s.in_force(before).map(|s| s.id.0), Some(1));
        assert_eq!(s.in_force(after).map(|s| s.id.0), Some(2));
        assert_eq!(s.reward_on(before, 7), 100);
        assert_eq!(s.reward_on(after, 7), 7);
        // Publishing for the new business day is refused once it has begun
        // there, though it is still 2026-05-01 in UTC.
        let proposal = Proposal {
            rewards: &[1, 1, 1, 1, 1, 1, 1],
            effective_from: d("2026-05-02"),
            effective_to: None,
        };
        let fresh = Schedules::new([base(1, "1970-01-01", FIRST)]);
        assert!(validate_publish(&fresh, before, &proposal).is_ok());
        assert_eq!(
            validate_publish(&fresh, after, &proposal),
            Err(ScheduleError::NotAfterToday { today: after })
        );
    }

    #[test]
    fn publish_rules() {
        let live = programme();
        let today = d("2026-05-01");
        let ok = [1i64, 2, 3, 4, 5, 6, 7];
        type Case = (
            &'static str,
            Vec<i64>,
            &'static str,
            Option<&'static str>,
            Result<(), ScheduleInput>,
        );
        let cases: Vec<Case> = vec![
            (
                "a base from tomorrow",
                ok.to_vec(),
                "2026-05-02",
                None,
                Ok(()),
            ),
            (
                "a campaign from tomorrow",
                ok.to_vec(),
                "2026-05-02",
                Some("2026-05-02"),
                Ok(()),
            ),
            (
                "today",
                ok.to_vec(),
                "2026-05-01",
                None,
                Err(ScheduleInput::EffectiveFrom),
            ),
            (
                "yesterday",
                ok.to_vec(),
                "2026-04-30",
                None,
                Err(ScheduleInput::EffectiveFrom),
            ),
            (
                "six rewards",
                ok[..6].to_vec(),
                "2026-05-02",
                None,
                Err(ScheduleInput::Rewards),
            ),
            (
                "eight rewards",
                [ok.to_vec(), vec![8]].concat(),
                "2026-05-02",
                None,
                Err(ScheduleInput::Rewards),
            ),
            (
                "a negative reward",
                vec![1, 2, 3, -4, 5, 6, 7],
                "2026-05-02",
                None,
                Err(ScheduleInput::Rewards),
            ),
            (
                "zero rewards are fine",
                vec![0; 7],
                "2026-05-02",
                None,
                Ok(()),
            ),
            (
                "the largest reward",
                vec![i64::from(MAX_REWARD); 7],
                "2026-05-02",
                None,
                Ok(()),
            ),
            (
                "above the largest reward",
                vec![1, 1, 1, 1, 1, 1, i64::from(MAX_REWARD) + 1],
                "2026-05-02",
                None,
                Err(ScheduleInput::Rewards),
            ),
            (
                "ends before it starts",
                ok.to_vec(),
                "2026-05-03",
                Some("2026-05-02"),
                Err(ScheduleInput::EffectiveTo),
            ),
            (
                "366 days",
                ok.to_vec(),
                "2026-10-01",
                Some("2027-10-01"),
                Ok(()),
            ),
            (
                "367 days",
                ok.to_vec(),
                "2026-10-01",
                Some("2027-10-02"),
                Err(ScheduleInput::EffectiveTo),
            ),
            (
                "overlaps the start of #4",
                ok.to_vec(),
                "2026-05-08",
                Some("2026-05-10"),
                Err(ScheduleInput::EffectiveFrom),
            ),
            (
                "overlaps the end of #4",
                ok.to_vec(),
                "2026-05-12",
                Some("2026-05-20"),
                Err(ScheduleInput::EffectiveFrom),
            ),
            (
                "inside #4",
                ok.to_vec(),
                "2026-05-11",
                Some("2026-05-11"),
                Err(ScheduleInput::EffectiveFrom),
            ),
            (
                "around #4",
                ok.to_vec(),
                "2026-05-09",
                Some("2026-05-13"),
                Err(ScheduleInput::EffectiveFrom),
            ),
            (
                "between #4 and #5",
                ok.to_vec(),
                "2026-05-13",
                Some("2026-05-29"),
                Ok(()),
            ),
            (
                "over the cancelled campaign #6",
                ok.to_vec(),
                "2026-07-01",
                Some("2026-07-31"),
                Ok(()),
            ),
            (
                "a campaign may start with a base",
                ok.to_vec(),
                "2026-06-03",
                Some("2026-06-05"),
                Ok(()),
            ),
            (
                "a base on #2's date",
                ok.to_vec(),
                "2026-06-01",
                None,
                Err(ScheduleInput::EffectiveFrom),
            ),
            (
                "a base on cancelled #3's date",
                ok.to_vec(),
                "2026-09-01",
                None,
                Ok(()),
            ),
            (
                "a base inside a campaign",
                ok.to_vec(),
                "2026-05-11",
                None,
                Ok(()),
            ),
        ];
        for (name, rewards, from, to, expected) in cases {
            let proposal = Proposal {
                rewards: &rewards,
                effective_from: d(from),
                effective_to: to.map(d),
            };
            let got = validate_publish(&live, today, &proposal);
            assert_eq!(
                got.as_ref().map(|_| ()).map_err(ScheduleError::input),
                expected,
                "{name}: {got:?}"
            );
            if let Ok(t) = got {
                let expected: Vec<u32> =
                    rewards.iter().map(|r| u32::try_from(*r).unwrap()).collect();
                assert_eq!(t.as_array().to_vec(), expected, "{name}");
            }
        }
    }

    #[test]
    fn cancel_rules() {
        let today = d("2026-05-01");
        let cases = [
            (
                "starts tomorrow",
                base(9, "2026-05-02", FIRST),
                Ok(Cancellation::Withdraw),
            ),
            (
                "campaign from tomorrow",
                campaign(9, "2026-05-02", "2026-05-03", FIRST),
                Ok(Cancellation::Withdraw),
            ),
            (
                "started today",
                base(9, "2026-05-01", FIRST),
                Err(ScheduleInput::Schedule),
            ),
            (
                "campaign running",
                campaign(9, "2026-04-30", "2026-05-03", FIRST),
                Err(ScheduleInput::Schedule),
            ),
            (
                "campaign over",
                campaign(9, "2026-04-01", "2026-04-03", FIRST),
                Err(ScheduleInput::Schedule),
            ),
            (
                "the first base",
                base(1, "1970-01-01", FIRST),
                Err(ScheduleInput::Schedule),
            ),
            (
                "already cancelled",
                cancelled(base(9, "2026-05-02", FIRST)),
                Ok(Cancellation::AlreadyCancelled),
            ),
            (
                "cancelled, and its date has come",
                cancelled(base(9, "2026-04-02", FIRST)),
                Ok(Cancellation::AlreadyCancelled),
            ),
        ];
        for (name, schedule, expected) in cases {
            assert_eq!(
                check_cancel(&schedule, today).map_err(|e| e.input()),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn the_setting_becomes_a_schedule_without_changing_today() {
        let today = d("2026-05-01");
        let setting = table(SECOND);
        let first = base(1, "1970-01-01", FIRST);
        let same = base(1, "1970-01-01", SECOND);
        let from_setting_tomorrow = base(8, "2026-05-02", FIRST);
        let admin_tomorrow = base(9, "2026-05-02", TRIPLE);
        let live = Schedules::new([first.clone()]);
        let cases: Vec<(&str, Option<&Schedule>, Schedules, bool, ConfigAction)> = vec![
            (
                "nothing yet: from the beginning",
                None,
                Schedules::default(),
                false,
                ConfigAction::Insert {
                    effective_from: beginning(),
                },
            ),
            (
                "unchanged",
                Some(&same),
                Schedules::new([same.clone()]),
                true,
                ConfigAction::Keep,
            ),
            (
                "changed after sign-ins: from tomorrow",
                Some(&first),
                live.clone(),
                true,
                ConfigAction::Insert {
                    effective_from: d("2026-05-02"),
                },
            ),
            (
                "changed before any sign-in: in its place",
                Some(&first),
                live.clone(),
                false,
                ConfigAction::Replace {
                    cancel: ScheduleId(1),
                    effective_from: beginning(),
                },
            ),
            (
                "changed again the same day: the pending one is replaced",
                Some(&from_setting_tomorrow),
                Schedules::new([first.clone(), from_setting_tomorrow.clone()]),
                true,
                ConfigAction::Replace {
                    cancel: ScheduleId(8),
                    effective_from: d("2026-05-02"),
                },
            ),
            (
                "an admin's base starts tomorrow",
                Some(&first),
                Schedules::new([first.clone(), admin_tomorrow.clone()]),
                true,
                ConfigAction::Ignore {
                    other: ScheduleId(9),
                },
            ),
        ];
        for (name, latest, live, any_sign_in, expected) in cases {
            assert_eq!(
                config_schedule_action(latest, &live, &setting, today, any_sign_in),
                expected,
                "{name}"
            );
        }
    }
}
