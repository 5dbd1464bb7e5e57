//! Who is calling: the bearer token of this request (HTTP header or the
//! WebSocket's `connection_init` payload), resolved once, when first needed.

use std::sync::Arc;

use async_graphql::Context;
use tokio::sync::OnceCell;

use crate::auth::Identity;
use crate::graphql::loaders::Loaders;
use crate::model::{User, UserId};
use crate::service::admin_audit::AdminActor;
use crate::service::{accounts, ServiceError};
use crate::state::AppState;

/// The id of one HTTP request: in its log lines, its response's
/// `x-request-id` header, and its errors' `extensions.requestId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The caller's network address, for per-address limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl ClientAddress {
    /// The peer's address, or with `trust_forwarded_for` (behind a proxy
    /// that sets it) the first address of `X-Forwarded-For`.
    pub fn from_request(
        headers: &axum::http::HeaderMap,
        peer: Option<std::net::SocketAddr>,
        trust_forwarded_for: bool,
    ) -> Self {
        let forwarded = trust_forwarded_for
            .then(|| {
                headers
                    .get("x-forwarded-for")?
                    .to_str()
                    .ok()?
                    .split(',')
                    .next()?
                    .trim()
                    .parse()
                    .ok()
            })
            .flatten();
        ClientAddress(forwarded.or(peer.map(|p| p.ip())))
    }
}

/// How a request's session travels, as its HTTP headers say (a WebSocket
/// operation has none of this: the default).
#[derive(Debug, Clone, Default)]
pub struct SessionTransport {
    /// `Signin-Session: cookie`: refresh tokens travel in the session
    /// cookie (`HttpOnly`), never in an answer a script can read.
    pub cookie_mode: bool,
    /// The refresh token the request's session cookie carries.
    pub cookie: Option<String>,
    /// The request's `User-Agent`.
    pub user_agent: Option<String>,
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "signin_refresh";

impl SessionTransport {
    /// From a request's headers.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let cookie = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_owned())
            });
        SessionTransport {
            cookie_mode: text("signin-session")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("cookie")),
            cookie,
            user_agent: text("user-agent").map(str::to_owned),
        }
    }

    /// The `Set-Cookie` value that hands `refresh_token` to the browser
    /// until `until` (the session's end), seen from `now`.
    pub fn set_cookie(
        refresh_token: &str,
        now: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> String {
        let max_age = (until - now).num_seconds().max(0);
        format!(
            "{SESSION_COOKIE}={refresh_token}; HttpOnly; Secure; SameSite=Strict; Path=/graphql; Max-Age={max_age}"
        )
    }

    /// The `Set-Cookie` value that clears the session cookie.
    pub fn clear_cookie() -> String {
        format!("{SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/graphql; Max-Age=0")
    }
}

/// The `Authorization` value a WebSocket's `connection_init` carried: in
/// the connection's data, so that each operation on the socket checks the
/// token again (`api::GraphqlApi::execute_stream` makes a fresh
/// [`RequestAuth`] from it) and runs with the caller's current rights.
#[derive(Debug, Clone)]
pub struct WsAuthorization(pub String);

/// The subscriptions one WebSocket connection may still open.
#[derive(Debug, Clone)]
pub struct SubscriptionSlots(pub Arc<tokio::sync::Semaphore>);

#[derive(Debug, Default)]
pub struct RequestAuth {
    bearer: Option<String>,
    identity: OnceCell<(Identity, User)>,
}

impl RequestAuth {
    /// From an `Authorization` header value; anything but `Bearer <token>`
    /// counts as an invalid token.
    pub fn from_authorization(header: Option<&str>) -> Self {
        let bearer = header.map(|h| {
            h.trim()
                .strip_prefix("Bearer ")
                .or_else(|| h.trim().strip_prefix("bearer "))
                .unwrap_or_default()
                .trim()
                .to_owned()
        });
        Self {
            bearer,
            identity: OnceCell::new(),
        }
    }

    pub fn has_token(&self) -> bool {
        self.bearer.is_some()
    }

    pub async fn identity(&self, state: &AppState) -> Result<Identity, ServiceError> {
        self.identity_via(state, RowSource::Direct).await
    }

    /// As [`Self::identity`], reading the user row from `rows`.
    pub async fn identity_via(
        &self,
        state: &AppState,
        rows: RowSource<'_>,
    ) -> Result<Identity, ServiceError> {
        let token = match self.bearer.as_deref() {
            None => return Err(ServiceError::Unauthenticated("no token")),
            Some("") => {
                return Err(ServiceError::Unauthenticated(
                    "malformed Authorization header",
                ))
            }
            Some(token) => token,
        };
        Ok(self.session(state, token, rows).await?.0)
    }

    /// The caller's user row as read when their token was checked.
    pub async fn user(&self, state: &AppState, rows: RowSource<'_>) -> Result<User, ServiceError> {
        self.identity_via(state, rows).await?;
        let token = self.bearer.as_deref().unwrap_or_default();
        Ok(self.session(state, token, rows).await?.1.clone())
    }

    /// The token's identity and user row, checked once per request (the
    /// first caller's `rows` reads the row).
    async fn session(
        &self,
        state: &AppState,
        token: &str,
        rows: RowSource<'_>,
    ) -> Result<&(Identity, User), ServiceError> {
        self.identity
            .get_or_try_init(|| async {
                let batch = match rows {
                    RowSource::Direct => return accounts::authenticate(state, token).await,
                    RowSource::Batched(loaders) => &loaders.session_user,
                    RowSource::BatchedWithStatus(loaders) => &loaders.session_user_and_chain,
                };
                accounts::authenticate_with(state, token, |user_id| async move {
                    batch
                        .load_one(user_id)
                        .await
                        .map_err(ServiceError::from_shared)
                })
                .await
            })
            .await
    }
}

/// Where a token check reads its user's row.
#[derive(Clone, Copy)]
pub enum RowSource<'a> {
    /// Through the cache, on its own.
    Direct,
    /// Through the cache, in one batch with the token checks of concurrent
    /// requests.
    Batched(&'a Loaders),
    /// As `Batched`, reading the users' chains in the same batch: for a
    /// request that reads the caller's status next.
    BatchedWithStatus(&'a Loaders),
}

impl<'a> RowSource<'a> {
    /// Batched when the schema has its loaders (it always does; a context
    /// without them falls back to a read of its own).
    pub fn of(ctx: &Context<'a>) -> Self {
        match Loaders::of(ctx) {
            Ok(loaders) => RowSource::Batched(loaders),
            Err(_) => RowSource::Direct,
        }
    }
}

pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a Arc<AppState>, ServiceError> {
    ctx.data::<Arc<AppState>>()
        .map_err(|_| ServiceError::internal("application state missing"))
}

/// The authenticated caller.
pub async fn caller(ctx: &Context<'_>) -> Result<Identity, ServiceError> {
    let state = state(ctx)?;
    match ctx.data_opt::<RequestAuth>() {
        Some(auth) => auth.identity_via(state, RowSource::of(ctx)).await,
        None => Err(ServiceError::Unauthenticated("no token")),
    }
}

/// The caller, who must be an admin.
pub async fn admin(ctx: &Context<'_>) -> Result<Identity, ServiceError> {
    let me = caller(ctx).await?;
    if me.is_admin() {
        Ok(me)
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// The caller, who must be an admin, as an admin action's audit entry
/// records them: with this request's id (`x-request-id`), when it came
/// over HTTP.
pub async fn admin_actor(ctx: &Context<'_>) -> Result<AdminActor, ServiceError> {
    let me = admin(ctx).await?;
    let request_id = ctx.data_opt::<RequestId>().map(|id| id.0.clone());
    Ok(AdminActor::admin(me, request_id))
}

/// The caller, who must be `user_id` themself or an admin.
pub async fn viewer_of(ctx: &Context<'_>, user_id: UserId) -> Result<Identity, ServiceError> {
    let me = caller(ctx).await?;
    if me.may_see(user_id) {
        Ok(me)
    } else {
        Err(ServiceError::Forbidden)
    }
}
