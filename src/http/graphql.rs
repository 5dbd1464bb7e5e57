//! `/graphql` over HTTP per the GraphQL-over-HTTP spec (GET for queries,
//! POST with a JSON body for everything), and the WebSocket upgrade on the
//! same path.
//!
//! Requests are read by async-graphql-axum's `GraphQLRequest` extractor.
//! [`conformance`], a layer before it, does what the extractor does
//! otherwise than the spec asks:
//! - its GET parsing (`async_graphql::http::parse_query_string`) reads an
//!   `operation_name` parameter instead of the spec's `operationName`, and
//!   refuses an empty `variables`; the layer renames the one and drops the
//!   other; and it reads any method but GET (HEAD included) as a POST
//!   body, so HEAD reaches it as the GET it is answered like;
//! - its POST parsing reads `Content-Type` with the `mime` crate, which
//!   refuses RFC 9110's optional whitespace (`application/json ;
//!   charset=utf-8` was a 400), and takes any media type as JSON; the layer
//!   checks the media type itself (415) and hands on plain
//!   `application/json`;
//! - it answers neither 406 for an `Accept` it cannot meet nor 413 for a
//!   body over the limit (a limited body's error is an I/O error to it).
//!
//! The answer is written here (not with `GraphQLResponse`, which always
//! writes `data` and always says `application/graphql-response+json`): the
//! negotiated media type, 400 for a request error under
//! `application/graphql-response+json`, and no `data` when nothing ran.

use std::net::SocketAddr;

use async_graphql::{Executor, ParseRequestError, ServerError};
use async_graphql_axum::GraphQLRequest;
use axum::body::{Body, Bytes};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State, WebSocketUpgrade};
use axum::http::header::{ACCEPT, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::media::{self, ResponseMedia};
use super::{ws, HttpState};
use crate::graphql::api::is_request_error;
use crate::graphql::context::{ClientAddress, RequestAuth, RequestId, SessionTransport};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";
/// `Cache-Control` of every GET answer: it depends on the caller's token,
/// so no shared cache may keep it, and the caller's own need not either
/// (it changes with every sign-in).
const GET_CACHE_CONTROL: &str = "private, no-store";

/// The response media type the client's `Accept` asks for (RFC 9110
/// content negotiation); None when it accepts neither.
fn response_media(headers: &HeaderMap) -> Option<ResponseMedia> {
    let accept = match headers.get(ACCEPT) {
        None => None,
        Some(value) => Some(value.to_str().ok()?),
    };
    media::negotiate(accept)
}

fn media_type(headers: &HeaderMap) -> &'static str {
    match response_media(headers) {
        Some(ResponseMedia::GraphqlResponseJson) => GRAPHQL_RESPONSE_JSON,
        _ => JSON,
    }
}

/// A response with no data and one error, for requests refused before
/// execution.
fn request_error(status: StatusCode, headers: &HeaderMap, message: &str) -> Response {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", "BAD_USER_INPUT");
    let body = Answer {
        errors: std::slice::from_ref(&error),
        data: None,
        extensions: None,
    };
    written(status, headers, &body)
}

/// The body of a GraphQL answer: `errors` first (as the GraphQL spec
/// suggests) when there are any, `data` unless the request never executed,
/// `extensions` when there are any.
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extensions: Option<&'a std::collections::BTreeMap<String, async_graphql::Value>>,
}

fn written(status: StatusCode, headers: &HeaderMap, body: &Answer<'_>) -> Response {
    written_sized(status, headers, body, 0)
}

/// As [`written`], for an answer of about `nodes` values: the body is sized
/// up front (about 16 bytes a value; a 100-user month's history is ~20,000
/// values), so a large answer is not copied as it grows.
fn written_sized(
    status: StatusCode,
    headers: &HeaderMap,
    body: &Answer<'_>,
    nodes: usize,
) -> Response {
    let mut bytes = Vec::with_capacity(256 + 16 * nodes);
    match serde_json::to_writer(&mut bytes, body).map(|()| bytes) {
        Ok(bytes) => (
            status,
            [(CONTENT_TYPE, HeaderValue::from_static(media_type(headers)))],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "could not serialise a GraphQL response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
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
    // A request error (the document did not parse or validate) has no data
    // and no error with a path: 400 under graphql-response+json. With plain
    // JSON every well-formed request gets 200.
    let request_failed = is_request_error(&response);
    let status = if request_failed && media_type(headers) == GRAPHQL_RESPONSE_JSON {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let nodes = values_in(&response.data);
    let body = Answer {
        errors: &response.errors,
        data: (!request_failed).then_some(&response.data),
        extensions: (!response.extensions.is_empty()).then_some(&response.extensions),
    };
    let mut answer = written_sized(status, headers, &body, nodes);
    // Headers a resolver set (the session cookie).
    answer
        .headers_mut()
        .extend(std::mem::take(&mut response.http_headers));
    // The value tree is freed here, in the request's own task. Freeing a
    // large one on a blocking thread instead, to take it off the request's
    // path, measured slower even at one connection: 179 against 197 req/s
    // for a 100-user month's history (bench/results/issue23-drop-inline).
    // mimalloc frees another thread's blocks through an atomic list that
    // their own thread collects later, and the answer's shared key names
    // were counted down there while the next answer counted them up.
    drop(response);
    answer
}

/// How many values `data` holds (the server's own answer, walked without
/// recursion).
fn values_in(data: &async_graphql::Value) -> usize {
    let mut pending = vec![data];
    let mut count = 0;
    while let Some(value) = pending.pop() {
        count += 1;
        match value {
            async_graphql::Value::List(items) => pending.extend(items),
            async_graphql::Value::Object(fields) => pending.extend(fields.values()),
            _ => {}
        }
    }
    count
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

/// A request async-graphql-axum could not read, answered by the handler
/// (which knows the media type the client accepts).
pub struct Unreadable(ParseRequestError);

impl From<ParseRequestError> for Unreadable {
    fn from(error: ParseRequestError) -> Self {
        Unreadable(error)
    }
}

impl IntoResponse for Unreadable {
    fn into_response(self) -> Response {
        malformed(&HeaderMap::new(), &self)
    }
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            ParseRequestError::InvalidRequest(error) => write!(f, "{error}"),
            ParseRequestError::UnsupportedBatch => {
                f.write_str("a GraphQL request must be a JSON object (batches are not served)")
            }
            other => write!(f, "{other}"),
        }
    }
}

fn malformed(headers: &HeaderMap, reason: &impl std::fmt::Display) -> Response {
    let message = format!("malformed GraphQL request: {reason}");
    request_error(StatusCode::BAD_REQUEST, headers, &message)
}

/// The layer before async-graphql-axum's extractor (see the module's
/// doc): content negotiation, the request body's media type and size, and
/// GET's parameter names. A WebSocket upgrade passes through.
pub async fn conformance(request: Request, next: Next) -> Response {
    if request.headers().contains_key(axum::http::header::UPGRADE) {
        return next.run(request).await;
    }
    if response_media(request.headers()).is_none() {
        // 406 when the client accepts neither response media type (the
        // GraphQL-over-HTTP spec's recommended answer).
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            request.headers(),
            "the response is application/graphql-response+json or application/json; Accept allows neither",
        );
    }
    let (mut parts, body) = request.into_parts();
    if parts.method == Method::POST {
        // Only JSON bodies: a form or multipart post (what a cross-site
        // page can send without a preflight) is refused, so no CSRF.
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !media::is_json_body(content_type) {
            return request_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &parts.headers,
                "POST bodies must be application/json (UTF-8)",
            );
        }
        parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        // A body over the limit is refused with 413 here.
        let body = match Bytes::from_request(Request::new(body), &()).await {
            Ok(body) => body,
            Err(rejection) => return rejection.into_response(),
        };
        return next.run(Request::from_parts(parts, Body::from(body))).await;
    }
    if parts.method == Method::HEAD {
        // axum answers HEAD with GET's handler (and no body); the
        // extractor reads any method but GET as a POST body.
        parts.method = Method::GET;
    }
    match spec_parameters(&parts.uri) {
        Ok(Some(uri)) => parts.uri = uri,
        Ok(None) => {}
        Err(reason) => return malformed(&parts.headers, &reason),
    }
    next.run(Request::from_parts(parts, body)).await
}

/// GET's query string as async-graphql's parser reads it: `operationName`
/// named `operation_name`, and an empty `variables` or `extensions`
/// (absent, to the spec) left out. None when nothing needs to change.
fn spec_parameters(uri: &Uri) -> Result<Option<Uri>, String> {
    let Some(query) = uri.query() else {
        return Ok(None);
    };
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| format!("the query string: {e}"))?;
    let changes = |(name, value): &(String, String)| {
        name == "operationName"
            || (value.is_empty() && (name == "variables" || name == "extensions"))
    };
    if !pairs.iter().any(changes) {
        return Ok(None);
    }
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(name, value)| {
            !(value.is_empty() && (name == "variables" || name == "extensions"))
        })
        .map(|(name, value)| match name.as_str() {
            "operationName" => ("operation_name".to_owned(), value),
            _ => (name, value),
        })
        .collect();
    let query = serde_urlencoded::to_string(&pairs).map_err(|e| e.to_string())?;
    Uri::builder()
        .path_and_query(format!("{}?{query}", uri.path()))
        .build()
        .map(Some)
        .map_err(|e| e.to_string())
}

/// `request` with what its resolvers need from HTTP: the caller's
/// credentials and address, and the request id.
fn request_data(
    request: async_graphql::Request,
    headers: &HeaderMap,
    origin: &Origin,
    state: &HttpState,
) -> async_graphql::Request {
    let auth =
        RequestAuth::from_authorization(headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()));
    let mut request = request
        .data(auth)
        .data(SessionTransport::from_headers(headers))
        .data(client_address(headers, origin, state));
    if let Some(id) = origin.request_id.clone() {
        request = request.data(id);
    }
    request
}

fn client_address(headers: &HeaderMap, origin: &Origin, state: &HttpState) -> ClientAddress {
    ClientAddress::from_request(headers, origin.peer, state.app.config.trust_forwarded_for)
}

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    origin: Origin,
    request: async_graphql::Request,
) -> Response {
    let request = request_data(request, headers, &origin, state);
    respond(
        state.api.execute(request).await,
        headers,
        origin.request_id.as_ref(),
    )
}

pub async fn post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    origin: Origin,
    request: Result<GraphQLRequest<Unreadable>, Unreadable>,
) -> Response {
    match request {
        Ok(request) => execute(&state, &headers, origin, request.into_inner()).await,
        Err(reason) => malformed(&headers, &reason),
    }
}

/// GET (and HEAD, which axum answers with GET's handler and no body): a
/// query, or the WebSocket upgrade.
pub async fn get_or_upgrade(
    State(state): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    origin: Origin,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    request: Result<GraphQLRequest<Unreadable>, Unreadable>,
) -> Response {
    if let Ok(upgrade) = upgrade {
        let client = client_address(&headers, &origin, &state);
        return ws::upgrade(state, upgrade, client);
    }
    let mut response = match request {
        Ok(request) => get(&state, &method, &headers, origin, request.into_inner()).await,
        Err(reason) => malformed(&headers, &reason),
    };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(GET_CACHE_CONTROL));
    response
}

async fn get(
    state: &HttpState,
    method: &Method,
    headers: &HeaderMap,
    origin: Origin,
    request: async_graphql::Request,
) -> Response {
    // GET (and HEAD) must not change anything (GraphQL over HTTP; CSRF).
    let request = request_data(request, headers, &origin, state);
    match state.api.execute_if_query(request).await {
        Some(response) => respond(response, headers, origin.request_id.as_ref()),
        None => {
            tracing::debug!(%method, "refused a mutation or subscription sent with GET");
            let mut response = request_error(
                StatusCode::METHOD_NOT_ALLOWED,
                headers,
                "only queries may be sent with GET; use POST",
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            response
        }
    }
}
