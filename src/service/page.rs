//! Keyset pages of a listing, newest or first row first: a use case asks
//! the store for one row more than the page holds, and that extra row only
//! says whether another page follows.

/// One page: at most `first` rows, and whether more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_next: bool,
}

/// How many rows to fetch for a page of `first`.
pub fn fetch_limit(first: i64) -> i64 {
    first.saturating_add(1)
}

impl<T> Page<T> {
    /// The page of `first` rows out of `fetched`, which was read with
    /// [`fetch_limit`].
    pub fn from_fetched(mut fetched: Vec<T>, first: i64) -> Self {
        let first = usize::try_from(first).unwrap_or(0);
        let has_next = fetched.len() > first;
        fetched.truncate(first);
        Page {
            rows: fetched,
            has_next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extra_row_only_says_that_more_follow() {
        for (fetched, first, rows, has_next) in [
            (vec![1, 2, 3], 2, vec![1, 2], true),
            (vec![1, 2], 2, vec![1, 2], false),
            (vec![1], 2, vec![1], false),
            (vec![], 2, vec![], false),
            (vec![1], 0, vec![], true),
            (vec![1, 2], -1, vec![], true),
        ] {
            assert_eq!(
                Page::from_fetched(fetched.clone(), first),
                Page { rows, has_next },
                "{fetched:?} first {first}"
            );
        }
        assert_eq!(fetch_limit(20), 21);
        assert_eq!(fetch_limit(i64::MAX), i64::MAX);
    }
}
