//! `RewardSchedule`: a reward table in force over a range of dates.

use super::ids::live_user;
use async_graphql::{Context, Object, ID};

use super::scalars::{Date, DateTime};
use super::user::User;
use crate::graphql::errors::ApiResult;
use crate::model::ScheduleRow;

/// A reward table in force over a range of dates. Published by an admin; never edited afterwards.
pub struct RewardSchedule(pub ScheduleRow);

#[Object]
impl RewardSchedule {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Rewards of cycle days 1..7.
    async fn rewards(&self) -> &[i32] {
        &self.0.rewards
    }

    async fn effective_from(&self) -> Date {
        Date(self.0.effective_from)
    }

    /// Null for a base schedule (in force until the next base schedule); a date for a campaign.
    async fn effective_to(&self) -> Option<Date> {
        self.0.effective_to.map(Date)
    }

    async fn note(&self) -> &str {
        &self.0.note
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// The admin who published it; null for the schedule read from SIGNIN_REWARDS.
    async fn created_by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        live_user(ctx, self.0.created_by).await
    }

    /// True once cancelled (only possible before it takes effect).
    async fn cancelled(&self) -> bool {
        self.0.cancelled_at.is_some()
    }
}
