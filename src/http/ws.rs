//! GraphQL over WebSocket (`graphql-transport-ws`). The connection is
//! authenticated from the `connection_init` payload before async-graphql
//! sees it, so that a missing or bad token closes it with the protocol's
//! 4401/4403 codes, and its subscriptions end when the token stops working.

use std::time::Duration;

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::WebSocketUpgrade;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::HttpState;
use crate::graphql::context::RequestAuth;
use crate::service::ServiceError;

/// The client must send `connection_init` within this time.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a connection's token is checked again (deletion, expiry).
const RECHECK_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE: Duration = Duration::from_secs(60);

pub fn upgrade(state: HttpState, upgrade: WebSocketUpgrade, protocol: GraphQLProtocol) -> Response {
    let Ok(slot) = state.ws_slots.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many WebSocket connections",
        )
            .into_response();
    };
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            metrics::gauge!("signin_websocket_connections").increment(1.0);
            serve(state, socket, protocol).await;
            metrics::gauge!("signin_websocket_connections").decrement(1.0);
            drop(slot);
        })
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// The `Authorization` value of a `connection_init` message.
fn init_authorization(message: &Message) -> Option<Option<String>> {
    let text = match message {
        Message::Text(t) => t.as_str().to_owned(),
        Message::Binary(b) => String::from_utf8(b.to_vec()).ok()?,
        _ => return None,
    };
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    if value.get("type")?.as_str()? != "connection_init" {
        return None;
    }
    let payload = value.get("payload");
    let header = payload
        .and_then(|p| p.get("Authorization").or_else(|| p.get("authorization")))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    Some(header)
}

async fn serve(state: HttpState, mut socket: WebSocket, protocol: GraphQLProtocol) {
    let first = match tokio::time::timeout(INIT_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(message))) => message,
        Ok(_) => return,
        Err(_) => return close(&mut socket, 4408, "Connection initialisation timeout").await,
    };
    let Some(authorization) = init_authorization(&first) else {
        return close(&mut socket, 4400, "expected connection_init").await;
    };
    let auth = RequestAuth::from_authorization(authorization.as_deref());
    if !auth.has_token() {
        return close(&mut socket, 4401, "Unauthorized").await;
    }
    let token_header = authorization.unwrap_or_default();
    let identity = match auth.identity(&state.app).await {
        Ok(identity) => identity,
        Err(ServiceError::Unavailable(_)) => {
            return close(&mut socket, 1011, "service unavailable").await
        }
        Err(_) => return close(&mut socket, 4403, "Forbidden").await,
    };
    tracing::debug!(user_id = identity.user_id, "websocket authenticated");

    let mut data = Data::default();
    data.insert(auth);
    let (sink, stream) = socket.split();
    // async-graphql answers the replayed connection_init with its ack.
    let stream = futures::stream::once(async move { Ok(first) }).chain(stream);
    let connection = GraphQLWebSocket::new_with_pair(sink, stream, state.schema.clone(), protocol)
        .with_data(data)
        .keepalive_timeout(KEEPALIVE)
        .serve();

    // The token is checked again now and then: a deleted user, a changed
    // password or an expired token ends the connection and its streams.
    let recheck = async {
        loop {
            tokio::time::sleep(RECHECK_INTERVAL).await;
            let token = RequestAuth::from_authorization(Some(&token_header));
            match token.identity(&state.app).await {
                Ok(_) | Err(ServiceError::Unavailable(_)) => {}
                Err(_) => return,
            }
        }
    };
    tokio::select! {
        _ = connection => {}
        _ = recheck => tracing::debug!(user_id = identity.user_id, "websocket token no longer valid; closed"),
    }
}
