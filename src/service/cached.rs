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
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::{chain, ServiceError};
use crate::cache::versioned::{Slot, STATUS, USER};
use crate::domain::protection::ChainState;
use crate::model::{User, UserId};
use crate::state::AppState;
use crate::store::users;

/// How long a user's row (role, deletion, token version) may be cached.
const USER_TTL: Duration = Duration::from_secs(600);

/// A cached chain: the business day it was read on, then its JSON
/// (`null` for a user without a wallet).
fn encode_chain(day: NaiveDate, chain: Option<&ChainState>) -> Result<String, ServiceError> {
    let json = serde_json::to_string(&chain).map_err(ServiceError::internal)?;
    Ok(format!("{day}|{json}"))
}

/// The cached chain, if the entry was read on `today`.
fn decode_chain(value: &str, today: NaiveDate) -> Option<Option<ChainState>> {
    let (day, json) = value.split_once('|')?;
    if day.parse::<NaiveDate>().ok()? != today {
        return None;
    }
    serde_json::from_str(json).ok()
}

/// The chain on today of each of `user_ids` (None for a user without a
/// wallet): cached ones from this process, then Redis (one round trip),
/// the rest from PostgreSQL (one batch), which are then cached (one round
/// trip).
pub async fn chain_states(
    state: &AppState,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, Option<Arc<ChainState>>>, ServiceError> {
    let today = state.calendar.today();
    let read_since = Instant::now();
    let mut found = HashMap::new();
    // This process's copies first (no round trip), then Redis, then SQL.
    let remote: Vec<UserId> = user_ids
        .iter()
        .copied()
        .filter(|id| match state.local.status(*id, today) {
            Some(chain) => {
                found.insert(*id, chain);
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
            .and_then(|v| decode_chain(v, today))
        {
            Some(chain) => {
                let chain = chain.map(Arc::new);
                state
                    .local
                    .put_status(*id, today, chain.clone(), read_since);
                found.insert(*id, chain);
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
    let mut loaded = {
        let mut conn = state.db().await?;
        chain::load_many(
            &mut conn,
            &ids,
            today,
            &state.calendar,
            &state.config.protection,
        )
        .await?
    };
    let mut fresh = Vec::new();
    for (id, version) in missing {
        let chain = loaded.remove(&id).map(|(_, chain)| Arc::new(chain));
        state.local.put_status(id, today, chain.clone(), read_since);
        if let Some(version) = version {
            fresh.push((id, version, encode_chain(today, chain.as_deref())?));
        }
        found.insert(id, chain);
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
    use crate::domain::chain::{DayKind, History, Position};

    #[test]
    fn chains_round_trip_and_are_valid_on_their_day_only() {
        let today: NaiveDate = "2026-04-10".parse().unwrap();
        let chain = ChainState {
            history: History::new()
                .with("2026-04-07".parse().unwrap(), DayKind::Frozen)
                .with("2026-04-08".parse().unwrap(), DayKind::MadeUp)
                .anchored_at(
                    "2026-04-06".parse().unwrap(),
                    Position {
                        cycle_day: 3,
                        streak: 17,
                    },
                ),
            freezes_held: 1,
            registered_on: "2026-01-02".parse().unwrap(),
            make_ups_this_month: 2,
        };
        let encoded = encode_chain(today, Some(&chain)).unwrap();
        assert_eq!(decode_chain(&encoded, today), Some(Some(chain)));
        let none = encode_chain(today, None).unwrap();
        assert_eq!(decode_chain(&none, today), Some(None));
        let tomorrow = today.succ_opt().unwrap();
        assert_eq!(decode_chain(&encoded, tomorrow), None);
        assert_eq!(decode_chain("garbage", today), None);
        assert_eq!(decode_chain("2026-04-10|{garbage", today), None);
    }
}
