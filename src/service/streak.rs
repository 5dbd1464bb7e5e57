//! Reading users' chains from the store into the domain's [`ChainState`]:
//! uncached (inside a use case's transaction, under the wallet lock) and in
//! batches for status reads (which `cached` puts in front of). Each chain
//! is read at an instant and settled on the user's today then (their zone,
//! their dates: `domain::streak::day`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel_async::AsyncPgConnection;

use super::ServiceError;
use crate::domain::streak::chain::{DayKind, History, Position};
use crate::domain::streak::day;
use crate::domain::streak::protection::StreakProtection;
use crate::domain::streak::state::ChainState;
use crate::model::UserId;
use crate::store::streak::{self as stored, ChainRecord};

/// One user's chain at `now`: the earliest signed or made-up date is the
/// anchor (its stored position is where the chain rule starts; see
/// `store::streak::load_many` for why it is far enough back). A zone the
/// store holds that this build does not know (a newer time zone database
/// wrote it) counts as `fallback_zone`, with a warning.
fn state_of(record: ChainRecord, now: DateTime<Utc>, fallback_zone: Tz) -> ChainState {
    let mut anchor: Option<(NaiveDate, Position)> = None;
    let mut days = BTreeMap::new();
    for &date in &record.jumped {
        days.insert(date, DayKind::Jumped);
    }
    for i in 0..record.days.len() {
        let (date, frozen, made_up) = (record.days[i], record.frozen[i], record.made_up[i]);
        let kind = if frozen {
            DayKind::Frozen
        } else if made_up {
            DayKind::MadeUp
        } else {
            DayKind::Signed
        };
        days.insert(date, kind);
        if !frozen && anchor.is_none_or(|(first, _)| date < first) {
            let position = Position {
                cycle_day: u8::try_from(record.cycle_days[i]).unwrap_or(1),
                streak: u32::try_from(record.streaks[i]).unwrap_or(1),
            };
            anchor = Some((date, position));
        }
    }
    let time_zone = day::parse_zone(&record.time_zone).unwrap_or_else(|_| {
        tracing::warn!(user_id = %record.user_id, zone = %record.time_zone,
            "unknown time zone in the store; using SIGNIN_TIMEZONE");
        fallback_zone
    });
    let history = History { days, anchor };
    let today = day::today(now, time_zone, &history);
    let month_start = day::start_of_month(today, time_zone);
    let made_this_month = record
        .made_up_at
        .iter()
        .filter(|at| **at >= month_start)
        .count();
    ChainState {
        history,
        freezes_held: u16::try_from(record.freezes_held).unwrap_or(u16::MAX),
        registered_on: record.registered_on,
        make_ups_this_month: u32::try_from(made_this_month).unwrap_or(u32::MAX),
        time_zone,
        today_reward: match (record.last_day, record.last_reward) {
            (Some(date), Some(reward)) if date == today => u32::try_from(reward).ok(),
            _ => None,
        },
    }
}

/// The chains of `user_ids` at `now` (one statement for the batch); a
/// user without a wallet is absent. Each comes with the wallet's balance.
pub async fn load_many(
    conn: &mut AsyncPgConnection,
    user_ids: &[UserId],
    now: DateTime<Utc>,
    fallback_zone: Tz,
    rules: &StreakProtection,
) -> Result<HashMap<UserId, (i64, ChainState)>, ServiceError> {
    let records = stored::load_many(conn, user_ids, now, rules.make_up_window_days).await?;
    Ok(records
        .into_iter()
        .map(|r| (r.user_id, (r.balance, state_of(r, now, fallback_zone))))
        .collect())
}

/// The user's chain at `now` with their wallet row locked until the
/// transaction ends (see `store::streak::lock_wallet`), and their balance.
/// Call inside a transaction. The chain is read after the lock, so it holds
/// the zone and dates every earlier change of them committed.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    now: DateTime<Utc>,
    fallback_zone: Tz,
    rules: &StreakProtection,
) -> Result<(i64, ChainState), ServiceError> {
    if !stored::lock_wallet(conn, user_id).await? {
        return Err(ServiceError::NotFound("wallet"));
    }
    load_many(conn, &[user_id], now, fallback_zone, rules)
        .await?
        .remove(&user_id)
        .ok_or(ServiceError::NotFound("wallet"))
}
