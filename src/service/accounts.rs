//! Registration, login, tokens and password changes.

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde_json::Value;

use super::admin_audit::{details, AdminActor};
use super::error::account_input;
use super::{cached, Input, ServiceError};
use crate::after_commit::Committed;
use crate::auth::token::Claims;
use crate::auth::{password, Identity};
use std::net::IpAddr;

use crate::cache::login_limiter::{self, Subject, Verdict};
use crate::domain::account::{self, Username};
use crate::model::{AdminAction, Role, User, UserId};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::{admin_audit, users};

/// A fresh token and the user it is for.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

fn session(state: &AppState, user: User) -> Result<Session, ServiceError> {
    let (token, expires_at) =
        state
            .tokens
            .issue(user.id, user.token_version, state.calendar.now())?;
    Ok(Session {
        token,
        expires_at,
        user,
    })
}

pub async fn register(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<Session, ServiceError> {
    let user = create_user(state, username, password, Role::User).await?;
    session(state, user)
}

async fn create_user(
    state: &AppState,
    username: &str,
    password: &str,
    role: Role,
) -> Result<User, ServiceError> {
    let username = Username::parse(username).map_err(|e| account_input(Input::Username, e))?;
    account::validate_password(password).map_err(|e| account_input(Input::Password, e))?;
    let hash = password::hash(password.to_owned()).await?;
    let mut conn = state.db().await?;
    match users::create(&mut conn, &username, &hash, role, state.calendar.now()).await {
        Ok(user) => Ok(user),
        Err(StoreError::UniqueViolation { .. }) => Err(ServiceError::UsernameTaken),
        Err(e) => Err(e.into()),
    }
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
) -> Result<Session, ServiceError> {
    let limits = &state.config.login_limits;
    let username = Username::parse(username).ok();
    let mut subjects: Vec<Subject<'_>> = username.iter().map(Subject::Username).collect();
    subjects.extend(client.map(Subject::Address));
    // The limiter fails open: a Redis outage must not lock everyone out.
    match login_limiter::check(&state.redis, &state.keys, &subjects, limits).await {
        Ok(Verdict::Allow) => {}
        Ok(Verdict::Delay(wait)) => tokio::time::sleep(wait).await,
        Ok(Verdict::Refuse { retry_after }) => {
            return Err(ServiceError::RateLimited { retry_after })
        }
        Err(error) => tracing::warn!(%error, "login limiter unavailable; not limiting"),
    }
    let credentials = match &username {
        Some(username) => {
            let mut conn = state.db().await?;
            users::credentials(&mut conn, username).await?
        }
        None => None,
    };
    let live = credentials.filter(|c| c.deleted_at.is_none());
    let user_id = live.as_ref().map(|c| c.id);
    // Unknown users are checked against a dummy hash: same time either way.
    let matches = password::verify(password.to_owned(), live.map(|c| c.password_hash)).await?;
    let Some(user_id) = user_id.filter(|_| matches) else {
        if let Err(error) =
            login_limiter::record_failure(&state.redis, &state.keys, &subjects, limits).await
        {
            tracing::warn!(%error, "login failure not counted");
        }
        metrics::counter!("signin_login_failures_total").increment(1);
        return Err(ServiceError::InvalidCredentials);
    };
    if let Some(username) = &username {
        if let Err(error) = login_limiter::reset(&state.redis, &state.keys, username).await {
            tracing::warn!(%error, "login failure counter not reset");
        }
    }
    let mut conn = state.db().await?;
    let user = users::find(&mut conn, user_id)
        .await?
        .ok_or(ServiceError::InvalidCredentials)?;
    session(state, user)
}

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
    let claims: Claims = state.tokens.verify(token, state.calendar.now())?;
    let user_id = claims
        .user_id()
        .ok_or(ServiceError::Unauthenticated("invalid token"))?;
    let row = match state.local.user(user_id) {
        Some(row) => Some(row),
        None => find_user(user_id).await?,
    };
    match row {
        Some(u) if u.deleted_at.is_none() && u.token_version == claims.ver => Ok((
            Identity {
                user_id,
                role: u.role,
            },
            u,
        )),
        _ => Err(ServiceError::Unauthenticated("token revoked")),
    }
}

pub async fn change_password(
    state: &AppState,
    caller: Identity,
    current: &str,
    new: &str,
) -> Result<Session, ServiceError> {
    let stored = {
        let mut conn = state.db().await?;
        users::password_hash(&mut conn, caller.user_id).await?
    };
    if stored.is_none() {
        return Err(ServiceError::Unauthenticated("user no longer exists"));
    }
    if !password::verify(current.to_owned(), stored).await? {
        return Err(ServiceError::InvalidCredentials);
    }
    account::validate_password(new).map_err(|e| account_input(Input::NewPassword, e))?;
    let hash = password::hash(new.to_owned()).await?;
    let mut conn = state.db().await?;
    let user = users::change_password(&mut conn, caller.user_id, &hash)
        .await?
        .ok_or(ServiceError::Unauthenticated("user no longer exists"))?;
    state
        .after_commit
        .hand_over(Committed::default().user_changed(caller.user_id))
        .await;
    session(state, user)
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
            let hash = password::hash(password.to_owned()).await?;
            let mut conn = state.db().await?;
            let created = conn
                .transaction::<_, StoreError, _>(async |conn| {
                    let user = users::create(conn, &name, &hash, Role::Admin, now).await?;
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
