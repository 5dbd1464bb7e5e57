//! HTTP: the GraphQL endpoints, health, readiness, metrics, the playground,
//! and the middleware every request goes through.

pub mod assets;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod ws;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use tokio::sync::Semaphore;
use tower_http::limit::RequestBodyLimitLayer;

use crate::graphql::AppSchema;
use crate::state::AppState;

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: Arc<AppState>,
    pub schema: AppSchema,
    /// Free WebSocket connection slots.
    pub ws_slots: Arc<Semaphore>,
}

pub fn router(app: Arc<AppState>, schema: AppSchema) -> Router {
    let max_body = app.config.graphql.max_body_bytes;
    let ws_slots = Arc::new(Semaphore::new(app.config.websocket.max_connections));
    let state = HttpState {
        app,
        schema,
        ws_slots,
    };
    Router::new()
        .route("/graphql", get(graphql::get_or_upgrade).post(graphql::post))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::render))
        .route("/", get(assets::check_in_page))
        .route("/playground", get(assets::playground))
        .route("/assets/{name}", get(assets::asset))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}
