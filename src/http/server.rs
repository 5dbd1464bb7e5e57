//! The HTTP server loop: axum's router on hyper-util's connection builder.
//!
//! Not `axum::serve`, which is "intentionally simple and doesn't support
//! any configuration" (its own doc): it gives hyper no timer, so hyper's
//! header read timeout is off and a client may hold a connection open
//! forever by sending nothing, or its headers a byte at a time (issue 24).
//! Here hyper gets tokio's timer and [`ServerLimits::header_read`]: a
//! request's headers must arrive within it, counted from when the
//! connection waits for a request (so an idle keep-alive connection is
//! closed after it too). WebSocket upgrades, the peer address
//! (`ConnectInfo`) and graceful shutdown work as with `axum::serve`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How long a connection may take to send a request's headers.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// From when the connection waits for a request (its first, or the
    /// next one on a kept-alive connection) to its last header byte.
    pub header_read: Duration,
}

/// Serves `router` on `listener` until `stop`, then lets the connections
/// in flight finish their requests (at most `drain`) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    stop: CancellationToken,
    drain: Duration,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, a reset before accept: the
                // listener itself is fine; try again shortly.
                Err(error) => {
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            let request = request.map(axum::body::Body::new);
            router.clone().oneshot(request)
        });
        let connection = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // hyper-util's version detection waits for the first byte with
            // no timeout of its own (hyper's starts after it): a connection
            // that sends nothing is closed here.
            let mut first = [0u8; 1];
            match tokio::time::timeout(limits.header_read, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let connection = connection
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            if let Err(error) = watcher.watch(connection).await {
                tracing::trace!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain; closing them");
    }
    Ok(())
}
