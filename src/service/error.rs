//! The application's error: what went wrong, in the contract's terms.
//! Mapped to `extensions.code` once, in `graphql::errors`.

use std::time::Duration;

use crate::auth::password::PasswordError;
use crate::auth::token::TokenError;
use crate::domain::account::AccountError;
use crate::domain::money::MoneyError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    #[error("not allowed")]
    Forbidden,
    #[error("{argument}: {message}")]
    BadInput {
        argument: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("this username is taken")]
    UsernameTaken,
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("already signed in today")]
    AlreadySignedIn,
    #[error("insufficient funds: the balance is {balance}, {requested} requested")]
    InsufficientFunds { balance: i64, requested: i64 },
    #[error("this idempotency key was already used with a different amount")]
    IdempotencyConflict,
    #[error("too many attempts; retry in {} s", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    #[error("a dependency is unavailable: {0}")]
    Unavailable(#[source] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn bad_input(argument: &'static str, message: impl Into<String>) -> Self {
        ServiceError::BadInput {
            argument,
            message: message.into(),
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        ServiceError::Internal(error.to_string())
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        if error.is_transient() {
            ServiceError::Unavailable(error)
        } else {
            ServiceError::Internal(error.to_string())
        }
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(error: diesel::result::Error) -> Self {
        StoreError::from(error).into()
    }
}

impl From<MoneyError> for ServiceError {
    fn from(error: MoneyError) -> Self {
        match error {
            MoneyError::InsufficientFunds { balance, requested } => {
                ServiceError::InsufficientFunds { balance, requested }
            }
            MoneyError::IdempotencyConflict => ServiceError::IdempotencyConflict,
            MoneyError::BadIdempotencyKey => {
                ServiceError::bad_input("idempotencyKey", error.to_string())
            }
            MoneyError::NoteTooLong => ServiceError::bad_input("note", error.to_string()),
            MoneyError::NotPositive | MoneyError::Zero | MoneyError::BalanceTooLarge => {
                ServiceError::bad_input("amount", error.to_string())
            }
        }
    }
}

impl From<PasswordError> for ServiceError {
    fn from(error: PasswordError) -> Self {
        ServiceError::internal(error)
    }
}

impl From<TokenError> for ServiceError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Signing => ServiceError::internal(error),
            _ => ServiceError::Unauthenticated("invalid or expired token"),
        }
    }
}

/// Account rule violations name the argument they concern.
pub fn account_input(argument: &'static str, error: AccountError) -> ServiceError {
    ServiceError::bad_input(argument, error.to_string())
}
