//! A user's chain as the store keeps it: the signed and made-up dates
//! (`sign_ins`), the frozen ones (`frozen_days`), the jumped ones
//! (`time_zone_changes`), and the facts about the user that the rules need
//! (zone, freezes held, registration, recent make-ups).

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Int2, Int4, Int8, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::prepared::prepared;
use super::StoreError;
use crate::model::{SignInId, UserId};
use crate::schema::{frozen_days, wallets};

/// One user's recent chain and the facts streak protection needs, as
/// parallel arrays (one row per user).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ChainRecord {
    #[diesel(sql_type = Int8)]
    pub user_id: UserId,
    /// Points in the wallet.
    #[diesel(sql_type = BigInt)]
    pub balance: i64,
    #[diesel(sql_type = Int4)]
    pub freezes_held: i32,
    /// The registration date, in the zone the user had then.
    #[diesel(sql_type = Date)]
    pub registered_on: NaiveDate,
    /// The user's IANA zone now.
    #[diesel(sql_type = Text)]
    pub time_zone: String,
    /// When each make-up made since the `made_up_since` given was made.
    #[diesel(sql_type = Array<Timestamptz>)]
    pub made_up_at: Vec<DateTime<Utc>>,
    /// The recent dates, in no particular order; at the same index:
    #[diesel(sql_type = Array<Date>)]
    pub days: Vec<NaiveDate>,
    /// a frozen date (then `made_up` is false and the position 0, 0),
    #[diesel(sql_type = Array<Bool>)]
    pub frozen: Vec<bool>,
    #[diesel(sql_type = Array<Bool>)]
    pub made_up: Vec<bool>,
    #[diesel(sql_type = Array<Int2>)]
    pub cycle_days: Vec<i16>,
    #[diesel(sql_type = Array<Int4>)]
    pub streaks: Vec<i32>,
    /// The recent dates jumped over by a change of zone to the east.
    #[diesel(sql_type = Array<Date>)]
    pub jumped: Vec<NaiveDate>,
    /// The date of the latest `signIn` (made-up dates aside) and the points
    /// it earned, as recorded; None without one.
    #[diesel(sql_type = Nullable<Date>)]
    pub last_day: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub last_reward: Option<i64>,
}

/// The recent chain of each of `user_ids` at the instant `now` (users
/// without a wallet are absent), in one statement: the wallet's balance and
/// freezes, the user's zone and registration date, the make-ups made in the
/// last 32 days, and every signed, made-up, frozen and jumped date from
/// the earliest a rule may need at `now` in any zone (the bounds are the
/// function's: see its migration, 2026-12-08-000001_user_time_zones).
///
/// The first signed or made-up date of each user is where the chain rule
/// may start (its stored position is kept). When it is on or after
/// `window_start`, the user has no signed or made-up date before the window
/// and the dates are their whole chain.
pub async fn load_many(
    conn: &mut AsyncPgConnection,
    user_ids: &[UserId],
    now: DateTime<Utc>,
    window_days: u16,
) -> Result<Vec<ChainRecord>, StoreError> {
    let utc_today = now.date_naive();
    let before = utc_today
        .checked_add_days(Days::new(2))
        .unwrap_or(NaiveDate::MAX);
    let window_start = utc_today
        .checked_sub_days(Days::new(1 + u64::from(window_days)))
        .unwrap_or(NaiveDate::MIN);
    // A calendar month is at most 31 days, and a zone at most 14 hours
    // from UTC.
    let made_up_since = now - TimeDelta::days(32);
    // The statement is the function `signin_chains`, which keeps one plan
    // per connection.
    Ok(prepared(
        diesel::sql_query(
            "SELECT user_id, balance, freezes_held, registered_on, time_zone, made_up_at, \
                    days, frozen, made_up, cycle_days, streaks, jumped, last_day, last_reward \
               FROM signin_chains($1, $2, $3, $4)",
        )
        .bind::<Array<Int8>, _>(user_ids)
        .bind::<Date, _>(before)
        .bind::<Date, _>(window_start)
        .bind::<Timestamptz, _>(made_up_since),
    )
    .load(conn)
    .await?)
}

/// Locks the user's wallet row until the transaction ends (false when
/// there is none). Every change to a user's chain (sign-in, make-up,
/// freeze) and to their wallet is serialized by this lock, which is what
/// keeps one outcome per date and `freezes_held` within bounds under
/// concurrent calls.
pub async fn lock_wallet(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> Result<bool, StoreError> {
    Ok(wallets::table
        .find(user_id)
        .select(wallets::user_id)
        .for_update()
        .first::<UserId>(conn)
        .await
        .optional()?
        .is_some())
}

/// Records `days` as covered by freezes that `sign_in_id` used.
pub async fn insert_frozen(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    days: &[NaiveDate],
    sign_in_id: SignInId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<_> = days
        .iter()
        .map(|day| {
            (
                frozen_days::user_id.eq(user_id),
                frozen_days::day.eq(*day),
                frozen_days::sign_in_id.eq(sign_in_id),
                frozen_days::created_at.eq(now),
            )
        })
        .collect();
    diesel::insert_into(frozen_days::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets the freezes the user holds. Call under [`lock_wallet`].
pub async fn set_freezes_held(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    freezes_held: i32,
) -> Result<(), StoreError> {
    diesel::update(wallets::table.find(user_id))
        .set(wallets::freezes_held.eq(freezes_held))
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives the user's sign-ins on `days` the positions at the same index
/// (`cycle_days`, `streaks`), in one statement; rows already there are not
/// written. Call under [`lock_wallet`].
pub async fn renumber(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    days: &[NaiveDate],
    cycle_days: &[i16],
    streaks: &[i32],
) -> Result<usize, StoreError> {
    Ok(prepared(
        diesel::sql_query(
            "UPDATE sign_ins s SET cycle_day = v.cycle_day, streak = v.streak \
           FROM unnest($2::date[], $3::int2[], $4::int4[]) AS v(day, cycle_day, streak) \
          WHERE s.user_id = $1 AND s.day = v.day \
            AND (s.cycle_day, s.streak) IS DISTINCT FROM (v.cycle_day, v.streak)",
        )
        .bind::<Int8, _>(user_id)
        .bind::<Array<Date>, _>(days)
        .bind::<Array<Int2>, _>(cycle_days)
        .bind::<Array<Int4>, _>(streaks),
    )
    .execute(conn)
    .await?)
}
