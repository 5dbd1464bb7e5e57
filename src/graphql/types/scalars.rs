//! The contract's `Date` and `DateTime` scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate, SecondsFormat, Utc};

/// A calendar date, ISO 8601 `YYYY-MM-DD`, in the service's business time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar date, ISO 8601 `YYYY-MM-DD`, in the service's business time zone.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("{s:?} is not a date YYYY-MM-DD"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(iso_date(self.0))
    }
}

/// `YYYY-MM-DD`. Written digit by digit: an admin's history answer holds
/// tens of thousands of dates, and chrono's Display goes through the
/// formatting machinery (and grows its string) for each.
fn iso_date(date: NaiveDate) -> String {
    let Ok(year) = u32::try_from(date.year()) else {
        return date.to_string();
    };
    if year > 9999 {
        return date.to_string();
    }
    let mut text = String::with_capacity(10);
    push_digits(&mut text, year, 4);
    text.push('-');
    push_digits(&mut text, date.month(), 2);
    text.push('-');
    push_digits(&mut text, date.day(), 2);
    text
}

/// `n` as exactly `width` decimal digits, zero-padded.
fn push_digits(text: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (n / 10u32.pow(place)) % 10;
        text.push(char::from(b'0' + digit as u8));
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
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| DateTime(t.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom(format!("{s:?} is not an RFC 3339 instant"))),
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
