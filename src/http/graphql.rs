//! `/graphql` over HTTP (GET for queries, POST for everything) and the
//! WebSocket upgrade on the same path.

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::header::{ALLOW, AUTHORIZATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{ws, HttpState};
use crate::graphql::context::RequestAuth;

fn auth_of(headers: &HeaderMap) -> RequestAuth {
    RequestAuth::from_authorization(headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()))
}

pub async fn post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let request = match request {
        Ok(r) => r.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    let response = state.schema.execute(request.data(auth_of(&headers))).await;
    GraphQLResponse::from(response).into_response()
}

pub async fn get_or_upgrade(
    State(state): State<HttpState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    protocol: Result<GraphQLProtocol, StatusCode>,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    if let Ok(upgrade) = upgrade {
        return match protocol {
            Ok(protocol) => ws::upgrade(state, upgrade, protocol),
            Err(status) => (
                status,
                "unsupported WebSocket subprotocol; use graphql-transport-ws",
            )
                .into_response(),
        };
    }
    let request = match request {
        Ok(r) => r.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    // GET must not change anything (GraphQL over HTTP; CSRF).
    if operation_type(&request) != Some(OperationType::Query) {
        let body = json!({ "errors": [{
            "message": "only queries may be sent with GET; use POST",
            "extensions": { "code": "BAD_USER_INPUT" }
        }]});
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(ALLOW, "POST")],
            Json(body),
        )
            .into_response();
    }
    let response = state.schema.execute(request.data(auth_of(&headers))).await;
    GraphQLResponse::from(response).into_response()
}

/// The type of the operation the request would run; None when the document
/// does not parse or names no runnable operation (execution reports that).
fn operation_type(request: &async_graphql::Request) -> Option<OperationType> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    match &document.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => match request.operation_name.as_deref() {
            Some(name) => ops.get(name).map(|op| op.node.ty),
            None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
            None => None,
        },
    }
    .or(Some(OperationType::Query))
}
