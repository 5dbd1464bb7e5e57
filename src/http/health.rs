//! Liveness and readiness.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use diesel_async::RunQueryDsl;
use serde_json::json;

use super::HttpState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The process is up.
pub async fn alive() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// PostgreSQL and Redis are reachable. 503 names what is not.
///
/// With `DATABASE_REPLICA_URL` set, the body also has `replica` (`ok`,
/// `lagging`, `unavailable`, `not_a_standby` or `unchecked`: what the last
/// lag check found, see `store::replica`; always `unchecked` in a `worker`
/// process, which serves no admin reads and checks nothing) and `replicaLagSeconds` (the
/// lag's bound, or null when unknown). A replica that is not `ok` leaves
/// the status 200: admin reads then go to the primary.
pub async fn ready(State(state): State<HttpState>) -> impl IntoResponse {
    let app = &state.app;
    let postgres = async {
        let mut conn = app.db.get().await.map_err(|e| e.to_string())?;
        diesel::sql_query("SELECT 1")
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let redis = async {
        let mut conn = app.redis.get().await.map_err(|e| e.to_string())?;
        redis::cmd("PING")
            .query_async::<String>(&mut *conn)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let (postgres, redis) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, postgres),
        tokio::time::timeout(CHECK_TIMEOUT, redis)
    );
    let verdict = |r: Result<Result<(), String>, _>| match r {
        Ok(Ok(())) => "ok",
        Ok(Err(_)) | Err(_) => "unavailable",
    };
    let (postgres, redis) = (verdict(postgres), verdict(redis));
    let status = if postgres == "ok" && redis == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let overall = if status == StatusCode::OK {
        "ok"
    } else {
        "degraded"
    };
    let mut body = json!({ "status": overall, "postgres": postgres, "redis": redis });
    if let Some(replica) = &app.replica {
        let health = replica.health();
        body["replica"] = json!(health.name());
        body["replicaLagSeconds"] = json!(health.lag_seconds());
    }
    (status, Json(body))
}
