//! GraphQL over WebSocket (`graphql-transport-ws`). The connection is
//! authenticated from the `connection_init` payload before async-graphql
//! sees it, so that a missing or bad token closes it with the protocol's
//! 4401/4403 codes; the token is checked again now and then, so a deleted
//! user's or an expired token's subscriptions end. The server pings every
//! connection; everything sent to a client goes through a bounded buffer.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::WebSocketUpgrade;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use tokio::sync::Semaphore;

use super::HttpState;
use crate::graphql::context::{RequestAuth, SubscriptionSlots};
use crate::service::ServiceError;

/// The client must send `connection_init` within this time.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages waiting to be written to one client before the producer waits.
const OUTGOING_BUFFER: usize = 128;
const PING: &str = r#"{"type":"ping"}"#;
/// Largest message a client may send (a subscription document).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

pub fn upgrade(state: HttpState, upgrade: WebSocketUpgrade, protocol: GraphQLProtocol) -> Response {
    let Ok(slot) = state.ws_slots.clone().try_acquire_owned() else {
        metrics::counter!("signin_websocket_refused_total").increment(1);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many WebSocket connections",
        )
            .into_response();
    };
    // Small per-connection buffers (tungstenite defaults to 128 KiB each
    // way, which is 256 MiB for 1000 idle subscribers) and a bounded
    // message size.
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            metrics::gauge!("signin_websocket_connections").increment(1.0);
            serve(state, socket, protocol).await;
            metrics::gauge!("signin_websocket_connections").decrement(1.0);
            drop(slot);
        })
}

fn close_frame(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// The `Authorization` value of a `connection_init` message (None inside
/// when it has none); None when the message is not a `connection_init`.
fn init_authorization(message: &Message) -> Option<Option<String>> {
    let value: serde_json::Value = match message {
        Message::Text(t) => serde_json::from_str(t.as_str()).ok()?,
        Message::Binary(b) => serde_json::from_slice(b).ok()?,
        _ => return None,
    };
    if value.get("type")?.as_str()? != "connection_init" {
        return None;
    }
    let header = value
        .get("payload")
        .and_then(|p| p.get("Authorization").or_else(|| p.get("authorization")))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    Some(header)
}

async fn serve(state: HttpState, mut socket: WebSocket, protocol: GraphQLProtocol) {
    let first = match tokio::time::timeout(INIT_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(message))) => message,
        Ok(_) => return,
        Err(_) => {
            let _ = socket
                .send(close_frame(4408, "Connection initialisation timeout"))
                .await;
            return;
        }
    };
    let Some(authorization) = init_authorization(&first) else {
        let _ = socket
            .send(close_frame(4400, "expected connection_init"))
            .await;
        return;
    };
    let auth = RequestAuth::from_authorization(authorization.as_deref());
    if !auth.has_token() {
        let _ = socket.send(close_frame(4401, "Unauthorized")).await;
        return;
    }
    let user_id = match auth.identity(&state.app).await {
        Ok(identity) => identity.user_id,
        Err(ServiceError::Unavailable(_)) => {
            let _ = socket.send(close_frame(1011, "service unavailable")).await;
            return;
        }
        Err(_) => {
            let _ = socket.send(close_frame(4403, "Forbidden")).await;
            return;
        }
    };
    let limits = &state.app.config.websocket;
    let mut data = Data::default();
    data.insert(auth);
    data.insert(SubscriptionSlots(Arc::new(Semaphore::new(
        limits.max_subscriptions_per_connection,
    ))));

    let (mut sink, stream) = socket.split();
    let (outgoing, mut queued) = mpsc::channel::<Message>(OUTGOING_BUFFER);
    // The writer owns the socket's sending half: GraphQL messages, pings,
    // and the closing frame all go through it, in order.
    let ping_interval = limits.ping_interval;
    let writer = tokio::spawn(async move {
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
        loop {
            let message = tokio::select! {
                message = queued.next() => match message {
                    Some(m) => m,
                    None => break,
                },
                _ = ping.tick() => Message::Text(PING.into()),
            };
            let closing = matches!(message, Message::Close(_));
            if sink.send(message).await.is_err() || closing {
                break;
            }
        }
        let _ = sink.close().await;
    });

    // async-graphql answers the replayed connection_init with its ack.
    let incoming = futures::stream::once(async move { Ok(first) }).chain(stream);
    let connection =
        GraphQLWebSocket::new_with_pair(outgoing.clone(), incoming, state.api.clone(), protocol)
            .with_data(data)
            .serve();
    let recheck = async {
        loop {
            tokio::time::sleep(limits.recheck_interval).await;
            // A fresh check each time (a request's identity is cached).
            let again = RequestAuth::from_authorization(authorization.as_deref());
            match again.identity(&state.app).await {
                Ok(_) | Err(ServiceError::Unavailable(_)) => {}
                Err(_) => return,
            }
        }
    };
    tokio::select! {
        _ = connection => {}
        _ = recheck => {
            tracing::debug!(user_id = user_id.0, "websocket token no longer valid; closing");
            let mut outgoing = outgoing.clone();
            let _ = outgoing.send(close_frame(4403, "Forbidden")).await;
        }
    }
    drop(outgoing);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
}
