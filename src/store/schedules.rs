//! The `reward_schedules` table: rows are inserted, cancelled once, never
//! edited or deleted (a trigger holds that).
//!
//! Every change runs under an exclusive transaction-level advisory lock
//! and every snapshot read under the shared one ([`lock_for_change`],
//! [`lock_for_snapshot`]), so a snapshot either sees a change or was
//! read before it began: a replica that reloads its snapshot after the
//! business day's midnight sees every schedule that can apply to that day
//! (a change checks "after today" while holding the lock).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::prepared::prepared;
use super::StoreError;
use crate::domain::rewards::{RewardTable, RewardTableError};
use crate::domain::schedule::Schedule;
use crate::model::{ScheduleId, ScheduleRow, UserId};
use crate::schema::{reward_schedules, sign_ins};

/// An arbitrary constant of this service: the schedules' advisory lock.
const SCHEDULES_LOCK_KEY: i64 = 0x5363_6865_6475_6c65;

/// `rows` as the rules see them (see [`ScheduleRow::to_schedule`]).
pub fn to_schedules(rows: &[ScheduleRow]) -> Result<Vec<Schedule>, StoreError> {
    rows.iter().map(ScheduleRow::to_schedule).collect()
}

impl ScheduleRow {
    /// The row as the rules see it; `StoreError::Query` for a row the
    /// table's CHECK should have refused.
    pub fn to_schedule(&self) -> Result<Schedule, StoreError> {
        let amounts: Vec<i64> = self.rewards.iter().map(|&r| i64::from(r)).collect();
        let rewards = RewardTable::from_amounts(&amounts).map_err(|e| {
            let what = match e {
                RewardTableError::WrongCount { .. } => "not seven rewards",
                RewardTableError::NotAnAmount { position, .. } if amounts[position - 1] < 0 => {
                    "a negative reward"
                }
                RewardTableError::NotAnAmount { .. } => "a reward above the maximum",
            };
            corrupt(self.id, what)
        })?;
        Ok(Schedule {
            id: self.id,
            rewards,
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            cancelled: self.cancelled_at.is_some(),
        })
    }
}

fn corrupt(id: ScheduleId, what: &str) -> StoreError {
    StoreError::Query(diesel::result::Error::DeserializationError(
        format!("reward schedule {id} holds {what}").into(),
    ))
}

/// A reward table as the `rewards` column holds it.
pub fn rewards_column(table: &RewardTable) -> Vec<i32> {
    table
        .as_array()
        .iter()
        .map(|r| i32::try_from(*r).unwrap_or(i32::MAX))
        .collect()
}

/// A schedule to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = reward_schedules)]
pub struct NewSchedule<'a> {
    pub rewards: Vec<i32>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub note: &'a str,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
}

/// Takes the schedules' lock exclusively until the transaction ends. Call
/// first in every transaction that inserts or cancels a schedule.
pub async fn lock_for_change(conn: &mut AsyncPgConnection) -> Result<(), StoreError> {
    prepared(
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)").bind::<BigInt, _>(SCHEDULES_LOCK_KEY),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the schedules' lock shared until the transaction ends: call
/// first in the transaction that reads a snapshot. Waits for a change in
/// progress to commit.
pub async fn lock_for_snapshot(conn: &mut AsyncPgConnection) -> Result<(), StoreError> {
    prepared(
        diesel::sql_query("SELECT pg_advisory_xact_lock_shared($1)")
            .bind::<BigInt, _>(SCHEDULES_LOCK_KEY),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Every schedule, newest `effective_from` first (then newest id).
pub async fn all(conn: &mut AsyncPgConnection) -> Result<Vec<ScheduleRow>, StoreError> {
    Ok(reward_schedules::table
        .order((
            reward_schedules::effective_from.desc(),
            reward_schedules::id.desc(),
        ))
        .select(ScheduleRow::as_select())
        .load(conn)
        .await?)
}

/// A number that grows with every insert and every cancellation (rows are
/// never deleted, and cancelled once): a snapshot whose rows give the same
/// number is current. See [`version_of`].
pub async fn version(conn: &mut AsyncPgConnection) -> Result<i64, StoreError> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = BigInt)]
        version: i64,
    }
    let row: Version = prepared(diesel::sql_query(
        "SELECT (count(*) + count(cancelled_at))::BIGINT AS version FROM reward_schedules",
    ))
    .get_result(conn)
    .await?;
    Ok(row.version)
}

/// The [`version`] that `rows` (every row of the table) give.
pub fn version_of(rows: &[ScheduleRow]) -> i64 {
    let cancelled = rows.iter().filter(|r| r.cancelled_at.is_some()).count();
    i64::try_from(rows.len() + cancelled).unwrap_or(i64::MAX)
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: ScheduleId,
) -> Result<Option<ScheduleRow>, StoreError> {
    Ok(reward_schedules::table
        .find(id)
        .select(ScheduleRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewSchedule<'_>,
) -> Result<ScheduleRow, StoreError> {
    Ok(diesel::insert_into(reward_schedules::table)
        .values(new)
        .returning(ScheduleRow::as_returning())
        .get_result(conn)
        .await?)
}

/// Sets `cancelled_at` unless it is set already; the row as it is after.
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    id: ScheduleId,
    now: DateTime<Utc>,
) -> Result<Option<ScheduleRow>, StoreError> {
    diesel::update(
        reward_schedules::table
            .find(id)
            .filter(reward_schedules::cancelled_at.is_null()),
    )
    .set(reward_schedules::cancelled_at.eq(now))
    .execute(conn)
    .await?;
    find(conn, id).await
}

/// Whether any sign-in was ever recorded (an install that has paid
/// nothing yet may still replace its first schedule).
pub async fn any_sign_in(conn: &mut AsyncPgConnection) -> Result<bool, StoreError> {
    Ok(
        diesel::select(diesel::dsl::exists(sign_ins::table.select(sign_ins::id)))
            .get_result(conn)
            .await?,
    )
}
