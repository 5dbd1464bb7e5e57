//! graphql-transport-ws conformance (the graphql-ws library's PROTOCOL.md),
//! row by row, with raw frames: every message type in every state (before
//! `connection_init`, between it and `connection_ack`, after the ack), and
//! every close frame checked for a 4xxx code and a reason that fits a close
//! frame.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::common::{assert_no_errors, TestApp};

const STREAK: &str = "subscription { streakUpdated { streak } }";
const SIGN_IN: &str = "mutation { signIn { record { cycleDay } } }";
const WAIT: Duration = Duration::from_secs(10);
/// How long "nothing arrives" is watched for.
const QUIET: Duration = Duration::from_millis(400);

/// What the server sent: a protocol message, or the close frame.
#[derive(Debug)]
enum Got {
    Message(Value),
    Close(u16, String),
    /// The connection ended without a close frame, or nothing came in time.
    Nothing,
}

struct Raw {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Raw {
    /// Opens a WebSocket on /graphql offering `protocol` (none when None).
    async fn open(port: u16, protocol: Option<&str>) -> Result<Raw, String> {
        let mut request = format!("ws://127.0.0.1:{port}/graphql")
            .into_client_request()
            .unwrap();
        if let Some(protocol) = protocol {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
        }
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Raw { socket })
    }

    async fn connect(port: u16) -> Raw {
        Raw::open(port, Some("graphql-transport-ws")).await.unwrap()
    }

    async fn text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.to_owned().into()))
            .await
            .unwrap();
    }

    async fn send(&mut self, message: Value) {
        self.text(&message.to_string()).await;
    }

    /// Sends several messages in one write, so the server has them all
    /// before it answers any.
    async fn send_together(&mut self, messages: &[Value]) {
        for message in messages {
            self.socket
                .feed(Message::Text(message.to_string().into()))
                .await
                .unwrap();
        }
        self.socket.flush().await.unwrap();
    }

    async fn binary(&mut self, bytes: Vec<u8>) {
        self.socket
            .send(Message::Binary(bytes.into()))
            .await
            .unwrap();
    }

    /// The next thing the server sends (WebSocket-level pings skipped).
    async fn next(&mut self, timeout: Duration) -> Got {
        loop {
            let frame = match tokio::time::timeout(timeout, self.socket.next()).await {
                Ok(Some(Ok(frame))) => frame,
                _ => return Got::Nothing,
            };
            match frame {
                Message::Text(text) => {
                    return Got::Message(serde_json::from_str(text.as_str()).unwrap())
                }
                Message::Close(Some(frame)) => {
                    let code = u16::from(frame.code);
                    let reason = frame.reason.as_str().to_owned();
                    assert!(
                        (4000..=4999).contains(&code),
                        "close code {code} is not 4xxx"
                    );
                    assert!(
                        reason.len() <= 123,
                        "close reason of {} bytes: {reason}",
                        reason.len()
                    );
                    return Got::Close(code, reason);
                }
                Message::Close(None) => return Got::Nothing,
                _ => continue,
            }
        }
    }

    async fn expect_message(&mut self) -> Value {
        match self.next(WAIT).await {
            Got::Message(m) => m,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Waits (15 s at most, server pings skipped) for the close frame;
    /// returns its code and reason.
    async fn expect_close(&mut self) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Got::Close(code, reason) => return (code, reason),
                Got::Message(m) if m["type"] == "ping" => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// Asserts that nothing arrives for a while (and the socket is open).
    async fn expect_quiet(&mut self) {
        match self.next(QUIET).await {
            Got::Nothing => {}
            other => panic!("expected silence, got {other:?}"),
        }
    }

    /// `connection_init` with the token; waits for the ack.
    async fn init(&mut self, token: &str) {
        self.send(init(token)).await;
        let ack = self.expect_message().await;
        assert_eq!(ack, json!({ "type": "connection_ack" }));
    }

    /// A ping answered with a pong proves the connection is still served.
    async fn assert_alive(&mut self) {
        self.send(json!({ "type": "ping" })).await;
        assert_eq!(self.expect_message().await, json!({ "type": "pong" }));
    }
}

fn init(token: &str) -> Value {
    json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })
}

fn subscribe(id: &str, query: &str) -> Value {
    json!({ "type": "subscribe", "id": id, "payload": { "query": query } })
}

/// Opens a fresh connection, optionally acknowledged, sends `text`, and
/// returns the close code it gets.
async fn close_code_for(port: u16, token: Option<&str>, text: &str) -> u16 {
    let mut ws = Raw::connect(port).await;
    if let Some(token) = token {
        ws.init(token).await;
    }
    ws.text(text).await;
    ws.expect_close().await.0
}

/// Messages that are not valid client messages: 4400 in any state.
const INVALID: &[&str] = &[
    "not json",
    "",
    "[]",
    "\"ping\"",
    r#"{"payload":{}}"#,
    r#"{"type":"unknown"}"#,
    r#"{"type":null}"#,
    r#"{"type":"connection_init","payload":"Bearer x"}"#,
    r#"{"type":"ping","payload":"hello"}"#,
    r#"{"type":"pong","payload":[1]}"#,
    r#"{"type":"subscribe","payload":{"query":"{ __typename }"}}"#,
    r#"{"type":"subscribe","id":"","payload":{"query":"{ __typename }"}}"#,
    r#"{"type":"subscribe","id":1,"payload":{"query":"{ __typename }"}}"#,
    r#"{"type":"subscribe","id":"a"}"#,
    r#"{"type":"subscribe","id":"a","payload":null}"#,
    r#"{"type":"subscribe","id":"a","payload":"{ __typename }"}"#,
    r#"{"type":"subscribe","id":"a","payload":{"query":1}}"#,
    r#"{"type":"subscribe","id":"a","payload":{"query":"{ __typename }","variables":[1]}}"#,
    r#"{"type":"subscribe","id":"a","payload":{"query":"{ __typename }","operationName":7}}"#,
    r#"{"type":"subscribe","id":"a","payload":{"query":"{ __typename }","extensions":"x"}}"#,
    r#"{"type":"complete"}"#,
    r#"{"type":"complete","id":""}"#,
    r#"{"type":"connection_ack"}"#,
    r#"{"type":"next","id":"a","payload":{}}"#,
    r#"{"type":"error","id":"a","payload":[]}"#,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_messages_close_with_4400_before_and_after_the_ack() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let port = server.addr.port();
    let (token, _) = app.register("proto_invalid").await;
    for text in INVALID {
        assert_eq!(
            close_code_for(port, None, text).await,
            4400,
            "before init: {text}"
        );
        assert_eq!(
            close_code_for(port, Some(&token), text).await,
            4400,
            "after ack: {text}"
        );
    }
    // Binary frames: UTF-8 JSON is read as a message; anything else is invalid.
    let mut ws = Raw::connect(port).await;
    ws.binary(vec![0xff, 0xfe, 0x00]).await;
    assert_eq!(ws.expect_close().await.0, 4400);
    let mut ws = Raw::connect(port).await;
    ws.binary(init(&token).to_string().into_bytes()).await;
    assert_eq!(ws.expect_message().await["type"], "connection_ack");
    ws.binary(br#"{"type":"ping","payload":{"via":"binary"}}"#.to_vec())
        .await;
    assert_eq!(
        ws.expect_message().await,
        json!({ "type": "pong", "payload": { "via": "binary" } })
    );
    ws.binary(b"{not json".to_vec()).await;
    assert_eq!(ws.expect_close().await.0, 4400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_init_pings_are_answered_and_subscribe_is_unauthorized() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let port = server.addr.port();
    let (token, _) = app.register("proto_early").await;

    let mut ws = Raw::connect(port).await;
    // ping: pong, the payload echoed when there is one, omitted otherwise.
    ws.send(json!({ "type": "ping", "payload": { "n": 1, "s": "x" } }))
        .await;
    assert_eq!(
        ws.expect_message().await,
        json!({ "type": "pong", "payload": { "n": 1, "s": "x" } })
    );
    ws.send(json!({ "type": "ping", "payload": null })).await;
    assert_eq!(ws.expect_message().await, json!({ "type": "pong" }));
    ws.assert_alive().await;
    // pong and complete (of nothing): ignored.
    ws.send(json!({ "type": "pong" })).await;
    ws.send(json!({ "type": "pong", "payload": { "a": 1 } }))
        .await;
    ws.send(json!({ "type": "complete", "id": "nothing" }))
        .await;
    ws.expect_quiet().await;
    // The connection can still be initialised after all that.
    ws.init(&token).await;
    ws.assert_alive().await;

    // subscribe before connection_init: 4401 Unauthorized.
    let mut ws = Raw::connect(port).await;
    ws.send(subscribe("s", STREAK)).await;
    assert_eq!(ws.expect_close().await, (4401, "Unauthorized".to_owned()));

    // connection_init without a token: 4401; with a bad one: 4403.
    let mut ws = Raw::connect(port).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.expect_close().await.0, 4401);
    let mut ws = Raw::connect(port).await;
    ws.send(init("not-a-token")).await;
    assert_eq!(ws.expect_close().await, (4403, "Forbidden".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn between_init_and_ack() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let port = server.addr.port();
    let (token, _) = app.register("proto_between").await;

    // subscribe sent before the ack could have been seen: 4401.
    let mut ws = Raw::connect(port).await;
    ws.send_together(&[init(&token), subscribe("s", STREAK)])
        .await;
    assert_eq!(ws.expect_close().await, (4401, "Unauthorized".to_owned()));

    // A second connection_init: 4429.
    let mut ws = Raw::connect(port).await;
    ws.send_together(&[init(&token), init(&token)]).await;
    assert_eq!(
        ws.expect_close().await,
        (4429, "Too many initialisation requests".to_owned())
    );

    // ping is answered while the token is checked; pong and complete are
    // ignored; the ack follows.
    let mut ws = Raw::connect(port).await;
    ws.send_together(&[
        init(&token),
        json!({ "type": "ping", "payload": { "early": true } }),
        json!({ "type": "pong" }),
        json!({ "type": "complete", "id": "x" }),
    ])
    .await;
    assert_eq!(
        ws.expect_message().await,
        json!({ "type": "pong", "payload": { "early": true } })
    );
    assert_eq!(
        ws.expect_message().await,
        json!({ "type": "connection_ack" })
    );
    ws.assert_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_ack() {
    let app = TestApp::with_config(&[("SIGNIN_MAX_SUBSCRIPTIONS_PER_CONNECTION", "1")]).await;
    let server = app.serve(false).await;
    let port = server.addr.port();
    let (token, _) = app.register("proto_after").await;

    // A second connection_init after the ack: 4429.
    let mut ws = Raw::connect(port).await;
    ws.init(&token).await;
    ws.send(init(&token)).await;
    assert_eq!(ws.expect_close().await.0, 4429);

    // A second subscribe with the id of a running one: 4409, not a silent
    // replacement.
    let mut ws = Raw::connect(port).await;
    ws.init(&token).await;
    ws.send(subscribe("s1", STREAK)).await;
    ws.expect_quiet().await;
    ws.send(subscribe("s1", STREAK)).await;
    assert_eq!(
        ws.expect_close().await,
        (4409, "Subscriber for s1 already exists".to_owned())
    );
    // ... also when the id is too long to name in a close frame.
    let long_id = "x".repeat(200);
    let mut ws = Raw::connect(port).await;
    ws.init(&token).await;
    ws.send(subscribe(&long_id, STREAK)).await;
    ws.expect_quiet().await;
    ws.send(subscribe(&long_id, STREAK)).await;
    assert_eq!(
        ws.expect_close().await,
        (4409, "Subscriber already exists".to_owned())
    );

    let mut ws = Raw::connect(port).await;
    ws.init(&token).await;
    // ping/pong after the ack.
    ws.send(json!({ "type": "ping", "payload": { "late": 1 } }))
        .await;
    assert_eq!(
        ws.expect_message().await,
        json!({ "type": "pong", "payload": { "late": 1 } })
    );
    ws.send(json!({ "type": "pong" })).await;
    // complete for an unknown id: ignored.
    ws.send(json!({ "type": "complete", "id": "unknown" }))
        .await;
    ws.expect_quiet().await;

    // A query runs once: next, then complete; its id is free again after.
    for _ in 0..2 {
        ws.send(subscribe("q", "query Q { __typename }")).await;
        assert_eq!(
            ws.expect_message().await,
            json!({ "type": "next", "id": "q", "payload": { "data": { "__typename": "Query" } } })
        );
        assert_eq!(
            ws.expect_message().await,
            json!({ "type": "complete", "id": "q" })
        );
    }
    // A request that does not validate: one `error` message (its payload
    // the errors), and no `complete` after it.
    ws.send(subscribe("bad", "subscription { noSuchField }"))
        .await;
    let error = ws.expect_message().await;
    assert_eq!(
        (&error["type"], &error["id"]),
        (&json!("error"), &json!("bad"))
    );
    assert_eq!(error["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    ws.expect_quiet().await;
    // operationName picks the operation.
    ws.send(json!({ "type": "subscribe", "id": "op", "payload": {
        "query": "query A { a: __typename } query B { b: __typename }",
        "operationName": "B"
    } }))
    .await;
    assert_eq!(
        ws.expect_message().await["payload"]["data"],
        json!({ "b": "Query" })
    );
    assert_eq!(ws.expect_message().await["type"], "complete");

    // complete for a running subscription: nothing more is sent for it (no
    // `complete` back), and its slot (one per connection here) is free at
    // once for the same id.
    ws.send(subscribe("live", STREAK)).await;
    ws.expect_quiet().await;
    ws.send(json!({ "type": "complete", "id": "live" })).await;
    ws.send(subscribe("live", STREAK)).await;
    ws.expect_quiet().await;
    assert_no_errors(&app.exec(Some(&token), SIGN_IN, json!({})).await);
    let next = ws.expect_message().await;
    assert_eq!(
        (&next["type"], &next["id"]),
        (&json!("next"), &json!("live"))
    );
    assert_eq!(next["payload"]["data"]["streakUpdated"]["streak"], 1);
    ws.send(json!({ "type": "complete", "id": "live" })).await;
    ws.expect_quiet().await;
    ws.assert_alive().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_graphql_transport_ws_is_spoken() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let port = server.addr.port();
    // No subprotocol offered: upgraded, then closed with 4406.
    let mut ws = Raw::open(port, None).await.unwrap();
    assert_eq!(
        ws.expect_close().await,
        (4406, "Subprotocol not acceptable".to_owned())
    );
    // Only the legacy subscriptions-transport-ws protocol offered: the
    // server selects none, so the client refuses the handshake (or, if it
    // went ahead, would get 4406).
    match Raw::open(port, Some("graphql-ws")).await {
        Err(_) => {}
        Ok(mut ws) => assert_eq!(ws.expect_close().await.0, 4406),
    }
    // graphql-transport-ws among others is selected.
    let ws = Raw::open(port, Some("graphql-ws, graphql-transport-ws")).await;
    assert!(ws.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_connection_init_in_time_closes_with_4408() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let mut ws = Raw::connect(server.addr.port()).await;
    // Pings do not count as initialisation.
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.expect_message().await, json!({ "type": "pong" }));
    assert_eq!(
        ws.expect_close().await,
        (4408, "Connection initialisation timeout".to_owned())
    );
}
