//! `/graphql` over HTTP per the GraphQL-over-HTTP spec (GET for queries,
//! POST with a JSON body for everything), and the WebSocket upgrade on the
//! same path.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use async_graphql::parser::types::OperationType;
use async_graphql::{Executor, ServerError};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::GraphQLRequest;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, FromRequestParts, State, WebSocketUpgrade};
use axum::http::header::{ACCEPT, ALLOW, AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::{ws, HttpState};
use crate::graphql::api::selected_operation;
use crate::graphql::context::{ClientAddress, RequestAuth, RequestId};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The media type the client asked for: `application/graphql-response+json`
/// when it accepts it (and does not prefer plain JSON), else JSON.
fn wants_graphql_response_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let position = |media: &str| {
        accept
            .split(',')
            .position(|part| part.trim().starts_with(media))
    };
    match (
        position("application/graphql-response+json"),
        position("application/json"),
    ) {
        (Some(g), Some(j)) => g <= j,
        (Some(_), None) => true,
        _ => false,
    }
}

/// A response with no data and one error, for requests refused before
/// execution.
fn request_error(status: StatusCode, headers: &HeaderMap, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_USER_INPUT" } }] });
    let media = if wants_graphql_response_json(headers) {
        GRAPHQL_RESPONSE_JSON
    } else {
        JSON
    };
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(media))],
        body.to_string(),
    )
        .into_response()
}

/// Responses at least this large have their value tree freed on a blocking
/// thread rather than before the answer is sent.
const LARGE_BODY: usize = 256 * 1024;

/// The JSON body of a GraphQL response.
#[derive(Serialize)]
struct ResponseBody<'a> {
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, async_graphql::Value>,
}

/// The HTTP response for an executed request. Every error carries the
/// request id, which is also in the server's log lines for it.
fn respond(
    mut response: async_graphql::Response,
    headers: &HeaderMap,
    request_id: Option<&RequestId>,
) -> Response {
    if let Some(id) = request_id {
        for error in &mut response.errors {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("requestId", id.0.as_str());
        }
    }
    let graphql_json = wants_graphql_response_json(headers);
    // A request error (the document did not parse or validate) has no data
    // and no error with a path: 400 under graphql-response+json. With plain
    // JSON every well-formed request gets 200.
    let request_failed = response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    let status = if graphql_json && request_failed && !response.errors.is_empty() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let media = if graphql_json {
        GRAPHQL_RESPONSE_JSON
    } else {
        JSON
    };
    // Written straight from async-graphql's value tree: errors first (as
    // the GraphQL spec suggests), fields in selection order, and no second
    // tree built on the way. A request that never executed has no data
    // entry at all.
    let body = ResponseBody {
        errors: &response.errors,
        data: (!request_failed).then_some(&response.data),
        extensions: &response.extensions,
    };
    let body = match serde_json::to_vec(&body) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "could not serialise a GraphQL response");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if body.len() >= LARGE_BODY {
        // Freeing a large value tree (an admin's 1000-user history is
        // ~30,000 objects) takes milliseconds; do it off the request path.
        tokio::task::spawn_blocking(move || drop(response));
    }
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(media))],
        body,
    )
        .into_response()
}

/// Where a request comes from: its id (set by the middleware) and the
/// peer's address (when served with connection info).
pub struct Origin {
    request_id: Option<RequestId>,
    peer: Option<SocketAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Origin {
            request_id: parts.extensions.get::<RequestId>().cloned(),
            peer: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        })
    }
}

fn request_data(
    request: async_graphql::Request,
    headers: &HeaderMap,
    origin: Origin,
    state: &HttpState,
) -> async_graphql::Request {
    let auth =
        RequestAuth::from_authorization(headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()));
    let client =
        ClientAddress::from_request(headers, origin.peer, state.app.config.trust_forwarded_for);
    let mut request = request.data(auth).data(client);
    if let Some(id) = origin.request_id {
        request = request.data(id);
    }
    request
}

/// A GraphQL request from its JSON form (a POST body, a WebSocket
/// `subscribe` payload, or GET's parameters): an object with a string
/// `query`, and optionally a string `operationName` and object `variables`
/// and `extensions` (null counts as absent). Err says what is wrong.
pub fn request_from_json(value: serde_json::Value) -> Result<async_graphql::Request, String> {
    if !value.is_object() {
        return Err("a GraphQL request must be a JSON object".to_owned());
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

fn malformed(headers: &HeaderMap, rejection: GraphQLRejection) -> Response {
    let message = format!("malformed GraphQL request: {}", rejection.0);
    request_error(StatusCode::BAD_REQUEST, headers, &message)
}

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    origin: Origin,
    request: async_graphql::Request,
) -> Response {
    let request_id = origin.request_id.clone();
    let request = request_data(request, headers, origin, state);
    respond(
        state.api.execute(request).await,
        headers,
        request_id.as_ref(),
    )
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

pub async fn post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    origin: Origin,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    // Only JSON bodies: a form or multipart post (what a cross-site page
    // can send without a preflight) is refused, so no CSRF.
    if !is_json(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &headers,
            "POST bodies must be application/json",
        );
    }
    let request = match request {
        Ok(r) => r.into_inner(),
        Err(rejection) => return malformed(&headers, rejection),
    };
    execute(&state, &headers, origin, request).await
}

pub async fn get_or_upgrade(
    State(state): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    origin: Origin,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    if let Ok(upgrade) = upgrade {
        return ws::upgrade(state, upgrade);
    }
    let mut request = match request {
        Ok(r) => r.into_inner(),
        Err(rejection) => return malformed(&headers, rejection),
    };
    // GET must not change anything (GraphQL over HTTP; CSRF).
    if method == Method::GET && operation_type(&mut request) != OperationType::Query {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            &headers,
            "only queries may be sent with GET; use POST",
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, &headers, origin, request).await
}

/// The type of the operation the request would run; a document that does
/// not parse or names no runnable operation counts as a query (execution
/// reports the error). The parse is kept in the request, so execution does
/// not parse again.
fn operation_type(request: &mut async_graphql::Request) -> OperationType {
    let operation_name = request.operation_name.clone();
    request
        .parsed_query()
        .ok()
        .and_then(|document| selected_operation(document, operation_name.as_deref()))
        .map_or(OperationType::Query, |op| op.node.ty)
}
