//! Field guards.

use async_graphql::{Context, Guard};

use super::context::admin;
use super::errors::ApiError;

/// Admin-only fields: `UNAUTHENTICATED` without a valid token, `FORBIDDEN`
/// for a user.
pub struct AdminGuard;

impl Guard for AdminGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        admin(ctx)
            .await
            .map(|_| ())
            .map_err(|e| ApiError::from(e).into())
    }
}
