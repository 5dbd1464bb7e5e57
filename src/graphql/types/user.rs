use std::sync::Arc;

use async_graphql::{Context, Enum, Object, SimpleObject, ID};

use super::account::Session;
use super::paging::{edges, PageInfo};
use super::scalars::{Date, DateTime};
use super::sign_in::{history_days, SignInDays, SignInStatus};
use super::wallet::Wallet;
use crate::auth::Identity;
use crate::graphql::context::{caller, state, viewer_of};
use crate::graphql::errors::ApiResult;
use crate::graphql::loaders::{HistoryKey, Loaders};
use crate::graphql::read_ahead::Prefetched;
use crate::model;
use crate::service::sign_in::{status_in_memory, validate_range};
use crate::service::{sessions, Page, ServiceError};

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    User,
    Admin,
}

impl From<model::Role> for Role {
    fn from(r: model::Role) -> Self {
        match r {
            model::Role::User => Role::User,
            model::Role::Admin => Role::Admin,
        }
    }
}

impl From<Role> for model::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::User => model::Role::User,
            Role::Admin => model::Role::Admin,
        }
    }
}

/// A user as the API shows them. `owner_view` is set where the caller is
/// known to be this user without a token (the payload of `register` and
/// `login`), so their private fields resolve.
pub struct User {
    pub row: model::User,
    owner_view: bool,
    /// The session this request just opened for the user (their payload).
    new_session: Option<model::SessionId>,
    prefetched: Option<Arc<Prefetched>>,
}

impl User {
    pub fn new(row: model::User) -> Self {
        User {
            row,
            owner_view: false,
            new_session: None,
            prefetched: None,
        }
    }

    /// The user of `session`, just opened by this request.
    pub fn of_new_session(row: model::User, session: model::SessionId) -> Self {
        User {
            row,
            owner_view: true,
            new_session: Some(session),
            prefetched: None,
        }
    }

    /// A user of a list whose fields were read ahead.
    pub fn with_prefetched(row: model::User, prefetched: Arc<Prefetched>) -> Self {
        User {
            row,
            owner_view: false,
            new_session: None,
            prefetched: Some(prefetched),
        }
    }

    /// Private fields: the user themself or an admin.
    async fn check_viewer(&self, ctx: &Context<'_>) -> ApiResult<()> {
        if !self.owner_view {
            viewer_of(ctx, self.row.id).await?;
        }
        Ok(())
    }

    /// As `check_viewer`, and who the viewer is (the user themself where
    /// `owner_view` is set).
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<model::UserId> {
        if self.owner_view {
            return Ok(self.row.id);
        }
        Ok(viewer_of(ctx, self.row.id).await?.user_id)
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    async fn username(&self) -> &str {
        &self.row.username
    }

    async fn role(&self) -> Role {
        self.row.role.into()
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.row.created_at)
    }

    /// IANA time zone in which this user's days are counted.
    async fn time_zone(&self) -> &str {
        &self.row.time_zone
    }

    /// The user themself only (FORBIDDEN otherwise, admins included): live sessions, newest first.
    async fn sessions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Session>> {
        let me = match self.new_session {
            Some(session) => Identity {
                user_id: self.row.id,
                role: self.row.role,
                session,
            },
            None => caller(ctx).await?,
        };
        if me.user_id != self.row.id {
            return Err(ServiceError::Forbidden.into());
        }
        Ok(sessions::live(state(ctx)?, me)
            .await?
            .into_iter()
            .map(Session::from)
            .collect())
    }

    /// The user themself or an admin; FORBIDDEN otherwise.
    async fn sign_in_status(&self, ctx: &Context<'_>) -> ApiResult<SignInStatus> {
        self.check_viewer(ctx).await?;
        if let Some(status) = self
            .prefetched
            .as_ref()
            .and_then(|p| p.statuses.get(&self.row.id))
        {
            return Ok(SignInStatus(status.clone()));
        }
        if let Some(status) = status_in_memory(state(ctx)?, self.row.id) {
            return Ok(SignInStatus(status));
        }
        let status = Loaders::of(ctx)?.status.load_one(self.row.id).await?;
        match status {
            Some(status) => Ok(SignInStatus(status)),
            None => Ok(SignInStatus::empty(state(ctx)?).await?),
        }
    }

    /// The user themself or an admin; FORBIDDEN otherwise.
    async fn wallet(&self, ctx: &Context<'_>) -> ApiResult<Wallet> {
        self.check_viewer(ctx).await?;
        Ok(Wallet {
            user_id: self.row.id,
            balance: self
                .prefetched
                .as_ref()
                .and_then(|p| p.balances.get(&self.row.id).copied()),
        })
    }

    /// Inclusive range, at most 366 days; one entry per date, oldest first. Batched across users.
    #[graphql(
        complexity = "crate::graphql::complexity::list(crate::graphql::complexity::days(&from, &to), child_complexity)"
    )]
    async fn sign_in_history(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
    ) -> ApiResult<SignInDays> {
        let viewer = self.viewer(ctx).await?;
        validate_range(from.0, to.0)?;
        let key = HistoryKey::seen_by(viewer, self.row.id, from.0, to.0);
        let rows = Loaders::of(ctx)?
            .history
            .load_one(key)
            .await?
            .unwrap_or_default();
        Ok(history_days(&rows, from.0, to.0))
    }
}

/// Cursors of user listings (`searchUsers`).
pub const USER_CURSOR: &str = "user";

/// A page of users whose fields were read ahead.
pub fn user_connection(page: Page<model::User>, prefetched: Arc<Prefetched>) -> UserConnection {
    let (edges, page_info) = edges(
        USER_CURSOR,
        page,
        |row| row.id,
        |cursor, row| UserEdge {
            cursor,
            node: User::with_prefetched(row, prefetched.clone()),
        },
    );
    UserConnection { edges, page_info }
}

#[derive(SimpleObject)]
pub struct UserEdge {
    pub cursor: String,
    pub node: User,
}

#[derive(SimpleObject)]
pub struct UserConnection {
    pub edges: Vec<UserEdge>,
    pub page_info: PageInfo,
}

// One user's days over a range (`Query.signInHistory`). (No doc comment:
// it would become the type's description in the schema.)
#[derive(SimpleObject)]
pub struct UserSignInHistory {
    pub user: User,
    pub days: SignInDays,
}
