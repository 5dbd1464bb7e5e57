//! Apollo's automatic persisted queries (APQ), as the API reads them: a
//! request's `extensions.persistedQuery` is `{"version": 1, "sha256Hash":
//! "<64 hex digits>"}`. With no query, the hash names a query sent before
//! (to any replica); with a query, the hash must be the query's SHA-256, and
//! the query is stored under it. The store itself is
//! `cache::persisted_queries`; the executor (`api`) ties the two together.

use async_graphql::{ServerError, Value};

use crate::cache::persisted_queries::QueryHash;

/// The extension's name in a request's `extensions`.
pub const EXTENSION: &str = "persistedQuery";
/// The one protocol version there is.
pub const VERSION: i64 = 1;

/// What a request asks of APQ: the hash it gave, or an error saying what
/// is wrong with the extension. Ok(None) when it has no `persistedQuery`
/// (or a null one).
pub fn requested(extensions: &async_graphql::Extensions) -> Result<Option<QueryHash>, ServerError> {
    let fields = match extensions.get(EXTENSION) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(fields)) => fields,
        Some(_) => {
            return Err(bad_input(
                "extensions.persistedQuery must be an object: {\"version\": 1, \"sha256Hash\": \"<SHA-256 of the query, hex>\"}",
            ))
        }
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_i64() == Some(VERSION) => {}
        Some(other) => {
            return Err(bad_input(&format!(
                "Unsupported persisted query version {other}: only version 1 is supported"
            )))
        }
        None => {
            return Err(bad_input(
                "extensions.persistedQuery.version is missing: only version 1 is supported",
            ))
        }
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hex)) => QueryHash::from_hex(hex).map(Some).ok_or_else(|| {
            bad_input("extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits (the query's SHA-256)")
        }),
        _ => Err(bad_input(
            "extensions.persistedQuery.sha256Hash is missing: it is the query's SHA-256, 64 hexadecimal digits",
        )),
    }
}

/// The hash names no query this service knows (or knew): the client sends
/// the query with its hash.
pub fn not_found() -> ServerError {
    with_code(
        ServerError::new("PersistedQueryNotFound", None),
        "PERSISTED_QUERY_NOT_FOUND",
    )
}

/// The hash given with a query is not the query's.
pub fn mismatch(given: &QueryHash) -> ServerError {
    bad_input(&format!(
        "provided sha256Hash {given} does not match the query (the hash is the SHA-256 of the query text, in hex)"
    ))
}

fn bad_input(message: &str) -> ServerError {
    with_code(ServerError::new(message, None), "BAD_USER_INPUT")
}

fn with_code(mut error: ServerError, code: &str) -> ServerError {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(json: serde_json::Value) -> async_graphql::Extensions {
        serde_json::from_value(json).unwrap()
    }

    fn code(error: &ServerError) -> String {
        let value = serde_json::to_value(error).unwrap();
        value["extensions"]["code"].as_str().unwrap().to_owned()
    }

    #[test]
    fn reads_the_extension() {
        let hash = QueryHash::of("{ me { id } }");
        let ok = |json| requested(&extensions(json)).unwrap();
        assert_eq!(ok(serde_json::json!({})), None);
        assert_eq!(ok(serde_json::json!({ "persistedQuery": null })), None);
        assert_eq!(ok(serde_json::json!({ "other": 1 })), None);
        assert_eq!(
            ok(
                serde_json::json!({ "persistedQuery": { "version": 1, "sha256Hash": hash.to_string() } })
            ),
            Some(hash)
        );
    }

    #[test]
    fn refuses_a_malformed_extension_naming_what_is_wrong() {
        let hash = QueryHash::of("{ me { id } }").to_string();
        for (json, says) in [
            (
                serde_json::json!({ "persistedQuery": "x" }),
                "must be an object",
            ),
            (
                serde_json::json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }),
                "Unsupported persisted query version 2",
            ),
            (
                serde_json::json!({ "persistedQuery": { "version": "1", "sha256Hash": hash } }),
                "Unsupported persisted query version",
            ),
            (
                serde_json::json!({ "persistedQuery": { "sha256Hash": hash } }),
                "version is missing",
            ),
            (
                serde_json::json!({ "persistedQuery": { "version": 1 } }),
                "sha256Hash is missing",
            ),
            (
                serde_json::json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
                "64 hexadecimal digits",
            ),
        ] {
            let error = requested(&extensions(json.clone())).expect_err(&json.to_string());
            assert!(error.message.contains(says), "{json}: {}", error.message);
            assert_eq!(code(&error), "BAD_USER_INPUT");
        }
    }

    #[test]
    fn not_found_is_what_apollo_clients_look_for() {
        let error = not_found();
        assert_eq!(error.message, "PersistedQueryNotFound");
        assert_eq!(code(&error), "PERSISTED_QUERY_NOT_FOUND");
        assert_eq!(code(&mismatch(&QueryHash::of("x"))), "BAD_USER_INPUT");
    }
}
