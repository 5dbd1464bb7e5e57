//! Passwords, tokens, and who is calling.

pub mod password;
pub mod refresh;
pub mod token;

use crate::model::{Role, SessionId, UserId};

/// An authenticated caller, checked against the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub user_id: UserId,
    pub role: Role,
    /// The session of the token the caller presented.
    pub session: SessionId,
}

impl Identity {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The user themself or an admin.
    pub fn may_see(&self, user_id: UserId) -> bool {
        self.user_id == user_id || self.is_admin()
    }
}
