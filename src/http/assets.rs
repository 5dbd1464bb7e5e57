//! The check-in page (`/`), the admin page (`/admin`) and GraphiQL
//! (`/playground`), built from `web-playground/` and embedded in the binary:
//! nothing is loaded from another host, so they work with no internet access.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use super::HttpState;

#[derive(RustEmbed)]
#[folder = "web-playground/dist"]
struct Dist;

/// Everything the pages load comes from this origin.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn file(path: &str, cache: &'static str) -> Response {
    match Dist::get(path) {
        Some(file) => (
            [
                (CONTENT_TYPE, content_type(path)),
                (CACHE_CONTROL, cache),
                (CONTENT_SECURITY_POLICY, CSP),
            ],
            file.data.into_owned(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn check_in_page() -> Response {
    file("index.html", "no-cache")
}

/// The admin page. Served to anyone: it asks for an admin login itself, and
/// every query it makes is checked by the API (a `USER` sees "admins only").
pub async fn admin_page() -> Response {
    file("admin.html", "no-cache")
}

pub async fn playground(State(state): State<HttpState>) -> Response {
    if !state.app.config.graphql.playground {
        return (StatusCode::NOT_FOUND, "the playground is disabled").into_response();
    }
    file("playground.html", "no-cache")
}

/// Content-hashed build output: cacheable for good.
pub async fn asset(Path(name): Path<String>) -> Response {
    if name.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    file(
        &format!("assets/{name}"),
        "public, max-age=31536000, immutable",
    )
}

/// Size in bytes of everything embedded.
pub fn embedded_bytes() -> usize {
    Dist::iter()
        .filter_map(|p| Dist::get(&p))
        .map(|f| f.data.len())
        .sum()
}
