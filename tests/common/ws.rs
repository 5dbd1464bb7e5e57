//! A small graphql-transport-ws client for tests.

#![allow(dead_code)]

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct GqlWs {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Server pings seen (and answered).
    pub pings: usize,
}

/// How a connection ended, as the client saw it.
#[derive(Debug, PartialEq, Eq)]
pub enum Closed {
    Code(u16),
    Dropped,
}

impl GqlWs {
    /// Connects and sends `connection_init` with the token (if any); Ok once
    /// acknowledged, Err with the close code otherwise.
    pub async fn connect(port: u16, token: Option<&str>) -> Result<GqlWs, Closed> {
        let request = super::common::upgrade_request(port);
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|_| Closed::Dropped)?;
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        let mut ws = GqlWs { socket, pings: 0 };
        let payload = match token {
            Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
            None => json!({}),
        };
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        match ws.next_message(Duration::from_secs(10)).await {
            Ok(m) if m["type"] == "connection_ack" => Ok(ws),
            Ok(other) => panic!("unexpected reply to connection_init: {other}"),
            Err(closed) => Err(closed),
        }
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
    }

    /// The next GraphQL message (pings are answered and skipped).
    pub async fn next_message(&mut self, timeout: Duration) -> Result<Value, Closed> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Err(Closed::Dropped),
                Ok(None) | Ok(Some(Err(_))) => return Err(Closed::Dropped),
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(text.as_str()).unwrap();
                    if value["type"] == "ping" {
                        self.pings += 1;
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Ok(value);
                }
                Message::Close(frame) => {
                    return Err(frame
                        .map(|f| Closed::Code(f.code.into()))
                        .unwrap_or(Closed::Dropped))
                }
                _ => continue,
            }
        }
    }

    /// The payload of the next `next` message for subscription `id`, or None
    /// if nothing arrives in time.
    pub async fn next_data(&mut self, id: &str, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next_message(left).await.ok()?;
            if message["id"] == id && message["type"] == "next" {
                return Some(message["payload"].clone());
            }
        }
    }

    /// Waits for the server to close the connection; returns the code.
    pub async fn closed(&mut self, timeout: Duration) -> Closed {
        loop {
            match self.next_message(timeout).await {
                Ok(_) => continue,
                Err(closed) => return closed,
            }
        }
    }
}
