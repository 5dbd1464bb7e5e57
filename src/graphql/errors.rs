//! The one place where application errors become GraphQL errors with the
//! contract's `extensions.code`.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

use crate::service::ServiceError;

/// A resolver's error. It deliberately has no `Display`, so async-graphql's
/// blanket `From<T: Display>` (which drops the code) cannot apply: every
/// error reaches the client through `From<ApiError>` below.
#[derive(Debug, Clone)]
pub struct ApiError(pub Arc<ServiceError>);

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        ApiError(Arc::new(error))
    }
}

impl From<Arc<ServiceError>> for ApiError {
    fn from(error: Arc<ServiceError>) -> Self {
        ApiError(error)
    }
}

impl From<crate::domain::money::MoneyError> for ApiError {
    fn from(error: crate::domain::money::MoneyError) -> Self {
        ServiceError::from(error).into()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
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
        ServiceError::InsufficientFunds { .. } => "INSUFFICIENT_FUNDS",
        ServiceError::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
        ServiceError::RateLimited { .. } => "RATE_LIMITED",
        ServiceError::Unavailable(_) => "SERVICE_UNAVAILABLE",
        ServiceError::Internal(_) => "INTERNAL_SERVER_ERROR",
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(ApiError(error): ApiError) -> Self {
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
            match &*error {
                ServiceError::BadInput { argument, .. } => ext.set("argument", *argument),
                ServiceError::RateLimited { retry_after } => {
                    ext.set("retryAfter", retry_after.as_secs())
                }
                _ => {}
            }
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
