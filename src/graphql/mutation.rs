use async_graphql::{Context, MergedObject, Object, ID};

use axum::http::header::SET_COOKIE;

use super::context::{admin_actor, caller, state, ClientAddress, RequestAuth, SessionTransport};
use super::errors::ApiResult;
use super::guards::AdminGuard;
use super::types::account::AuthPayload;
use super::types::ids::parse_schedule_id;
use super::types::ids::{parse_endpoint_id, parse_session_id, parse_user_id};
use super::types::scalars::Date;
use super::types::schedule::RewardSchedule;
use super::types::sign_in::{SignInPayload, SignInRecord, SignInStatus, StreakFreezePayload};
use super::types::user::{Role, User};
use super::types::wallet::WalletTransaction;
use super::types::webhook::{
    WebhookDelivery, WebhookEndpoint, WebhookEndpointWithSecret, WebhookEventType,
};
use crate::domain::money::Change;
use crate::model;
use crate::service::sessions::{self, Granted, Which};
use crate::service::{
    accounts, admin, protection, schedules, sign_in, time_zone, to_completion, wallet, webhooks,
    ServiceError,
};

#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountMutation,
    SignInMutation,
    AdminMutation,
    ProtectionMutation,
    WebhookMutation,
);

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Admin only.
    #[graphql(guard = "AdminGuard")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        url: String,
        events: Vec<WebhookEventType>,
        #[graphql(default_with = "Some(String::new())")] description: Option<String>,
    ) -> ApiResult<WebhookEndpointWithSecret> {
        let actor = admin_actor(ctx).await?;
        let events: Vec<model::WebhookEventType> = events.into_iter().map(Into::into).collect();
        let description = description.unwrap_or_default();
        let (row, secret) =
            webhooks::create(state(ctx)?, &actor, &url, &events, &description).await?;
        Ok(WebhookEndpointWithSecret {
            endpoint: WebhookEndpoint(row),
            secret,
        })
    }

    /// Admin only. Arguments left out stay as they are.
    #[graphql(guard = "AdminGuard")]
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        url: Option<String>,
        events: Option<Vec<WebhookEventType>>,
        enabled: Option<bool>,
        description: Option<String>,
    ) -> ApiResult<WebhookEndpoint> {
        let actor = admin_actor(ctx).await?;
        let id = parse_endpoint_id("id", &id)?;
        let events: Option<Vec<model::WebhookEventType>> =
            events.map(|e| e.into_iter().map(Into::into).collect());
        let update = webhooks::Update {
            url: url.as_deref(),
            events: events.as_deref(),
            enabled,
            description: description.as_deref(),
        };
        Ok(WebhookEndpoint(
            webhooks::update(state(ctx)?, &actor, id, update).await?,
        ))
    }

    /// Admin only. The old secret keeps signing beside the new one for 24 hours.
    #[graphql(guard = "AdminGuard")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<WebhookEndpointWithSecret> {
        let actor = admin_actor(ctx).await?;
        let id = parse_endpoint_id("id", &id)?;
        let (row, secret) = webhooks::rotate(state(ctx)?, &actor, id).await?;
        Ok(WebhookEndpointWithSecret {
            endpoint: WebhookEndpoint(row),
            secret,
        })
    }

    /// Admin only.
    #[graphql(guard = "AdminGuard")]
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let actor = admin_actor(ctx).await?;
        let id = parse_endpoint_id("id", &id)?;
        Ok(webhooks::delete(state(ctx)?, &actor, id).await?)
    }

    /// Admin only. Sends the message again as a new attempt.
    #[graphql(guard = "AdminGuard")]
    async fn replay_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<WebhookDelivery> {
        admin_actor(ctx).await?;
        Ok(WebhookDelivery(
            webhooks::replay(state(ctx)?, id.as_str()).await?,
        ))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// timeZone: an IANA name; SIGNIN_TIMEZONE when left out.
    async fn register(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
        time_zone: Option<String>,
    ) -> ApiResult<AuthPayload> {
        let client = ctx.data_opt::<ClientAddress>().and_then(|c| c.0);
        let transport = transport(ctx);
        let granted = accounts::register(
            state(ctx)?,
            &username,
            &password,
            time_zone.as_deref(),
            client,
            transport.user_agent.as_deref(),
        )
        .await?;
        answer(ctx, granted, &transport)
    }

    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> ApiResult<AuthPayload> {
        let client = ctx.data_opt::<ClientAddress>().and_then(|c| c.0);
        let transport = transport(ctx);
        let granted = accounts::login(
            state(ctx)?,
            &username,
            &password,
            client,
            transport.user_agent.as_deref(),
        )
        .await?;
        answer(ctx, granted, &transport)
    }

    /// The caller's time zone (IANA name). At most one change per SIGNIN_TIMEZONE_CHANGE_DAYS days.
    async fn set_time_zone(&self, ctx: &Context<'_>, time_zone: String) -> ApiResult<User> {
        let me = caller(ctx).await?;
        let row = time_zone::set(state(ctx)?, me.user_id, &time_zone).await?;
        Ok(User::new(row))
    }

    /// The caller's new password. Every session of theirs ends; the payload opens a new one.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> ApiResult<AuthPayload> {
        let me = caller(ctx).await?;
        let client = ctx.data_opt::<ClientAddress>().and_then(|c| c.0);
        let transport = transport(ctx);
        let device = transport.user_agent.clone();
        let granted = to_completion(state(ctx)?, move |state| async move {
            let device = device.as_deref();
            accounts::change_password(&state, me, &current_password, &new_password, client, device)
                .await
        })
        .await?;
        answer(ctx, granted, &transport)
    }

    /// A new access token and refresh token; the refresh token given (or the session cookie's) is spent.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: Option<String>,
    ) -> ApiResult<AuthPayload> {
        let transport = transport(ctx);
        let from_cookie = refresh_token.is_none();
        let token = refresh_token
            .or_else(|| transport.cookie.clone())
            .ok_or(ServiceError::Unauthenticated("no refresh token"))?;
        let client = ctx.data_opt::<ClientAddress>().and_then(|c| c.0);
        // An access token sent along names whose session it must be.
        let bearer = match ctx.data_opt::<RequestAuth>() {
            Some(auth) if auth.has_token() => {
                auth.identity(state(ctx)?).await.ok().map(|me| me.user_id)
            }
            _ => None,
        };
        let refreshed = to_completion(state(ctx)?, move |state| async move {
            sessions::refresh(&state, &token, client, bearer).await
        })
        .await;
        match refreshed {
            Ok(granted) => answer(ctx, granted, &transport),
            // A cookie that names no live session goes: the page cannot
            // clear an HttpOnly cookie, and each reload would otherwise
            // spend a failed attempt of the address on it.
            Err(error @ ServiceError::Unauthenticated(_)) => {
                if from_cookie {
                    ctx.append_http_header(SET_COOKIE, SessionTransport::clear_cookie());
                }
                Err(error.into())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Ends the caller's session.
    async fn sign_out(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let me = caller(ctx).await?;
        to_completion(state(ctx)?, move |state| async move {
            sessions::end(&state, me, Which::Current).await
        })
        .await?;
        ctx.append_http_header(SET_COOKIE, SessionTransport::clear_cookie());
        Ok(true)
    }

    /// Ends one of the caller's sessions.
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let me = caller(ctx).await?;
        let id = parse_session_id("id", &id)?;
        to_completion(state(ctx)?, move |state| async move {
            sessions::end(&state, me, Which::One(id)).await
        })
        .await?;
        Ok(true)
    }

    /// Ends every session of the caller; answers how many.
    async fn sign_out_everywhere(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        let me = caller(ctx).await?;
        let ended = to_completion(state(ctx)?, move |state| async move {
            sessions::end(&state, me, Which::All).await
        })
        .await?;
        ctx.append_http_header(SET_COOKIE, SessionTransport::clear_cookie());
        Ok(i32::try_from(ended).unwrap_or(i32::MAX))
    }
}

/// How this request's session travels (HTTP headers; none over a WebSocket).
fn transport(ctx: &Context<'_>) -> SessionTransport {
    ctx.data_opt::<SessionTransport>()
        .cloned()
        .unwrap_or_default()
}

/// The payload of `granted`; in cookie mode the refresh token goes in the
/// session cookie instead.
fn answer(
    ctx: &Context<'_>,
    granted: Granted,
    transport: &SessionTransport,
) -> ApiResult<AuthPayload> {
    if transport.cookie_mode {
        let now = state(ctx)?.calendar.now();
        ctx.append_http_header(
            SET_COOKIE,
            SessionTransport::set_cookie(&granted.refresh_token, now, granted.session_expires_at),
        );
    }
    Ok(AuthPayload::of(granted, transport.cookie_mode))
}

#[derive(Default)]
pub struct SignInMutation;

#[Object]
impl SignInMutation {
    /// Today's sign-in. ALREADY_SIGNED_IN on a second call the same day.
    async fn sign_in(&self, ctx: &Context<'_>) -> ApiResult<SignInPayload> {
        let me = caller(ctx).await?;
        let (record, status) = sign_in::sign_in(state(ctx)?, me.user_id).await?;
        Ok(SignInPayload {
            record: SignInRecord(record),
            status: SignInStatus(status),
        })
    }

    /// Deduct from the caller's wallet. A replay with the same key returns the first result.
    async fn spend(
        &self,
        ctx: &Context<'_>,
        amount: i32,
        idempotency_key: String,
        note: Option<String>,
    ) -> ApiResult<WalletTransaction> {
        let me = caller(ctx).await?;
        let change = Change::spend(i64::from(amount))?;
        let request = wallet::Request {
            user_id: me.user_id,
            change,
            idempotency_key,
            note,
        };
        let row = wallet::apply(state(ctx)?, request).await?;
        Ok(WalletTransaction(row))
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Admin only. Soft delete: the user can no longer log in and their tokens stop working at once.
    #[graphql(guard = "AdminGuard")]
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let actor = admin_actor(ctx).await?;
        let id = parse_user_id("id", &id)?;
        Ok(to_completion(state(ctx)?, move |state| async move {
            admin::delete_user(&state, &actor, id).await
        })
        .await?)
    }

    /// Admin only.
    #[graphql(guard = "AdminGuard")]
    async fn set_user_role(&self, ctx: &Context<'_>, id: ID, role: Role) -> ApiResult<User> {
        let actor = admin_actor(ctx).await?;
        let id = parse_user_id("id", &id)?;
        let role = role.into();
        let user = to_completion(state(ctx)?, move |state| async move {
            admin::set_role(&state, &actor, id, role).await
        })
        .await?;
        Ok(User::new(user))
    }

    /// Admin only. Positive credits, negative debits; never below zero. Idempotent per key.
    #[graphql(guard = "AdminGuard")]
    async fn adjust_wallet(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        amount: i32,
        idempotency_key: String,
        note: String,
    ) -> ApiResult<WalletTransaction> {
        let actor = admin_actor(ctx).await?;
        let user_id = parse_user_id("userId", &user_id)?;
        let row = admin::adjust_wallet(
            state(ctx)?,
            &actor,
            user_id,
            i64::from(amount),
            &idempotency_key,
            &note,
        )
        .await?;
        Ok(WalletTransaction(row))
    }

    /// Admin only. A new base schedule (no effectiveTo) or a campaign (with effectiveTo); effectiveFrom after today.
    #[graphql(guard = "AdminGuard")]
    async fn publish_reward_schedule(
        &self,
        ctx: &Context<'_>,
        rewards: Vec<i32>,
        effective_from: Date,
        effective_to: Option<Date>,
        note: String,
    ) -> ApiResult<RewardSchedule> {
        let actor = admin_actor(ctx).await?;
        let rewards: Vec<i64> = rewards.into_iter().map(i64::from).collect();
        let row = to_completion(state(ctx)?, move |state| async move {
            let publish = schedules::Publish {
                rewards: &rewards,
                effective_from: effective_from.0,
                effective_to: effective_to.map(|d| d.0),
                note: &note,
            };
            schedules::publish(&state, &actor, publish).await
        })
        .await?;
        Ok(RewardSchedule(row))
    }

    /// Admin only. Only before it takes effect.
    #[graphql(guard = "AdminGuard")]
    async fn cancel_reward_schedule(&self, ctx: &Context<'_>, id: ID) -> ApiResult<RewardSchedule> {
        let actor = admin_actor(ctx).await?;
        let id = parse_schedule_id("id", &id)?;
        let row = to_completion(state(ctx)?, move |state| async move {
            schedules::cancel(&state, &actor, id).await
        })
        .await?;
        Ok(RewardSchedule(row))
    }
}

/// Streak protection bought with points.
#[derive(Default)]
pub struct ProtectionMutation;

#[Object]
impl ProtectionMutation {
    /// Fill one missed date of the caller's for SIGNIN_MAKEUP_COST points. Idempotent per key.
    async fn make_up_sign_in(
        &self,
        ctx: &Context<'_>,
        date: Date,
        idempotency_key: String,
    ) -> ApiResult<SignInPayload> {
        let me = caller(ctx).await?;
        let (record, status) =
            protection::make_up(state(ctx)?, me.user_id, date.0, idempotency_key).await?;
        Ok(SignInPayload {
            record: SignInRecord(record),
            status: SignInStatus(status),
        })
    }

    /// Buy one streak freeze for SIGNIN_FREEZE_COST points. Idempotent per key.
    async fn buy_streak_freeze(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
    ) -> ApiResult<StreakFreezePayload> {
        let me = caller(ctx).await?;
        let (transaction, status) =
            protection::buy_freeze(state(ctx)?, me.user_id, idempotency_key).await?;
        Ok(StreakFreezePayload {
            transaction: WalletTransaction(transaction),
            status: SignInStatus(status),
        })
    }
}
