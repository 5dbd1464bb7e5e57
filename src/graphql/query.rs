use std::collections::HashSet;

use async_graphql::registry::Registry;
use async_graphql::{Context, MergedObject, Object, OutputType, ID};

use super::context::{caller, state, RequestAuth, RowSource};
use super::errors::{ApiError, ApiResult};
use super::guards::AdminGuard;
use super::loaders::{HistoryKey, Loaders};
use super::read_ahead::prefetch;
use super::types::admin_audit::{audit_connection, AdminAuditEntryConnection, AUDIT_CURSOR};
use super::types::ids::{parse_endpoint_id, parse_user_id};
use super::types::paging::PageArgs;
use super::types::scalars::{graphql_int, Date};
use super::types::schedule::RewardSchedule;
use super::types::sign_in::{history_days, DailySignInStats};
use super::types::user::{user_connection, User, UserConnection, UserSignInHistory, USER_CURSOR};
use super::types::webhook::{
    delivery_connection, WebhookDeliveryConnection, WebhookDeliveryStatus, WebhookEndpoint,
    DELIVERY_CURSOR,
};
use crate::model::{AdminAuditEntryId, AuditFilter, UserId, WebhookDeliveryId};
use crate::service::sign_in::validate_range;
use crate::service::{admin, admin_audit, schedules, webhooks, ServiceError};

/// Most ids one `users` or `signInHistory` query may name.
pub const MAX_IDS: usize = 1000;

#[derive(MergedObject, Default)]
pub struct Query(AccountQuery, AdminQuery);

/// The root query fields only an admin may select (`AdminQuery`'s), as the
/// schema names them.
pub fn admin_fields() -> HashSet<String> {
    let mut registry = Registry::default();
    <AdminQuery as OutputType>::create_type_info(&mut registry);
    registry
        .types
        .get("AdminQuery")
        .and_then(|admin| admin.fields())
        .map(|fields| fields.keys().cloned().collect())
        .unwrap_or_default()
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The caller. UNAUTHENTICATED without a valid token.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<User> {
        // The row read (through the cache) when the token was checked.
        let auth = ctx
            .data_opt::<RequestAuth>()
            .ok_or(ServiceError::Unauthenticated("no token"))?;
        // A request that goes on to read the caller's status has the status
        // read in the token check's batch.
        let rows = match RowSource::of(ctx) {
            RowSource::Batched(loaders) if ctx.look_ahead().field("signInStatus").exists() => {
                RowSource::BatchedWithStatus(loaders)
            }
            rows => rows,
        };
        Ok(User::new(auth.user(state(ctx)?, rows).await?))
    }
}

fn parse_ids(argument: &'static str, ids: &[ID]) -> Result<Vec<UserId>, ApiError> {
    if ids.len() > MAX_IDS {
        return Err(ApiError::bad_argument(
            argument,
            format!("at most {MAX_IDS} ids"),
        ));
    }
    ids.iter().map(|id| parse_user_id(argument, id)).collect()
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Admin only. Null for an unknown or deleted id.
    #[graphql(guard = "AdminGuard")]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<User>> {
        let id = parse_user_id("id", &id)?;
        Ok(Loaders::of(ctx)?.user.load_one(id).await?.map(User::new))
    }

    /// Admin only. Same order as ids; null where an id is unknown or deleted. At most 1000 ids.
    #[graphql(
        guard = "AdminGuard",
        complexity = "crate::graphql::complexity::list(crate::graphql::complexity::ids(ids.len()), child_complexity)"
    )]
    async fn users(&self, ctx: &Context<'_>, ids: Vec<ID>) -> ApiResult<Vec<Option<User>>> {
        let ids = parse_ids("ids", &ids)?;
        let (found, prefetched) = tokio::join!(
            Loaders::of(ctx)?.user.load_many(ids.iter().copied()),
            prefetch(ctx, ctx.look_ahead(), &ids)
        );
        let (found, prefetched) = (found?, prefetched?);
        Ok(ids
            .iter()
            .map(|id| {
                let row = found.get(id).cloned()?;
                Some(User::with_prefetched(row, prefetched.clone()))
            })
            .collect())
    }

    /// Admin only. Exact username, case-insensitive; null when unknown or deleted.
    #[graphql(guard = "AdminGuard")]
    async fn user_by_username(
        &self,
        ctx: &Context<'_>,
        username: String,
    ) -> ApiResult<Option<User>> {
        Ok(admin::user_by_username(state(ctx)?, &username)
            .await?
            .map(User::new))
    }

    /// Admin only. Case-insensitive substring match on username; deleted users left out.
    #[graphql(
        guard = "AdminGuard",
        complexity = "crate::graphql::complexity::list(crate::graphql::complexity::page(first), child_complexity)"
    )]
    async fn search_users(
        &self,
        ctx: &Context<'_>,
        query: String,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<UserConnection> {
        let page = PageArgs::parse(USER_CURSOR, first, after.as_deref())?;
        let users =
            admin::search_users(state(ctx)?, &query, page.first, page.after.map(UserId)).await?;
        let ids: Vec<UserId> = users.rows.iter().map(|r| r.id).collect();
        let prefetched = prefetch(ctx, ctx.look_ahead().field("edges").field("node"), &ids).await?;
        Ok(user_connection(users, prefetched))
    }

    /// Admin only. Many users over many days, in the order of userIds. At most 1000 users and 366 days.
    /// Unknown or deleted ids are left out.
    #[graphql(
        guard = "AdminGuard",
        complexity = "crate::graphql::complexity::histories(crate::graphql::complexity::ids(user_ids.len()), crate::graphql::complexity::days(&from, &to), child_complexity)"
    )]
    async fn sign_in_history(
        &self,
        ctx: &Context<'_>,
        user_ids: Vec<ID>,
        from: Date,
        to: Date,
    ) -> ApiResult<Vec<UserSignInHistory>> {
        let ids = parse_ids("userIds", &user_ids)?;
        validate_range(from.0, to.0)?;
        let loaders = Loaders::of(ctx)?;
        let viewer = caller(ctx).await?.user_id;
        let key = |user_id| HistoryKey::seen_by(viewer, user_id, from.0, to.0);
        let keys = ids.iter().map(|&user_id| key(user_id));
        // Users, their sign-ins and whatever else is asked of them are
        // independent reads: run them at once.
        let (users, histories, prefetched) = tokio::join!(
            loaders.user.load_many(ids.iter().copied()),
            loaders.history.load_many(keys),
            prefetch(ctx, ctx.look_ahead().field("user"), &ids)
        );
        let (users, histories, prefetched) = (users?, histories?, prefetched?);
        Ok(ids
            .iter()
            .filter_map(|&user_id| {
                let user = users.get(&user_id).cloned()?;
                let rows = histories.get(&key(user_id));
                Some(UserSignInHistory {
                    user: User::with_prefetched(user, prefetched.clone()),
                    days: history_days(
                        rows.map(|rows| rows.as_slice()).unwrap_or_default(),
                        from.0,
                        to.0,
                    ),
                })
            })
            .collect())
    }

    /// Admin only. One entry per date in the inclusive range, oldest first.
    #[graphql(
        guard = "AdminGuard",
        complexity = "crate::graphql::complexity::list(crate::graphql::complexity::days(&from, &to), child_complexity)"
    )]
    async fn sign_in_stats(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
    ) -> ApiResult<Vec<DailySignInStats>> {
        let rows = admin::sign_in_stats(state(ctx)?, from.0, to.0).await?;
        Ok(rows
            .into_iter()
            .map(|r| DailySignInStats {
                date: Date(r.day),
                signed_in: graphql_int(r.signed_in),
                by_cycle_day: r.by_cycle_day.into_iter().map(graphql_int).collect(),
                reward_total: graphql_int(r.reward_total),
                make_ups: graphql_int(r.make_ups),
                frozen: graphql_int(r.frozen),
                milestone_bonus_total: graphql_int(r.milestone_bonus_total),
            })
            .collect())
    }

    /// Admin only. Every schedule, newest effectiveFrom first.
    #[graphql(guard = "AdminGuard")]
    async fn reward_schedules(&self, ctx: &Context<'_>) -> ApiResult<Vec<RewardSchedule>> {
        Ok(schedules::list(state(ctx)?)
            .await?
            .into_iter()
            .map(RewardSchedule)
            .collect())
    }

    /// Admin only. Newest first; optionally only one actor's or one target user's entries.
    #[graphql(
        guard = "AdminGuard",
        complexity = "crate::graphql::complexity::list(crate::graphql::complexity::page(first), child_complexity)"
    )]
    async fn admin_audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        actor_id: Option<ID>,
        target_user_id: Option<ID>,
    ) -> ApiResult<AdminAuditEntryConnection> {
        let page = PageArgs::parse(AUDIT_CURSOR, first, after.as_deref())?;
        let filter = AuditFilter {
            actor_id: actor_id
                .map(|id| parse_user_id("actorId", &id))
                .transpose()?,
            target_user_id: target_user_id
                .map(|id| parse_user_id("targetUserId", &id))
                .transpose()?,
        };
        let entries = admin_audit::page(
            state(ctx)?,
            filter,
            page.first,
            page.after.map(AdminAuditEntryId),
        )
        .await?;
        Ok(audit_connection(entries))
    }

    /// Admin only.
    #[graphql(
        guard = "AdminGuard",
        complexity = "crate::graphql::complexity::list(100, child_complexity)"
    )]
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> ApiResult<Vec<WebhookEndpoint>> {
        Ok(webhooks::endpoints(state(ctx)?)
            .await?
            .into_iter()
            .map(WebhookEndpoint)
            .collect())
    }

    /// Admin only. One endpoint's messages, newest first.
    #[graphql(
        guard = "AdminGuard",
        complexity = "crate::graphql::complexity::list(crate::graphql::complexity::page(first), child_complexity)"
    )]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        status: Option<WebhookDeliveryStatus>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<WebhookDeliveryConnection> {
        let page = PageArgs::parse(DELIVERY_CURSOR, first, after.as_deref())?;
        let endpoint = parse_endpoint_id("endpointId", &endpoint_id)?;
        let found = webhooks::deliveries(
            state(ctx)?,
            endpoint,
            status.map(Into::into),
            page.first,
            page.after.map(WebhookDeliveryId),
        )
        .await?;
        Ok(delivery_connection(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_fields_are_the_admin_root_fields() {
        let fields = admin_fields();
        for name in [
            "users",
            "searchUsers",
            "signInHistory",
            "signInStats",
            "adminAuditLog",
            "webhookEndpoints",
            "webhookDeliveries",
        ] {
            assert!(fields.contains(name), "{name} in {fields:?}");
        }
        assert!(!fields.contains("me"), "{fields:?}");
    }
}
