//! Ids and pagination cursors as the API shows them.

use std::fmt::Display;

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::graphql::errors::ApiError;
use crate::model::UserId;

/// Most items one page may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;

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

/// An opaque cursor for the row `id` of a listing named `kind`.
pub fn encode_cursor(kind: &str, id: impl Display) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// The row id in a cursor of the listing `kind` (the caller types it);
/// `BAD_USER_INPUT` naming `after` otherwise.
pub fn decode_cursor(kind: &str, cursor: &str) -> Result<i64, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|s| s.strip_prefix(kind)?.strip_prefix(':')?.parse().ok())
        .ok_or_else(|| ApiError::bad_argument("after", "not a cursor of this listing"))
}

/// Items per page when `first` is not given (or given as null).
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// `first` checked against the page size limits (default when absent).
pub fn page_size(first: Option<i32>) -> Result<i64, ApiError> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if (0..=MAX_PAGE_SIZE).contains(&first) {
        Ok(i64::from(first))
    } else {
        Err(ApiError::bad_argument(
            "first",
            format!("must be between 0 and {MAX_PAGE_SIZE}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_other_listings() {
        let c = encode_cursor("tx", 42);
        assert_eq!(decode_cursor("tx", &c).unwrap(), 42);
        assert!(decode_cursor("user", &c).is_err());
        assert!(decode_cursor("tx", "%%%").is_err());
    }

    #[test]
    fn ids_must_be_positive_integers() {
        assert_eq!(parse_user_id("id", &ID::from("7")).unwrap(), UserId(7));
        for bad in ["", "x", "-1", "0", "1.5", "99999999999999999999"] {
            assert!(parse_user_id("id", &ID::from(bad)).is_err(), "{bad}");
        }
    }
}
