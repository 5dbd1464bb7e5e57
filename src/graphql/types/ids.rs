//! Ids as the API shows them (`ID`: the row's decimal number).

use async_graphql::{Context, ID};

use super::user::User;
use crate::graphql::errors::{ApiError, ApiResult};
use crate::graphql::loaders::Loaders;
use crate::model::{ScheduleId, SessionId, UserId, WebhookEndpointId};

/// A row's id as the API's `ID` (the decimal number), as the typed id
/// `make` builds; `BAD_USER_INPUT` naming `argument` unless it is a
/// positive integer.
fn parse_id<T>(argument: &'static str, id: &ID, make: fn(i64) -> T) -> Result<T, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(make)
        .ok_or_else(|| {
            ApiError::bad_argument(argument, format!("{:?} is not a valid id", id.as_str()))
        })
}

/// A user's id: see [`parse_id`].
pub fn parse_user_id(argument: &'static str, id: &ID) -> Result<UserId, ApiError> {
    parse_id(argument, id, UserId)
}

/// A reward schedule's id: see [`parse_id`].
pub fn parse_schedule_id(argument: &'static str, id: &ID) -> Result<ScheduleId, ApiError> {
    parse_id(argument, id, ScheduleId)
}

/// A webhook endpoint's id: see [`parse_id`].
pub fn parse_endpoint_id(argument: &'static str, id: &ID) -> Result<WebhookEndpointId, ApiError> {
    parse_id(argument, id, WebhookEndpointId)
}

/// A session's id: see [`parse_id`].
pub fn parse_session_id(argument: &'static str, id: &ID) -> Result<SessionId, ApiError> {
    parse_id(argument, id, SessionId)
}

/// The user `id` names, if any and not deleted (a deleted user is null, as
/// everywhere in the API).
pub async fn live_user(ctx: &Context<'_>, id: Option<UserId>) -> ApiResult<Option<User>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(Loaders::of(ctx)?.user.load_one(id).await?.map(User::new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_positive_integers() {
        assert_eq!(parse_user_id("id", &ID::from("7")).unwrap(), UserId(7));
        for bad in ["", "x", "-1", "0", "1.5", "99999999999999999999"] {
            assert!(parse_user_id("id", &ID::from(bad)).is_err(), "{bad}");
        }
    }
}
