//! What a list field costs in async-graphql's complexity count: its most
//! items times the cost of what is selected of each (issue 24, item 15:
//! without this a 12.7 KB query of aliased year-long histories answered
//! 4.5 MB within a limit meant for a few hundred fields).
//!
//! async-graphql counts 1 per field plus its selection; a field with a
//! `complexity = "..."` attribute counts what its expression says. The
//! fields that return lists whose length the client picks (a date range,
//! a list of ids, `first`) name one of these functions. Each is bounded
//! by the argument's limit plus one, so a request over a limit reaches the
//! resolver and its clear error (`BAD_USER_INPUT` naming the argument)
//! instead of a vaguer "too complex"; arithmetic saturates.
//!
//! The limits themselves are `SIGNIN_MAX_COMPLEXITY` (users and anonymous
//! callers) and `SIGNIN_MAX_ADMIN_COMPLEXITY` (an admin's operations that
//! select admin fields), sized so the contract's largest requests pass
//! (README "Limits").

use super::query::MAX_IDS;
use super::types::paging::MAX_PAGE_SIZE;
use super::types::scalars::Date;
use crate::service::sign_in::MAX_HISTORY_DAYS;

/// What one `SignInDay` can cost at most: each of its seven fields and
/// `__typename`. The admin history counts every day at this price (its
/// cost is computed above the `days` field, which has no arguments).
pub const SIGN_IN_DAY_MAX: usize = 8;

/// Dates in the inclusive range `from..=to`, as a cost: at least 1, at
/// most one more than a range may hold.
pub fn days(from: &Date, to: &Date) -> usize {
    let days = (to.0 - from.0).num_days().saturating_add(1);
    usize::try_from(days.clamp(1, MAX_HISTORY_DAYS + 1)).unwrap_or(1)
}

/// Ids a list names, as a cost: at most one more than a list may hold.
pub fn ids(count: usize) -> usize {
    count.min(MAX_IDS + 1)
}

/// Items a page asks for (`first`, default 20), as a cost: at most one
/// more than a page may hold.
pub fn page(first: Option<i32>) -> usize {
    let first = first.unwrap_or(super::types::paging::DEFAULT_PAGE_SIZE);
    usize::try_from(first.clamp(0, MAX_PAGE_SIZE + 1)).unwrap_or(0)
}

/// A list field of at most `items` items, each costing `each`: the field
/// itself plus every item.
pub fn list(items: usize, each: usize) -> usize {
    items.saturating_mul(each).saturating_add(1)
}

/// The admin history (`Query.signInHistory`): per user, the selection
/// once (its user's fields and one day) plus every day at its full price.
pub fn histories(users: usize, days: usize, selection: usize) -> usize {
    list(
        users,
        selection.saturating_add(days.saturating_mul(SIGN_IN_DAY_MAX)),
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn date(s: &str) -> Date {
        Date(s.parse::<NaiveDate>().unwrap())
    }

    #[test]
    fn ranges_cost_their_days_within_the_limit_plus_one() {
        let table = [
            ("2026-01-01", "2026-01-01", 1),
            ("2026-01-01", "2026-01-31", 31),
            ("2024-01-01", "2024-12-31", 366),
            ("2024-01-01", "2025-12-31", 367),
            ("0001-01-01", "9999-12-31", 367),
            // Backwards: the resolver refuses it; it costs one day.
            ("2026-02-01", "2026-01-01", 1),
        ];
        for (from, to, cost) in table {
            assert_eq!(days(&date(from), &date(to)), cost, "{from}..{to}");
        }
    }

    #[test]
    fn pages_cost_their_size_within_the_limit_plus_one() {
        let table = [
            (None, 20),
            (Some(0), 0),
            (Some(100), 100),
            (Some(101), 101),
            (Some(i32::MAX), 101),
            (Some(-5), 0),
        ];
        for (first, cost) in table {
            assert_eq!(page(first), cost, "{first:?}");
        }
    }

    #[test]
    fn lists_multiply_and_saturate() {
        let table = [
            (list(0, 9), 1),
            (list(366, 8), 2_929),
            (list(usize::MAX, 2), usize::MAX),
            // 1000 users x 366 days, two user fields and all day fields.
            (histories(1000, 366, 3 + 8), 2_939_001),
            (histories(usize::MAX, 366, 3), usize::MAX),
        ];
        for (cost, expected) in table {
            assert_eq!(cost, expected);
        }
    }
}
