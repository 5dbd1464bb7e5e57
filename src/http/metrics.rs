//! Prometheus metrics: the recorder and its upkeep, the `/metrics` page,
//! and per-request counters and latency.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::HttpState;
use crate::config::MetricsAnswer;

/// How often the recorder's upkeep runs (see [`spawn_upkeep`]). At the
/// soak's ~17,000 histogram samples a second this bounds what they hold to
/// well under a megabyte.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The process-wide recorder, installed on first use. Every process that
/// records must also run [`spawn_upkeep`] while it does.
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

/// One round of the recorder's upkeep: the histogram samples recorded since
/// the last round (or scrape) are folded into their histograms' buckets, and
/// the memory that held them is released.
///
/// `install_recorder` leaves this to its caller: every
/// `metrics::histogram!(..).record(..)` (several per request: the HTTP
/// latency, the GraphQL operation, each SQL statement) appends to a bucket
/// that only an upkeep or a `/metrics` scrape empties, so an unscraped
/// process would otherwise grow for as long as it serves.
pub fn upkeep() {
    handle().run_upkeep();
}

/// Runs [`upkeep`] at once, then every [`UPKEEP_INTERVAL`], until
/// `shutdown` is cancelled. `app::start` and `app::run_worker` run it for as
/// long as they run.
pub fn spawn_upkeep(shutdown: CancellationToken) -> JoinHandle<()> {
    let handle = handle();
    tokio::spawn(async move {
        let mut rounds = tokio::time::interval(UPKEEP_INTERVAL);
        rounds.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = rounds.tick() => handle.run_upkeep(),
            }
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

/// `/metrics` on `SIGNIN_BIND`: as [`render`] when the request may read it
/// (`MetricsAccess::on_api`: with `SIGNIN_METRICS_TOKEN` set, only with
/// `Authorization: Bearer <token>`; in production never anonymously), else
/// 401 or 404. `SIGNIN_METRICS_BIND` serves [`render`] to anyone.
pub async fn render_on_api(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    let authorization = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match state.app.config.metrics.on_api(authorization) {
        MetricsAnswer::Serve => render(State(state)).await.into_response(),
        MetricsAnswer::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer")],
            "send Authorization: Bearer <SIGNIN_METRICS_TOKEN>\n",
        )
            .into_response(),
        MetricsAnswer::NotServed => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The method as a metric label. HTTP lets a client send any token as its
/// method (and the router answers 405 to it after this middleware has seen
/// it), so labelling with it as sent would make a new series, kept for the
/// life of the process, for every new token a client makes up.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Middleware: counts each request by method, route and status, and records
/// its latency.
pub async fn track(request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("signin_http_requests_total", "method" => method, "path" => path.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("signin_http_request_duration_seconds", "method" => method, "path" => path)
        .record(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        for token in ["FOO", "BREW", "X1"] {
            let method = Method::from_bytes(token.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other");
        }
    }
}
