//! GraphQL over WebSocket: the `graphql-transport-ws` protocol of the
//! graphql-ws library (its PROTOCOL.md), served by async-graphql-axum's
//! `GraphQLWebSocket` with a protocol guard around it.
//!
//! The guard reads the client's frames before the library does
//! ([`check_incoming`]) and the library's messages before the client gets
//! them ([`check_outgoing`]), for what async-graphql 7.2's handler does
//! otherwise than the protocol asks (each case is named there). It also
//! answers pings at once, closes a connection whose `connection_init` is
//! late (4408) or whose token stopped being valid (4403, checked now and
//! then), and pings every connection; everything sent to a client goes
//! through a bounded buffer and one writer task.
//!
//! The connection is authenticated by async-graphql's `on_connection_init`
//! hook from the `connection_init` payload (`{"Authorization": "Bearer
//! <token>"}`): no token closes it with 4401, a bad one with 4403. Each
//! operation then checks the token again (`graphql::api`), so rights follow
//! the user on an open socket.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{FromRequestParts, WebSocketUpgrade};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures::channel::{mpsc, oneshot};
use futures::future::BoxFuture;
use futures::{FutureExt, SinkExt, StreamExt};
use serde_json::{Map, Value};
use tokio::sync::{broadcast, Semaphore};

use super::ws_slots::{Slot, SlotsPer};
use super::HttpState;
use crate::events::Event;
use crate::graphql::context::{ClientAddress, RequestAuth, SubscriptionSlots, WsAuthorization};
use crate::model::UserId;
use crate::service::accounts::SESSION_ENDED;
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
    /// The user has as many sockets open as allowed (RFC 6455's "Try
    /// Again Later").
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Accepts the upgrade (or refuses it when the process has no free
/// connection slot). A client that does not offer `graphql-transport-ws`
/// is closed with 4406 once upgraded.
pub fn upgrade(state: HttpState, upgrade: WebSocketUpgrade, client: ClientAddress) -> HttpResponse {
    let Some(address_slot) = state.ws_per_address.take(client.0) else {
        metrics::counter!("signin_websocket_refused_total", "reason" => "address").increment(1);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many WebSocket connections from this address",
        )
            .into_response();
    };
    let Ok(slot) = state.ws_slots.clone().try_acquire_owned() else {
        metrics::counter!("signin_websocket_refused_total", "reason" => "process").increment(1);
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
            serve(state, socket, accepted, client).await;
            metrics::gauge!("signin_websocket_connections").decrement(1.0);
            drop((slot, address_slot));
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
                let request: async_graphql::Request =
                    serde_json::from_value(payload).map_err(|reason| {
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

/// What the protocol guard knows of one connection, shared by the reader
/// (client → library) and the writer (library → client).
#[derive(Debug, Default)]
struct Guard {
    /// A `connection_init` was received.
    initialised: bool,
    /// The `connection_ack` was written: `subscribe` is allowed.
    acknowledged: bool,
    /// Ids of operations running: a `subscribe` reusing one closes 4409.
    running: HashSet<String>,
    /// Per id, how many of the library's `complete`s are not sent: the
    /// client's `complete` or an `error` already ended the operation.
    ended: HashMap<String, usize>,
    /// The reader is closing the connection: nothing more of the library's
    /// is sent (an ack racing a refusal, say), only the close frame.
    closing: bool,
    /// How the library's refusal of `connection_init` is closed.
    init_refusal: Option<Closing>,
}

/// The guard, locked; a poisoned lock is used as it is (each step is one
/// set operation).
fn lock(guard: &Mutex<Guard>) -> std::sync::MutexGuard<'_, Guard> {
    guard.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the reader does with one frame from the client.
enum Incoming {
    /// Hand it to async-graphql's protocol handler.
    Forward(Message),
    /// Answer it here (a `pong`).
    Reply(Message),
    /// Nothing to do.
    Ignore,
}

/// The reader's check of one client frame against the protocol, before
/// async-graphql's handler sees it. async-graphql 7.2's `WebSocket` (under
/// async-graphql-axum's `GraphQLWebSocket`) silently replaces a running
/// subscription when a `subscribe` reuses its id (the protocol closes with
/// 4409), closes a `subscribe` before the acknowledgement with 1011 (4401),
/// closes invalid messages with 1002 and the JSON error as the reason
/// (4400), and answers `ping` only after a pending `connection_init` is
/// done; graphql-ws's PROTOCOL.md asks otherwise.
fn check_incoming(guard: &Mutex<Guard>, frame: Message) -> Result<Incoming, Closing> {
    let text = match &frame {
        Message::Text(text) => text.as_str(),
        // The protocol's messages are JSON text; a binary frame holding
        // UTF-8 JSON is read like a text frame (as the graphql-ws server
        // does), anything else is invalid.
        Message::Binary(bytes) => std::str::from_utf8(bytes)
            .map_err(|_| Closing::invalid("Binary message is not UTF-8 JSON"))?,
        // WebSocket-level pings are answered by axum.
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) => return Ok(Incoming::Ignore),
    };
    let forward = Incoming::Forward(Message::Text(text.into()));
    let mut guard = lock(guard);
    match ClientMessage::parse(text)? {
        ClientMessage::ConnectionInit { .. } => {
            if std::mem::replace(&mut guard.initialised, true) {
                return Err(Closing::new(
                    close::TOO_MANY_INITS,
                    "Too many initialisation requests",
                ));
            }
            Ok(forward)
        }
        ClientMessage::Ping { payload } => {
            let mut pong = serde_json::json!({ "type": "pong" });
            if let Some(payload) = payload {
                pong["payload"] = payload;
            }
            Ok(Incoming::Reply(Message::Text(pong.to_string().into())))
        }
        ClientMessage::Pong => Ok(Incoming::Ignore),
        ClientMessage::Subscribe { id, .. } => {
            if !guard.acknowledged {
                return Err(Closing::new(close::UNAUTHORIZED, "Unauthorized"));
            }
            if !guard.running.insert(id.clone()) {
                return Err(Closing::new(
                    close::SUBSCRIBER_EXISTS,
                    format!("Subscriber for {id} already exists"),
                ));
            }
            Ok(forward)
        }
        ClientMessage::Complete { id } => {
            // The client stops listening: nothing more is sent for it, not
            // even a `complete`. An unknown id is ignored.
            if guard.running.remove(&id) {
                *guard.ended.entry(id).or_default() += 1;
                Ok(forward)
            } else {
                Ok(Incoming::Ignore)
            }
        }
    }
}

/// The writer's step on one message from async-graphql's handler: a
/// request error answered as `next` becomes the protocol's `error` (the
/// library sends every response as `next`), a `complete` the client no
/// longer expects is dropped, and the library's close of a refused
/// `connection_init` (1002) gets the protocol's code. None: not sent.
fn check_outgoing(guard: &Mutex<Guard>, message: Message) -> Option<Message> {
    if lock(guard).closing {
        return matches!(message, Message::Close(_)).then_some(message);
    }
    let text = match &message {
        Message::Text(text) => text.as_str(),
        Message::Close(Some(frame)) if frame.code == 1002 => {
            let closing = lock(guard)
                .init_refusal
                .take()
                .unwrap_or_else(|| Closing::invalid(frame.reason.as_str()));
            return Some(closing.frame());
        }
        Message::Close(Some(frame)) => {
            return Some(Closing::new(frame.code, frame.reason.as_str()).frame())
        }
        _ => return Some(message),
    };
    let Ok(Value::Object(mut parsed)) = serde_json::from_str::<Value>(text) else {
        return Some(message);
    };
    let id = parsed.get("id").and_then(Value::as_str).map(str::to_owned);
    let mut guard = lock(guard);
    match (parsed.get("type").and_then(Value::as_str), id) {
        (Some("connection_ack"), _) => {
            guard.acknowledged = true;
            Some(message)
        }
        (Some("next"), Some(id)) if is_request_error(parsed.get("payload")) => {
            // `error` ends the operation: no `complete` follows.
            guard.running.remove(&id);
            *guard.ended.entry(id).or_default() += 1;
            let errors = parsed
                .get_mut("payload")
                .and_then(|p| p.get_mut("errors"))
                .map(Value::take)
                .unwrap_or_default();
            parsed.insert("type".into(), "error".into());
            parsed.insert("payload".into(), errors);
            Some(Message::Text(Value::Object(parsed).to_string().into()))
        }
        (Some("complete"), Some(id)) => match guard.ended.get_mut(&id) {
            Some(count) if *count > 1 => {
                *count -= 1;
                None
            }
            Some(_) => {
                guard.ended.remove(&id);
                None
            }
            None => {
                guard.running.remove(&id);
                Some(message)
            }
        },
        _ => Some(message),
    }
}

/// A request error (the document did not parse or validate, a limit was
/// exceeded): no data, and no error with a path.
fn is_request_error(payload: Option<&Value>) -> bool {
    let Some(payload) = payload else {
        return false;
    };
    let errors = payload.get("errors").and_then(Value::as_array);
    payload.get("data").is_none_or(Value::is_null)
        && errors.is_some_and(|errors| {
            !errors.is_empty() && errors.iter().all(|e| e.get("path").is_none())
        })
}

/// Checks the token now and then; completes with the close code when it is
/// no longer valid (the backstop of [`next_change`], for a token that
/// merely expires).
async fn recheck(app: Arc<AppState>, authorization: String, interval: Duration) -> u16 {
    loop {
        tokio::time::sleep(interval).await;
        if let Some(code) = invalid_now(&app, Some(&authorization)).await {
            return code;
        }
    }
}

/// None while the token still authenticates (a fresh check: a request's
/// identity is cached); else the close code: 4401 when its session ended
/// (contract, "Sessions"), 4403 otherwise. A dependency that is down
/// counts as valid: the connection is not closed for an outage.
async fn invalid_now(app: &AppState, authorization: Option<&str>) -> Option<u16> {
    let again = RequestAuth::from_authorization(authorization);
    match again.identity(app).await {
        Ok(_) | Err(ServiceError::Unavailable(_)) => None,
        Err(ServiceError::Unauthenticated(why)) if why == SESSION_ENDED => {
            Some(close::UNAUTHORIZED)
        }
        Err(_) => Some(close::FORBIDDEN),
    }
}

/// The close frame for `code` (4401 or 4403).
fn refused(code: u16) -> Closing {
    if code == close::UNAUTHORIZED {
        Closing::new(close::UNAUTHORIZED, "Unauthorized")
    } else {
        Closing::new(close::FORBIDDEN, "Forbidden")
    }
}

/// Waits for the next event of the caller's that may change their rights:
/// true for `UserChanged` (and when events were missed), false when the
/// channel is gone (nothing more will come). Pending while there is none.
async fn next_change(changes: &mut Option<broadcast::Receiver<Arc<Event>>>) -> bool {
    let Some(receiver) = changes else {
        return futures::future::pending().await;
    };
    loop {
        match receiver.recv().await {
            Ok(event) if matches!(*event, Event::UserChanged { .. }) => return true,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return true,
            Err(broadcast::error::RecvError::Closed) => {
                *changes = None;
                return false;
            }
        }
    }
}

/// The user's slot, held in the connection's data for as long as the
/// connection lives.
struct UserSlot {
    _held: Arc<Slot<UserId>>,
}

/// async-graphql's `connection_init` hook: authenticates the payload's
/// `Authorization` (no token: 4401, a bad one: 4403, a dependency down:
/// 4503) and gives the connection its data: the token (each operation
/// checks it again) and its subscription slots.
async fn on_connection_init(
    app: Arc<AppState>,
    per_user: Arc<SlotsPer<UserId>>,
    guard: Arc<Mutex<Guard>>,
    authorized: oneshot::Sender<(String, UserId)>,
    payload: Value,
) -> async_graphql::Result<Data> {
    let authorization = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let auth = RequestAuth::from_authorization(authorization.as_deref());
    let refusal = match (&authorization, auth.identity(&app).await) {
        (Some(authorization), Ok(identity)) => {
            let Some(user_slot) = per_user.take(identity.user_id) else {
                let refusal =
                    Closing::new(close::TRY_AGAIN_LATER, "Too many connections for this user");
                let reason = refusal.reason.clone();
                lock(&guard).init_refusal = Some(refusal);
                return Err(async_graphql::Error::new(reason));
            };
            let mut data = Data::default();
            data.insert(UserSlot {
                _held: Arc::new(user_slot),
            });
            data.insert(WsAuthorization(authorization.clone()));
            data.insert(SubscriptionSlots(Arc::new(Semaphore::new(
                app.config.websocket.max_subscriptions_per_connection,
            ))));
            let _ = authorized.send((authorization.clone(), identity.user_id));
            return Ok(data);
        }
        (None, _) => Closing::new(close::UNAUTHORIZED, "Unauthorized"),
        (Some(_), Err(ServiceError::Unavailable(_))) => {
            Closing::new(close::UNAVAILABLE, "Service unavailable; retry later")
        }
        (Some(_), Err(_)) => Closing::new(close::FORBIDDEN, "Forbidden"),
    };
    let reason = refusal.reason.clone();
    lock(&guard).init_refusal = Some(refusal);
    Err(async_graphql::Error::new(reason))
}

/// async-graphql-axum's value for graphql-transport-ws: the library makes
/// one only from a request's `Sec-WebSocket-Protocol`, and the client's
/// header may list graphql-ws (the older protocol) first.
async fn transport_ws() -> Option<GraphQLProtocol> {
    let (mut parts, ()) = axum::http::Request::builder()
        .header(axum::http::header::SEC_WEBSOCKET_PROTOCOL, PROTOCOL)
        .body(())
        .ok()?
        .into_parts();
    GraphQLProtocol::from_request_parts(&mut parts, &())
        .await
        .ok()
}

async fn serve(state: HttpState, socket: WebSocket, accepted: bool, client: ClientAddress) {
    let limits = state.app.config.websocket.clone();
    let (mut sink, mut incoming) = socket.split();
    if !accepted {
        let closing = Closing::new(
            close::SUBPROTOCOL_NOT_ACCEPTABLE,
            "Subprotocol not acceptable",
        );
        let _ = sink.send(closing.frame()).await;
        let _ = sink.close().await;
        return;
    }
    let Some(protocol) = transport_ws().await else {
        let closing = Closing::new(close::INTERNAL, "Internal server error");
        let _ = sink.send(closing.frame()).await;
        return;
    };
    let guard = Arc::new(Mutex::new(Guard::default()));
    let (outgoing, mut queued) = mpsc::channel::<Message>(OUTGOING_BUFFER);
    // The writer owns the socket's sending half: protocol messages, pings,
    // and the closing frame all go through it, in order.
    let writer = {
        let guard = guard.clone();
        let ping_interval = limits.ping_interval;
        tokio::spawn(async move {
            let mut ping = tokio::time::interval_at(
                tokio::time::Instant::now() + ping_interval,
                ping_interval,
            );
            loop {
                let message = tokio::select! {
                    message = queued.next() => match message {
                        Some(m) => m,
                        None => break,
                    },
                    _ = ping.tick() => Message::Text(PING.into()),
                };
                let Some(message) = check_outgoing(&guard, message) else {
                    continue;
                };
                let closing = matches!(message, Message::Close(_));
                if sink.send(message).await.is_err() || closing {
                    break;
                }
            }
            let _ = sink.close().await;
        })
    };

    // async-graphql's protocol handler reads the frames the reader lets
    // through and writes to the writer.
    let (to_library, library_input) = mpsc::channel::<Result<Message, axum::Error>>(16);
    let (authorized, mut authorization) = oneshot::channel::<(String, UserId)>();
    let mut data = Data::default();
    data.insert(client);
    let library = {
        let app = state.app.clone();
        let per_user = state.ws_per_user.clone();
        let guard = guard.clone();
        GraphQLWebSocket::new_with_pair(
            outgoing.clone(),
            library_input,
            state.api.clone(),
            protocol,
        )
        .with_data(data)
        .on_connection_init(move |payload| {
            on_connection_init(app, per_user, guard, authorized, payload)
        })
        .serve()
    };
    let library_done = tokio_util::sync::CancellationToken::new();
    let library = {
        let done = library_done.clone();
        async move {
            library.await;
            done.cancel();
        }
    };

    let reader = async {
        let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
        tokio::pin!(init_deadline);
        let mut rechecking: BoxFuture<'static, u16> = futures::future::pending().boxed();
        // The caller's account changes (role, deletion, password), from any
        // replica: the token is checked again at once.
        let mut changes: Option<broadcast::Receiver<Arc<Event>>> = None;
        let mut token: Option<String> = None;
        let mut to_library = to_library;
        let mut outgoing = outgoing.clone();
        loop {
            let initialised = lock(&guard).initialised;
            // Biased: the token recheck and the init deadline cannot be
            // starved by a client that keeps sending.
            let frame = tokio::select! {
                biased;
                code = &mut rechecking => {
                    tracing::debug!("websocket token no longer valid; closing");
                    lock(&guard).closing = true;
                    return Some(refused(code));
                },
                () = &mut init_deadline, if !initialised => {
                    lock(&guard).closing = true;
                    return Some(Closing::new(close::INIT_TIMEOUT, "Connection initialisation timeout"));
                },
                () = library_done.cancelled() => return None,
                Ok((authorization, user_id)) = &mut authorization => {
                    changes = Some(state.app.hub.subscribe(user_id));
                    rechecking = recheck(state.app.clone(), authorization.clone(), limits.recheck_interval).boxed();
                    token = Some(authorization);
                    continue;
                },
                changed = next_change(&mut changes) => {
                    let invalid = match changed {
                        true => invalid_now(&state.app, token.as_deref()).await,
                        false => None,
                    };
                    if let Some(code) = invalid {
                        tracing::debug!("websocket caller changed; token no longer valid; closing");
                        lock(&guard).closing = true;
                        return Some(refused(code));
                    }
                    continue;
                },
                frame = incoming.next() => frame,
            };
            let frame = match frame {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
                Some(Ok(frame)) => frame,
            };
            let step = match check_incoming(&guard, frame) {
                Ok(Incoming::Forward(message)) => to_library.send(Ok(message)).await.is_ok(),
                Ok(Incoming::Reply(message)) => outgoing.send(message).await.is_ok(),
                Ok(Incoming::Ignore) => true,
                Err(closing) => {
                    lock(&guard).closing = true;
                    return Some(closing);
                }
            };
            if !step {
                return None;
            }
        }
    };
    // The reader ends first when it closes the connection: its sender to
    // the library drops, the library's handler ends its operations (and
    // frees their slots), then the goodbye is sent.
    let (closing, ()) = futures::join!(reader, library);
    let mut outgoing = outgoing;
    if let Some(closing) = closing {
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
