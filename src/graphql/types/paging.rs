//! Cursor paging as the contract shows it (`…Connection { edges { cursor
//! node } pageInfo { hasNextPage endCursor } }`, after the Relay
//! connection specification, forward only), once for every listing:
//! `first`/`after` are checked here, the use case returns a
//! `service::Page`, and [`edges`] turns it into the listing's edges and
//! page info.

use std::fmt::Display;

use async_graphql::SimpleObject;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::graphql::errors::ApiError;
use crate::service::Page;

/// Most items one page may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;
/// Items per page when `first` is not given (or given as null).
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// The checked `first` and `after` of a listing named `kind` (each listing
/// has its own cursors: one of another listing is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageArgs {
    /// Rows per page, 0..=MAX_PAGE_SIZE.
    pub first: i64,
    /// The row id the page starts after, if any.
    pub after: Option<i64>,
}

impl PageArgs {
    /// `BAD_USER_INPUT` naming `first` when it is out of range, `after`
    /// when it is not a cursor of the listing `kind`.
    pub fn parse(kind: &str, first: Option<i32>, after: Option<&str>) -> Result<Self, ApiError> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(0..=MAX_PAGE_SIZE).contains(&first) {
            return Err(ApiError::bad_argument(
                "first",
                format!("must be between 0 and {MAX_PAGE_SIZE}"),
            ));
        }
        Ok(PageArgs {
            first: i64::from(first),
            after: after.map(|c| decode_cursor(kind, c)).transpose()?,
        })
    }
}

/// An opaque cursor for the row `id` of a listing named `kind`.
pub fn encode_cursor(kind: &str, id: impl Display) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// The row id in a cursor of the listing `kind`.
fn decode_cursor(kind: &str, cursor: &str) -> Result<i64, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|s| s.strip_prefix(kind)?.strip_prefix(':')?.parse().ok())
        .ok_or_else(|| ApiError::bad_argument("after", "not a cursor of this listing"))
}

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// The edges of `page` in the listing `kind` and its page info: each
/// row's cursor comes from `id_of`, its edge from `edge(cursor, row)`.
pub fn edges<R, E, I: Display>(
    kind: &str,
    page: Page<R>,
    id_of: impl Fn(&R) -> I,
    edge: impl Fn(String, R) -> E,
) -> (Vec<E>, PageInfo) {
    let mut end_cursor = None;
    let edges = page
        .rows
        .into_iter()
        .map(|row| {
            let cursor = encode_cursor(kind, id_of(&row));
            end_cursor = Some(cursor.clone());
            edge(cursor, row)
        })
        .collect();
    (
        edges,
        PageInfo {
            has_next_page: page.has_next,
            end_cursor,
        },
    )
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
    fn page_arguments_are_checked() {
        let cursor = encode_cursor("tx", 7);
        for (first, after, expected) in [
            (None, None, Ok((20, None))),
            (Some(0), None, Ok((0, None))),
            (Some(100), Some(cursor.as_str()), Ok((100, Some(7)))),
            (Some(101), None, Err("first")),
            (Some(-1), None, Err("first")),
            (Some(5), Some("bm9wZQ"), Err("after")),
        ] {
            let got = PageArgs::parse("tx", first, after).map(|p| (p.first, p.after));
            match (got, expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want),
                (Err(ApiError::BadArgument { argument, .. }), Err(want)) => {
                    assert_eq!(argument, want)
                }
                (got, want) => panic!("{first:?} {after:?}: {got:?} vs {want:?}"),
            }
        }
    }
}
