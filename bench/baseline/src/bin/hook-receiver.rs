//! The webhook receiver of `bench/run.sh` scenario k: answers every POST
//! to any path with 204 at once, on one thread, so that it costs the
//! machine as little as a receiver can. Its process name (`hook-receiver`)
//! is what `bench/lib/cpu.py` counts as the receiver's CPU.
//!
//!   hook-receiver 127.0.0.1:18091

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18091".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let app = Router::new().route("/{*path}", post(|| async { StatusCode::NO_CONTENT }));
    axum::serve(listener, app).await?;
    Ok(())
}
