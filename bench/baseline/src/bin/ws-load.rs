//! Load over graphql-transport-ws for `bench/run.sh` scenario n: CONNS
//! sockets, each signed in with its own token from TOKENS (one a line) in
//! `connection_init` (`{"Authorization": "Bearer <token>"}`), each sending
//! one `subscribe` of QUERY at a time and waiting for its `complete`, for
//! SECS seconds. What it measures is an operation on an open socket: since
//! issue 24 the service checks the token again for every one.
//!
//!   ws-load ws://127.0.0.1:18080/graphql TOKENS CONNS SECS QUERY
//!
//! Prints one line `BENCHJSON {...}` with the fields bench/wrk/graphql.lua
//! prints (requests, rps, p50_ms .. max_ms, socket_errors, graphql_errors,
//! first_error), so run.sh records both alike. A socket the server closes
//! counts as a socket error and ends that socket's share of the load.

use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// One socket's share: each operation's latency (µs), operations answered
/// with GraphQL errors, and the first error's text.
#[derive(Default)]
struct Share {
    latencies_us: Vec<u32>,
    graphql_errors: u64,
    socket_errors: u64,
    first_error: String,
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, tokens, conns, secs, query] = args.as_slice() else {
        return Err("usage: ws-load URL TOKENS CONNS SECS QUERY".into());
    };
    let tokens: Vec<String> = std::fs::read_to_string(tokens)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let conns: usize = conns.parse()?;
    if tokens.len() < conns {
        return Err(format!("{} tokens for {conns} sockets", tokens.len()).into());
    }
    let run_for = Duration::from_secs(secs.parse()?);
    let subscribe = serde_json::json!({ "query": query });

    let mut sockets = Vec::with_capacity(conns);
    for token in tokens.iter().take(conns) {
        sockets.push(open(url, token).await?);
    }
    let started = Instant::now();
    let deadline = started + run_for;
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|socket| tokio::spawn(drive(socket, subscribe.clone(), deadline)))
        .collect();
    let mut all = Share::default();
    for task in tasks {
        let share = task.await?;
        all.latencies_us.extend(share.latencies_us);
        all.graphql_errors += share.graphql_errors;
        all.socket_errors += share.socket_errors;
        if all.first_error.is_empty() {
            all.first_error = share.first_error;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    let n = all.latencies_us.len();
    let at = |q: f64| -> f64 {
        if n == 0 {
            return 0.0;
        }
        let i = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
        f64::from(all.latencies_us[i]) / 1000.0
    };
    let mean = if n == 0 {
        0.0
    } else {
        all.latencies_us.iter().map(|&u| f64::from(u)).sum::<f64>() / n as f64 / 1000.0
    };
    println!(
        "BENCHJSON {}",
        serde_json::json!({
            "requests": n, "seconds": seconds, "rps": n as f64 / seconds,
            "p50_ms": at(0.50), "p90_ms": at(0.90), "p99_ms": at(0.99),
            "max_ms": at(1.0), "mean_ms": mean,
            "socket_errors": all.socket_errors, "timeouts": 0, "non200": 0,
            "graphql_errors": all.graphql_errors, "tokens_wrapped": 0,
            "first_error": all.first_error,
        })
    );
    Ok(())
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket past `connection_ack`.
async fn open(url: &str, token: &str) -> Result<Socket, Failure> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = serde_json::json!({
        "type": "connection_init",
        "payload": { "Authorization": format!("Bearer {token}") },
    });
    socket.send(Message::text(init.to_string())).await?;
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message? {
            let value: serde_json::Value = serde_json::from_str(&text)?;
            if value["type"] == "connection_ack" {
                return Ok(socket);
            }
        }
    }
    Err("the server closed the socket before connection_ack".into())
}

/// Sends one operation at a time until `deadline`.
async fn drive(mut socket: Socket, payload: serde_json::Value, deadline: Instant) -> Share {
    let mut share = Share::default();
    let mut next_id: u64 = 0;
    while Instant::now() < deadline {
        next_id += 1;
        let id = next_id.to_string();
        let started = Instant::now();
        match operation(&mut socket, &id, &payload).await {
            Ok(None) => {}
            Ok(Some(error)) => {
                share.graphql_errors += 1;
                if share.first_error.is_empty() {
                    share.first_error = error;
                }
            }
            Err(error) => {
                share.socket_errors += 1;
                if share.first_error.is_empty() {
                    share.first_error = error.to_string();
                }
                return share;
            }
        }
        let us = started.elapsed().as_micros();
        share
            .latencies_us
            .push(u32::try_from(us).unwrap_or(u32::MAX));
    }
    let _ = socket.close(None).await;
    share
}

/// One `subscribe` to its `complete`: None when every `next` was free of
/// errors, else the first error's text (600 characters at most).
async fn operation(
    socket: &mut Socket,
    id: &str,
    payload: &serde_json::Value,
) -> Result<Option<String>, Failure> {
    let subscribe = serde_json::json!({ "id": id, "type": "subscribe", "payload": payload });
    socket.send(Message::text(subscribe.to_string())).await?;
    let mut error = None;
    while let Some(message) = socket.next().await {
        let text = match message? {
            Message::Text(text) => text,
            Message::Close(frame) => return Err(format!("closed: {frame:?}").into()),
            _ => continue,
        };
        let value: serde_json::Value = serde_json::from_str(&text)?;
        match value["type"].as_str() {
            Some("ping") => {
                socket
                    .send(Message::text(r#"{"type":"pong"}"#.to_owned()))
                    .await?;
            }
            Some("next")
                if value["id"] == id
                    && error.is_none()
                    && value["payload"].get("errors").is_some() =>
            {
                error = Some(text.chars().take(600).collect());
            }
            Some("error") if value["id"] == id => {
                return Ok(Some(text.chars().take(600).collect()));
            }
            Some("complete") if value["id"] == id => return Ok(error),
            _ => {}
        }
    }
    Err("the server closed the socket mid-operation".into())
}
