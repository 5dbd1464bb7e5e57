//! The use cases' error: what went wrong, in the contract's terms. Mapped
//! to `extensions.code` once, in `graphql::errors`. It names no GraphQL
//! argument: a bad value is named by what it is to the use case
//! ([`Input`]), and the API layer says which argument carried it.

use std::time::Duration;

use crate::after_commit::QueueError;
use crate::auth::password::PasswordError;
use crate::auth::token::TokenError;
use crate::cache::CacheError;
use crate::domain::account::AccountError;
use crate::domain::money::MoneyError;
use crate::domain::schedule::{ScheduleError, ScheduleInput};
use crate::domain::streak::chain::MakeUpRefusal;
use crate::events::EventError;
use crate::store::StoreError;

/// A value a caller gave that a use case refused, by what it is to the use
/// case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Username,
    Password,
    /// The password that is to replace the current one.
    NewPassword,
    Amount,
    IdempotencyKey,
    Note,
    /// The first date of an inclusive date range.
    RangeStart,
    /// The last date of an inclusive date range.
    RangeEnd,
    /// The text a user search looks for.
    SearchText,
    /// The user an admin action is aimed at.
    TargetUser,
    /// A reward schedule's seven rewards.
    Rewards,
    /// The first date a reward schedule is in force.
    EffectiveFrom,
    /// A campaign's last date.
    EffectiveTo,
    /// The reward schedule an admin action is aimed at.
    Schedule,
    /// An IANA time zone name (`register`, `setTimeZone`).
    TimeZone,
    /// A webhook endpoint's URL.
    Url,
    /// A webhook endpoint's event types.
    Events,
    /// A webhook endpoint's description.
    Description,
    /// The webhook message an admin action is aimed at.
    Delivery,
}

/// A dependency that could not be reached in time: retrying later may
/// succeed.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    #[error("database: {0}")]
    Database(StoreError),
    #[error("cache: {0}")]
    Cache(CacheError),
    #[error("job queue: {0}")]
    Queue(QueueError),
    #[error("event channel: {0}")]
    Events(EventError),
    /// One of the above, met by a batched load this call shared with
    /// others (its text).
    #[error("{0}")]
    Shared(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    #[error("not allowed")]
    Forbidden,
    #[error("{message}")]
    BadInput { input: Input, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("this username is taken")]
    UsernameTaken,
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("already signed in today")]
    AlreadySignedIn,
    /// `makeUpSignIn` of a date the rules do not allow.
    #[error("{}", make_up_message(*.0))]
    MakeUpNotAllowed(MakeUpRefusal),
    /// A per-user limit (make-ups this month, freezes held) is used up.
    #[error("{0}")]
    LimitReached(String),
    /// A change of time zone sooner than `SIGNIN_TIMEZONE_CHANGE_DAYS`
    /// after the last one (`LIMIT_REACHED` with `retryAfter`).
    #[error("your time zone was changed less than {days} days ago; you can change it again in {}", wait_text(*retry_after))]
    TimeZoneChangeTooSoon { days: u16, retry_after: Duration },
    #[error("insufficient funds: the balance is {balance}, {requested} requested")]
    InsufficientFunds { balance: i64, requested: i64 },
    #[error("this idempotency key was already used with a different amount")]
    IdempotencyConflict,
    #[error("too many attempts; retry in {} s", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    #[error("a dependency is unavailable: {0}")]
    Unavailable(#[source] Unavailable),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A wait in words: "3 days 4 h", "5 h 12 min", "40 s".
fn wait_text(wait: Duration) -> String {
    let secs = wait.as_secs();
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} day{} {h} h", if d == 1 { "" } else { "s" }),
    }
}

/// The sentence a person reads for each make-up refusal.
fn make_up_message(reason: MakeUpRefusal) -> &'static str {
    match reason {
        MakeUpRefusal::NotMissed => "that date is not missed: it is signed in or frozen already",
        MakeUpRefusal::OutOfWindow => {
            "that date cannot be made up: only missed dates before today, within the make-up window, can"
        }
        MakeUpRefusal::BeforeRegistration => "that date is before you registered",
    }
}

impl ServiceError {
    /// `input` was refused for the reason `message` (a sentence for people).
    pub fn bad_input(input: Input, message: impl Into<String>) -> Self {
        ServiceError::BadInput {
            input,
            message: message.into(),
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        ServiceError::Internal(error.to_string())
    }

    /// The error of a batched load, which every caller of the batch shares,
    /// as this caller's own: the same kind, hence the same code; a
    /// dependency's failure keeps its text.
    pub fn from_shared(error: std::sync::Arc<ServiceError>) -> Self {
        std::sync::Arc::try_unwrap(error).unwrap_or_else(|shared| match &*shared {
            ServiceError::Unauthenticated(why) => ServiceError::Unauthenticated(why),
            ServiceError::Forbidden => ServiceError::Forbidden,
            ServiceError::BadInput { input, message } => ServiceError::BadInput {
                input: *input,
                message: message.clone(),
            },
            ServiceError::NotFound(what) => ServiceError::NotFound(what),
            ServiceError::UsernameTaken => ServiceError::UsernameTaken,
            ServiceError::InvalidCredentials => ServiceError::InvalidCredentials,
            ServiceError::AlreadySignedIn => ServiceError::AlreadySignedIn,
            ServiceError::MakeUpNotAllowed(reason) => ServiceError::MakeUpNotAllowed(*reason),
            ServiceError::LimitReached(message) => ServiceError::LimitReached(message.clone()),
            ServiceError::TimeZoneChangeTooSoon { days, retry_after } => {
                ServiceError::TimeZoneChangeTooSoon {
                    days: *days,
                    retry_after: *retry_after,
                }
            }
            ServiceError::InsufficientFunds { balance, requested } => {
                ServiceError::InsufficientFunds {
                    balance: *balance,
                    requested: *requested,
                }
            }
            ServiceError::IdempotencyConflict => ServiceError::IdempotencyConflict,
            ServiceError::RateLimited { retry_after } => ServiceError::RateLimited {
                retry_after: *retry_after,
            },
            ServiceError::Unavailable(source) => {
                ServiceError::Unavailable(Unavailable::Shared(source.to_string()))
            }
            ServiceError::Internal(detail) => ServiceError::Internal(detail.clone()),
        })
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        if error.is_transient() {
            ServiceError::Unavailable(Unavailable::Database(error))
        } else {
            ServiceError::Internal(error.to_string())
        }
    }
}

impl From<CacheError> for ServiceError {
    fn from(error: CacheError) -> Self {
        if error.is_transient() {
            ServiceError::Unavailable(Unavailable::Cache(error))
        } else {
            ServiceError::Internal(error.to_string())
        }
    }
}

/// A queue that cannot be reached is a dependency being unavailable.
impl From<QueueError> for ServiceError {
    fn from(error: QueueError) -> Self {
        ServiceError::Unavailable(Unavailable::Queue(error))
    }
}

impl From<EventError> for ServiceError {
    fn from(error: EventError) -> Self {
        match error {
            EventError::Encode(_) => ServiceError::Internal(error.to_string()),
            EventError::Unreachable(_) | EventError::Lagged { .. } => {
                ServiceError::Unavailable(Unavailable::Events(error))
            }
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
            MoneyError::BadIdempotencyKey | MoneyError::IdempotencyKeyText(_) => {
                ServiceError::bad_input(Input::IdempotencyKey, error.to_string())
            }
            MoneyError::NoteTooLong | MoneyError::NoteText(_) => {
                ServiceError::bad_input(Input::Note, error.to_string())
            }
            MoneyError::NotPositive | MoneyError::Zero | MoneyError::BalanceTooLarge => {
                ServiceError::bad_input(Input::Amount, error.to_string())
            }
        }
    }
}

/// A full hashing queue is a rate limit (the caller may retry shortly);
/// anything else is internal.
impl From<PasswordError> for ServiceError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy => ServiceError::RateLimited {
                retry_after: crate::auth::password::BUSY_RETRY_AFTER,
            },
            PasswordError::Hash(_) | PasswordError::Join(_) => ServiceError::internal(error),
        }
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

impl From<ScheduleError> for ServiceError {
    fn from(error: ScheduleError) -> Self {
        let input = match error.input() {
            ScheduleInput::Rewards => Input::Rewards,
            ScheduleInput::EffectiveFrom => Input::EffectiveFrom,
            ScheduleInput::EffectiveTo => Input::EffectiveTo,
            ScheduleInput::Schedule => Input::Schedule,
        };
        ServiceError::bad_input(input, error.to_string())
    }
}

/// An account rule broken by `input`.
pub fn account_input(input: Input, error: AccountError) -> ServiceError {
    ServiceError::bad_input(input, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each lower layer's error becomes: a dependency that may come
    /// back is `SERVICE_UNAVAILABLE` (retryable, and a job is retried);
    /// anything else is an internal error (logged, never shown).
    #[test]
    fn lower_layer_errors_are_unavailable_only_when_transient() {
        let io = || redis::RedisError::from((redis::ErrorKind::Io, "connection reset"));
        let wrong_type = || redis::RedisError::from((redis::ErrorKind::Parse, "not an integer"));
        let cases: Vec<(&str, ServiceError, bool)> = vec![
            (
                "database pool timed out",
                StoreError::Unavailable("timeout".into()).into(),
                true,
            ),
            (
                "unique key",
                StoreError::UniqueViolation {
                    constraint: "k".into(),
                }
                .into(),
                false,
            ),
            (
                "query error",
                StoreError::Query(diesel::result::Error::NotFound).into(),
                false,
            ),
            (
                "redis unreachable",
                CacheError::Unavailable("breaker open".into()).into(),
                true,
            ),
            (
                "redis connection dropped",
                CacheError::Redis(io()).into(),
                true,
            ),
            (
                "redis refused a command",
                CacheError::Redis(wrong_type()).into(),
                false,
            ),
            ("queue timed out", QueueError::Timeout.into(), true),
            (
                "subscriber fell behind",
                EventError::Lagged { missed: 6 }.into(),
                true,
            ),
            (
                "event not encodable",
                EventError::Encode(serde_json::from_str::<u8>("x").unwrap_err()).into(),
                false,
            ),
        ];
        for (name, error, unavailable) in cases {
            match (&error, unavailable) {
                (ServiceError::Unavailable(_), true) | (ServiceError::Internal(_), false) => {}
                _ => panic!("{name}: {error:?}"),
            }
        }
    }

    /// A batch's error, shared by its callers, becomes each caller's own of
    /// the same kind (hence the same contract code) and text.
    #[test]
    fn a_shared_error_keeps_its_kind_and_text() {
        let cases: Vec<ServiceError> = vec![
            ServiceError::Unauthenticated("token revoked"),
            ServiceError::Forbidden,
            ServiceError::bad_input(Input::Amount, "too large"),
            ServiceError::NotFound("wallet"),
            ServiceError::LimitReached("3 make-ups a month".into()),
            ServiceError::InsufficientFunds {
                balance: 5,
                requested: 9,
            },
            ServiceError::RateLimited {
                retry_after: Duration::from_secs(7),
            },
            StoreError::Unavailable("timeout".into()).into(),
            ServiceError::Internal("corrupt row".into()),
        ];
        for error in cases {
            let text = error.to_string();
            let kind = std::mem::discriminant(&error);
            let shared = std::sync::Arc::new(error);
            let other = shared.clone();
            let owned = ServiceError::from_shared(shared);
            assert_eq!(std::mem::discriminant(&owned), kind, "{text}");
            assert_eq!(owned.to_string(), text);
            // The last holder takes the error itself.
            let last = ServiceError::from_shared(other);
            assert_eq!(last.to_string(), text);
        }
    }
}
