use std::sync::Arc;

use async_graphql::{Object, SimpleObject};
use chrono::NaiveDate;

use super::scalars::Date;
use super::user::User;
use crate::domain::cycle;
use crate::state::AppState;
use crate::store::sign_ins::{HistoryRow, SignInRow};

/// What a user sees of their sign-ins today.
pub struct SignInStatus(pub cycle::SignInStatus);

impl SignInStatus {
    /// The status of a user with no sign-ins.
    pub fn empty(state: Result<&Arc<AppState>, crate::service::ServiceError>) -> Self {
        let (today, rewards) = match state {
            Ok(s) => (s.calendar.today(), s.config.rewards),
            Err(_) => (chrono::Utc::now().date_naive(), Default::default()),
        };
        SignInStatus(cycle::status(None, today, &rewards))
    }
}

fn int(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

#[Object]
impl SignInStatus {
    async fn today(&self) -> Date {
        Date(self.0.today)
    }

    async fn signed_in_today(&self) -> bool {
        self.0.signed_in_today
    }

    /// Consecutive days up to today (if signed today) or yesterday; 0 when neither.
    async fn streak(&self) -> i32 {
        int(self.0.streak)
    }

    /// 1..7: today's cycle day if signed today, else the cycle day a sign-in now would get.
    async fn cycle_day(&self) -> i32 {
        i32::from(self.0.cycle_day)
    }

    /// The reward today's sign-in earned, or would earn.
    async fn today_reward(&self) -> i32 {
        int(self.0.today_reward)
    }

    /// The seven days of the current cycle, day 1 first.
    async fn cycle(&self) -> Vec<CycleDay> {
        self.0
            .cycle
            .iter()
            .map(|c| CycleDay {
                day: i32::from(c.day),
                date: Date(c.date),
                reward: int(c.reward),
                signed_in: c.signed_in,
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct CycleDay {
    pub day: i32,
    pub date: Date,
    pub reward: i32,
    pub signed_in: bool,
}

#[derive(SimpleObject)]
pub struct SignInDay {
    pub date: Date,
    pub signed_in: bool,
    pub cycle_day: Option<i32>,
    pub streak: Option<i32>,
    pub reward: Option<i32>,
}

/// One entry per date from `from` to `to`, oldest first, from the user's
/// sign-in rows in that range.
pub fn history_days(rows: &[HistoryRow], from: NaiveDate, to: NaiveDate) -> Vec<SignInDay> {
    let mut rows = rows.iter().peekable();
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            while rows.peek().is_some_and(|r| r.day < date) {
                rows.next();
            }
            match rows.peek().filter(|r| r.day == date) {
                Some(r) => SignInDay {
                    date: Date(date),
                    signed_in: true,
                    cycle_day: Some(i32::from(r.cycle_day)),
                    streak: Some(r.streak),
                    reward: Some(int(r.reward)),
                },
                None => SignInDay {
                    date: Date(date),
                    signed_in: false,
                    cycle_day: None,
                    streak: None,
                    reward: None,
                },
            }
        })
        .collect()
}

pub struct SignInRecord(pub SignInRow);

#[Object]
impl SignInRecord {
    async fn date(&self) -> Date {
        Date(self.0.day)
    }

    async fn cycle_day(&self) -> i32 {
        i32::from(self.0.cycle_day)
    }

    async fn streak(&self) -> i32 {
        self.0.streak
    }

    async fn reward(&self) -> i32 {
        int(self.0.reward)
    }

    /// False until the background job has written the reward into the wallet.
    async fn reward_credited(&self) -> bool {
        self.0.credited_at.is_some()
    }
}

#[derive(SimpleObject)]
pub struct SignInPayload {
    pub record: SignInRecord,
    pub status: SignInStatus,
}

#[derive(SimpleObject)]
pub struct UserSignInHistory {
    pub user: User,
    pub days: Vec<SignInDay>,
}

#[derive(SimpleObject)]
pub struct DailySignInStats {
    pub date: Date,
    /// Users who signed in on that date.
    pub signed_in: i32,
    /// Seven counts: sign-ins on that date at cycle day 1..7.
    pub by_cycle_day: Vec<i32>,
    pub reward_total: i32,
}
