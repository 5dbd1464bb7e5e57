//! A user's own time zone (contract, "Every user's own day"): changing it
//! (`setTimeZone`) as a [`LockedChange`] under the user's wallet lock, so
//! that it and their sign-ins, make-ups and freezes happen one after the
//! other and each sees the zone the one before left. The rules are
//! `domain::streak::day::change_zone`.

use std::sync::Arc;
use std::time::Duration;

use diesel_async::AsyncPgConnection;

use super::unit_of_work::{
    self, At, Decided, Key, Locked, LockedChange, SchedulesShown, WalletAndChain,
};
use super::{streak, Input, ServiceError};
use crate::after_commit::Committed;
use crate::cache::schedules::Snapshot;
use crate::domain::streak::day::{self, ZoneChange};
use crate::domain::streak::state::ChainState;
use crate::model::{User, UserId};
use crate::state::AppState;
use crate::store::users::{self, ZoneChangeRow};

/// `name` as a time zone, or `BAD_USER_INPUT` naming `timeZone`.
pub fn parse(name: &str) -> Result<chrono_tz::Tz, ServiceError> {
    day::parse_zone(name).map_err(|e| ServiceError::bad_input(Input::TimeZone, e.to_string()))
}

/// Sets `user_id`'s time zone to the IANA zone `name` (`setTimeZone`) and
/// answers their row. The zone they already have changes nothing and is
/// not counted. A change moving east records the date it jumps over, which
/// then keeps their chain like a frozen date.
///
/// Errors: `BadInput` (`timeZone`) for an unknown name;
/// `TimeZoneChangeTooSoon` (`LIMIT_REACHED`, `retryAfter`) within
/// `SIGNIN_TIMEZONE_CHANGE_DAYS` × 24 hours of the last change.
pub async fn set(state: &Arc<AppState>, user_id: UserId, name: &str) -> Result<User, ServiceError> {
    let requested = parse(name)?;
    let key = Key {
        user_id,
        idempotency_key: None,
    };
    unit_of_work::run(state, key, SetTimeZone { requested }).await
}

/// Changing the caller's zone.
struct SetTimeZone {
    requested: chrono_tz::Tz,
}

impl LockedChange for SetTimeZone {
    type Lock = WalletAndChain;
    /// For the status announced after (today may be another date).
    type ReadFirst = SchedulesShown;
    type Output = User;

    async fn decide(
        self,
        conn: &mut AsyncPgConnection,
        state: &AppState,
        schedules: Arc<Snapshot>,
        locked: Locked<(i64, ChainState)>,
        at: At,
    ) -> Result<Decided<User>, ServiceError> {
        let user_id = locked.key.user_id;
        let (_, before) = locked.held;
        let last_change = users::zone_changed_at(conn, user_id).await?;
        let limit_days = state.config.timezone_change_days;
        let change = day::change_zone(
            at.now,
            &before.history,
            before.time_zone,
            self.requested,
            last_change,
            limit_days,
        )
        .map_err(|too_soon| ServiceError::TimeZoneChangeTooSoon {
            days: limit_days,
            retry_after: Duration::from_secs(too_soon.retry_after_secs),
        })?;
        let jumped = match change {
            ZoneChange::Unchanged => {
                let row = users::find(conn, user_id)
                    .await?
                    .ok_or(ServiceError::NotFound("user"))?;
                return Ok(Decided::made(row, Committed::default()));
            }
            ZoneChange::Changed { jumped } => jumped,
        };
        let row = |jumped_date| ZoneChangeRow {
            user_id,
            changed_at: at.now,
            from_zone: before.time_zone.name(),
            to_zone: self.requested.name(),
            jumped_date,
        };
        let rows: Vec<ZoneChangeRow<'_>> = if jumped.is_empty() {
            vec![row(None)]
        } else {
            jumped.iter().map(|date| row(Some(*date))).collect()
        };
        let user = users::record_zone_change(conn, &rows)
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        tracing::info!(user_id = %user_id, from = %before.time_zone, to = %self.requested,
            jumped = ?jumped, "time zone changed");
        metrics::counter!("signin_time_zone_changes_total").increment(1);
        // Read again, in this transaction: the month, today's reward and
        // the dates in view all follow the new zone.
        let (_, after) = streak::load_many(
            conn,
            &[user_id],
            at.now,
            state.calendar.zone(),
            &state.config.protection,
        )
        .await?
        .remove(&user_id)
        .ok_or(ServiceError::NotFound("wallet"))?;
        let status = after.status(
            after.today(at.now),
            &state.config.protection,
            &schedules.schedules,
        );
        let after_commit = Committed::default()
            .user_changed(user_id)
            .status_changed(user_id, status);
        Ok(Decided::made(user, after_commit))
    }
}
