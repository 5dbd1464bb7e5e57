//! CSV exports for spreadsheets and data pipelines:
//! `GET /admin/export/sign-ins.csv?from=D&to=D` and
//! `GET /admin/export/stats.csv?from=D&to=D`.
//!
//! Admin bearer token (401 without a valid one, 403 for a user), then the
//! range rules of `signInStats` (400 naming `from` or `to`). The body is
//! RFC 4180 CSV written by the `csv` crate (CRLF line ends, fields quoted
//! when they must be), with a header row, as `text/csv; charset=utf-8`.
//! A text cell that a spreadsheet would read as a formula (it begins with
//! `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a
//! leading `'` ([`neutralised`], OWASP's "CSV Injection" advice).
//! The sign-ins export is streamed: each chunk the service reads is
//! encoded and sent as it arrives, and a client that hangs up drops the
//! body, which ends the read (see `service::export`).

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::HttpState;
use crate::graphql::context::RequestAuth;
use crate::graphql::errors::argument_of;
use crate::graphql::types::scalars::{iso_date, parse_iso_date};
use crate::model::SignInExportRow;
use crate::service::{admin, export, ServiceError};

const CSV: &str = "text/csv; charset=utf-8";

/// The sign-ins export's columns, in order.
pub const SIGN_IN_COLUMNS: [&str; 8] = [
    "user_id",
    "username",
    "date",
    "cycle_day",
    "streak",
    "reward",
    "made_up",
    "credited",
];

/// The stats export's columns: `DailySignInStats`'s fields in order, with
/// `byCycleDay` as seven columns.
pub const STATS_COLUMNS: [&str; 13] = [
    "date",
    "signed_in",
    "day1",
    "day2",
    "day3",
    "day4",
    "day5",
    "day6",
    "day7",
    "reward_total",
    "make_ups",
    "frozen",
    "milestone_bonus_total",
];

/// `GET /admin/export/sign-ins.csv`: one row per signed date in the range,
/// ordered by date then user id.
pub async fn sign_ins(State(state): State<HttpState>, headers: HeaderMap, uri: Uri) -> Response {
    let (from, to) = match admitted(&state, &headers, &uri).await {
        Ok(range) => range,
        Err(refusal) => return refusal,
    };
    let chunks = match export::sign_ins(&state.app, from, to).await {
        Ok(chunks) => chunks,
        Err(error) => return service_error(&error),
    };
    let header = stream::once(async { Ok::<_, std::io::Error>(header_row(&SIGN_IN_COLUMNS)) });
    let rows = stream::unfold(chunks, |mut chunks| async move {
        let item = match chunks.recv().await? {
            Ok(rows) => encode_sign_ins(&rows),
            // The status line is gone: cutting the body short (no final
            // chunk) is how the client learns the file is incomplete.
            Err(error) => Err(std::io::Error::other(error.to_string())),
        };
        Some((item, chunks))
    });
    csv_response(
        &format!("sign-ins-{from}-{to}.csv"),
        Body::from_stream(header.chain(rows)),
    )
}

/// `GET /admin/export/stats.csv`: one row per date in the range, oldest
/// first (at most 366 rows, written at once).
pub async fn stats(State(state): State<HttpState>, headers: HeaderMap, uri: Uri) -> Response {
    let (from, to) = match admitted(&state, &headers, &uri).await {
        Ok(range) => range,
        Err(refusal) => return refusal,
    };
    let rows = match admin::sign_in_stats(&state.app, from, to).await {
        Ok(rows) => rows,
        Err(error) => return service_error(&error),
    };
    let mut csv = writer(0);
    let written: Result<(), csv::Error> = (|| {
        csv.write_record(STATS_COLUMNS)?;
        for row in &rows {
            let by_day = |i: usize| row.by_cycle_day.get(i).copied().unwrap_or(0);
            csv.serialize((
                iso_date(row.day),
                row.signed_in,
                [
                    by_day(0),
                    by_day(1),
                    by_day(2),
                    by_day(3),
                    by_day(4),
                    by_day(5),
                    by_day(6),
                ],
                row.reward_total,
                row.make_ups,
                row.frozen,
                row.milestone_bonus_total,
            ))?;
        }
        csv.flush()?;
        Ok(())
    })();
    let body = match written.map_err(std::io::Error::from).and_then(|()| {
        csv.into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }) {
        Ok(bytes) => bytes,
        Err(error) => return service_error(&ServiceError::internal(error)),
    };
    csv_response(&format!("stats-{from}-{to}.csv"), Body::from(body))
}

/// The caller must be an admin, then `from` and `to` must be a valid range.
async fn admitted(
    state: &HttpState,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<(NaiveDate, NaiveDate), Response> {
    let auth =
        RequestAuth::from_authorization(headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()));
    let me = auth
        .identity(&state.app)
        .await
        .map_err(|e| service_error(&e))?;
    if !me.is_admin() {
        return Err(service_error(&ServiceError::Forbidden));
    }
    let (from, to) = range(uri).map_err(|(parameter, message)| {
        refusal(StatusCode::BAD_REQUEST, &format!("{parameter}: {message}"))
    })?;
    crate::service::sign_in::validate_range(from, to).map_err(|e| service_error(&e))?;
    Ok((from, to))
}

/// `from` and `to` of the query string, each given once as `YYYY-MM-DD`;
/// any other parameter is refused. On error: (parameter, why).
fn range(uri: &Uri) -> Result<(NaiveDate, NaiveDate), (String, &'static str)> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|_| ("query".to_owned(), "not a valid query string"))?;
    let (mut from, mut to) = (None, None);
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "from" => &mut from,
            "to" => &mut to,
            _ => return Err((name, "unknown parameter (expected from and to)")),
        };
        if slot.is_some() {
            return Err((name, "given more than once"));
        }
        *slot = Some(
            parse_iso_date(&value)
                .ok_or_else(|| (name.clone(), "not a date: expected YYYY-MM-DD"))?,
        );
    }
    let from = from.ok_or_else(|| ("from".to_owned(), "required (YYYY-MM-DD)"))?;
    let to = to.ok_or_else(|| ("to".to_owned(), "required (YYYY-MM-DD)"))?;
    Ok((from, to))
}

/// A CSV writer of RFC 4180 records (CRLF line ends), no automatic header,
/// into a buffer of `capacity` bytes to start with.
fn writer(capacity: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(capacity))
}

fn header_row(columns: &[&str]) -> Bytes {
    let mut csv = writer(0);
    // Writing to memory cannot fail; an error would only drop the header.
    let _ = csv.write_record(columns);
    Bytes::from(csv.into_inner().unwrap_or_default())
}

/// `cell` as a spreadsheet shows it as text: prefixed with `'` when it
/// begins with `=`, `+`, `-`, `@`, a tab or a carriage return, which
/// spreadsheets read as the start of a formula (a username `-2-3` would be
/// computed, `=HYPERLINK(..)` would run). Source: OWASP, "CSV Injection"
/// (https://owasp.org/www-community/attacks/CSV_Injection). Only text
/// cells need it: the numbers, dates and booleans written here never begin
/// with one of these.
pub fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// One sign-ins row as the csv crate writes it.
#[derive(Serialize)]
struct SignInRecord<'a> {
    user_id: i64,
    username: std::borrow::Cow<'a, str>,
    date: String,
    cycle_day: i16,
    streak: i32,
    reward: i64,
    made_up: bool,
    credited: bool,
}

/// The CSV records of `rows`, in order.
pub fn encode_sign_ins(rows: &[SignInExportRow]) -> Result<Bytes, std::io::Error> {
    let mut csv = writer(rows.len() * 48);
    for row in rows {
        csv.serialize(SignInRecord {
            user_id: row.user_id.0,
            username: neutralised(&row.username),
            date: iso_date(row.day),
            cycle_day: row.cycle_day,
            streak: row.streak,
            reward: row.reward,
            made_up: row.made_up,
            credited: row.credited,
        })
        .map_err(std::io::Error::from)?;
    }
    csv.into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

fn csv_response(filename: &str, body: Body) -> Response {
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, CSV.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// A refusal as plain text naming what was wrong.
fn refusal(status: StatusCode, message: &str) -> Response {
    let mut response = (
        status,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

/// A use case's error as an HTTP status: never a detail of an internal one.
fn service_error(error: &ServiceError) -> Response {
    match error {
        ServiceError::Unauthenticated(_) => refusal(
            StatusCode::UNAUTHORIZED,
            "authentication required: send Authorization: Bearer <admin token>",
        ),
        ServiceError::Forbidden => refusal(StatusCode::FORBIDDEN, "admins only"),
        ServiceError::BadInput { input, message } => refusal(
            StatusCode::BAD_REQUEST,
            &format!("{}: {message}", argument_of(*input)),
        ),
        ServiceError::Unavailable(source) => {
            tracing::warn!(error = %source, "export: dependency unavailable");
            refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "a dependency of the service is unavailable; retry later",
            )
        }
        other => {
            tracing::error!(error = %other, "export failed");
            refusal(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserId;

    fn row(username: &str) -> SignInExportRow {
        SignInExportRow {
            user_id: UserId(7),
            username: username.to_owned(),
            day: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            cycle_day: 2,
            streak: 9,
            reward: 10,
            made_up: false,
            credited: true,
        }
    }

    /// RFC 4180: a field with a comma, a quote, a line break (or leading
    /// or trailing space kept as is) is quoted, quotes doubled; records end
    /// with CRLF.
    #[test]
    fn awkward_values_are_quoted_as_rfc_4180_says() {
        for (name, field) in [
            ("ada", "ada"),
            ("o,brien", "\"o,brien\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("cr\rlf", "\"cr\rlf\""),
            (" padded ", " padded "),
            ("zoë", "zoë"),
            ("", ""),
        ] {
            let bytes = encode_sign_ins(&[row(name)]).unwrap();
            assert_eq!(
                std::str::from_utf8(&bytes).unwrap(),
                format!("7,{field},2026-03-01,2,9,10,false,true\r\n"),
                "{name:?}"
            );
        }
    }

    /// OWASP's CSV injection advice: a cell a spreadsheet would read as a
    /// formula is written with a leading `'`; nothing else changes.
    #[test]
    fn formula_like_cells_are_written_as_text() {
        for (name, field) in [
            ("-2-3", "'-2-3"),
            ("=1+1", "'=1+1"),
            ("+cmd", "'+cmd"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tab", "'\tab"),
            ("\rcr", "\"'\rcr\""),
            ("a-b", "a-b"),
            ("x=1", "x=1"),
            ("'quoted", "'quoted"),
        ] {
            let bytes = encode_sign_ins(&[row(name)]).unwrap();
            assert_eq!(
                std::str::from_utf8(&bytes).unwrap(),
                format!("7,{field},2026-03-01,2,9,10,false,true\r\n"),
                "{name:?}"
            );
        }
    }

    #[test]
    fn headers_are_the_contracts_columns() {
        assert_eq!(
            header_row(&SIGN_IN_COLUMNS),
            "user_id,username,date,cycle_day,streak,reward,made_up,credited\r\n"
        );
        assert_eq!(
            header_row(&STATS_COLUMNS),
            "date,signed_in,day1,day2,day3,day4,day5,day6,day7,reward_total,make_ups,frozen,milestone_bonus_total\r\n"
        );
    }

    #[test]
    fn the_range_takes_from_and_to_once_each() {
        let parse = |q: &str| range(&format!("/x?{q}").parse::<Uri>().unwrap());
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            parse("from=2026-03-01&to=2026-03-07"),
            Ok((d("2026-03-01"), d("2026-03-07")))
        );
        for (query, parameter) in [
            ("to=2026-03-07", "from"),
            ("from=2026-03-01", "to"),
            ("from=2026-3-1&to=2026-03-07", "from"),
            ("from=2026-03-01&to=tomorrow", "to"),
            ("from=2026-03-01&from=2026-03-02&to=2026-03-07", "from"),
            ("from=2026-03-01&to=2026-03-07&format=xlsx", "format"),
        ] {
            assert_eq!(
                parse(query).map_err(|e| e.0),
                Err(parameter.to_owned()),
                "{query}"
            );
        }
    }
}
