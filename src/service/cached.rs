//! Reads that go through the Redis cache (cache-aside, versioned: see
//! `cache::versioned`), falling back to PostgreSQL when Redis is away. The
//! writers' invalidations go through `after_commit`.
//!
//! The consistency rule: a cached value is what PostgreSQL said at a moment
//! no later than the last invalidation of its entry; writers invalidate
//! after every commit that changes it; a chain entry is valid only for the
//! day (its user's, in their zone) it was read on, and expires at that
//! day's end; a user entry for at most `USER_TTL`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{streak, ServiceError};
use crate::cache::local::today_of;
use crate::cache::versioned::{Fill, Slot, CHAIN, USER};
use crate::domain::streak::day;
use crate::domain::streak::state::ChainState;
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

/// The cached chain, if the entry was read on the date that is still its
/// user's today at `now` (`no_chain_today` for a user without a chain).
fn decode_chain(
    value: &str,
    now: DateTime<Utc>,
    no_chain_today: NaiveDate,
) -> Option<Option<ChainState>> {
    let (day, json) = value.split_once('|')?;
    let day = day.parse::<NaiveDate>().ok()?;
    let chain: Option<ChainState> = serde_json::from_str(json).ok()?;
    (day == today_of(chain.as_ref(), now, no_chain_today)).then_some(chain)
}

/// How long a chain read on its user's `today` stays valid: until that
/// date ends in their zone (in the business zone for a user without one).
fn chain_ttl(
    chain: Option<&ChainState>,
    today: NaiveDate,
    now: DateTime<Utc>,
    business: Tz,
) -> Duration {
    let zone = chain.map_or(business, |c| c.time_zone);
    (day::end_of(today, zone) - now)
        .to_std()
        .unwrap_or_default()
}

/// The chain on today of each of `user_ids` (None for a user without a
/// wallet): cached ones from this process, then Redis (one round trip),
/// the rest from PostgreSQL (one batch), which are then cached (one round
/// trip).
pub async fn chain_states(
    state: &AppState,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, Option<Arc<ChainState>>>, ServiceError> {
    Ok(read_through(state, &[], user_ids).await?.chains)
}

/// A user's row (deleted ones included), through the cache.
pub async fn user(state: &AppState, user_id: UserId) -> Result<Option<User>, ServiceError> {
    Ok(users(state, &[user_id]).await?.remove(&user_id))
}

/// The rows of `user_ids` that exist (deleted ones included), as
/// [`chain_states`] reads chains.
pub async fn users(
    state: &AppState,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, User>, ServiceError> {
    Ok(read_through(state, user_ids, &[]).await?.users)
}

/// As [`users`], reading the users' chains in the same round trips (one
/// Redis read, two statements at once, one Redis write) into this process's
/// copies, where a status read of the same request then finds them: a token
/// check followed by a status read costs one batch, not two. While the
/// copies are off (the change listener is down) it reads the rows only.
pub async fn users_and_chains(
    state: &AppState,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, User>, ServiceError> {
    let chains = if state.local.live() { user_ids } else { &[] };
    Ok(read_through(state, user_ids, chains).await?.users)
}

/// What [`read_through`] found.
struct Found {
    users: HashMap<UserId, User>,
    chains: HashMap<UserId, Option<Arc<ChainState>>>,
}

/// Rows of `user_ids` and chains of `chain_ids`: this process's copies
/// first (no round trip), then Redis (one `MGET` for both kinds), then
/// PostgreSQL for the rest (a statement per kind, at once), which are then
/// stored in Redis (one pipeline) and in the copies.
async fn read_through(
    state: &AppState,
    user_ids: &[UserId],
    chain_ids: &[UserId],
) -> Result<Found, ServiceError> {
    let now = state.calendar.now();
    let no_chain_today = state.calendar.day_of(now);
    let read_since = Instant::now();
    let mut found = Found {
        users: HashMap::with_capacity(user_ids.len()),
        chains: HashMap::with_capacity(chain_ids.len()),
    };
    let mut remote: Vec<(&str, UserId)> = Vec::new();
    for &id in user_ids {
        match state.local.user(id) {
            Some(row) => {
                found.users.insert(id, row);
            }
            None => remote.push((USER, id)),
        }
    }
    for &id in chain_ids {
        match state.local.chain(id, now, no_chain_today) {
            Some(chain) => {
                found.chains.insert(id, chain);
            }
            None => remote.push((CHAIN, id)),
        }
    }
    if remote.is_empty() {
        return Ok(found);
    }
    let slots = match state.cache.get_each(&remote).await {
        Ok(slots) => Some(slots),
        Err(error) => {
            metrics::counter!("signin_cache_errors_total").increment(1);
            tracing::warn!(%error, "cache unavailable; reading PostgreSQL");
            None
        }
    };
    // Each miss with the version to quote when storing it (none when Redis
    // could not be read).
    let (mut missing_users, mut missing_chains) = (Vec::new(), Vec::new());
    let (mut user_hits, mut chain_hits) = (0u64, 0u64);
    for (i, &(kind, id)) in remote.iter().enumerate() {
        let slot = slots.as_ref().map(|s| &s[i]);
        let value = slot.and_then(|s: &Slot| s.value.as_deref());
        let version = slot.map(|s| s.version.clone());
        if kind == USER {
            match value.and_then(|v| serde_json::from_str::<User>(v).ok()) {
                Some(row) => {
                    user_hits += 1;
                    state.local.put_user(row.clone(), read_since);
                    found.users.insert(id, row);
                }
                None => missing_users.push((id, version)),
            }
        } else {
            match value.and_then(|v| decode_chain(v, now, no_chain_today)) {
                Some(chain) => {
                    chain_hits += 1;
                    let today = today_of(chain.as_ref(), now, no_chain_today);
                    let chain = chain.map(Arc::new);
                    state.local.put_chain(id, today, chain.clone(), read_since);
                    found.chains.insert(id, chain);
                }
                None => missing_chains.push((id, version)),
            }
        }
    }
    let count = |kind: &'static str, hits: u64, misses: usize| {
        metrics::counter!("signin_cache_hits_total", "cache" => kind).increment(hits);
        metrics::counter!("signin_cache_misses_total", "cache" => kind).increment(misses as u64);
    };
    if !user_ids.is_empty() {
        count(USER, user_hits, missing_users.len());
    }
    if !chain_ids.is_empty() {
        count(CHAIN, chain_hits, missing_chains.len());
    }
    if missing_users.is_empty() && missing_chains.is_empty() {
        return Ok(found);
    }

    let user_keys: Vec<UserId> = missing_users.iter().map(|(id, _)| *id).collect();
    let chain_keys: Vec<UserId> = missing_chains.iter().map(|(id, _)| *id).collect();
    let (mut rows, mut chains) = tokio::try_join!(
        async {
            if user_keys.is_empty() {
                return Ok(HashMap::new());
            }
            let mut conn = state.db().await?;
            let rows = users::find_many(&mut conn, &user_keys).await?;
            Ok::<_, ServiceError>(
                rows.into_iter()
                    .map(|u| (u.id, u))
                    .collect::<HashMap<_, _>>(),
            )
        },
        async {
            if chain_keys.is_empty() {
                return Ok(HashMap::new());
            }
            let mut conn = state.db().await?;
            streak::load_many(
                &mut conn,
                &chain_keys,
                now,
                state.calendar.zone(),
                &state.config.protection,
            )
            .await
        }
    )?;

    // What was read, stored for the next reader: (kind, id, version, value, ttl).
    let mut stored: Vec<(&str, UserId, String, String, Duration)> = Vec::new();
    for (id, version) in missing_users {
        let Some(row) = rows.remove(&id) else {
            continue;
        };
        state.local.put_user(row.clone(), read_since);
        if let Some(version) = version {
            let value = serde_json::to_string(&row).map_err(ServiceError::internal)?;
            stored.push((USER, id, version, value, USER_TTL));
        }
        found.users.insert(id, row);
    }
    for (id, version) in missing_chains {
        let chain = chains.remove(&id).map(|(_, chain)| Arc::new(chain));
        let today = today_of(chain.as_deref(), now, no_chain_today);
        state.local.put_chain(id, today, chain.clone(), read_since);
        if let Some(version) = version {
            // A chain entry lives until its user's day ends.
            let ttl = chain_ttl(chain.as_deref(), today, now, state.calendar.zone());
            stored.push((
                CHAIN,
                id,
                version,
                encode_chain(today, chain.as_deref())?,
                ttl,
            ));
        }
        found.chains.insert(id, chain);
    }
    let fills: Vec<Fill<'_, UserId>> = stored
        .iter()
        .map(|(kind, id, version, value, ttl)| Fill {
            kind,
            id: *id,
            version,
            value,
            ttl: *ttl,
        })
        .collect();
    // Not waited for: the callers of this batch, and the next batch of the
    // loader that reads it, go on meanwhile (cold status reads at 32
    // connections: about 5 % more a second).
    state.cache.put_each_soon(&fills).await;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::streak::chain::{DayKind, History, Position};

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
            time_zone: chrono_tz::America::Los_Angeles,
            today_reward: Some(20),
        };
        // 23:00 on the 10th in Los Angeles (PDT), the 11th in UTC.
        let now: DateTime<Utc> = "2026-04-11T06:00:00Z".parse().unwrap();
        let utc_today = now.date_naive();
        let encoded = encode_chain(today, Some(&chain)).unwrap();
        assert_eq!(
            decode_chain(&encoded, now, utc_today),
            Some(Some(chain.clone()))
        );
        let none = encode_chain(utc_today, None).unwrap();
        assert_eq!(decode_chain(&none, now, utc_today), Some(None));
        let la_midnight: DateTime<Utc> = "2026-04-11T07:00:00Z".parse().unwrap();
        assert_eq!(decode_chain(&encoded, la_midnight, utc_today), None);
        assert_eq!(decode_chain("garbage", now, utc_today), None);
        assert_eq!(decode_chain("2026-04-10|{garbage", now, utc_today), None);
        assert_eq!(
            chain_ttl(Some(&chain), today, now, Tz::UTC),
            Duration::from_secs(3600)
        );
    }
}
