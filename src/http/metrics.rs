//! Prometheus metrics: the recorder, the `/metrics` page, and per-request
//! counters and latency.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::HttpState;

/// The process-wide recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (embedding); render an empty page.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// The Prometheus page. Gauges that describe the moment (pools, queue)
/// are read now, at scrape time.
pub async fn render(State(state): State<HttpState>) -> impl IntoResponse {
    let app = &state.app;
    let db = app.db.state();
    metrics::gauge!("signin_db_pool_connections").set(f64::from(db.connections));
    metrics::gauge!("signin_db_pool_idle").set(f64::from(db.idle_connections));
    metrics::gauge!("signin_db_pool_max").set(f64::from(app.config.db_pool_size));
    let redis = app.redis.state();
    metrics::gauge!("signin_redis_pool_connections").set(f64::from(redis.connections));
    metrics::gauge!("signin_redis_pool_idle").set(f64::from(redis.idle_connections));
    metrics::gauge!("signin_db_statements").set(app.statements.count() as f64);
    metrics::gauge!("signin_subscribed_users").set(app.hub.live_channels() as f64);
    let queue = app.queue.queue_name().to_owned();
    let depth = async {
        let mut conn = app.redis.get().await.ok()?;
        let (active, scheduled, dead): (i64, i64, i64) = redis::pipe()
            .llen(format!("{queue}:active"))
            .zcard(format!("{queue}:scheduled"))
            .scard(format!("{queue}:dead"))
            .query_async(&mut *conn)
            .await
            .ok()?;
        Some((active, scheduled, dead))
    };
    if let Ok(Some((active, scheduled, dead))) =
        tokio::time::timeout(Duration::from_millis(500), depth).await
    {
        metrics::gauge!("signin_queue_jobs", "state" => "waiting").set(active as f64);
        metrics::gauge!("signin_queue_jobs", "state" => "scheduled").set(scheduled as f64);
        metrics::gauge!("signin_queue_jobs", "state" => "dead").set(dead as f64);
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
}

pub async fn track(request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("signin_http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("signin_http_request_duration_seconds", "method" => method, "path" => path)
        .record(started.elapsed().as_secs_f64());
    response
}
