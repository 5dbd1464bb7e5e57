//! `/graphql` over HTTP per the GraphQL-over-HTTP spec (GET for queries,
//! POST with a JSON body for everything), and the WebSocket upgrade on the
//! same path.
//!
//! Requests are read here rather than with async-graphql-axum's
//! `GraphQLRequest` extractor: its GET parsing looks for an
//! `operation_name` parameter instead of the spec's `operationName` (so a
//! GET naming its operation was answered "Operation name required"), and
//! its POST parsing reads `Content-Type` with the `mime` crate, which
//! refuses RFC 9110's optional whitespace (`application/json ;
//! charset=utf-8` was a 400).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::ServerError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State, WebSocketUpgrade};
use axum::http::header::{ACCEPT, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::media::{self, ResponseMedia};
use super::{ws, HttpState};
use crate::graphql::context::{ClientAddress, RequestAuth, RequestId};
use crate::graphql::documents::PreparedDocument;
use crate::graphql::json_fragments::{size, write_data, JsonFragments, Size};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The response media type the client's `Accept` asks for (RFC 9110
/// content negotiation); None when it accepts neither.
fn response_media(headers: &HeaderMap) -> Option<ResponseMedia> {
    let accept = match headers.get(ACCEPT) {
        None => None,
        Some(value) => Some(value.to_str().ok()?),
    };
    media::negotiate(accept)
}

/// Whether the response is `application/graphql-response+json` (a client
/// that accepts neither gets its refusal as JSON).
fn wants_graphql_response_json(headers: &HeaderMap) -> bool {
    response_media(headers) == Some(ResponseMedia::GraphqlResponseJson)
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

/// 406 when the client accepts neither response media type (the
/// GraphQL-over-HTTP spec's recommended answer).
fn not_acceptable(headers: &HeaderMap) -> Option<Response> {
    response_media(headers).is_none().then(|| {
        request_error(
            StatusCode::NOT_ACCEPTABLE,
            headers,
            "the response is application/graphql-response+json or application/json; Accept allows neither",
        )
    })
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

/// Answers whose value tree has at least this many nodes are freed on a
/// blocking thread rather than before the answer is sent: a tree of a
/// 100-user month's history (~3,100 day objects, ~20,000 nodes) took about
/// a tenth of its request's CPU to free, while handing a small one over
/// costs more than freeing it.
const LARGE_TREE: usize = 2_000;

/// The JSON body of a GraphQL response: `errors` first (as the GraphQL
/// spec suggests) when there are any, `data` unless the request never
/// executed, `extensions` when there are any. The data is written by
/// [`write_data`], since it may hold JSON fragments.
fn response_body(
    errors: &[ServerError],
    data: Option<&async_graphql::Value>,
    data_size: Size,
    extensions: &BTreeMap<String, async_graphql::Value>,
) -> Result<Vec<u8>, serde_json::Error> {
    // Room for the fragments and about 16 bytes a node (a history's day
    // tree takes ~12): a large answer is written without growing (and
    // copying) its body on the way.
    let mut body = Vec::with_capacity(256 + data_size.fragment_bytes + 16 * data_size.nodes);
    body.push(b'{');
    if !errors.is_empty() {
        body.extend_from_slice(b"\"errors\":");
        serde_json::to_writer(&mut body, errors)?;
    }
    if let Some(data) = data {
        if body.len() > 1 {
            body.push(b',');
        }
        body.extend_from_slice(b"\"data\":");
        write_data(&mut body, data)?;
    }
    if !extensions.is_empty() {
        if body.len() > 1 {
            body.push(b',');
        }
        body.extend_from_slice(b"\"extensions\":");
        serde_json::to_writer(&mut body, extensions)?;
    }
    body.push(b'}');
    Ok(body)
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
    // Written straight from async-graphql's value tree: fields in
    // selection order, and no second tree built on the way. A request that
    // never executed has no data entry at all.
    let data_size = size(&response.data);
    let body = response_body(
        &response.errors,
        (!request_failed).then_some(&response.data),
        data_size,
        &response.extensions,
    );
    let body = match body {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "could not serialise a GraphQL response");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if data_size.nodes >= LARGE_TREE {
        // Freeing a large value tree takes milliseconds; do it off the
        // request path.
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

/// `request` with what its resolvers need from HTTP: the caller's
/// credentials and address, the request id, and [`JsonFragments`] when
/// `json_fragments` (the document allows them: `respond` writes them as
/// they are).
fn request_data(
    request: async_graphql::Request,
    headers: &HeaderMap,
    origin: Origin,
    state: &HttpState,
    json_fragments: bool,
) -> async_graphql::Request {
    let auth =
        RequestAuth::from_authorization(headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()));
    let client =
        ClientAddress::from_request(headers, origin.peer, state.app.config.trust_forwarded_for);
    let mut request = request.data(auth).data(client);
    if let Some(id) = origin.request_id {
        request = request.data(id);
    }
    if json_fragments {
        request = request.data(JsonFragments);
    }
    request
}

fn malformed(headers: &HeaderMap, reason: &str) -> Response {
    let message = format!("malformed GraphQL request: {reason}");
    request_error(StatusCode::BAD_REQUEST, headers, &message)
}

/// Runs `request` with `document` (what the executor found for it: from
/// the document cache, a persisted query, or an error to answer).
async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    origin: Origin,
    request: async_graphql::Request,
    document: Result<Arc<PreparedDocument>, ServerError>,
) -> Response {
    let request_id = origin.request_id.clone();
    let json_fragments = document.as_ref().is_ok_and(|d| d.json_fragments);
    let request = request_data(request, headers, origin, state, json_fragments);
    respond(
        state.api.execute_document(request, document).await,
        headers,
        request_id.as_ref(),
    )
}

pub async fn post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    origin: Origin,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // Only JSON bodies: a form or multipart post (what a cross-site page
    // can send without a preflight) is refused, so no CSRF.
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if !media::is_json_body(content_type) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &headers,
            "POST bodies must be application/json (UTF-8)",
        );
    }
    if let Some(refusal) = not_acceptable(&headers) {
        return refusal;
    }
    // A body over the limit is refused with 413.
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let request = serde_json::from_slice(&body)
        .map_err(|e| format!("the body is not JSON: {e}"))
        .and_then(request_from_json);
    match request {
        Ok(request) => {
            let document = state.api.document(&request).await;
            execute(&state, &headers, origin, request, document).await
        }
        Err(reason) => malformed(&headers, &reason),
    }
}

/// GET's parameters (GraphQL over HTTP): `variables` and `extensions` are
/// JSON-encoded.
#[derive(Deserialize)]
pub struct GetParameters {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// The request of a GET's query string. An empty `variables` or
/// `extensions` counts as absent; `operationName` is taken as given, so an
/// unknown (or empty) name gets the same error as over POST.
fn get_request(parameters: GetParameters) -> Result<async_graphql::Request, String> {
    let json_parameter = |name: &str, value: Option<String>| match value.filter(|v| !v.is_empty()) {
        None => Ok(serde_json::Value::Null),
        Some(text) => serde_json::from_str(&text)
            .map_err(|_| format!("the {name} parameter must be JSON-encoded")),
    };
    let mut request = serde_json::Map::new();
    if let Some(query) = parameters.query {
        request.insert("query".into(), query.into());
    }
    if let Some(name) = parameters.operation_name {
        request.insert("operationName".into(), name.into());
    }
    request.insert(
        "variables".into(),
        json_parameter("variables", parameters.variables)?,
    );
    request.insert(
        "extensions".into(),
        json_parameter("extensions", parameters.extensions)?,
    );
    request_from_json(serde_json::Value::Object(request))
}

pub async fn get_or_upgrade(
    State(state): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    origin: Origin,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    parameters: Result<Query<GetParameters>, QueryRejection>,
) -> Response {
    if let Ok(upgrade) = upgrade {
        return ws::upgrade(state, upgrade);
    }
    let mut response = get(&state, method, &headers, origin, parameters).await;
    // The answer depends on the caller's token: no shared cache may keep
    // it, and the caller's own need not either (it changes with every
    // sign-in).
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(GET_CACHE_CONTROL));
    response
}

/// `Cache-Control` of every GET answer.
const GET_CACHE_CONTROL: &str = "private, no-store";

async fn get(
    state: &HttpState,
    method: Method,
    headers: &HeaderMap,
    origin: Origin,
    parameters: Result<Query<GetParameters>, QueryRejection>,
) -> Response {
    if let Some(refusal) = not_acceptable(headers) {
        return refusal;
    }
    let request = parameters
        .map_err(|rejection| rejection.body_text())
        .and_then(|Query(parameters)| get_request(parameters));
    let request = match request {
        Ok(request) => request,
        Err(reason) => return malformed(headers, &reason),
    };
    // The document of a persisted query is known only now.
    let document = if method == Method::GET {
        state.api.document_for_reading(&request).await
    } else {
        state.api.document(&request).await
    };
    // GET must not change anything (GraphQL over HTTP; CSRF).
    if method == Method::GET && operation_type(&document, &request) != OperationType::Query {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            headers,
            "only queries may be sent with GET; use POST",
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(state, headers, origin, request, document).await
}

/// The type of the operation the request would run; a document that does
/// not parse or names no runnable operation counts as a query (execution
/// reports the error).
fn operation_type(
    document: &Result<Arc<PreparedDocument>, ServerError>,
    request: &async_graphql::Request,
) -> OperationType {
    document
        .as_ref()
        .ok()
        .and_then(|document| document.operation_type(request.operation_name.as_deref()))
        .unwrap_or(OperationType::Query)
}
