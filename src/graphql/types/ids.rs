//! Ids as the API shows them (`ID`: the row's decimal number).

use async_graphql::ID;

use crate::graphql::errors::ApiError;
use crate::model::UserId;

/// A user's id as the API's `ID` (the decimal number); `BAD_USER_INPUT`
/// naming `argument` unless it is a positive integer.
pub fn parse_user_id(argument: &'static str, id: &ID) -> Result<UserId, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(UserId)
        .ok_or_else(|| {
            ApiError::bad_argument(argument, format!("{:?} is not a valid id", id.as_str()))
        })
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
