//! Sessions (contract, "Sessions: staying signed in"): opening one at a
//! login, registration or password change; refreshing it (rotation with
//! reuse detection and a grace window, RFC 9700 section 4.14.2); ending
//! one, all, or the caller's; listing the live ones; the periodic sweep.
//!
//! An access token names its session. A session that ends leaves its
//! user's live list (`users.live_sessions`) in the same transaction, and
//! the user's row is dropped from every cache and announced
//! (`Committed::user_changed`): the token check, which reads that row
//! anyway, refuses the session's tokens on every replica from then on, and
//! open WebSockets of the user check their token again.

use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::ServiceError;
use crate::after_commit::Committed;
use crate::auth::{refresh, Identity};
use crate::cache::login_limiter::Subject;
use crate::model::{Session, SessionId, User, UserId};
use crate::state::AppState;
use crate::store::sessions::{self as stored, Ending};
use crate::store::users;

/// Live sessions one user may hold; a login beyond it ends their oldest.
pub const MAX_LIVE_SESSIONS: i64 = 50;
/// How long an ended session is kept before the sweep deletes it.
pub const RETENTION: TimeDelta = TimeDelta::days(30);
/// Characters of a `User-Agent` kept.
pub const USER_AGENT_CHARS: usize = 200;

/// What a login, registration, password change or refresh grants.
#[derive(Debug, Clone)]
pub struct Granted {
    /// The access token and when it expires.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// Spent by the next refresh.
    pub refresh_token: String,
    /// The latest the session can last (`sessionExpiresAt`).
    pub session_expires_at: DateTime<Utc>,
    /// The session granted.
    pub session: SessionId,
    pub user: User,
}

/// A live session as its owner sees it.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: Session,
    /// When it ends if not used again: the earlier of its last use plus
    /// the idle days and its absolute end.
    pub expires_at: DateTime<Utc>,
    /// The session of the token asking.
    pub current: bool,
}

/// The `User-Agent` as kept: control characters dropped, trimmed, at most
/// [`USER_AGENT_CHARS`] characters; None when nothing is left.
pub fn user_agent(raw: Option<&str>) -> Option<String> {
    let kept: String = raw?
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(USER_AGENT_CHARS)
        .collect();
    (!kept.is_empty()).then_some(kept)
}

/// Opens a session of `user_id` in the caller's transaction: its first
/// refresh token, the user's live list, the oldest sessions beyond
/// [`MAX_LIVE_SESSIONS`] ended. Returns the grant (from the user's row as
/// it is now). The caller hands over `user_changed` after its commit.
pub async fn open_in(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    user_id: UserId,
    device: Option<&str>,
) -> Result<Granted, ServiceError> {
    let now = state.calendar.now();
    let refresh_token = refresh::new_token();
    let (session, _evicted) = stored::open(
        conn,
        user_id,
        now,
        state.config.sessions.max,
        user_agent(device).as_deref(),
        &refresh::hash(&refresh_token),
        MAX_LIVE_SESSIONS,
    )
    .await?;
    let user = users::find(conn, user_id)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    grant(state, user, &session, refresh_token, now)
}

/// [`open_in`] in a transaction of its own, announced.
pub async fn open(
    state: &AppState,
    user_id: UserId,
    device: Option<&str>,
) -> Result<Granted, ServiceError> {
    let mut conn = state.db().await?;
    let granted = conn
        .transaction::<_, ServiceError, _>(async |conn| open_in(conn, state, user_id, device).await)
        .await?;
    state
        .after_commit
        .hand_over(Committed::default().user_changed(user_id))
        .await;
    Ok(granted)
}

/// The access token of `session` for `user`, issued at `issued_at`, with
/// `refresh_token`.
fn grant(
    state: &AppState,
    user: User,
    session: &Session,
    refresh_token: String,
    issued_at: DateTime<Utc>,
) -> Result<Granted, ServiceError> {
    let (token, expires_at) = state.tokens.issue(
        user.id,
        user.token_version,
        session.id,
        issued_at,
        session.expires_at,
    )?;
    Ok(Granted {
        token,
        expires_at,
        refresh_token,
        session_expires_at: session.expires_at,
        session: session.id,
        user,
    })
}

/// What a refresh came to, inside its transaction.
enum Refreshed {
    Granted(Granted),
    /// Refused; `ended` when the refresh ended the session (reuse, or
    /// found past its end), to be announced.
    Refused {
        why: &'static str,
        ended: Option<UserId>,
    },
}

/// `refreshSession`: spends `token` and grants a new access token and
/// refresh token of its session. A spent token presented again within
/// `SIGNIN_REFRESH_GRACE_SECS` of its rotation gets the same pair; later,
/// it ends the session (logged at warn with the session id). Failures
/// count as failed logins of `client`'s address. `bearer`: the user a
/// valid access token sent with the request names, if any; a refresh
/// token of another user's session is then refused.
///
/// Errors: `Unauthenticated` for a malformed, unknown or spent token, an
/// ended or expired session, another user's session, or a deleted user;
/// `RateLimited` after too many failures from the address.
pub async fn refresh(
    state: &AppState,
    token: &str,
    client: Option<IpAddr>,
    bearer: Option<UserId>,
) -> Result<Granted, ServiceError> {
    let subjects: Vec<Subject<'_>> = client.map(Subject::Address).into_iter().collect();
    let mut outcome = None;
    let check = async {
        let refreshed = if refresh::well_formed(token) {
            let mut conn = state.db().await?;
            conn.transaction::<_, ServiceError, _>(async |conn| {
                refresh_in(conn, state, token, bearer).await
            })
            .await?
        } else {
            Refreshed::Refused {
                why: "malformed refresh token",
                ended: None,
            }
        };
        let granted = matches!(refreshed, Refreshed::Granted(_));
        outcome = Some(refreshed);
        Ok::<bool, ServiceError>(granted)
    };
    super::accounts::limited_check(state, &subjects, check).await?;
    match outcome {
        Some(Refreshed::Granted(granted)) => Ok(granted),
        Some(Refreshed::Refused { why, ended }) => {
            if let Some(user_id) = ended {
                state
                    .after_commit
                    .hand_over(Committed::default().user_changed(user_id))
                    .await;
            }
            Err(ServiceError::Unauthenticated(why))
        }
        None => Err(ServiceError::internal("refresh ran no check")),
    }
}

/// The refresh, under the session's lock (concurrent refreshes of one
/// session, on any replica, are decided one after the other here).
async fn refresh_in(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    token: &str,
    bearer: Option<UserId>,
) -> Result<Refreshed, ServiceError> {
    let refused = |why| Refreshed::Refused { why, ended: None };
    let now = state.calendar.now();
    let limits = &state.config.sessions;
    let Some((presented, session)) = stored::lock_by_token(conn, &refresh::hash(token)).await?
    else {
        return Ok(refused("unknown refresh token"));
    };
    if session.ended_at.is_some() {
        return Ok(refused("the session has ended"));
    }
    if bearer.is_some_and(|user| user != session.user_id) {
        return Ok(refused("the refresh token is another user's"));
    }
    let Some(user) = users::find(conn, session.user_id)
        .await?
        .filter(|u| u.deleted_at.is_none())
    else {
        return Ok(refused("the user no longer exists"));
    };
    let ending = if session.expires_at <= now {
        Some(Ending::Expired)
    } else if session.last_used_at + limits.idle <= now {
        Some(Ending::Idle)
    } else {
        None
    };
    if let Some(ending) = ending {
        stored::end(conn, user.id, &[session.id], ending, now).await?;
        return Ok(Refreshed::Refused {
            why: "the session has expired",
            ended: Some(user.id),
        });
    }
    let next = refresh::successor(state.tokens.rotation_key(), token);
    match presented.spent_at {
        None => {
            let rotated = stored::rotate(conn, &presented, &refresh::hash(&next), now).await?;
            Ok(Refreshed::Granted(grant(
                state,
                user,
                &session,
                next,
                rotated.created_at,
            )?))
        }
        Some(spent_at) if now - spent_at <= limits.refresh_grace => {
            // Two tabs refreshing at once: the same pair again.
            match stored::successor_of(conn, presented.id).await? {
                Some(successor) if successor.token_hash == refresh::hash(&next) => Ok(
                    Refreshed::Granted(grant(state, user, &session, next, successor.created_at)?),
                ),
                // Derived under another key (the secret changed since).
                _ => Ok(refused("the refresh token was already used")),
            }
        }
        Some(_) => {
            stored::end(conn, user.id, &[session.id], Ending::Reuse, now).await?;
            metrics::counter!("signin_refresh_reuse_total").increment(1);
            tracing::warn!(
                session_id = %session.id,
                user_id = %user.id,
                "a spent refresh token was presented after the grace window; the session is ended"
            );
            Ok(Refreshed::Refused {
                why: "the refresh token was already used",
                ended: Some(user.id),
            })
        }
    }
}

/// Which of the caller's sessions to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The session of the calling token (`signOut`).
    Current,
    /// One by id (`revokeSession`).
    One(SessionId),
    /// Every one (`signOutEverywhere`).
    All,
}

/// Ends the caller's sessions `which` names; answers how many ended.
///
/// Errors: `NotFound("session")` when `One` names no live session of the
/// caller's.
pub async fn end(state: &AppState, caller: Identity, which: Which) -> Result<usize, ServiceError> {
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    let ended = match which {
        Which::Current => {
            stored::end(
                &mut conn,
                caller.user_id,
                &[caller.session],
                Ending::SignOut,
                now,
            )
            .await?
        }
        Which::One(id) => {
            stored::end(&mut conn, caller.user_id, &[id], Ending::Revoked, now).await?
        }
        Which::All => {
            stored::end_all(&mut conn, caller.user_id, None, Ending::Everywhere, now).await?
        }
    };
    if !ended.is_empty() {
        state
            .after_commit
            .hand_over(Committed::default().user_changed(caller.user_id))
            .await;
    }
    if ended.is_empty() && matches!(which, Which::One(_)) {
        return Err(ServiceError::NotFound("session"));
    }
    Ok(ended.len())
}

/// The caller's live sessions, newest first.
pub async fn live(state: &AppState, caller: Identity) -> Result<Vec<LiveSession>, ServiceError> {
    let now = state.calendar.now();
    let idle = state.config.sessions.idle;
    let mut conn = state.db().await?;
    Ok(stored::live(&mut conn, caller.user_id)
        .await?
        .into_iter()
        .map(|session| LiveSession {
            expires_at: (session.last_used_at + idle).min(session.expires_at),
            current: session.id == caller.session,
            session,
        })
        .filter(|live| live.expires_at > now)
        .collect())
}

/// The periodic sweep: ends the sessions past their end and deletes those
/// ended more than [`RETENTION`] ago. Returns how many were deleted.
pub async fn sweep(state: &AppState) -> Result<usize, ServiceError> {
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    let (changed, deleted) =
        stored::sweep(&mut conn, now, state.config.sessions.idle, RETENTION).await?;
    let mut committed = Committed::default();
    for user_id in changed {
        committed = committed.user_changed(user_id);
    }
    state.after_commit.hand_over(committed).await;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_kept_short_and_printable() {
        let long = "x".repeat(300);
        let accents = "é".repeat(250);
        let table: [(Option<&str>, Option<String>); 5] = [
            (None, None),
            (Some("   "), None),
            (Some(" Firefox\n/1 "), Some("Firefox/1".into())),
            (Some(&long), Some("x".repeat(200))),
            (Some(accents.as_str()), Some("é".repeat(200))),
        ];
        for (raw, kept) in table {
            assert_eq!(user_agent(raw), kept, "{raw:?}");
        }
    }
}
