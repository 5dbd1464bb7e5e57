use async_graphql::{SimpleObject, ID};

use super::scalars::DateTime;
use super::user::User;
use crate::service::sessions::{Granted, LiveSession};

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// The access token (short-lived).
    pub token: String,
    pub expires_at: DateTime,
    /// Spent by refreshSession, which answers a new one. Null when the session cookie carries it.
    pub refresh_token: Option<String>,
    /// The latest this session can last, however often it is refreshed.
    pub session_expires_at: DateTime,
    pub user: User,
}

impl AuthPayload {
    /// The payload of `granted`; `cookie`: the refresh token travels in the
    /// session cookie instead (then it is null here).
    pub fn of(granted: Granted, cookie: bool) -> Self {
        AuthPayload {
            token: granted.token,
            expires_at: DateTime(granted.expires_at),
            refresh_token: (!cookie).then_some(granted.refresh_token),
            session_expires_at: DateTime(granted.session_expires_at),
            user: User::of_new_session(granted.user, granted.session),
        }
    }
}

/// One signed-in device or client of a user.
#[derive(SimpleObject)]
pub struct Session {
    pub id: ID,
    pub created_at: DateTime,
    /// Its login or latest refresh.
    pub last_used_at: DateTime,
    pub expires_at: DateTime,
    /// The User-Agent of its login, at most 200 characters.
    pub user_agent: Option<String>,
    /// True for the session of the token making the request.
    pub current: bool,
}

impl From<LiveSession> for Session {
    fn from(live: LiveSession) -> Self {
        Session {
            id: ID(live.session.id.to_string()),
            created_at: DateTime(live.session.created_at),
            last_used_at: DateTime(live.session.last_used_at),
            expires_at: DateTime(live.expires_at),
            user_agent: live.session.user_agent,
            current: live.current,
        }
    }
}
