//! Reading users' chains from the store into the domain's [`ChainState`]:
//! uncached (inside a use case's transaction, under the wallet lock) and in
//! batches for status reads (which `cached` puts in front of).

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use diesel_async::AsyncPgConnection;

use super::ServiceError;
use crate::clock::BusinessCalendar;
use crate::domain::streak::chain::{DayKind, History, Position};
use crate::domain::streak::protection::StreakProtection;
use crate::domain::streak::state::ChainState;
use crate::model::UserId;
use crate::store::streak::{self as stored, ChainRecord};

/// The oldest date a make-up on `today` may fill.
fn window_start(today: NaiveDate, rules: &StreakProtection) -> NaiveDate {
    today
        .checked_sub_days(Days::new(u64::from(rules.make_up_window_days)))
        .unwrap_or(NaiveDate::MIN)
}

/// One user's chain: the earliest signed or made-up date is the anchor
/// (its stored position is where the chain rule starts; see
/// `store::streak::load_many` for why it is far enough back).
fn state_of(record: ChainRecord, calendar: &BusinessCalendar) -> ChainState {
    let mut anchor: Option<(NaiveDate, Position)> = None;
    let mut days = std::collections::BTreeMap::new();
    for i in 0..record.days.len() {
        let (day, frozen, made_up) = (record.days[i], record.frozen[i], record.made_up[i]);
        let kind = if frozen {
            DayKind::Frozen
        } else if made_up {
            DayKind::MadeUp
        } else {
            DayKind::Signed
        };
        days.insert(day, kind);
        if !frozen && anchor.is_none_or(|(first, _)| day < first) {
            let position = Position {
                cycle_day: u8::try_from(record.cycle_days[i]).unwrap_or(1),
                streak: u32::try_from(record.streaks[i]).unwrap_or(1),
            };
            anchor = Some((day, position));
        }
    }
    ChainState {
        history: History { days, anchor },
        freezes_held: u16::try_from(record.freezes_held).unwrap_or(u16::MAX),
        registered_on: calendar.day_of(record.registered_at),
        make_ups_this_month: u32::try_from(record.make_ups_since).unwrap_or(u32::MAX),
        today_reward: record.today_reward.and_then(|r| u32::try_from(r).ok()),
    }
}

/// The chains of `user_ids` on `today` (one statement for the batch); a
/// user without a wallet is absent. Each comes with the wallet's balance.
pub async fn load_many(
    conn: &mut AsyncPgConnection,
    user_ids: &[UserId],
    today: NaiveDate,
    calendar: &BusinessCalendar,
    rules: &StreakProtection,
) -> Result<HashMap<UserId, (i64, ChainState)>, ServiceError> {
    let records = stored::load_many(
        conn,
        user_ids,
        today,
        window_start(today, rules),
        calendar.start_of_month(today),
    )
    .await?;
    Ok(records
        .into_iter()
        .map(|r| (r.user_id, (r.balance, state_of(r, calendar))))
        .collect())
}

/// The user's chain on `today` with their wallet row locked until the
/// transaction ends (see `store::streak::lock_wallet`), and their balance.
/// Call inside a transaction.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    today: NaiveDate,
    calendar: &BusinessCalendar,
    rules: &StreakProtection,
) -> Result<(i64, ChainState), ServiceError> {
    if !stored::lock_wallet(conn, user_id).await? {
        return Err(ServiceError::NotFound("wallet"));
    }
    load_many(conn, &[user_id], today, calendar, rules)
        .await?
        .remove(&user_id)
        .ok_or(ServiceError::NotFound("wallet"))
}
