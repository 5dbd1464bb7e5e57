//! Reads that go through the Redis cache (cache-aside, versioned: see
//! `cache::versioned`), falling back to PostgreSQL when Redis is away. The
//! writers' invalidations go through `after_commit`.
//!
//! The consistency rule: a cached value is what PostgreSQL said at a moment
//! no later than the last invalidation of its entry; writers invalidate
//! after every commit that changes it; a status entry is valid only for the
//! business day it was read on (and expires at that day's end), a user
//! entry for at most `USER_TTL`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::ServiceError;
use crate::cache::versioned::{Slot, STATUS, USER};
use crate::domain::cycle::CyclePosition;
use crate::model::{User, UserId};
use crate::state::AppState;
use crate::store::sign_ins;
use crate::store::users;

/// How long a user's row (role, deletion, token version) may be cached.
const USER_TTL: Duration = Duration::from_secs(600);

fn encode_position(day: NaiveDate, position: Option<&CyclePosition>) -> String {
    match position {
        Some(p) => format!("{day}|{}|{}|{}", p.day, p.cycle_day, p.streak),
        None => format!("{day}|-"),
    }
}

/// The cached latest sign-in, if the entry was read on `today`.
fn decode_position(value: &str, today: NaiveDate) -> Option<Option<CyclePosition>> {
    let mut parts = value.split('|');
    if parts.next()?.parse::<NaiveDate>().ok()? != today {
        return None;
    }
    match parts.next()? {
        "-" => Some(None),
        day => Some(Some(CyclePosition {
            day: day.parse().ok()?,
            cycle_day: parts.next()?.parse().ok()?,
            streak: parts.next()?.parse().ok()?,
        })),
    }
}

/// The latest sign-in on or before today of each of `user_ids`: cached
/// ones from Redis (one round trip), the rest from PostgreSQL (one query),
/// which are then cached (one round trip).
pub async fn latest_positions(
    state: &AppState,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, Option<CyclePosition>>, ServiceError> {
    let today = state.calendar.today();
    let read_since = Instant::now();
    let mut found = HashMap::new();
    // This process's copies first (no round trip), then Redis, then SQL.
    let remote: Vec<UserId> = user_ids
        .iter()
        .copied()
        .filter(|id| match state.local.status(*id, today) {
            Some(position) => {
                found.insert(*id, position);
                false
            }
            None => true,
        })
        .collect();
    if remote.is_empty() {
        return Ok(found);
    }
    let user_ids = &remote[..];
    let slots = match state.cache.get_many(STATUS, user_ids).await {
        Ok(slots) => Some(slots),
        Err(error) => {
            metrics::counter!("signin_cache_errors_total").increment(1);
            tracing::warn!(%error, "status cache unavailable; reading PostgreSQL");
            None
        }
    };
    let mut missing: Vec<(UserId, Option<String>)> = Vec::new();
    for (i, id) in user_ids.iter().enumerate() {
        let slot = slots.as_ref().map(|s| &s[i]);
        match slot
            .and_then(|s| s.value.as_deref())
            .and_then(|v| decode_position(v, today))
        {
            Some(position) => {
                state.local.put_status(*id, today, position, read_since);
                found.insert(*id, position);
            }
            None => missing.push((*id, slot.map(|s: &Slot| s.version.clone()))),
        }
    }
    metrics::counter!("signin_cache_hits_total", "cache" => STATUS).increment(found.len() as u64);
    metrics::counter!("signin_cache_misses_total", "cache" => STATUS)
        .increment(missing.len() as u64);
    if missing.is_empty() {
        return Ok(found);
    }
    let ids: Vec<UserId> = missing.iter().map(|(id, _)| *id).collect();
    let rows = {
        let mut conn = state.db().await?;
        sign_ins::latest_on_or_before_many(&mut conn, &ids, today).await?
    };
    let mut latest: HashMap<UserId, CyclePosition> = rows
        .iter()
        .map(|r| (r.user_id, sign_ins::position(r)))
        .collect();
    let mut fresh = Vec::new();
    for (id, version) in missing {
        let position = latest.remove(&id);
        state.local.put_status(id, today, position, read_since);
        if let Some(version) = version {
            fresh.push((id, version, encode_position(today, position.as_ref())));
        }
        found.insert(id, position);
    }
    let ttl = (state.calendar.start_of_next_day(today) - state.calendar.now())
        .to_std()
        .unwrap_or_default();
    let entries: Vec<(UserId, &str, String)> = fresh
        .iter()
        .map(|(id, v, value)| (*id, v.as_str(), value.clone()))
        .collect();
    if let Err(error) = state.cache.put_many(STATUS, &entries, ttl).await {
        tracing::warn!(%error, "statuses not cached");
    }
    Ok(found)
}

/// A user's row (deleted ones included), through the cache.
pub async fn user(state: &AppState, user_id: UserId) -> Result<Option<User>, ServiceError> {
    if let Some(row) = state.local.user(user_id) {
        return Ok(Some(row));
    }
    let read_since = Instant::now();
    let slot = match state.cache.get_many(USER, &[user_id]).await {
        Ok(mut slots) => slots.pop(),
        Err(error) => {
            metrics::counter!("signin_cache_errors_total").increment(1);
            tracing::warn!(%error, "user cache unavailable; reading PostgreSQL");
            None
        }
    };
    if let Some(row) = slot
        .as_ref()
        .and_then(|s| s.value.as_deref())
        .and_then(|v| serde_json::from_str::<User>(v).ok())
    {
        metrics::counter!("signin_cache_hits_total", "cache" => USER).increment(1);
        state.local.put_user(row.clone(), read_since);
        return Ok(Some(row));
    }
    metrics::counter!("signin_cache_misses_total", "cache" => USER).increment(1);
    let row = {
        let mut conn = state.db().await?;
        users::find(&mut conn, user_id).await?
    };
    if let Some(row) = &row {
        state.local.put_user(row.clone(), read_since);
    }
    if let (Some(slot), Some(row)) = (slot, row.as_ref()) {
        let value = serde_json::to_string(row).map_err(ServiceError::internal)?;
        if let Err(error) = state
            .cache
            .put_many(USER, &[(user_id, slot.version.as_str(), value)], USER_TTL)
            .await
        {
            tracing::warn!(%error, "user not cached");
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_are_valid_on_their_day_only() {
        let today: NaiveDate = "2026-04-10".parse().unwrap();
        let p = CyclePosition {
            day: "2026-04-09".parse().unwrap(),
            cycle_day: 3,
            streak: 17,
        };
        assert_eq!(
            decode_position(&encode_position(today, Some(&p)), today),
            Some(Some(p))
        );
        assert_eq!(
            decode_position(&encode_position(today, None), today),
            Some(None)
        );
        let tomorrow = today.succ_opt().unwrap();
        assert_eq!(
            decode_position(&encode_position(today, Some(&p)), tomorrow),
            None
        );
        assert_eq!(decode_position("garbage", today), None);
    }
}
