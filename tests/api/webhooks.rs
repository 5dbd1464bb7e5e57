//! Webhooks (contract, "Webhooks and streak reminders"), against a real
//! HTTP receiver on loopback (a small axum server in the test): endpoints
//! and their audit, events written with their change, signatures a
//! Standard Webhooks library would verify, the retry schedule on the test
//! clock, 410, `Retry-After`, rotation, disabling after 5 days, replay.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};

use signin_rewards::domain::webhook::{secret_key, sign};
use signin_rewards::model::WebhookDeliveryId;
use signin_rewards::service::webhooks;

use crate::common::{assert_no_errors, error_code, TestApp};

const CREATE: &str = "mutation($u: String!, $e: [WebhookEventType!]!, $d: String) { createWebhookEndpoint(url: $u, events: $e, description: $d) { secret endpoint { id url events description enabled createdAt } } }";
const DELIVERIES: &str = "query($e: ID!) { webhookDeliveries(endpointId: $e) { edges { cursor node { id eventType status payload attempts { at httpStatus error durationMs } nextAttemptAt } } pageInfo { hasNextPage } } }";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: String,
}

/// A receiver on loopback: answers each request with the next scripted
/// (status, headers) (200 once the script is used up) and records it.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<(u16, Vec<(&'static str, &'static str)>)>) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let (g, s) = (got.clone(), script.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (g, s) = (g.clone(), s.clone());
                async move {
                    g.lock().unwrap().push(Received { headers, body });
                    let (status, extra) = s.lock().unwrap().pop_front().unwrap_or((200, vec![]));
                    let mut response =
                        (StatusCode::from_u16(status).unwrap(), "ok").into_response();
                    for (name, value) in extra {
                        response.headers_mut().insert(name, value.parse().unwrap());
                    }
                    response
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url: format!("http://{addr}/hook"),
            got,
        }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = std::time::Instant::now();
        loop {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "only {} of {n} requests arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn app() -> TestApp {
    TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "31536000")]).await
}

/// Creates an endpoint for `events`; (id, secret).
async fn endpoint(app: &TestApp, admin: &str, url: &str, events: &[&str]) -> (String, String) {
    let r = app
        .exec(
            Some(admin),
            CREATE,
            json!({ "u": url, "e": events, "d": "CRM" }),
        )
        .await;
    assert_no_errors(&r);
    let e = &r["data"]["createWebhookEndpoint"];
    (
        e["endpoint"]["id"].as_str().unwrap().to_owned(),
        e["secret"].as_str().unwrap().to_owned(),
    )
}

/// Whether `request` carries a valid signature under `secret`.
fn signed_with(request: &Received, secret: &str) -> bool {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    let id = header("webhook-id");
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
    let expected = sign(
        &secret_key(secret).unwrap(),
        &id,
        timestamp,
        request.body.as_bytes(),
    );
    header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

/// How many signatures `request` carries (one per live secret).
fn signature_count(request: &Received) -> usize {
    request.headers["webhook-signature"]
        .to_str()
        .unwrap()
        .split(' ')
        .count()
}

/// Rotates the endpoint's secret (`rotateWebhookSecret`); answers the new one.
async fn rotate_secret(app: &TestApp, admin: &str, endpoint: &str) -> String {
    let r = app
        .exec(
            Some(admin),
            "mutation($i: ID!) { rotateWebhookSecret(id: $i) { secret endpoint { id } } }",
            json!({ "i": endpoint }),
        )
        .await;
    assert_no_errors(&r);
    r["data"]["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn deliveries(app: &TestApp, admin: &str, endpoint: &str) -> Vec<Value> {
    let r = app
        .exec(Some(admin), DELIVERIES, json!({ "e": endpoint }))
        .await;
    assert_no_errors(&r);
    r["data"]["webhookDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn pending_ids(app: &TestApp) -> Vec<WebhookDeliveryId> {
    let n = app
        .scalar_i64("SELECT count(*) FROM webhook_deliveries")
        .await;
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(WebhookDeliveryId(
            app.scalar_i64(&format!(
                "SELECT id FROM webhook_deliveries ORDER BY id OFFSET {i} LIMIT 1"
            ))
            .await,
        ));
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_are_admin_only_validated_and_audited() {
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let (user, _) = app.register("hooks_user").await;
    let r = app
        .exec(
            Some(&user),
            CREATE,
            json!({ "u": "https://e.com/h", "e": ["SIGN_IN_RECORDED"] }),
        )
        .await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    let r = app
        .exec(Some(&admin), CREATE, json!({ "u": "https://hooks.example.com/signin", "e": ["SIGN_IN_RECORDED", "STREAK_LOST"], "d": "CRM" }))
        .await;
    assert_no_errors(&r);
    let created = &r["data"]["createWebhookEndpoint"];
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(secret_key(secret).unwrap().len() >= 24);
    assert_eq!(
        created["endpoint"]["events"],
        json!(["SIGN_IN_RECORDED", "STREAK_LOST"])
    );
    assert_eq!(created["endpoint"]["enabled"], true);
    // Listed without the secret; the secret is in no audit entry.
    let r = app
        .exec(
            Some(&admin),
            "{ webhookEndpoints { id url description } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"]["webhookEndpoints"][0]["url"],
        "https://hooks.example.com/signin"
    );
    let r = app
        .exec(
            Some(&admin),
            "{ adminAuditLog { edges { node { action details actor { username } } } } }",
            json!({}),
        )
        .await;
    let entry = &r["data"]["adminAuditLog"]["edges"][0]["node"];
    assert_eq!(entry["action"], "createWebhookEndpoint");
    assert!(
        !entry["details"].as_str().unwrap().contains("whsec_"),
        "{entry}"
    );

    for (vars, argument) in [
        (
            json!({ "u": "ftp://e.com/h", "e": ["SIGN_IN_RECORDED"] }),
            "url",
        ),
        (
            json!({ "u": "not a url", "e": ["SIGN_IN_RECORDED"] }),
            "url",
        ),
        (
            json!({ "u": "https://user:pw@e.com/h", "e": ["SIGN_IN_RECORDED"] }),
            "url",
        ),
        (json!({ "u": "https://e.com/h", "e": [] }), "events"),
        (
            json!({ "u": "https://e.com/h", "e": ["SIGN_IN_RECORDED"], "d": "x".repeat(501) }),
            "description",
        ),
    ] {
        let r = app.exec(Some(&admin), CREATE, vars.clone()).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{vars}: {r}");
        assert_eq!(
            r["errors"][0]["extensions"]["argument"], argument,
            "{vars}: {r}"
        );
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM webhook_endpoints")
            .await,
        1,
        "refusals create nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_refuses_http_and_private_addresses() {
    let app = TestApp::with_config(&[
        ("SIGNIN_ENV", "production"),
        (
            "SIGNIN_JWT_SECRET",
            "a-production-secret-of-at-least-32-bytes",
        ),
    ])
    .await;
    let (admin, _) = app.admin("prod_admin").await;
    for url in [
        "http://hooks.example.com/h",
        "https://127.0.0.1/h",
        "https://10.0.0.7/h",
        "https://[::1]/h",
        "https://169.254.169.254/latest",
        "https://[fd00::1]/h",
    ] {
        let r = app
            .exec(
                Some(&admin),
                CREATE,
                json!({ "u": url, "e": ["SIGN_IN_RECORDED"] }),
            )
            .await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{url}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["argument"], "url", "{r}");
    }
    let r = app
        .exec(
            Some(&admin),
            CREATE,
            json!({ "u": "https://hooks.example.com/h", "e": ["SIGN_IN_RECORDED"] }),
        )
        .await;
    assert_no_errors(&r);
}

/// A sign-in's events reach the endpoints subscribed to them, signed;
/// others get nothing. The worker starts after the sign-in: the outbox
/// holds the event meanwhile and the sweep hands it over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_is_delivered_signed_to_its_subscribers_only() {
    let mut app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let subscribed = Receiver::start(vec![]).await;
    let other = Receiver::start(vec![]).await;
    let (_, secret) = endpoint(&app, &admin, &subscribed.url, &["SIGN_IN_RECORDED"]).await;
    endpoint(&app, &admin, &other.url, &["STREAK_LOST"]).await;
    let (token, user_id) = app.register_in("hooked", Some("Asia/Tokyo")).await;
    let user_id = user_id.to_string();
    app.sign_in(&token).await;
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM webhook_deliveries")
            .await,
        1
    );
    app.start_worker();
    let got = subscribed.wait_for(1).await;
    assert!(signed_with(&got[0], &secret), "{got:?}");
    assert_eq!(got[0].headers["content-type"], "application/json");
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "sign_in.recorded");
    assert_eq!(body["data"]["userId"], user_id);
    assert_eq!(body["data"]["username"], "hooked");
    assert_eq!(body["data"]["timeZone"], "Asia/Tokyo");
    assert_eq!(body["data"]["date"], "2026-03-01");
    assert_eq!(body["data"]["cycleDay"], 1);
    assert!(
        body["timestamp"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-01T09:00:00"),
        "{body}"
    );
    // The credit: reward.credited is not subscribed; nothing more arrives.
    app.wait_credited(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(subscribed.got().len(), 1);
    assert!(other.got().is_empty());
    let d = deliveries(
        &app,
        &admin,
        &app.scalar_i64("SELECT min(id) FROM webhook_endpoints")
            .await
            .to_string(),
    )
    .await;
    assert_eq!(d[0]["status"], "DELIVERED", "{d:?}");
    assert_eq!(d[0]["id"], got[0].headers["webhook-id"].to_str().unwrap());
    assert_eq!(d[0]["attempts"][0]["httpStatus"], 200);
}

/// Fails 3 times, then 200: 4 attempts with one `webhook-id`, on the
/// schedule (5 s, 5 min, 30 min, each up to 20 % later), on the test clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_on_the_schedule_with_one_webhook_id() {
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![(500, vec![]), (500, vec![]), (502, vec![])]).await;
    let (endpoint_id, _) = endpoint(&app, &admin, &receiver.url, &["SIGN_IN_RECORDED"]).await;
    let (token, _) = app.register("retried").await;
    app.sign_in(&token).await;
    let id = pending_ids(&app).await[0];
    for (wait_secs, expected_total) in [(0i64, 1), (6, 2), (6 * 60, 3), (36 * 60, 4)] {
        // Not due a second before the earliest the schedule allows.
        if wait_secs > 0 {
            let base = wait_secs * 5 / 6;
            app.clock.advance(chrono::TimeDelta::seconds(base - 1));
            webhooks::attempt(&app.state, id).await.unwrap();
            assert_eq!(receiver.got().len(), expected_total - 1, "attempted early");
            app.clock
                .advance(chrono::TimeDelta::seconds(wait_secs - base + 1));
        }
        webhooks::attempt(&app.state, id).await.unwrap();
        assert_eq!(receiver.got().len(), expected_total);
    }
    let got = receiver.got();
    let ids: std::collections::HashSet<_> = got
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    assert_eq!(ids.len(), 1, "one webhook-id for every attempt");
    let timestamps: Vec<i64> = got
        .iter()
        .map(|r| {
            r.headers["webhook-timestamp"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        timestamps.windows(2).all(|w| w[1] > w[0]),
        "each attempt has its own timestamp: {timestamps:?}"
    );
    let d = deliveries(&app, &admin, &endpoint_id).await;
    assert_eq!(d[0]["status"], "DELIVERED");
    let statuses: Vec<&Value> = d[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["httpStatus"])
        .collect();
    assert_eq!(
        statuses,
        [&json!(500), &json!(500), &json!(502), &json!(200)]
    );
}

/// `410 Gone` disables the endpoint at once (audited, no actor); a
/// `Retry-After` on 503 is honoured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_and_retry_after_is_honoured() {
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let slow = Receiver::start(vec![(503, vec![("retry-after", "600")])]).await;
    let gone = Receiver::start(vec![(410, vec![])]).await;
    endpoint(&app, &admin, &slow.url, &["SIGN_IN_RECORDED"]).await;
    let (gone_id, _) = endpoint(&app, &admin, &gone.url, &["SIGN_IN_RECORDED"]).await;
    let (token, _) = app.register("retry_after").await;
    app.sign_in(&token).await;
    let ids = pending_ids(&app).await;
    for id in &ids {
        webhooks::attempt(&app.state, *id).await.unwrap();
    }
    let wait = app
        .scalar_i64("SELECT extract(epoch FROM next_attempt_at - now_ish)::bigint FROM (SELECT d.next_attempt_at, a.attempted_at AS now_ish FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id WHERE d.status = 'PENDING') x")
        .await;
    assert!((600..=610).contains(&wait), "next attempt in {wait} s");
    let r = app
        .exec(
            Some(&admin),
            "{ webhookEndpoints { id enabled disabledReason } }",
            json!({}),
        )
        .await;
    let gone_row = r["data"]["webhookEndpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == gone_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(gone_row["enabled"], false, "{r}");
    assert_eq!(gone_row["disabledReason"], "the endpoint answered 410 Gone");
    let r = app
        .exec(
            Some(&admin),
            "{ adminAuditLog(first: 1) { edges { node { action actorId details } } } }",
            json!({}),
        )
        .await;
    let entry = &r["data"]["adminAuditLog"]["edges"][0]["node"];
    assert_eq!(
        (entry["action"].as_str(), &entry["actorId"]),
        (Some("updateWebhookEndpoint"), &Value::Null),
        "{entry}"
    );
    // A disabled endpoint gets no new messages.
    app.advance_days(1);
    app.sign_in(&token).await;
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = {gone_id}"
        ))
        .await,
        1
    );
}

/// Each endpoint's messages are signed with that endpoint's secrets only,
/// also when messages of several endpoints (one of them with a rotated
/// secret) are claimed in one batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_claimed_together_are_each_signed_with_their_own_endpoints_secrets() {
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let first = Receiver::start(vec![]).await;
    let second = Receiver::start(vec![]).await;
    let (_, first_secret) = endpoint(&app, &admin, &first.url, &["SIGN_IN_RECORDED"]).await;
    let (second_id, second_old) = endpoint(&app, &admin, &second.url, &["SIGN_IN_RECORDED"]).await;
    let second_new = rotate_secret(&app, &admin, &second_id).await;
    for name in ["batched1", "batched2"] {
        let (token, _) = app.register(name).await;
        app.sign_in(&token).await;
    }
    let ids = pending_ids(&app).await;
    assert_eq!(ids.len(), 4);
    webhooks::attempt_many(&app.state, &ids).await.unwrap();
    let to_first = first.got();
    assert_eq!(to_first.len(), 2);
    for message in &to_first {
        assert_eq!(signature_count(message), 1);
        assert!(signed_with(message, &first_secret));
    }
    let to_second = second.got();
    assert_eq!(to_second.len(), 2);
    for message in &to_second {
        assert_eq!(signature_count(message), 2);
        assert!(signed_with(message, &second_old) && signed_with(message, &second_new));
        assert!(!signed_with(message, &first_secret));
    }
}

/// After a rotation both secrets sign for 24 hours, then the new one alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_signs_beside_the_new_one_for_a_day() {
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![]).await;
    let (endpoint_id, old) = endpoint(&app, &admin, &receiver.url, &["SIGN_IN_RECORDED"]).await;
    let new = rotate_secret(&app, &admin, &endpoint_id).await;
    assert_ne!(new, old);
    let (token, _) = app.register("rotated").await;
    app.sign_in(&token).await;
    webhooks::attempt(&app.state, pending_ids(&app).await[0])
        .await
        .unwrap();
    let first = &receiver.got()[0];
    assert_eq!(signature_count(first), 2);
    assert!(signed_with(first, &old) && signed_with(first, &new));
    app.clock.advance(chrono::TimeDelta::hours(25));
    app.sign_in(&token).await;
    webhooks::attempt(&app.state, *pending_ids(&app).await.last().unwrap())
        .await
        .unwrap();
    let second = &receiver.got()[1];
    assert_eq!(signature_count(second), 1);
    assert!(signed_with(second, &new) && !signed_with(second, &old));
}

/// An endpoint whose every attempt failed for 5 days is disabled (audit
/// entry); a replay sends a message again as a new attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_days_of_failures_disable_and_replay_sends_again() {
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![(500, vec![]), (500, vec![])]).await;
    let (endpoint_id, _) = endpoint(&app, &admin, &receiver.url, &["SIGN_IN_RECORDED"]).await;
    let (token, _) = app.register("failing").await;
    app.sign_in(&token).await;
    let id = pending_ids(&app).await[0];
    webhooks::attempt(&app.state, id).await.unwrap();
    app.sql(&format!(
        "UPDATE webhook_endpoints SET failing_since = failing_since - interval '5 days' WHERE id = {endpoint_id}"
    ))
    .await;
    app.clock.advance(chrono::TimeDelta::seconds(10));
    webhooks::attempt(&app.state, id).await.unwrap();
    let r = app
        .exec(
            Some(&admin),
            "{ webhookEndpoints { enabled disabledReason } }",
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["webhookEndpoints"][0]["enabled"], false, "{r}");
    assert_eq!(
        r["data"]["webhookEndpoints"][0]["disabledReason"],
        "every attempt failed for 5 days"
    );
    let d = deliveries(&app, &admin, &endpoint_id).await;
    assert_eq!(d[0]["status"], "FAILED");
    let message = d[0]["id"].as_str().unwrap().to_owned();
    // A replay needs the endpoint enabled.
    let replay =
        "mutation($i: ID!) { replayWebhookDelivery(id: $i) { id status attempts { httpStatus } } }";
    let r = app
        .exec(Some(&admin), replay, json!({ "i": message }))
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
    let r = app
        .exec(
            Some(&admin),
            "mutation($i: ID!) { updateWebhookEndpoint(id: $i, enabled: true) { enabled } }",
            json!({ "i": endpoint_id }),
        )
        .await;
    assert_eq!(r["data"]["updateWebhookEndpoint"]["enabled"], true, "{r}");
    let r = app
        .exec(Some(&admin), replay, json!({ "i": message }))
        .await;
    assert_no_errors(&r);
    assert_eq!(r["data"]["replayWebhookDelivery"]["status"], "PENDING");
    webhooks::attempt(&app.state, id).await.unwrap();
    assert_eq!(receiver.got().len(), 3);
    assert_eq!(
        deliveries(&app, &admin, &endpoint_id).await[0]["status"],
        "DELIVERED"
    );
    let r = app
        .exec(Some(&admin), replay, json!({ "i": "msg_nope" }))
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND");
}

/// A redirect is not followed, and a receiver slower than
/// SIGNIN_WEBHOOK_TIMEOUT_SECS is a failed attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed_and_slow_receivers_time_out() {
    let app = TestApp::with_config(&[("SIGNIN_WEBHOOK_TIMEOUT_SECS", "1")]).await;
    let (admin, _) = app.admin("hooks_admin").await;
    let target = Receiver::start(vec![]).await;
    let redirecting = Receiver::start(vec![(307, vec![("location", "/elsewhere")])]).await;
    let _ = &target;
    let (redirect_id, _) = endpoint(&app, &admin, &redirecting.url, &["SIGN_IN_RECORDED"]).await;
    // A receiver that never answers in time.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let slow = axum::Router::new().route(
            "/hook",
            axum::routing::post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        );
        axum::serve(listener, slow).await
    });
    let (slow_id, _) = endpoint(&app, &admin, &slow_url, &["SIGN_IN_RECORDED"]).await;
    let (token, _) = app.register("redirected").await;
    app.sign_in(&token).await;
    let started = std::time::Instant::now();
    for id in pending_ids(&app).await {
        webhooks::attempt(&app.state, id).await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the slow receiver was waited for"
    );
    assert_eq!(redirecting.got().len(), 1);
    let d = deliveries(&app, &admin, &redirect_id).await;
    assert_eq!(
        (d[0]["status"].as_str(), &d[0]["attempts"][0]["httpStatus"]),
        (Some("PENDING"), &json!(307))
    );
    let d = deliveries(&app, &admin, &slow_id).await;
    assert_eq!(d[0]["attempts"][0]["httpStatus"], Value::Null);
    assert!(
        d[0]["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{d:?}"
    );
}

/// Reminders at the local time in two zones: `streak.at_risk` once per
/// user and date (not to one who signed in today, nor to a deleted user),
/// and `streak.lost` after their midnight, with the dates a make-up could
/// still fill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_go_out_at_the_local_time_in_each_zone_once() {
    use signin_rewards::service::reminders;
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![]).await;
    let (endpoint_id, _) = endpoint(
        &app,
        &admin,
        &receiver.url,
        &["STREAK_AT_RISK", "STREAK_LOST"],
    )
    .await;
    let app_ref = &app;
    let register = |name: &'static str, zone: &'static str| async move {
        let (token, id) = app_ref.register_in(name, Some(zone)).await;
        (token, id.to_string())
    };
    // 09:00Z on March 1st: 18:00 in Tokyo, 04:00 in New York.
    let (tokyo, tokyo_id) = register("tokyo_rem", "Asia/Tokyo").await;
    let (new_york, new_york_id) = register("ny_rem", "America/New_York").await;
    let (diligent, _) = register("diligent_rem", "Asia/Tokyo").await;
    let (gone, gone_id) = register("gone_rem", "Asia/Tokyo").await;
    for token in [&tokyo, &new_york, &diligent, &gone] {
        app.sign_in(token).await;
    }
    // 11:05Z on March 2nd: 20:05 in Tokyo, 06:05 in New York.
    app.clock
        .set(crate::common::instant("2026-03-02T11:05:00Z"));
    app.sign_in(&diligent).await;
    let r = app
        .exec(
            Some(&admin),
            "mutation($i: ID!) { deleteUser(id: $i) }",
            json!({ "i": gone_id }),
        )
        .await;
    assert_no_errors(&r);
    assert_eq!(reminders::sweep(&app.state).await.unwrap(), 1);
    assert_eq!(
        reminders::sweep(&app.state).await.unwrap(),
        0,
        "once per user and date"
    );
    // 01:05Z on March 3rd: 20:05 on March 2nd in New York, 10:05 on March 3rd in Tokyo.
    app.clock
        .set(crate::common::instant("2026-03-03T01:05:00Z"));
    assert_eq!(reminders::sweep(&app.state).await.unwrap(), 2);
    assert_eq!(reminders::sweep(&app.state).await.unwrap(), 0);

    let messages = deliveries(&app, &admin, &endpoint_id).await;
    let mut bodies: Vec<Value> = messages
        .iter()
        .map(|m| serde_json::from_str(m["payload"].as_str().unwrap()).unwrap())
        .collect();
    bodies.reverse();
    let summary: Vec<(String, String)> = bodies
        .iter()
        .map(|b| {
            (
                b["type"].as_str().unwrap().to_owned(),
                b["data"]["userId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 3, "{bodies:#?}");
    assert_eq!(summary[0], ("streak.at_risk".to_owned(), tokyo_id.clone()));
    let at_risk = &bodies[0]["data"];
    assert_eq!(
        (at_risk["streak"].as_i64(), at_risk["freezesHeld"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(at_risk["date"], "2026-03-02");
    assert_eq!(at_risk["deadline"], "2026-03-02T15:00:00.000Z");
    assert!(
        summary[1..].contains(&("streak.at_risk".to_owned(), new_york_id.clone())),
        "{summary:?}"
    );
    let lost = bodies
        .iter()
        .find(|b| b["type"] == "streak.lost")
        .expect("a streak.lost message");
    assert_eq!(lost["data"]["userId"], tokyo_id);
    assert_eq!(lost["data"]["streak"], 1);
    assert!(
        lost["data"]["makeUpDates"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-03-02")),
        "{lost}"
    );
}

/// `count` users in Lisbon who signed on March 1st only (seeded straight
/// into the tables, without their ledger rows), with the clock at 20:05
/// there on March 2nd: every one of them is at risk.
async fn seed_at_risk_in_lisbon(app: &mut TestApp, count: usize) {
    app.books_left_unbalanced(
        "seeds credited sign-ins straight into the table, without their ledger rows",
    );
    app.clock
        .set(crate::common::instant("2026-03-02T20:05:00Z"));
    app.sql(&format!(
        "INSERT INTO users (username, password_hash, created_at, time_zone, registered_on) \
         SELECT 'paged' || g, 'x', '2026-02-01T00:00:00Z', 'Europe/Lisbon', '2026-02-01' \
           FROM generate_series(1, {count}) g"
    ))
    .await;
    app.sql(
        "INSERT INTO wallets (user_id, balance, updated_at) \
         SELECT id, 0, now() FROM users WHERE username LIKE 'paged%'",
    )
    .await;
    let schedule = app.first_schedule_id().await;
    app.sql(&format!(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, schedule_id) \
         SELECT id, '2026-03-01', 1, 1, 10, '2026-03-01T09:00:00Z', '2026-03-01T09:00:01Z', {schedule} \
           FROM users WHERE username LIKE 'paged%'"
    ))
    .await;
}

/// A sweep over more candidates than one page (pages of 1,000, each read
/// after the one before is written): every user at risk gets one
/// reminder, and a second sweep writes none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_over_many_pages_reminds_each_user_once() {
    use signin_rewards::service::reminders;
    let mut app = app().await;
    subscribe_to_reminders(&app, "STREAK_AT_RISK").await;
    seed_at_risk_in_lisbon(&mut app, 2500).await;
    assert_eq!(reminders::sweep(&app.state).await.unwrap(), 2500);
    assert_eq!(reminders::sweep(&app.state).await.unwrap(), 0);
    assert_eq!(
        app.scalar_i64(
            "SELECT count(DISTINCT user_id) FROM streak_reminders \
              WHERE kind = 'STREAK_AT_RISK' AND day = '2026-03-02'"
        )
        .await,
        2500
    );
}

/// Sweeps of several workers at once (here four, racing over the same
/// pages) write one reminder and one message per user: the reminder's key
/// decides, not timing (contract: "at most one of each per user and date").
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sweeps_at_once_remind_each_user_once() {
    use signin_rewards::service::reminders;
    let mut app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![]).await;
    endpoint(&app, &admin, &receiver.url, &["STREAK_AT_RISK"]).await;
    seed_at_risk_in_lisbon(&mut app, 1500).await;
    let state = &app.state;
    let written: usize = futures::future::join_all((0..4).map(|_| reminders::sweep(state)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(written, 1500);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM streak_reminders")
            .await,
        1500
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM webhook_events WHERE event_type = 'STREAK_AT_RISK'")
            .await,
        1500
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM webhook_deliveries")
            .await,
        1500
    );
}

/// An enabled endpoint subscribed to `events` (a PostgreSQL array's text,
/// e.g. `STREAK_AT_RISK,STREAK_LOST`), written straight into its table: the
/// sweep reminds only of kinds some endpoint subscribes to. Nothing listens
/// at its URL; the tests that use it read the outbox, not deliveries.
async fn subscribe_to_reminders(app: &TestApp, events: &str) {
    app.sql(&format!(
        "INSERT INTO webhook_endpoints (url, events, description, created_at) \
         VALUES ('http://127.0.0.1:9/reminders', '{{{events}}}', 'reminders', now())"
    ))
    .await;
}

/// Users in Lisbon with the clock at `now`, each holding `freezes_held`
/// freezes, and their credited sign-ins: `sign_ins` pairs a username with
/// the dates it signed, oldest first (seeded straight into the tables,
/// without their ledger rows).
async fn seed_in_lisbon(
    app: &mut TestApp,
    now: &str,
    freezes_held: i32,
    sign_ins: &[(&str, &[&str])],
) {
    app.books_left_unbalanced(
        "seeds credited sign-ins straight into the table, without their ledger rows",
    );
    app.clock.set(crate::common::instant(now));
    let schedule = app.first_schedule_id().await;
    for (name, dates) in sign_ins {
        app.sql(&format!(
            "INSERT INTO users (username, password_hash, created_at, time_zone, registered_on) \
             VALUES ('{name}', 'x', '2026-02-01T00:00:00Z', 'Europe/Lisbon', '2026-02-01')"
        ))
        .await;
        app.sql(&format!(
            "INSERT INTO wallets (user_id, balance, freezes_held, updated_at) \
             SELECT id, 0, {freezes_held}, now() FROM users WHERE username = '{name}'"
        ))
        .await;
        for (n, date) in dates.iter().enumerate() {
            let n = n + 1;
            app.sql(&format!(
                "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, schedule_id) \
                 SELECT id, '{date}', {n}, {n}, 10, date '{date}' + interval '9 hours', \
                        date '{date}' + interval '9 hours', {schedule} \
                   FROM users WHERE username = '{name}'"
            ))
            .await;
        }
    }
}

/// A sweep's candidates for a date are the users whose latest sign-in up
/// to today is on that date: the sweep writes nothing for a user its rules
/// pass over and runs every minute, so a user who signed a later date
/// (never lost or at risk through the earlier one) would be read again
/// every minute all day. Lisbon on March 2nd: one user signed February
/// 28th only (lost), one February 28th and March 1st (at risk, not lost),
/// one all three dates (neither).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_reads_each_user_through_their_latest_sign_in_only() {
    use signin_rewards::model::{UserId, WebhookEventType};
    use signin_rewards::service::reminders;
    use signin_rewards::store::webhooks::reminder_candidates;
    let mut app = app().await;
    subscribe_to_reminders(&app, "STREAK_AT_RISK,STREAK_LOST").await;
    seed_in_lisbon(
        &mut app,
        "2026-03-02T20:05:00Z",
        0,
        &[
            ("lost", &["2026-02-28"]),
            ("at_risk", &["2026-02-28", "2026-03-01"]),
            ("signed", &["2026-02-28", "2026-03-01", "2026-03-02"]),
        ],
    )
    .await;
    let id = |name: &'static str| {
        let app = &app;
        async move {
            UserId(
                app.scalar_i64(&format!("SELECT id FROM users WHERE username = '{name}'"))
                    .await,
            )
        }
    };
    let (lost, at_risk) = (id("lost").await, id("at_risk").await);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let state = &app.state;
    let candidates = |date: &'static str, kind| async move {
        let mut conn = state.db().await.unwrap();
        let date = date.parse().unwrap();
        reminder_candidates(&mut conn, "Europe/Lisbon", date, kind, today, UserId(0), 10)
            .await
            .unwrap()
    };
    assert_eq!(
        candidates("2026-02-28", WebhookEventType::StreakLost).await,
        [lost]
    );
    assert_eq!(
        candidates("2026-03-01", WebhookEventType::StreakAtRisk).await,
        [at_risk]
    );
    assert_eq!(
        candidates("2026-02-28", WebhookEventType::StreakAtRisk).await,
        [lost]
    );
    // The rules still decide: one lost, one at risk, nothing for the third.
    assert_eq!(reminders::sweep(&app.state).await.unwrap(), 2);
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM streak_reminders r JOIN users u ON u.id = r.user_id \
              WHERE (u.username, r.kind::text) IN (('lost', 'STREAK_LOST'), ('at_risk', 'STREAK_AT_RISK'))"
        )
        .await,
        2
    );
}

/// Freezes held move both reminders back (contract: at risk when more
/// dates are missed by the next midnight than freezes held; lost when the
/// midnight leaves more missed than held), so the sweep's candidates reach
/// back as far as freezes go. Lisbon at 20:05 on March 4th, each user
/// holding one freeze: signed March 2nd only (at risk: one date missed,
/// two by midnight), March 1st only (lost: two missed), and March 1st and
/// 2nd (at risk, found through its latest date).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_reach_back_as_far_as_freezes_held() {
    use signin_rewards::service::reminders;
    let mut app = app().await;
    subscribe_to_reminders(&app, "STREAK_AT_RISK,STREAK_LOST").await;
    seed_in_lisbon(
        &mut app,
        "2026-03-04T20:05:00Z",
        1,
        &[
            ("held_risk", &["2026-03-02"]),
            ("held_lost", &["2026-03-01"]),
            ("held_twice", &["2026-03-01", "2026-03-02"]),
        ],
    )
    .await;
    assert_eq!(reminders::sweep(&app.state).await.unwrap(), 3);
    let written = app
        .scalar_i64(
            "SELECT count(*) FROM streak_reminders r JOIN users u ON u.id = r.user_id \
              WHERE (u.username, r.kind::text, r.day) IN \
                    (('held_risk', 'STREAK_AT_RISK', date '2026-03-04'), \
                     ('held_lost', 'STREAK_LOST', date '2026-03-04'), \
                     ('held_twice', 'STREAK_AT_RISK', date '2026-03-04'))",
        )
        .await;
    assert_eq!(written, 3);
}

/// A kind of reminder is swept only while an enabled endpoint subscribes
/// to it: its events would go nowhere, and its pass reads thousands of
/// chains a minute (bench/peer.sh: 13,000 at each start, beside the reads
/// it measures). A user passed over for want of a subscriber is reminded
/// by the first sweep after one subscribes, the same day. Lisbon at 20:05
/// on March 2nd: one user lost (signed February 28th), one at risk
/// (signed March 1st).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_are_swept_only_for_kinds_an_endpoint_subscribes_to() {
    use signin_rewards::service::reminders;
    let mut app = app().await;
    seed_in_lisbon(
        &mut app,
        "2026-03-02T20:05:00Z",
        0,
        &[
            ("lost_unheard", &["2026-02-28"]),
            ("at_risk_unheard", &["2026-03-01"]),
        ],
    )
    .await;
    let reminded = "SELECT count(*) FROM streak_reminders";
    let of_kind =
        |kind: &str| format!("SELECT count(*) FROM streak_reminders WHERE kind = '{kind}'");
    assert_eq!(
        reminders::sweep(&app.state).await.unwrap(),
        0,
        "no endpoint"
    );
    subscribe_to_reminders(&app, "SIGN_IN_RECORDED").await;
    app.sql("INSERT INTO webhook_endpoints (url, events, description, created_at, enabled) \
             VALUES ('http://127.0.0.1:9/off', '{STREAK_AT_RISK,STREAK_LOST}', 'disabled', now(), false)")
        .await;
    app.sql("INSERT INTO webhook_endpoints (url, events, description, created_at, deleted_at) \
             VALUES ('http://127.0.0.1:9/gone', '{STREAK_AT_RISK,STREAK_LOST}', 'deleted', now(), now())")
        .await;
    assert_eq!(
        reminders::sweep(&app.state).await.unwrap(),
        0,
        "endpoints of other kinds, disabled or deleted"
    );
    assert_eq!(app.scalar_i64(reminded).await, 0);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM webhook_events").await,
        0
    );
    subscribe_to_reminders(&app, "STREAK_LOST").await;
    assert_eq!(reminders::sweep(&app.state).await.unwrap(), 1);
    assert_eq!(app.scalar_i64(&of_kind("STREAK_LOST")).await, 1);
    assert_eq!(app.scalar_i64(reminded).await, 1);
    subscribe_to_reminders(&app, "STREAK_AT_RISK").await;
    assert_eq!(reminders::sweep(&app.state).await.unwrap(), 1);
    assert_eq!(app.scalar_i64(&of_kind("STREAK_AT_RISK")).await, 1);
    assert_eq!(app.scalar_i64(reminded).await, 2);
}

/// An attempt is written only with its delivery's update: the statement
/// that records attempts skips an id no delivery has (what the foreign key
/// that migration `attempts_without_key_lock` dropped used to refuse).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_is_recorded_only_for_a_delivery_that_exists() {
    use signin_rewards::clock::Clock;
    use signin_rewards::model::WebhookDeliveryStatus;
    use signin_rewards::store::webhooks::{record_attempts, AttemptRecord};
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![]).await;
    endpoint(&app, &admin, &receiver.url, &["SIGN_IN_RECORDED"]).await;
    let (token, _) = app.register("attempted").await;
    app.sign_in(&token).await;
    let ids = pending_ids(&app).await;
    assert_eq!(ids.len(), 1);
    let now = app.clock.now();
    let attempt = |delivery_id| AttemptRecord {
        delivery_id,
        attempted_at: now,
        status_code: Some(200),
        error: None,
        duration_ms: 3,
        status: WebhookDeliveryStatus::Delivered,
        next_attempt_at: None,
    };
    let unknown = WebhookDeliveryId(ids[0].0 + 1000);
    let mut conn = app.state.db().await.unwrap();
    record_attempts(&mut conn, &[attempt(unknown), attempt(ids[0])])
        .await
        .unwrap();
    drop(conn);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FILTER (WHERE delivery_id = {}) * 10 + count(*) FROM webhook_attempts",
            ids[0].0
        ))
        .await,
        11,
        "one attempt, for the delivery that exists"
    );
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'DELIVERED' AND attempts = 1"
        )
        .await,
        1
    );
}

/// The other events of a sign-in and its credit, each written with its
/// change: `streak.freeze_used` (the dates covered), `milestone.reached`
/// (its bonus) and `reward.credited` (the reward, then the bonus).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freezes_milestones_and_credits_have_their_events() {
    let mut app = TestApp::with_config(&[
        ("SIGNIN_TOKEN_TTL_SECS", "31536000"),
        ("SIGNIN_MILESTONES", "2:5"),
    ])
    .await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![]).await;
    let (endpoint_id, _) = endpoint(
        &app,
        &admin,
        &receiver.url,
        &[
            "SIGN_IN_RECORDED",
            "REWARD_CREDITED",
            "MILESTONE_REACHED",
            "STREAK_FREEZE_USED",
        ],
    )
    .await;
    let (token, id) = app.register("eventful").await;
    let r = app
        .exec(
            Some(&admin),
            "mutation($u: ID!) { adjustWallet(userId: $u, amount: 300, idempotencyKey: \"seed\", note: \"seed\") { id } }",
            json!({ "u": id.to_string() }),
        )
        .await;
    assert_no_errors(&r);
    let r = app
        .exec(
            Some(&token),
            "mutation { buyStreakFreeze(idempotencyKey: \"f\") { transaction { id } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&r);
    app.sign_in(&token).await; // March 1st
    app.advance_days(2); // March 2nd missed: the freeze covers it
    app.sign_in(&token).await; // streak 2: the milestone
    app.start_worker();
    app.wait_credited(2, Duration::from_secs(10)).await;
    let count = |kind: &'static str| {
        let app = &app;
        async move {
            app.scalar_i64(&format!(
                "SELECT count(*) FROM webhook_events WHERE event_type = '{kind}'"
            ))
            .await
        }
    };
    assert_eq!(count("SIGN_IN_RECORDED").await, 2);
    assert_eq!(count("STREAK_FREEZE_USED").await, 1);
    assert_eq!(count("MILESTONE_REACHED").await, 1);
    assert_eq!(
        count("REWARD_CREDITED").await,
        3,
        "two rewards and the bonus"
    );
    let bodies: Vec<Value> = deliveries(&app, &admin, &endpoint_id)
        .await
        .iter()
        .map(|m| serde_json::from_str(m["payload"].as_str().unwrap()).unwrap())
        .collect();
    let of = |kind: &str| bodies.iter().find(|b| b["type"] == kind).unwrap().clone();
    assert_eq!(
        of("streak.freeze_used")["data"]["dates"],
        json!(["2026-03-02"])
    );
    assert_eq!(of("streak.freeze_used")["data"]["freezesHeld"], 0);
    let milestone = of("milestone.reached");
    assert_eq!(
        (
            milestone["data"]["streak"].as_i64(),
            milestone["data"]["bonus"].as_i64()
        ),
        (Some(2), Some(5))
    );
    let kinds: Vec<&Value> = bodies
        .iter()
        .filter(|b| b["type"] == "reward.credited")
        .map(|b| &b["data"]["transaction"]["kind"])
        .collect();
    assert!(
        kinds.contains(&&json!("MILESTONE_BONUS")) && kinds.contains(&&json!("SIGN_IN_REWARD")),
        "{kinds:?}"
    );
}

/// A receiver that takes each request and answers it only once released;
/// counts the requests it got.
struct HangingReceiver {
    url: String,
    got: Arc<std::sync::atomic::AtomicUsize>,
    release: Arc<tokio::sync::Notify>,
}

impl HangingReceiver {
    async fn start() -> Self {
        let got = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let (g, r) = (got.clone(), release.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move || {
                let (g, r) = (g.clone(), r.clone());
                async move {
                    let released = r.notified();
                    g.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    released.await;
                    "late"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        HangingReceiver { url, got, release }
    }

    fn got(&self) -> usize {
        self.got.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A receiver that hangs gets at most `MAX_SENDS_PER_ENDPOINT` messages at
/// once; the others wait their turn, unattempted. Meanwhile another
/// endpoint gets every message and every reward is credited. Once the
/// receiver answers, every message reaches it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_holds_up_neither_another_endpoint_nor_the_credits() {
    use signin_rewards::webhook_client::MAX_SENDS_PER_ENDPOINT;
    let n = MAX_SENDS_PER_ENDPOINT + 8;
    let mut app = TestApp::with_config(&[("SIGNIN_WEBHOOK_TIMEOUT_SECS", "60")]).await;
    let (admin, _) = app.admin("hooks_admin").await;
    let hanging = HangingReceiver::start().await;
    let fast = Receiver::start(vec![]).await;
    let (hanging_id, _) = endpoint(&app, &admin, &hanging.url, &["SIGN_IN_RECORDED"]).await;
    endpoint(&app, &admin, &fast.url, &["SIGN_IN_RECORDED"]).await;
    app.start_worker();
    for user_id in app.seed_users("crowd", n).await {
        app.sign_in(&app.token_for(user_id).await).await;
    }
    fast.wait_for(n).await;
    app.wait_credited(n as i64, Duration::from_secs(20)).await;
    let started = std::time::Instant::now();
    while hanging.got() < MAX_SENDS_PER_ENDPOINT {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{} sent",
            hanging.got()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The rest wait (sweeps come every second meanwhile): none is sent.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hanging.got(), MAX_SENDS_PER_ENDPOINT);
    let unattempted = format!(
        "SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = {hanging_id} \
           AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = d.id)"
    );
    assert_eq!(app.scalar_i64(&unattempted).await, n as i64);
    // The receiver answers: every message is delivered.
    hanging.release.notify_waiters();
    let delivered = format!(
        "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = {hanging_id} AND status = 'DELIVERED'"
    );
    let started = std::time::Instant::now();
    loop {
        hanging.release.notify_waiters();
        if app.scalar_i64(&delivered).await == n as i64 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not all delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hanging.got(), n, "each message sent once");
}

/// The endpoint's row is written only when its failing time starts or
/// ends, not at every attempt: attempts to one endpoint would otherwise all
/// queue on that one row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_write_the_endpoint_row_only_when_its_health_changes() {
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![(500, vec![]), (500, vec![])]).await;
    let (endpoint_id, _) = endpoint(&app, &admin, &receiver.url, &["SIGN_IN_RECORDED"]).await;
    let row_version =
        format!("SELECT xmin::text::bigint FROM webhook_endpoints WHERE id = {endpoint_id}");
    let failing = format!("SELECT count(*) FROM webhook_endpoints WHERE id = {endpoint_id} AND failing_since IS NOT NULL");
    for name in ["health1", "health2", "health3", "health4"] {
        let (token, _) = app.register(name).await;
        app.sign_in(&token).await;
    }
    let ids = pending_ids(&app).await;
    let created = app.scalar_i64(&row_version).await;
    // The first failure starts the failing time; the second changes nothing.
    webhooks::attempt(&app.state, ids[0]).await.unwrap();
    let failed_once = app.scalar_i64(&row_version).await;
    assert_ne!(failed_once, created);
    assert_eq!(app.scalar_i64(&failing).await, 1);
    webhooks::attempt(&app.state, ids[1]).await.unwrap();
    assert_eq!(app.scalar_i64(&row_version).await, failed_once);
    // A delivery ends it; the next delivery changes nothing.
    webhooks::attempt(&app.state, ids[2]).await.unwrap();
    let healthy = app.scalar_i64(&row_version).await;
    assert_ne!(healthy, failed_once);
    assert_eq!(app.scalar_i64(&failing).await, 0);
    webhooks::attempt(&app.state, ids[3]).await.unwrap();
    assert_eq!(app.scalar_i64(&row_version).await, healthy);
    assert_eq!(receiver.got().len(), 4);
}

/// A message given back unattempted (its endpoint had no room) is free
/// again: due at the time given, and claimable at once by any worker, not
/// only after the lease it was claimed with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_given_back_can_be_claimed_again_at_once() {
    use signin_rewards::store::webhooks as store;
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![]).await;
    endpoint(&app, &admin, &receiver.url, &["SIGN_IN_RECORDED"]).await;
    let (token, _) = app.register("given_back").await;
    app.sign_in(&token).await;
    let ids = pending_ids(&app).await;
    let now = app.state.calendar.now();
    let lease_until = now + chrono::TimeDelta::hours(1);
    let mut conn = app.state.db.get().await.unwrap();
    assert_eq!(
        store::claim(&mut conn, &ids, now, lease_until)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store::claim(&mut conn, &ids, now, lease_until)
            .await
            .unwrap()
            .is_empty(),
        "claimed twice"
    );
    assert_eq!(store::release(&mut conn, &ids, now).await.unwrap(), 1);
    assert_eq!(
        store::claim(&mut conn, &ids, now, lease_until)
            .await
            .unwrap()
            .len(),
        1
    );
    drop(conn);
    assert!(receiver.got().is_empty());
}

/// The outbox's writes (a reminder's key, an event and its delivery) take
/// no lock on the user's row, as a foreign key's check would (a KEY SHARE
/// lock, written into the row, for every event: migration
/// `outbox_without_key_locks`). While they are uncommitted, another
/// transaction locks the row at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_locks_no_user_row() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    use signin_rewards::model::{UserId, WebhookEventType};
    use signin_rewards::store::webhooks as store;
    let app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![]).await;
    endpoint(&app, &admin, &receiver.url, &["STREAK_AT_RISK"]).await;
    let (_, id) = app.register("unlocked").await;
    let user = UserId(id);
    let now = app.state.calendar.now();
    let mut writer = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    writer.batch_execute("BEGIN").await.unwrap();
    let kind = WebhookEventType::StreakAtRisk;
    let claimed = store::claim_reminders(&mut writer, &[user], kind, now.date_naive(), now)
        .await
        .unwrap();
    assert_eq!(claimed, vec![user]);
    let event = store::NewEvent {
        key: "evt_unlocked".to_owned(),
        event_type: kind,
        user_id: user,
        data: "{}".to_owned(),
    };
    let due = store::record_events(&mut writer, &[event], now)
        .await
        .unwrap();
    assert_eq!(due.len(), 1, "the event and its delivery are written");

    let mut other = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    other
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM users WHERE id = {id} FOR UPDATE NOWAIT; ROLLBACK"
        ))
        .await
        .expect("the user's row is not locked by the outbox's writes");
    writer.batch_execute("ROLLBACK").await.unwrap();
}

/// A reminder sweep that takes long (here held up by a lock on the
/// reminders' table) holds up no due message: the sweep that hands them to
/// the queue runs on a task of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_reminder_sweep_holds_up_no_due_message() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    use signin_rewards::model::{UserId, WebhookEventType};
    use signin_rewards::store::webhooks as store;
    let mut app = app().await;
    let (admin, _) = app.admin("hooks_admin").await;
    let receiver = Receiver::start(vec![]).await;
    endpoint(&app, &admin, &receiver.url, &["STREAK_AT_RISK"]).await;
    let (token, id) = app.register_in("held_up_rem", Some("Asia/Tokyo")).await;
    app.sign_in(&token).await;
    // 20:05 in Tokyo the next day: the user's streak is at risk.
    app.clock
        .set(crate::common::instant("2026-03-02T11:05:00Z"));
    let mut holder = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE streak_reminders IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    // A message due now that no after-commit push handed over: only the
    // sweep finds it.
    let mut writer = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    let event = store::NewEvent {
        key: "evt_held_up".to_owned(),
        event_type: WebhookEventType::StreakAtRisk,
        user_id: UserId(id),
        data: "{}".to_owned(),
    };
    let now = app.state.calendar.now();
    assert_eq!(
        store::record_events(&mut writer, &[event], now)
            .await
            .unwrap()
            .len(),
        1
    );
    app.start_worker();
    let held_up = app
        .becomes_nonzero(
            "SELECT count(*) FROM pg_locks WHERE relation = 'streak_reminders'::regclass AND NOT granted",
            Duration::from_secs(10),
        )
        .await;
    assert!(held_up, "the reminder sweep waits for the lock");
    // The due message is sent while the reminder sweep still waits.
    receiver.wait_for(1).await;
    holder.batch_execute("ROLLBACK").await.unwrap();
    // The reminder goes out once the sweep goes on.
    receiver.wait_for(2).await;
}
