//! The `sessions` and `refresh_tokens` tables, and the user's list of live
//! sessions (`users.live_sessions`) kept in step with them: a session that
//! opens joins the list and one that ends leaves it in the same statement
//! group, inside the caller's transaction.

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::StoreError;
use crate::model::{Session, SessionId, UserId};
use crate::schema::{refresh_tokens, sessions};

/// Why a session ended (`sessions.ended_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `signOut`.
    SignOut,
    /// `revokeSession`.
    Revoked,
    /// `signOutEverywhere`.
    Everywhere,
    /// A spent refresh token presented after the grace window.
    Reuse,
    /// `changePassword` ends the caller's other sessions.
    Password,
    /// `deleteUser`.
    Deleted,
    /// Unused for `SIGNIN_SESSION_IDLE_DAYS`.
    Idle,
    /// Past its `sessionExpiresAt`.
    Expired,
    /// The oldest of a user with too many live sessions.
    Evicted,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Ending::SignOut => "sign_out",
            Ending::Revoked => "revoked",
            Ending::Everywhere => "everywhere",
            Ending::Reuse => "reuse",
            Ending::Password => "password",
            Ending::Deleted => "deleted",
            Ending::Idle => "idle",
            Ending::Expired => "expired",
            Ending::Evicted => "evicted",
        }
    }
}

/// A refresh token as stored (its hash only).
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshToken {
    pub id: i64,
    pub session_id: SessionId,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    pub replaces: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub spent_at: Option<DateTime<Utc>>,
}

/// Opens a session of `user_id` with its first refresh token
/// (`token_hash`, SHA-256), adds it to the user's live list, and ends the
/// user's oldest live sessions beyond `max_live` (`Ending::Evicted`).
/// Call inside a transaction. Returns the session and the ones evicted.
pub async fn open(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    now: DateTime<Utc>,
    lasts: TimeDelta,
    user_agent: Option<&str>,
    token_hash: &[u8],
    max_live: i64,
) -> Result<(Session, Vec<SessionId>), StoreError> {
    let session: Session = diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::last_used_at.eq(now),
            sessions::expires_at.eq(now + lasts),
            sessions::user_agent.eq(user_agent),
        ))
        .returning(Session::as_returning())
        .get_result(conn)
        .await?;
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::session_id.eq(session.id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    diesel::sql_query(
        "UPDATE users SET live_sessions = array_append(live_sessions, $2) WHERE id = $1",
    )
    .bind::<BigInt, _>(user_id)
    .bind::<BigInt, _>(session.id)
    .execute(conn)
    .await?;
    let beyond: Vec<SessionId> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null())
        .order((sessions::created_at.desc(), sessions::id.desc()))
        .offset(max_live)
        .select(sessions::id)
        .load(conn)
        .await?;
    let evicted = end(conn, user_id, &beyond, Ending::Evicted, now).await?;
    Ok((session, evicted))
}

/// The refresh token whose hash is `token_hash`, with its session, the
/// session's row locked until the transaction ends (every refresh of one
/// session is serialized on it, on every replica). None when no token
/// has that hash.
pub async fn lock_by_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> Result<Option<(RefreshToken, Session)>, StoreError> {
    // The session first, then its token: one lock order for every path.
    let Some(session_id) = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(refresh_tokens::session_id)
        .first::<SessionId>(conn)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let session: Session = sessions::table
        .find(session_id)
        .select(Session::as_select())
        .for_update()
        .first(conn)
        .await?;
    let token: RefreshToken = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .await?;
    Ok(Some((token, session)))
}

/// The token that replaced `token_id` (its rotation's), if any.
pub async fn successor_of(
    conn: &mut AsyncPgConnection,
    token_id: i64,
) -> Result<Option<RefreshToken>, StoreError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::replaces.eq(token_id))
        .select(RefreshToken::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Spends `spent` and stores its successor (`successor_hash`), and marks
/// the session used at `now`. Call under the session's lock.
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    spent: &RefreshToken,
    successor_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<RefreshToken, StoreError> {
    diesel::update(refresh_tokens::table.find(spent.id))
        .set(refresh_tokens::spent_at.eq(now))
        .execute(conn)
        .await?;
    diesel::update(sessions::table.find(spent.session_id))
        .set(sessions::last_used_at.eq(now))
        .execute(conn)
        .await?;
    Ok(diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::session_id.eq(spent.session_id),
            refresh_tokens::token_hash.eq(successor_hash),
            refresh_tokens::replaces.eq(spent.id),
            refresh_tokens::created_at.eq(now),
        ))
        .returning(RefreshToken::as_returning())
        .get_result(conn)
        .await?)
}

#[derive(QueryableByName)]
struct Ended {
    #[diesel(sql_type = BigInt)]
    id: SessionId,
}

/// Ends those of `ids` that are `user_id`'s live sessions, for `reason`,
/// and takes them out of the user's live list. Returns the ones it ended.
pub async fn end(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    ids: &[SessionId],
    reason: Ending,
    now: DateTime<Utc>,
) -> Result<Vec<SessionId>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let ended: Vec<Ended> = diesel::sql_query(
        "UPDATE sessions SET ended_at = $3, ended_reason = $4 \
         WHERE user_id = $1 AND id = ANY($2) AND ended_at IS NULL RETURNING id",
    )
    .bind::<BigInt, _>(user_id)
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(reason.as_str())
    .load(conn)
    .await?;
    let ended: Vec<SessionId> = ended.into_iter().map(|e| e.id).collect();
    forget_live(conn, user_id, &ended).await?;
    Ok(ended)
}

/// Ends every live session of `user_id` but `keep`, for `reason`.
/// Returns the ones it ended.
pub async fn end_all(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    keep: Option<SessionId>,
    reason: Ending,
    now: DateTime<Utc>,
) -> Result<Vec<SessionId>, StoreError> {
    let live: Vec<SessionId> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null())
        .select(sessions::id)
        .load(conn)
        .await?;
    let ending: Vec<SessionId> = live.into_iter().filter(|id| Some(*id) != keep).collect();
    end(conn, user_id, &ending, reason, now).await
}

/// Takes `ended` out of `user_id`'s live list.
async fn forget_live(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    ended: &[SessionId],
) -> Result<(), StoreError> {
    if ended.is_empty() {
        return Ok(());
    }
    let ended: Vec<i64> = ended.iter().map(|id| id.0).collect();
    diesel::sql_query(
        "UPDATE users SET live_sessions = ARRAY(SELECT s FROM unnest(live_sessions) AS s \
         WHERE s <> ALL($2)) WHERE id = $1",
    )
    .bind::<BigInt, _>(user_id)
    .bind::<Array<BigInt>, _>(&ended)
    .execute(conn)
    .await?;
    Ok(())
}

/// `user_id`'s sessions not ended, newest first (some may be past their
/// idle or absolute end, not yet swept: the caller filters by time).
pub async fn live(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> Result<Vec<Session>, StoreError> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null())
        .order((sessions::created_at.desc(), sessions::id.desc()))
        .select(Session::as_select())
        .load(conn)
        .await?)
}

#[derive(QueryableByName)]
struct Owner {
    #[diesel(sql_type = BigInt)]
    user_id: UserId,
}

/// The periodic sweep: ends the sessions past their absolute end or
/// unused for `idle` (taking them out of their users' live lists), and
/// deletes the sessions ended before `now - retention` with their refresh
/// tokens. Returns the users whose live list changed, and how many
/// sessions were deleted.
pub async fn sweep(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    idle: TimeDelta,
    retention: TimeDelta,
) -> Result<(Vec<UserId>, usize), StoreError> {
    let owners: Vec<Owner> = diesel::sql_query(
        "WITH ended AS ( \
           UPDATE sessions SET ended_at = $1, \
             ended_reason = CASE WHEN expires_at <= $1 THEN 'expired' ELSE 'idle' END \
           WHERE ended_at IS NULL AND (expires_at <= $1 OR last_used_at <= $2) \
           RETURNING id, user_id), \
         per_user AS (SELECT user_id, array_agg(id) AS ids FROM ended GROUP BY user_id) \
         UPDATE users u SET live_sessions = ARRAY(SELECT s FROM unnest(u.live_sessions) AS s \
           WHERE s <> ALL(p.ids)) \
         FROM per_user p WHERE u.id = p.user_id RETURNING u.id AS user_id",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(now - idle)
    .load(conn)
    .await?;
    let deleted = diesel::delete(sessions::table.filter(sessions::ended_at.lt(now - retention)))
        .execute(conn)
        .await?;
    Ok((owners.into_iter().map(|o| o.user_id).collect(), deleted))
}
