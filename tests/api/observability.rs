//! Health, readiness and the Prometheus page.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{assert_no_errors, poll_until, post_graphql, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let app = TestApp::with_config(&[("SIGNIN_RELAY_INTERVAL_MS", "100")]).await;
    let server = app.serve(true).await;
    let base = format!("http://127.0.0.1:{}", server.addr.port());
    let client = reqwest::Client::new();

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let ready: Value = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ready,
        json!({ "status": "ok", "postgres": "ok", "redis": "ok" })
    );

    // Some traffic: a sign-in (credited by the worker), an error, a subscription.
    let (token, _) = app.register("observed").await;
    let port = server.addr.port();
    let post = |query: &'static str, token: Option<String>| {
        let client = client.clone();
        async move {
            post_graphql(&client, port, token.as_deref(), query)
                .await
                .unwrap()
        }
    };
    assert_no_errors(
        &post(
            "mutation { signIn { record { date } } }",
            Some(token.clone()),
        )
        .await,
    );
    post("{ me { id } }", None).await;
    app.wait_credited(1, Duration::from_secs(10)).await;

    let expected = [
        "signin_http_requests_total",
        "signin_http_request_duration_seconds_bucket",
        "signin_graphql_operations_total{operation=\"mutation.signIn\",outcome=\"ok\"}",
        "signin_graphql_operations_total{operation=\"query.me\",outcome=\"error\"}",
        "signin_graphql_operation_duration_seconds_bucket",
        "signin_graphql_errors_total{code=\"UNAUTHENTICATED\"}",
        "signin_sign_ins_total",
        "signin_rewards_credited_total",
        "signin_jobs_total{outcome=\"credited\"}",
        "signin_queue_jobs{state=\"waiting\"}",
        "signin_outbox_backlog",
        "signin_db_pool_connections",
        "signin_db_pool_idle",
        "signin_redis_pool_connections",
        "signin_db_statement_duration_seconds_bucket",
        "signin_events_published_total",
    ];
    // The worker counts a credit just after its commit, which the wait
    // above sees: the page is read again until it shows everything (or
    // the time is up), not after a guessed pause.
    poll_until(Duration::from_secs(15), || async {
        let page = client.get(format!("{base}/metrics")).send().await.unwrap();
        assert!(page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        let page = page.text().await.unwrap();
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|metric| !page.contains(metric))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("/metrics lacks {missing:?}"))
        }
    })
    .await;
}
