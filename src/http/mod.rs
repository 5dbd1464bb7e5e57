//! HTTP: the GraphQL endpoints, health, readiness, metrics, the embedded
//! pages, and the middleware every request goes through (request id and
//! tracing span, metrics, body limit, timeout, `X-Content-Type-Options`).

pub mod assets;
pub mod export;
pub mod graphql;
pub mod health;
pub mod media;
pub mod metrics;
pub mod server;
pub mod ws;
pub mod ws_slots;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

use crate::graphql::context::RequestId;
use crate::graphql::GraphqlApi;
use crate::state::AppState;

/// What the handlers share, behind one `Arc`: axum clones a route's
/// state with its handler on every request (the router clones the route's
/// boxed service, and each `from_fn` layer clones the service inside it),
/// and a by-value clone here was some fifteen reference counts and a
/// string (the API's schemas, loaders, caches and Redis keys), counted up
/// and down on both cores several times per request: about 3 % of a warm
/// status read's CPU (bench/results/issue23-warm-path).
#[derive(Clone)]
pub struct HttpState(Arc<HttpShared>);

impl HttpState {
    /// The handle over `shared`.
    pub fn new(shared: HttpShared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for HttpState {
    type Target = HttpShared;

    fn deref(&self) -> &HttpShared {
        &self.0
    }
}

/// The parts of [`HttpState`].
pub struct HttpShared {
    pub app: Arc<AppState>,
    pub api: GraphqlApi,
    /// Free WebSocket connection slots.
    pub ws_slots: Arc<Semaphore>,
    /// WebSocket connections per client address and per user.
    pub ws_per_address: Arc<ws_slots::SlotsPer<Option<std::net::IpAddr>>>,
    pub ws_per_user: Arc<ws_slots::SlotsPer<crate::model::UserId>>,
}

/// What a worker process serves (with `SIGNIN_WORKER_BIND`): health,
/// readiness and metrics, no API.
pub fn ops_router(app: Arc<AppState>) -> Router {
    let api = crate::graphql::build(app.clone(), &app.config.graphql);
    let ws_slots = Arc::new(Semaphore::new(0));
    Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::render))
        .layer(no_sniffing())
        .with_state(HttpState::new(HttpShared {
            app,
            api,
            ws_slots,
            ws_per_address: ws_slots::SlotsPer::new(0),
            ws_per_user: ws_slots::SlotsPer::new(0),
        }))
}

pub fn router(app: Arc<AppState>, api: GraphqlApi) -> Router {
    let limits = app.config.graphql.clone();
    let ws_slots = Arc::new(Semaphore::new(app.config.websocket.max_connections));
    let ws_per_address = ws_slots::SlotsPer::new(app.config.websocket.max_per_address);
    let ws_per_user = ws_slots::SlotsPer::new(app.config.websocket.max_per_user);
    let state = HttpState::new(HttpShared {
        app,
        api,
        ws_slots,
        ws_per_address,
        ws_per_user,
    });
    Router::new()
        .route(
            "/graphql",
            get(graphql::get_or_upgrade)
                .post(graphql::post)
                .layer(axum::middleware::from_fn(graphql::conformance)),
        )
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::render_on_api))
        .route("/", get(assets::check_in_page))
        .route("/playground", get(assets::playground))
        .route("/admin", get(assets::admin_page))
        .route("/assets/{name}", get(assets::asset))
        .route("/admin/export/sign-ins.csv", get(export::sign_ins))
        .route("/admin/export/stats.csv", get(export::stats))
        // One layer, so the router boxes (and clones, per request) one
        // service for all of them, not one per `.layer` call; outermost
        // first.
        .layer(
            ServiceBuilder::new()
                .layer(no_sniffing())
                .layer(axum::middleware::from_fn(request_id))
                .layer(axum::middleware::from_fn(metrics::track))
                .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    limits.request_timeout,
                )),
        )
        .with_state(state)
}

/// Every answer carries `X-Content-Type-Options: nosniff` (contract, "The
/// process"), errors and refusals included: a browser must never guess a
/// type other than the one sent (say, run a CSV or JSON body as a script).
fn no_sniffing() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    )
}

/// Takes the caller's `x-request-id` when it is a sane token, else makes
/// one; runs the request inside a span that carries it.
async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()));
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
