//! The one place where errors become GraphQL errors with the contract's
//! `extensions.code`, and where a refused value is named by the argument
//! that carried it.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

use crate::service::{Input, ServiceError};

/// A resolver's error: a use case's, or an argument this layer refused
/// before calling one. It deliberately has no `Display`, so async-graphql's
/// blanket `From<T: Display>` (which drops the code) cannot apply: every
/// error reaches the client through `From<ApiError>` below.
#[derive(Debug, Clone)]
pub enum ApiError {
    Service(Arc<ServiceError>),
    /// An argument that cannot be valid (a malformed id or cursor, a page
    /// size out of range), refused by the API layer itself.
    BadArgument {
        argument: &'static str,
        message: String,
    },
}

impl ApiError {
    /// `argument` refused for the reason `message` (a sentence for people).
    pub fn bad_argument(argument: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadArgument {
            argument,
            message: message.into(),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        ApiError::Service(Arc::new(error))
    }
}

impl From<Arc<ServiceError>> for ApiError {
    fn from(error: Arc<ServiceError>) -> Self {
        ApiError::Service(error)
    }
}

/// The argument that carries each kind of input in this API.
pub fn argument_of(input: Input) -> &'static str {
    match input {
        Input::Username => "username",
        Input::Password => "password",
        Input::NewPassword => "newPassword",
        Input::Amount => "amount",
        Input::IdempotencyKey => "idempotencyKey",
        Input::Note => "note",
        Input::RangeStart => "from",
        Input::RangeEnd => "to",
        Input::SearchText => "query",
        Input::TargetUser => "id",
        Input::Rewards => "rewards",
        Input::EffectiveFrom => "effectiveFrom",
        Input::EffectiveTo => "effectiveTo",
        Input::Schedule => "id",
        Input::TimeZone => "timeZone",
        Input::Url => "url",
        Input::Events => "events",
        Input::Description => "description",
        Input::Delivery => "id",
    }
}

impl From<crate::domain::money::MoneyError> for ApiError {
    fn from(error: crate::domain::money::MoneyError) -> Self {
        ServiceError::from(error).into()
    }
}

pub fn code(error: &ServiceError) -> &'static str {
    match error {
        ServiceError::Unauthenticated(_) => "UNAUTHENTICATED",
        ServiceError::Forbidden => "FORBIDDEN",
        ServiceError::BadInput { .. } => "BAD_USER_INPUT",
        ServiceError::NotFound(_) => "NOT_FOUND",
        ServiceError::UsernameTaken => "USERNAME_TAKEN",
        ServiceError::InvalidCredentials => "INVALID_CREDENTIALS",
        ServiceError::AlreadySignedIn => "ALREADY_SIGNED_IN",
        ServiceError::MakeUpNotAllowed(_) => "MAKE_UP_NOT_ALLOWED",
        ServiceError::LimitReached(_) | ServiceError::TimeZoneChangeTooSoon { .. } => {
            "LIMIT_REACHED"
        }
        ServiceError::InsufficientFunds { .. } => "INSUFFICIENT_FUNDS",
        ServiceError::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
        ServiceError::RateLimited { .. } => "RATE_LIMITED",
        ServiceError::Unavailable(_) => "SERVICE_UNAVAILABLE",
        ServiceError::Internal(_) => "INTERNAL_SERVER_ERROR",
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let error = match error {
            ApiError::Service(error) => error,
            ApiError::BadArgument { argument, message } => {
                return bad_user_input(argument, format!("{argument}: {message}"));
            }
        };
        if let ServiceError::BadInput { input, message } = &*error {
            let argument = argument_of(*input);
            return bad_user_input(argument, format!("{argument}: {message}"));
        }
        let code = code(&error);
        // Internal details go to the log (with the request's span), never
        // to the client.
        let message = match &*error {
            ServiceError::Unavailable(source) => {
                tracing::warn!(error = %source, "dependency unavailable");
                "a dependency of the service is unavailable; retry later".to_owned()
            }
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                "internal error".to_owned()
            }
            ServiceError::Unauthenticated(_) => "authentication required".to_owned(),
            other => other.to_string(),
        };
        metrics::counter!("signin_graphql_errors_total", "code" => code).increment(1);
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            if let ServiceError::RateLimited { retry_after }
            | ServiceError::TimeZoneChangeTooSoon { retry_after, .. } = &*error
            {
                ext.set("retryAfter", retry_after.as_secs())
            }
            if let ServiceError::MakeUpNotAllowed(reason) = &*error {
                ext.set("reason", reason.code())
            }
        })
    }
}

/// `BAD_USER_INPUT`, naming the argument in `extensions.argument` too.
fn bad_user_input(argument: &'static str, message: String) -> async_graphql::Error {
    let code = "BAD_USER_INPUT";
    metrics::counter!("signin_graphql_errors_total", "code" => code).increment(1);
    async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", code);
        ext.set("argument", argument);
    })
}

pub type ApiResult<T> = Result<T, ApiError>;
