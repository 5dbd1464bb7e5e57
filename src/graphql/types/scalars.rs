//! The contract's `Date` and `DateTime` scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate, SecondsFormat, Utc};

/// A calendar date, ISO 8601 `YYYY-MM-DD`: a user's date in their own time zone, or as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar date, ISO 8601 `YYYY-MM-DD`: a user's date in their own time zone, or as given.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_iso_date(s).map(Date).ok_or_else(|| {
                InputValueError::custom(format!(
                    "{s:?} is not a date: expected an ISO 8601 calendar date YYYY-MM-DD \
                     (a four-digit year, two-digit month and day, a day that exists)"
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(iso_date(self.0))
    }
}

/// Exactly `YYYY-MM-DD` (ISO 8601's extended calendar date, as RFC 3339's
/// `full-date`): four-digit year, two-digit month and day, a day that
/// exists. chrono's `%Y-%m-%d` also takes `2026-3-1`, ` 2026-03-01`,
/// `26-03-01` and `+10000-01-01`.
pub fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = &bytes[range];
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// An RFC 3339 `date-time`: chrono's parser, which also takes a space for
/// the `T` (RFC 3339 §5.6's grammar has only `T` or `t`).
pub fn parse_rfc3339(text: &str) -> Option<chrono::DateTime<Utc>> {
    if !matches!(text.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `YYYY-MM-DD`. Written digit by digit: an admin's history answer holds
/// tens of thousands of dates, and chrono's Display goes through the
/// formatting machinery (and grows its string) for each.
pub fn iso_date(date: NaiveDate) -> String {
    // One exact allocation (collecting chars reserves, then pushes and
    // encodes each one).
    iso_date_ascii(date)
        .and_then(|ascii| std::str::from_utf8(&ascii).ok().map(str::to_owned))
        .unwrap_or_else(|| date.to_string())
}

/// `YYYY-MM-DD` as ASCII bytes, for the years 0..=9999 (ISO 8601's
/// four-digit years); None for any other year, which chrono writes with a
/// sign and more digits.
pub fn iso_date_ascii(date: NaiveDate) -> Option<[u8; 10]> {
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let mut ascii = [b'-'; 10];
    put_digits(&mut ascii[0..4], year);
    put_digits(&mut ascii[5..7], date.month());
    put_digits(&mut ascii[8..10], date.day());
    Some(ascii)
}

/// `n` as decimal digits filling `slots`, zero-padded.
fn put_digits(slots: &mut [u8], mut n: u32) {
    for slot in slots.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// An instant, RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An instant, RFC 3339.
#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_rfc3339(s).map(DateTime).ok_or_else(|| {
                InputValueError::custom(format!(
                    "{s:?} is not an instant: expected an RFC 3339 date-time \
                     YYYY-MM-DDTHH:MM:SS[.fraction] with Z or an offset ±HH:MM"
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_8601() {
        for (y, m, d) in [
            (2026, 1, 5),
            (1, 12, 31),
            (999, 7, 4),
            (9999, 12, 31),
            (2024, 2, 29),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_date(date), date.format("%Y-%m-%d").to_string());
        }
        let far = NaiveDate::from_ymd_opt(12345, 1, 2).unwrap();
        assert_eq!(iso_date(far), far.to_string());
    }

    #[test]
    fn date_input_is_exactly_yyyy_mm_dd() {
        for (text, ymd) in [
            ("2026-03-01", (2026, 3, 1)),
            ("2024-02-29", (2024, 2, 29)),
            ("0001-01-01", (1, 1, 1)),
            ("0000-01-01", (0, 1, 1)),
            ("9999-12-31", (9999, 12, 31)),
        ] {
            let expected = NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2);
            assert_eq!(parse_iso_date(text), expected, "{text}");
        }
        for text in [
            "2026-3-1",
            "2026-03-1",
            "2026-3-01",
            "+10000-01-01",
            "10000-01-01",
            "-001-01-01",
            "-0001-01-01",
            "26-03-01",
            "02026-03-01",
            " 2026-03-01",
            "2026-03-01 ",
            "2026-02-29",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-01-32",
            "2026/03/01",
            "20260301",
            "2026-03-01T00:00:00Z",
            "2026-0３-01",
            "２026-03-01",
            "2026-03-0\u{0}",
            "",
        ] {
            assert_eq!(parse_iso_date(text), None, "{text:?}");
        }
        // What the API accepts is what it writes.
        let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(parse_iso_date(&iso_date(date)), Some(date));
    }

    #[test]
    fn instants_are_rfc_3339_date_times() {
        for text in [
            "2026-03-01T09:00:00Z",
            "2026-03-01t09:00:00z",
            "2026-03-01T09:00:00.123Z",
            "2026-03-01T09:00:00+01:00",
            "2026-03-01T09:00:00-00:00",
        ] {
            assert!(parse_rfc3339(text).is_some(), "{text}");
        }
        for text in [
            "2026-03-01 09:00:00Z",
            "2026-03-01T09:00:00",
            "2026-03-01T09:00Z",
            "2026-3-01T09:00:00Z",
            "+12026-03-01T09:00:00Z",
            "2026-03-01T09:00:00+0100",
            "2026-03-01T24:00:00Z",
            "2026-02-30T09:00:00Z",
            " 2026-03-01T09:00:00Z",
            "2026-03-01T09:00:00Z ",
            "2026-03-01",
            "",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?}");
        }
    }
}

/// A count, amount, balance or streak as a GraphQL `Int`, which is a signed
/// 32-bit integer (GraphQL specification, section "Int"): clamped into that
/// range. The database keeps balances and amounts within 0..2^31-1, so a
/// valid row is never clamped; a corrupt one cannot fail a whole response.
pub fn graphql_int(n: impl Into<i64>) -> i32 {
    n.into().clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod int_tests {
    use super::graphql_int;

    #[test]
    fn ints_are_clamped_into_graphql_range() {
        for (n, want) in [
            (0, 0),
            (-5, -5),
            (2_147_483_647, i32::MAX),
            (2_147_483_648, i32::MAX),
            (i64::MAX, i32::MAX),
            (-2_147_483_649, i32::MIN),
            (i64::MIN, i32::MIN),
        ] {
            assert_eq!(graphql_int(n), want, "{n}");
        }
        assert_eq!(graphql_int(u32::MAX), i32::MAX);
        assert_eq!(graphql_int(7u8), 7);
    }
}
