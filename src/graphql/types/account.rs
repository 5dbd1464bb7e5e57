use async_graphql::SimpleObject;

use super::scalars::DateTime;
use super::user::User;
use crate::service::accounts::Session;

#[derive(SimpleObject)]
pub struct AuthPayload {
    pub token: String,
    pub expires_at: DateTime,
    pub user: User,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        AuthPayload {
            token: s.token,
            expires_at: DateTime(s.expires_at),
            user: User::of_new_session(s.user),
        }
    }
}
