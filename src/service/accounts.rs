//! Registration, login, tokens and password changes.

use chrono_tz::Tz;
use diesel_async::AsyncConnection;
use serde_json::Value;

use super::admin_audit::{details, AdminActor};
use super::error::account_input;
use super::sessions::{self, Granted};
use super::{cached, Input, ServiceError};
use crate::after_commit::Committed;
use crate::auth::token::Verified;
use crate::auth::Identity;
use std::net::IpAddr;

use crate::cache::login_limiter::{self, Subject, Verdict};
use crate::domain::account::{self, Username};
use crate::model::{AdminAction, Role, User, UserId};
use crate::state::AppState;
use crate::store::sessions::{self as stored_sessions, Ending};
use crate::store::StoreError;
use crate::store::{admin_audit, users};

/// Registers a user in `time_zone` (an IANA name; `SIGNIN_TIMEZONE` when
/// None) and opens their first session (`device`: the request's
/// `User-Agent`). Registrations are limited per client address.
pub async fn register(
    state: &AppState,
    username: &str,
    password: &str,
    time_zone: Option<&str>,
    client: Option<IpAddr>,
    device: Option<&str>,
) -> Result<Granted, ServiceError> {
    let name = Username::parse(username).map_err(|e| account_input(Input::Username, e))?;
    account::validate_password(password).map_err(|e| account_input(Input::Password, e))?;
    let zone = match time_zone {
        Some(name) => super::time_zone::parse(name)?,
        None => state.calendar.zone(),
    };
    let subjects: Vec<Subject<'_>> = client.map(Subject::Registrations).into_iter().collect();
    let reserved = reserve(state, &subjects).await?;
    let user = match create_user(state, &name, password, Role::User, zone).await {
        // A hash refused for a full queue registered nothing: not counted.
        Err(error @ ServiceError::RateLimited { .. }) => {
            if reserved {
                release(state, &subjects).await;
            }
            return Err(error);
        }
        other => other?,
    };
    sessions::open(state, user.id, device).await
}

async fn create_user(
    state: &AppState,
    username: &Username,
    password: &str,
    role: Role,
    time_zone: Tz,
) -> Result<User, ServiceError> {
    let hash = state.hasher.hash(password.to_owned()).await?;
    let mut conn = state.db().await?;
    let now = state.calendar.now();
    match users::create(&mut conn, username, &hash, role, time_zone, now).await {
        Ok(user) => Ok(user),
        Err(StoreError::UniqueViolation { .. }) => Err(ServiceError::UsernameTaken),
        Err(e) => Err(e.into()),
    }
}

/// Reserves one attempt against the limits of `subjects` (see
/// `cache::login_limiter`), before any password hash: waits when the
/// attempt is to be slowed, `RATE_LIMITED` when refused. True when the
/// attempt was counted; the limiter fails open (a Redis outage must not
/// lock everyone out), and then nothing was.
async fn reserve(state: &AppState, subjects: &[Subject<'_>]) -> Result<bool, ServiceError> {
    let limits = &state.config.login_limits;
    match login_limiter::reserve(&state.redis, &state.keys, subjects, limits).await {
        Ok(Verdict::Allow) => Ok(true),
        Ok(Verdict::Delay(wait)) => {
            tokio::time::sleep(wait).await;
            Ok(true)
        }
        Ok(Verdict::Refuse { retry_after }) => Err(ServiceError::RateLimited { retry_after }),
        Err(error) => {
            tracing::warn!(%error, "attempt limiter unavailable; not limiting");
            Ok(false)
        }
    }
}

/// Gives back an attempt that was not tried.
async fn release(state: &AppState, subjects: &[Subject<'_>]) {
    if let Err(error) = login_limiter::release(&state.redis, &state.keys, subjects).await {
        tracing::warn!(%error, "attempt reservation not given back");
    }
}

/// Checks a password as one attempt against the failed-login limits of
/// `subjects`: the attempt is reserved before the slow hash (so at most the
/// limit are tried, however many arrive at once), kept as a failure when
/// `check` answers false, given back when it answers true (the username's
/// failures are then forgotten) or fails.
pub(super) async fn limited_check<Fut>(
    state: &AppState,
    subjects: &[Subject<'_>],
    check: Fut,
) -> Result<bool, ServiceError>
where
    Fut: std::future::Future<Output = Result<bool, ServiceError>>,
{
    let reserved = reserve(state, subjects).await?;
    let matches = match check.await {
        Ok(matches) => matches,
        Err(error) => {
            if reserved {
                release(state, subjects).await;
            }
            return Err(error);
        }
    };
    if matches {
        if reserved {
            if let Err(error) = login_limiter::succeeded(&state.redis, &state.keys, subjects).await
            {
                tracing::warn!(%error, "login failure counter not reset");
            }
        }
    } else {
        metrics::counter!("signin_login_failures_total").increment(1);
    }
    Ok(matches)
}

/// Logs in. Failures are counted per username and per client address
/// (when known); past the limits, attempts are slowed and then refused. A
/// name that breaks the register rules belongs to no account: it is never
/// looked up (nor counted under a username), and fails like a wrong
/// password.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    client: Option<IpAddr>,
    device: Option<&str>,
) -> Result<Granted, ServiceError> {
    let username = Username::parse(username).ok();
    let mut subjects: Vec<Subject<'_>> = username.iter().map(Subject::Username).collect();
    subjects.extend(client.map(Subject::Address));
    let mut user_id = None;
    let check = async {
        let credentials = match &username {
            Some(username) => {
                let mut conn = state.db().await?;
                users::credentials(&mut conn, username).await?
            }
            None => None,
        };
        let live = credentials.filter(|c| c.deleted_at.is_none());
        user_id = live.as_ref().map(|c| c.id);
        // Unknown users are checked against a dummy hash: same time either way.
        Ok::<bool, ServiceError>(
            state
                .hasher
                .verify(password.to_owned(), live.map(|c| c.password_hash))
                .await?,
        )
    };
    let matches = limited_check(state, &subjects, check).await?;
    let Some(user_id) = user_id.filter(|_| matches) else {
        return Err(ServiceError::InvalidCredentials);
    };
    sessions::open(state, user_id, device).await
}

/// Why a token of a live user with the current token version is refused:
/// its session ended (sign-out, revocation, refresh-token reuse).
pub const SESSION_ENDED: &str = "the token's session has ended";

/// The caller behind a bearer token, checked against the store: a deleted
/// user, a changed password or a changed role takes effect at once.
pub async fn authenticate(state: &AppState, token: &str) -> Result<(Identity, User), ServiceError> {
    authenticate_with(state, token, |user_id| cached::user(state, user_id)).await
}

/// As [`authenticate`], reading the token's user row with `find_user` (the
/// GraphQL layer batches the reads of concurrent requests) unless this
/// process holds it: the warm path stays a lookup, with no batch, task or
/// hand-over. The row must come through the cache, whose every change
/// invalidates it.
pub async fn authenticate_with<F, Fut>(
    state: &AppState,
    token: &str,
    find_user: F,
) -> Result<(Identity, User), ServiceError>
where
    F: FnOnce(UserId) -> Fut,
    Fut: std::future::Future<Output = Result<Option<User>, ServiceError>>,
{
    let claims: Verified = state.tokens.verify(token, state.calendar.now())?;
    let user_id = claims.user_id;
    let row = match state.local.user(user_id) {
        Some(row) => Some(row),
        None => find_user(user_id).await?,
    };
    let session = claims.session;
    match row {
        Some(u) if u.deleted_at.is_none() && u.token_version == claims.ver => {
            if !u.has_live_session(session) {
                return Err(ServiceError::Unauthenticated(SESSION_ENDED));
            }
            Ok((
                Identity {
                    user_id,
                    role: u.role,
                    session,
                },
                u,
            ))
        }
        _ => Err(ServiceError::Unauthenticated("token revoked")),
    }
}

/// Changes the caller's password, ends every session of theirs and opens
/// a new one (`device`). A wrong current password counts as a failed login
/// of the caller's username (and from `client`), under the same limits as
/// `login`: past them the check is refused (`RATE_LIMITED`) before any
/// hash.
pub async fn change_password(
    state: &AppState,
    caller: Identity,
    current: &str,
    new: &str,
    client: Option<IpAddr>,
    device: Option<&str>,
) -> Result<Granted, ServiceError> {
    let stored = {
        let mut conn = state.db().await?;
        users::live_credentials(&mut conn, caller.user_id).await?
    };
    let Some((username, stored)) = stored else {
        return Err(ServiceError::Unauthenticated("user no longer exists"));
    };
    // A stored name always keeps the register rules; one that did not
    // would be counted per address alone.
    let username = Username::parse(&username).ok();
    let mut subjects: Vec<Subject<'_>> = username.iter().map(Subject::Username).collect();
    subjects.extend(client.map(Subject::Address));
    let check = async {
        Ok::<bool, ServiceError>(
            state
                .hasher
                .verify(current.to_owned(), Some(stored))
                .await?,
        )
    };
    if !limited_check(state, &subjects, check).await? {
        return Err(ServiceError::InvalidCredentials);
    }
    account::validate_password(new).map_err(|e| account_input(Input::NewPassword, e))?;
    let hash = state.hasher.hash(new.to_owned()).await?;
    let now = state.calendar.now();
    let mut conn = state.db().await?;
    let granted = conn
        .transaction::<_, ServiceError, _>(async |conn| {
            users::change_password(conn, caller.user_id, &hash)
                .await?
                .ok_or(ServiceError::Unauthenticated("user no longer exists"))?;
            stored_sessions::end_all(conn, caller.user_id, None, Ending::Password, now).await?;
            sessions::open_in(conn, state, caller.user_id, device).await
        })
        .await?;
    state
        .after_commit
        .hand_over(Committed::default().user_changed(caller.user_id))
        .await;
    Ok(granted)
}

/// Creates an admin, or promotes an existing live user (then the password
/// is left as it is). Returns the user and whether it was created. A name
/// that breaks the register rules is refused before any look-up. Either
/// way the change and its audit entry (`create-admin`, no actor, the
/// username as its one argument: never the password) commit together.
pub async fn create_admin(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<(User, bool), ServiceError> {
    let name = Username::parse(username).map_err(|e| account_input(Input::Username, e))?;
    let existing = {
        let mut conn = state.db().await?;
        users::find_by_username(&mut conn, &name).await?
    };
    let actor = AdminActor::command_line();
    let arguments = || details([("username", Value::from(name.as_str()))]);
    let now = state.calendar.now();
    match existing {
        Some(user) if user.deleted_at.is_some() => Err(ServiceError::bad_input(
            Input::Username,
            "this user is deleted",
        )),
        Some(user) => {
            let entry = actor.entry(AdminAction::CreateAdmin, Some(user.id), arguments(), now);
            let mut conn = state.db().await?;
            let user = conn
                .transaction::<_, ServiceError, _>(async |conn| {
                    admin_audit::append(conn, entry.clone()).await?;
                    users::set_role(conn, user.id, Role::Admin)
                        .await?
                        .ok_or(ServiceError::NotFound("user"))
                })
                .await?;
            state
                .after_commit
                .hand_over(Committed::default().user_changed(user.id))
                .await;
            Ok((user, false))
        }
        None => {
            account::validate_password(password).map_err(|e| account_input(Input::Password, e))?;
            let hash = state.hasher.hash(password.to_owned()).await?;
            let mut conn = state.db().await?;
            let created = conn
                .transaction::<_, StoreError, _>(async |conn| {
                    let user =
                        users::create(conn, &name, &hash, Role::Admin, state.calendar.zone(), now)
                            .await?;
                    let entry =
                        actor.entry(AdminAction::CreateAdmin, Some(user.id), arguments(), now);
                    admin_audit::append(conn, entry).await?;
                    Ok(user)
                })
                .await;
            match created {
                Ok(user) => Ok((user, true)),
                Err(StoreError::UniqueViolation { .. }) => Err(ServiceError::UsernameTaken),
                Err(e) => Err(e.into()),
            }
        }
    }
}
