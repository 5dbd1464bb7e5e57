//! GraphQL over WebSocket: the `graphql-transport-ws` protocol of the
//! graphql-ws library (its PROTOCOL.md), served by this module's own message
//! loop.
//!
//! async-graphql's protocol handler (`async_graphql::http::WebSocket`, used
//! through async-graphql-axum) is not used: it silently replaces a running
//! subscription when a second `subscribe` reuses its id (the protocol closes
//! with 4409), closes a `subscribe` before the acknowledgement with 1011
//! (4401), closes invalid messages with 1002 and the JSON error as the
//! reason (4400, and the reason may exceed a close frame's 123 bytes), sends
//! GraphQL request errors as `next` (the protocol's `error` message), and
//! answers a client's `complete` with a `complete` of its own.
//!
//! The connection is authenticated from the `connection_init` payload
//! (`{"Authorization": "Bearer <token>"}`): no token closes it with 4401, a
//! bad one with 4403; the token is checked again now and then, so a deleted
//! user's or an expired token's subscriptions end (4403). The server pings
//! every connection; everything sent to a client goes through a bounded
//! buffer and one writer task.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_graphql::{Data, Executor, Response};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::WebSocketUpgrade;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use super::HttpState;
use crate::auth::Identity;
use crate::graphql::context::{RequestAuth, SubscriptionSlots};
use crate::service::ServiceError;
use crate::state::AppState;

/// The only subprotocol served.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// The client must send `connection_init` within this time.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages waiting to be written to one client before the producer waits.
const OUTGOING_BUFFER: usize = 128;
const PING: &str = r#"{"type":"ping"}"#;
/// Largest message a client may send (a subscription document).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest close reason: a close frame's payload is at most 125 bytes, two
/// of which are the code (RFC 6455 §5.5).
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// The protocol's close codes (and this service's own).
pub mod close {
    /// The message is not a valid protocol message.
    pub const BAD_REQUEST: u16 = 4400;
    /// `subscribe` before `connection_ack`, or no token in `connection_init`.
    pub const UNAUTHORIZED: u16 = 4401;
    /// The token is not (or no longer) valid.
    pub const FORBIDDEN: u16 = 4403;
    /// The client did not ask for `graphql-transport-ws`.
    pub const SUBPROTOCOL_NOT_ACCEPTABLE: u16 = 4406;
    /// No `connection_init` in time.
    pub const INIT_TIMEOUT: u16 = 4408;
    /// A `subscribe` with the id of an operation still running.
    pub const SUBSCRIBER_EXISTS: u16 = 4409;
    /// A second `connection_init`.
    pub const TOO_MANY_INITS: u16 = 4429;
    /// A dependency of the service (PostgreSQL, Redis) is unavailable; the
    /// client may reconnect later. This service's own code: graphql-ws
    /// clients treat 4500 and the 1xxx internal errors (1011) as fatal, but
    /// retry other 4xxx codes.
    pub const UNAVAILABLE: u16 = 4503;
    /// The server failed (graphql-ws's InternalServerError).
    pub const INTERNAL: u16 = 4500;
}

/// Accepts the upgrade (or refuses it when the process has no free
/// connection slot). A client that does not offer `graphql-transport-ws`
/// is closed with 4406 once upgraded.
pub fn upgrade(state: HttpState, upgrade: WebSocketUpgrade) -> HttpResponse {
    let Ok(slot) = state.ws_slots.clone().try_acquire_owned() else {
        metrics::counter!("signin_websocket_refused_total").increment(1);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many WebSocket connections",
        )
            .into_response();
    };
    let upgrade = upgrade.protocols([PROTOCOL]);
    let accepted = upgrade
        .selected_protocol()
        .is_some_and(|p| p == HeaderValue::from_static(PROTOCOL));
    // Small per-connection buffers (tungstenite defaults to 128 KiB each
    // way, which is 256 MiB for 1000 idle subscribers) and a bounded
    // message size.
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            metrics::gauge!("signin_websocket_connections").increment(1.0);
            serve(state, socket, accepted).await;
            metrics::gauge!("signin_websocket_connections").decrement(1.0);
            drop(slot);
        })
}

/// A close frame with `code` and `reason`; a reason too long for a close
/// frame is replaced by `fallback` (which must fit).
fn close_frame(code: u16, reason: &str, fallback: &'static str) -> Message {
    let reason = if reason.len() <= MAX_CLOSE_REASON_BYTES {
        reason
    } else {
        fallback
    };
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Why the connection is being closed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// The close code.
    pub code: u16,
    /// The close reason, for people.
    pub reason: String,
}

impl Closing {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Closing {
            code,
            reason: reason.into(),
        }
    }

    fn invalid(reason: impl Into<String>) -> Self {
        Closing::new(close::BAD_REQUEST, reason)
    }

    fn frame(&self) -> Message {
        let fallback = match self.code {
            close::SUBSCRIBER_EXISTS => "Subscriber already exists",
            close::BAD_REQUEST => "Invalid message received",
            _ => "",
        };
        close_frame(self.code, &self.reason, fallback)
    }
}

/// A message from the client, checked against the protocol's shapes.
#[derive(Debug)]
pub enum ClientMessage {
    /// `connection_init`, with the `Authorization` value of its payload.
    ConnectionInit {
        /// `payload.Authorization` (or `authorization`), when a string.
        authorization: Option<String>,
    },
    /// `ping`, with its payload (echoed in the `pong`).
    Ping {
        /// An object, or None when absent or null.
        payload: Option<Value>,
    },
    /// `pong` (ignored).
    Pong,
    /// `subscribe`: start the operation `request` under `id`.
    Subscribe {
        /// The operation's id, unique among the connection's running ones.
        id: String,
        /// The GraphQL request of the payload.
        request: Box<async_graphql::Request>,
    },
    /// `complete`: the client stops listening to operation `id`.
    Complete {
        /// The operation's id.
        id: String,
    },
}

/// An optional `payload` that must be an object when present and not null.
fn optional_object(message: &Map<String, Value>, kind: &str) -> Result<Option<Value>, Closing> {
    match message.get("payload") {
        None | Some(Value::Null) => Ok(None),
        Some(payload @ Value::Object(_)) => Ok(Some(payload.clone())),
        Some(_) => Err(Closing::invalid(format!(
            "\"{kind}\" message expects the 'payload' property to be an object or nullish or missing"
        ))),
    }
}

/// The message's non-empty string `id`.
fn message_id(message: &Map<String, Value>, kind: &str) -> Result<String, Closing> {
    match message.get("id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
        _ => Err(Closing::invalid(format!(
            "\"{kind}\" message requires a non-empty string 'id' property"
        ))),
    }
}

impl ClientMessage {
    /// Parses one text message; Err is the close the protocol asks for
    /// (4400 for anything that is not a valid client message).
    pub fn parse(text: &str) -> Result<ClientMessage, Closing> {
        let value: Value = serde_json::from_str(text)
            .map_err(|_| Closing::invalid("Message is not valid JSON"))?;
        let Value::Object(message) = value else {
            return Err(Closing::invalid("Message must be a JSON object"));
        };
        let kind = match message.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            _ => return Err(Closing::invalid("Message is missing the 'type' property")),
        };
        match kind {
            "connection_init" => {
                let payload = optional_object(&message, kind)?;
                let authorization = payload.as_ref().and_then(|p| {
                    p.get("Authorization")
                        .or_else(|| p.get("authorization"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
                Ok(ClientMessage::ConnectionInit { authorization })
            }
            "ping" => Ok(ClientMessage::Ping {
                payload: optional_object(&message, kind)?,
            }),
            "pong" => {
                optional_object(&message, kind)?;
                Ok(ClientMessage::Pong)
            }
            "subscribe" => {
                let id = message_id(&message, kind)?;
                let payload =
                    match message.get("payload") {
                        Some(payload @ Value::Object(_)) => payload.clone(),
                        _ => return Err(Closing::invalid(
                            "\"subscribe\" message expects the 'payload' property to be an object",
                        )),
                    };
                let request = super::graphql::request_from_json(payload).map_err(|reason| {
                    Closing::invalid(format!("Invalid subscribe payload: {reason}"))
                })?;
                Ok(ClientMessage::Subscribe {
                    id,
                    request: Box::new(request),
                })
            }
            "complete" => Ok(ClientMessage::Complete {
                id: message_id(&message, kind)?,
            }),
            "connection_ack" | "next" | "error" => Err(Closing::invalid(format!(
                "Unexpected message of type {kind} received"
            ))),
            _ => Err(Closing::invalid("Invalid message type")),
        }
    }
}

/// A message to the client.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessage<'a> {
    ConnectionAck,
    Pong {
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<&'a Value>,
    },
    Next {
        id: &'a str,
        payload: &'a Response,
    },
    Error {
        id: &'a str,
        payload: &'a [async_graphql::ServerError],
    },
    Complete {
        id: &'a str,
    },
}

impl ServerMessage<'_> {
    fn to_frame(&self) -> Result<Message, Closing> {
        serde_json::to_string(self)
            .map(|text| Message::Text(text.into()))
            .map_err(|error| {
                tracing::error!(%error, "could not serialise a WebSocket message");
                Closing::new(close::INTERNAL, "Internal server error")
            })
    }
}

/// A request error (the document did not parse or validate, a limit was
/// exceeded): no data, and no error with a path. Sent as `error`.
fn is_request_error(response: &Response) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The connection's running operations by id. A removed operation's stream
/// is dropped at once (with its subscription slot).
#[derive(Default)]
struct Operations(HashMap<String, BoxStream<'static, Response>>);

impl Operations {
    /// The next response of any operation, or the id of one that ended.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<(String, Option<Response>)> {
        let mut ended = None;
        for (id, stream) in &mut self.0 {
            match stream.poll_next_unpin(cx) {
                Poll::Ready(Some(response)) => return Poll::Ready((id.clone(), Some(response))),
                Poll::Ready(None) => {
                    ended = Some(id.clone());
                    break;
                }
                Poll::Pending => {}
            }
        }
        match ended {
            Some(id) => {
                self.0.remove(&id);
                Poll::Ready((id, None))
            }
            None => Poll::Pending,
        }
    }
}

/// Where the connection is in the protocol.
enum Phase {
    /// No `connection_init` yet.
    AwaitingInit,
    /// `connection_init` received, its token being checked.
    Authenticating(BoxFuture<'static, (RequestAuth, Result<Identity, ServiceError>)>),
    /// `connection_ack` sent: operations may run with this session data.
    Acknowledged(Arc<Data>),
}

/// A future that never completes (a `select!` branch that is off).
fn never() -> BoxFuture<'static, ()> {
    futures::future::pending().boxed()
}

/// Checks the token now and then; completes when it is no longer valid.
fn recheck(
    app: Arc<AppState>,
    authorization: String,
    interval: Duration,
) -> BoxFuture<'static, ()> {
    async move {
        loop {
            tokio::time::sleep(interval).await;
            // A fresh check each time (a request's identity is cached).
            let again = RequestAuth::from_authorization(Some(&authorization));
            match again.identity(&app).await {
                Ok(_) | Err(ServiceError::Unavailable(_)) => {}
                Err(_) => return,
            }
        }
    }
    .boxed()
}

/// The state of one connection's message loop.
struct Connection {
    app: Arc<AppState>,
    api: crate::graphql::GraphqlApi,
    outgoing: mpsc::Sender<Message>,
    phase: Phase,
    authorization: Option<String>,
    operations: Operations,
}

/// Why the message loop ends early.
#[derive(Debug)]
enum End {
    /// The server closes the connection.
    Close(Closing),
    /// The socket is gone (the writer stopped): nothing more to say.
    Gone,
}

impl From<Closing> for End {
    fn from(closing: Closing) -> Self {
        End::Close(closing)
    }
}

impl Connection {
    async fn reply(&mut self, message: ServerMessage<'_>) -> Result<(), End> {
        let frame = message.to_frame()?;
        self.outgoing.send(frame).await.map_err(|_| End::Gone)
    }

    /// Handles one WebSocket frame from the client; Err closes the
    /// connection.
    async fn on_frame(&mut self, frame: Message) -> Result<(), End> {
        let text = match &frame {
            Message::Text(text) => text.as_str(),
            // The protocol's messages are JSON text; a binary frame holding
            // UTF-8 JSON is read like a text frame (as the graphql-ws
            // server does), anything else is invalid.
            Message::Binary(bytes) => std::str::from_utf8(bytes)
                .map_err(|_| Closing::invalid("Binary message is not UTF-8 JSON"))?,
            // WebSocket-level pings are answered by axum; a close ends the loop.
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => return Ok(()),
        };
        match ClientMessage::parse(text)? {
            ClientMessage::ConnectionInit { authorization } => {
                if !matches!(self.phase, Phase::AwaitingInit) {
                    return Err(Closing::new(
                        close::TOO_MANY_INITS,
                        "Too many initialisation requests",
                    )
                    .into());
                }
                let auth = RequestAuth::from_authorization(authorization.as_deref());
                if !auth.has_token() {
                    return Err(Closing::new(close::UNAUTHORIZED, "Unauthorized").into());
                }
                self.authorization = authorization;
                let app = self.app.clone();
                self.phase = Phase::Authenticating(
                    async move {
                        let identity = auth.identity(&app).await;
                        (auth, identity)
                    }
                    .boxed(),
                );
                Ok(())
            }
            ClientMessage::Ping { payload } => {
                self.reply(ServerMessage::Pong {
                    payload: payload.as_ref(),
                })
                .await
            }
            ClientMessage::Pong => Ok(()),
            ClientMessage::Subscribe { id, request } => {
                let Phase::Acknowledged(data) = &self.phase else {
                    return Err(Closing::new(close::UNAUTHORIZED, "Unauthorized").into());
                };
                if self.operations.0.contains_key(&id) {
                    return Err(Closing::new(
                        close::SUBSCRIBER_EXISTS,
                        format!("Subscriber for {id} already exists"),
                    )
                    .into());
                }
                let stream = self.api.execute_stream(*request, Some(data.clone()));
                self.operations.0.insert(id, stream);
                Ok(())
            }
            ClientMessage::Complete { id } => {
                // The client stops listening: nothing more is sent for it,
                // not even a `complete`. An unknown id is ignored.
                self.operations.0.remove(&id);
                Ok(())
            }
        }
    }

    /// The token check of `connection_init` finished.
    async fn on_authenticated(
        &mut self,
        auth: RequestAuth,
        identity: Result<Identity, ServiceError>,
    ) -> Result<(), End> {
        match identity {
            Ok(_) => {}
            Err(ServiceError::Unavailable(_)) => {
                return Err(
                    Closing::new(close::UNAVAILABLE, "Service unavailable; retry later").into(),
                )
            }
            Err(_) => return Err(Closing::new(close::FORBIDDEN, "Forbidden").into()),
        }
        let limits = &self.app.config.websocket;
        let mut data = Data::default();
        data.insert(auth);
        data.insert(SubscriptionSlots(Arc::new(Semaphore::new(
            limits.max_subscriptions_per_connection,
        ))));
        self.phase = Phase::Acknowledged(Arc::new(data));
        self.reply(ServerMessage::ConnectionAck).await
    }

    /// An operation answered, or ended.
    async fn on_operation(&mut self, id: String, response: Option<Response>) -> Result<(), End> {
        match response {
            None => self.reply(ServerMessage::Complete { id: &id }).await,
            Some(response) if is_request_error(&response) => {
                // `error` ends the operation: no `complete` follows.
                self.operations.0.remove(&id);
                self.reply(ServerMessage::Error {
                    id: &id,
                    payload: &response.errors,
                })
                .await
            }
            Some(response) => {
                self.reply(ServerMessage::Next {
                    id: &id,
                    payload: &response,
                })
                .await
            }
        }
    }
}

async fn serve(state: HttpState, socket: WebSocket, accepted: bool) {
    let limits = &state.app.config.websocket;
    let (mut sink, mut incoming) = socket.split();
    let (outgoing, mut queued) = mpsc::channel::<Message>(OUTGOING_BUFFER);
    // The writer owns the socket's sending half: protocol messages, pings,
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

    let mut connection = Connection {
        app: state.app.clone(),
        api: state.api.clone(),
        outgoing,
        phase: Phase::AwaitingInit,
        authorization: None,
        operations: Operations::default(),
    };
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(init_deadline);
    let mut rechecking = never();
    let end: End = if !accepted {
        Closing::new(
            close::SUBPROTOCOL_NOT_ACCEPTABLE,
            "Subprotocol not acceptable",
        )
        .into()
    } else {
        loop {
            let awaiting_init = matches!(connection.phase, Phase::AwaitingInit);
            let phase = &mut connection.phase;
            let authenticating = async move {
                match phase {
                    Phase::Authenticating(future) => future.await,
                    _ => futures::future::pending().await,
                }
            };
            let operations = &mut connection.operations;
            let next_response = std::future::poll_fn(|cx| operations.poll_next(cx));
            // Biased, in this order: the token recheck and the init
            // deadline cannot be starved by a client that keeps sending;
            // frames already received are handled before the result of the
            // token check (a `subscribe` sent before the client could have
            // seen the `connection_ack` is refused with 4401, whatever the
            // timing); a client that floods only delays its own results.
            let step = tokio::select! {
                biased;
                () = &mut rechecking => {
                    tracing::debug!("websocket token no longer valid; closing");
                    Err(Closing::new(close::FORBIDDEN, "Forbidden").into())
                },
                () = &mut init_deadline, if awaiting_init => {
                    Err(Closing::new(close::INIT_TIMEOUT, "Connection initialisation timeout").into())
                },
                frame = incoming.next() => match frame {
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Err(End::Gone),
                    Some(Ok(frame)) => connection.on_frame(frame).await,
                },
                (auth, identity) = authenticating => {
                    let acknowledged = connection.on_authenticated(auth, identity).await;
                    if let (Ok(()), Some(authorization)) = (&acknowledged, &connection.authorization) {
                        rechecking = recheck(
                            connection.app.clone(),
                            authorization.clone(),
                            limits.recheck_interval,
                        );
                    }
                    acknowledged
                },
                (id, response) = next_response => connection.on_operation(id, response).await,
            };
            if let Err(end) = step {
                break end;
            }
        }
    };
    // Operations end (and free their slots) before the goodbye.
    let Connection { mut outgoing, .. } = connection;
    if let End::Close(closing) = end {
        let _ = outgoing.send(closing.frame()).await;
    }
    drop(outgoing);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closes_with(text: &str) -> u16 {
        match ClientMessage::parse(text) {
            Err(closing) => closing.code,
            Ok(message) => panic!("{text} parsed as {message:?}"),
        }
    }

    #[test]
    fn invalid_messages_close_with_4400() {
        for text in [
            "",
            "not json",
            "[]",
            "42",
            r#"{}"#,
            r#"{"type":42}"#,
            r#"{"type":"unknown"}"#,
            r#"{"type":"connection_init","payload":"token"}"#,
            r#"{"type":"ping","payload":[1]}"#,
            r#"{"type":"pong","payload":1}"#,
            r#"{"type":"subscribe","payload":{"query":"{ me { id } }"}}"#,
            r#"{"type":"subscribe","id":"","payload":{"query":"{ me { id } }"}}"#,
            r#"{"type":"subscribe","id":7,"payload":{"query":"{ me { id } }"}}"#,
            r#"{"type":"subscribe","id":"a"}"#,
            r#"{"type":"subscribe","id":"a","payload":"{ me { id } }"}"#,
            r#"{"type":"subscribe","id":"a","payload":{"query":7}}"#,
            r#"{"type":"subscribe","id":"a","payload":{"query":"{ a }","variables":[]}}"#,
            r#"{"type":"subscribe","id":"a","payload":{"query":"{ a }","operationName":1}}"#,
            r#"{"type":"subscribe","id":"a","payload":{"query":"{ a }","extensions":"x"}}"#,
            r#"{"type":"complete"}"#,
            r#"{"type":"complete","id":""}"#,
            r#"{"type":"connection_ack"}"#,
            r#"{"type":"next","id":"a","payload":{}}"#,
            r#"{"type":"error","id":"a","payload":[]}"#,
        ] {
            assert_eq!(closes_with(text), close::BAD_REQUEST, "{text}");
        }
    }

    #[test]
    fn valid_messages_parse() {
        let init = ClientMessage::parse(
            r#"{"type":"connection_init","payload":{"Authorization":"Bearer t"}}"#,
        );
        assert!(matches!(
            init,
            Ok(ClientMessage::ConnectionInit { authorization: Some(a) }) if a == "Bearer t"
        ));
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"connection_init"}"#),
            Ok(ClientMessage::ConnectionInit {
                authorization: None
            })
        ));
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"ping","payload":null}"#),
            Ok(ClientMessage::Ping { payload: None })
        ));
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"ping","payload":{"n":1}}"#),
            Ok(ClientMessage::Ping { payload: Some(_) })
        ));
        let subscribe = ClientMessage::parse(
            r#"{"type":"subscribe","id":"s","payload":{"query":"query A { a } query B { b }","operationName":"B","variables":null}}"#,
        );
        match subscribe {
            Ok(ClientMessage::Subscribe { id, request }) => {
                assert_eq!(id, "s");
                assert_eq!(request.operation_name.as_deref(), Some("B"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"complete","id":"s"}"#),
            Ok(ClientMessage::Complete { id }) if id == "s"
        ));
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        let long_id = "i".repeat(200);
        let closing = Closing::new(
            close::SUBSCRIBER_EXISTS,
            format!("Subscriber for {long_id} already exists"),
        );
        let Message::Close(Some(frame)) = closing.frame() else {
            panic!("not a close frame");
        };
        assert_eq!(frame.code, 4409);
        assert_eq!(frame.reason.as_str(), "Subscriber already exists");
        let short = Closing::new(close::SUBSCRIBER_EXISTS, "Subscriber for a already exists");
        let Message::Close(Some(frame)) = short.frame() else {
            panic!("not a close frame");
        };
        assert_eq!(frame.reason.as_str(), "Subscriber for a already exists");
        for reason in [
            "\"subscribe\" message expects the 'payload' property to be an object",
            "\"connection_init\" message expects the 'payload' property to be an object or nullish or missing",
        ] {
            assert!(reason.len() <= MAX_CLOSE_REASON_BYTES, "{reason}");
        }
    }
}
