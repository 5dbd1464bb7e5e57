//! Subscriptions over graphql-transport-ws, fanned out through Redis.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/process.rs"]
mod process;
#[path = "../common/ws.rs"]
mod ws;

mod protocol;

use std::time::{Duration, Instant};

use serde_json::json;
use signin_rewards::model::UserId;

use common::{assert_no_errors, post_graphql, TestApp};
use ws::{Closed, GqlWs};

const STREAK: &str = "subscription { streakUpdated { today signedInToday streak cycleDay todayReward cycle { day signedIn } } }";
const WALLET: &str =
    "subscription { walletUpdated { id amount kind balanceAfter note createdAt } }";
const SIGN_IN: &str = "mutation { signIn { record { cycleDay } } }";
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_sees_its_sign_in_and_its_reward() {
    let app = TestApp::new().await;
    let server = app.serve(true).await;
    let (token, _) = app.register("sub_alice").await;
    let mut ws = GqlWs::connect(server.addr.port(), Some(&token))
        .await
        .unwrap();
    ws.subscribe("s", STREAK).await;
    ws.subscribe("w", WALLET).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_no_errors(&app.exec(Some(&token), SIGN_IN, json!({})).await);
    let streak = ws
        .next_data("s", WAIT)
        .await
        .expect("streakUpdated arrives");
    let status = &streak["data"]["streakUpdated"];
    assert_eq!(
        (
            status["signedInToday"].as_bool(),
            status["streak"].as_i64(),
            status["cycleDay"].as_i64()
        ),
        (Some(true), Some(1), Some(1))
    );
    assert_eq!(status["cycle"][0]["signedIn"], true);

    let wallet = ws
        .next_data("w", WAIT)
        .await
        .expect("walletUpdated arrives when the worker credits");
    let tx = &wallet["data"]["walletUpdated"];
    assert_eq!(
        (
            tx["kind"].as_str(),
            tx["amount"].as_i64(),
            tx["balanceAfter"].as_i64()
        ),
        (Some("SIGN_IN_REWARD"), Some(10), Some(10))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_without_a_valid_token_are_refused() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let port = server.addr.port();
    assert_eq!(
        GqlWs::connect(port, None).await.err(),
        Some(Closed::Code(4401))
    );
    assert_eq!(
        GqlWs::connect(port, Some("not-a-token")).await.err(),
        Some(Closed::Code(4403))
    );
    let (token, id) = app.register("sub_bob").await;
    let (admin, _) = app.admin("sub_admin").await;
    assert_no_errors(
        &app.exec(
            Some(&admin),
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": id.to_string() }),
        )
        .await,
    );
    assert_eq!(
        GqlWs::connect(port, Some(&token)).await.err(),
        Some(Closed::Code(4403))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_only_see_their_own_events() {
    let app = TestApp::new().await;
    let server = app.serve(true).await;
    let (alice, _) = app.register("only_alice").await;
    let (bob, _) = app.register("only_bob").await;
    let mut ws = GqlWs::connect(server.addr.port(), Some(&alice))
        .await
        .unwrap();
    ws.subscribe("s", STREAK).await;
    ws.subscribe("w", WALLET).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_no_errors(&app.exec(Some(&bob), SIGN_IN, json!({})).await);
    app.wait_credited(1, WAIT).await;
    assert!(
        ws.next_data("s", Duration::from_millis(700))
            .await
            .is_none(),
        "alice saw bob's sign-in"
    );
    assert!(
        ws.next_data("w", Duration::from_millis(300))
            .await
            .is_none(),
        "alice saw bob's reward"
    );

    assert_no_errors(&app.exec(Some(&alice), SIGN_IN, json!({})).await);
    assert!(ws.next_data("s", WAIT).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_users_subscriptions_end() {
    let app = TestApp::with_config(&[("SIGNIN_WS_RECHECK_MS", "200")]).await;
    let server = app.serve(false).await;
    let (token, id) = app.register("doomed").await;
    let (admin, _) = app.admin("reaper").await;
    let mut ws = GqlWs::connect(server.addr.port(), Some(&token))
        .await
        .unwrap();
    ws.subscribe("s", STREAK).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_no_errors(
        &app.exec(
            Some(&admin),
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": id.to_string() }),
        )
        .await,
    );
    let started = Instant::now();
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4403));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_per_connection_and_server_pings() {
    let app = TestApp::with_config(&[
        ("SIGNIN_MAX_SUBSCRIPTIONS_PER_CONNECTION", "2"),
        ("SIGNIN_WS_PING_SECS", "1"),
    ])
    .await;
    let server = app.serve(false).await;
    let (token, _) = app.register("greedy").await;
    let mut ws = GqlWs::connect(server.addr.port(), Some(&token))
        .await
        .unwrap();
    ws.subscribe("a", STREAK).await;
    ws.subscribe("b", WALLET).await;
    ws.subscribe("c", STREAK).await;
    // The three start at once: whichever comes third is refused.
    let refused = loop {
        let m = ws
            .next_message(WAIT)
            .await
            .expect("one subscription is refused");
        if m["payload"]["errors"].is_array() {
            break m;
        }
    };
    let refused_id = refused["id"].as_str().unwrap().to_owned();
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        "RATE_LIMITED"
    );
    // The failed root field is null (the GraphQL response shape), not missing.
    assert_eq!(
        refused["payload"].get("data"),
        Some(&serde_json::Value::Null),
        "{refused}"
    );
    // Idle connections are pinged by the server (and the client's pong keeps it open).
    let live = if refused_id == "a" { "c" } else { "a" };
    let _ = ws.next_data(live, Duration::from_millis(2500)).await;
    assert!(ws.pings >= 1, "no server ping in 2.5 s");
    // A new subscription is possible once one ends.
    let mut ws2 = GqlWs::connect(server.addr.port(), Some(&token))
        .await
        .unwrap();
    ws2.subscribe("x", STREAK).await;
    assert_no_errors(&app.exec(Some(&token), SIGN_IN, json!({})).await);
    assert!(
        ws2.next_data("x", WAIT).await.is_some(),
        "limits are per connection"
    );
}

/// A subscription the server refuses before running it (it does not
/// validate) gets the same `BAD_USER_INPUT` code as over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_subscriptions_carry_an_error_code() {
    let app = TestApp::new().await;
    let server = app.serve(false).await;
    let (token, _) = app.register("sloppy").await;
    let mut ws = GqlWs::connect(server.addr.port(), Some(&token))
        .await
        .unwrap();
    ws.subscribe("bad", "subscription { noSuchField }").await;
    let message = loop {
        let m = ws
            .next_message(WAIT)
            .await
            .expect("an answer to the bad subscription");
        if m["id"] == "bad" {
            break m;
        }
    };
    // graphql-transport-ws: an `error` message carries the errors as its
    // payload; a `next` message carries them in `payload.errors`.
    let errors = match message["type"].as_str() {
        Some("error") => message["payload"].clone(),
        _ => message["payload"]["errors"].clone(),
    };
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{message}"
    );
}

/// The next `streakUpdated` (subscription "s") and `walletUpdated` ("w"),
/// in whichever order they arrive.
async fn both(ws: &mut GqlWs) -> (serde_json::Value, serde_json::Value) {
    let (mut streak, mut wallet) = (None, None);
    while streak.is_none() || wallet.is_none() {
        let message = ws.next_message(WAIT).await.expect("both events arrive");
        if message["type"] == "next" {
            match message["id"].as_str() {
                Some("s") => streak = Some(message["payload"].clone()),
                Some("w") => wallet = Some(message["payload"].clone()),
                _ => {}
            }
        }
    }
    (streak.unwrap_or_default(), wallet.unwrap_or_default())
}

/// A make-up and a freeze are announced as a sign-in is: the new status
/// (`streakUpdated`) and the ledger row (`walletUpdated`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_ups_and_freezes_are_announced() {
    let app = TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "31536000")]).await;
    let server = app.serve(false).await;
    let (token, user_id) = app.register("sub_mia").await;
    let (admin, _) = app.admin("sub_admin").await;
    assert_no_errors(
        &app.exec(
            Some(&admin),
            "mutation($u: ID!) { adjustWallet(userId: $u, amount: 500, idempotencyKey: \"k\", note: \"n\") { id } }",
            json!({ "u": user_id.to_string() }),
        )
        .await,
    );
    app.advance_days(2);
    let mut ws = GqlWs::connect(server.addr.port(), Some(&token))
        .await
        .unwrap();
    ws.subscribe(
        "s",
        "subscription { streakUpdated { streak freezesHeld makeUpDates makeUpsLeft } }",
    )
    .await;
    ws.subscribe("w", WALLET).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_no_errors(
        &app.exec(
            Some(&token),
            "mutation { makeUpSignIn(date: \"2026-03-02\", idempotencyKey: \"m\") { record { date } } }",
            json!({}),
        )
        .await,
    );
    let (status, fee) = both(&mut ws).await;
    assert_eq!(
        status["data"]["streakUpdated"],
        json!({ "streak": 1, "freezesHeld": 0, "makeUpDates": ["2026-03-01"], "makeUpsLeft": 2 })
    );
    assert_eq!(fee["data"]["walletUpdated"]["kind"], "MAKE_UP_FEE");

    assert_no_errors(
        &app.exec(
            Some(&token),
            "mutation { buyStreakFreeze(idempotencyKey: \"f\") { status { freezesHeld } } }",
            json!({}),
        )
        .await,
    );
    let (status, price) = both(&mut ws).await;
    assert_eq!(status["data"]["streakUpdated"]["freezesHeld"], 1);
    assert_eq!(price["data"]["walletUpdated"]["kind"], "STREAK_FREEZE");
    assert_eq!(price["data"]["walletUpdated"]["balanceAfter"], 250);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_server_replicas() {
    let app = TestApp::new().await;
    let secret = "a-test-secret-that-is-at-least-32-bytes";
    let mut ports = Vec::new();
    let mut replicas = Vec::new();
    for name in ["replica-a", "replica-b"] {
        let port = process::free_port();
        let vars = vec![
            ("DATABASE_URL", app.db.url.clone()),
            ("REDIS_URL", common::redis_url()),
            ("SIGNIN_REDIS_NAMESPACE", app.db.name.clone()),
            ("SIGNIN_JWT_SECRET", secret.to_owned()),
            ("SIGNIN_BIND", format!("127.0.0.1:{port}")),
        ];
        replicas.push(process::Proc::spawn(name, process::BIN, &["serve"], &vars));
        process::wait_for_port(port, Duration::from_secs(30)).await;
        ports.push(port);
    }
    // The replicas run on the real clock: so must the token.
    app.clock.set(chrono::Utc::now());
    let (token, _) = app.register("roamer").await;
    let mut ws = GqlWs::connect(ports[0], Some(&token)).await.unwrap();
    ws.subscribe("s", STREAK).await;
    ws.subscribe("w", WALLET).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = post_graphql(&reqwest::Client::new(), ports[1], Some(&token), SIGN_IN)
        .await
        .unwrap();
    assert_no_errors(&response);
    assert!(
        ws.next_data("s", WAIT).await.is_some(),
        "the sign-in on replica B reached a subscriber on replica A"
    );
    assert!(
        ws.next_data("w", WAIT).await.is_some(),
        "so did the reward, credited by a worker"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_reconnect_after_a_redis_outage() {
    let mut redis = process::PrivateRedis::start().await;
    let app = TestApp::with_config(&[("REDIS_URL", redis.url().as_str())]).await;
    let server = app.serve(false).await;
    let (token, _) = app.register("patient").await;
    let mut ws = GqlWs::connect(server.addr.port(), Some(&token))
        .await
        .unwrap();
    ws.subscribe("s", STREAK).await;

    redis.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.resume().await;
    // Wait until the process has subscribed again (one subscriber on the channel).
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let started = Instant::now();
    loop {
        let (_, subscribers): (String, i64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(app.state.keys.events_channel())
            .query_async(&mut conn)
            .await
            .unwrap();
        if subscribers > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the event listener never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "event listener resubscribed {:?} after Redis came back",
        started.elapsed()
    );
    assert_no_errors(&app.exec(Some(&token), SIGN_IN, json!({})).await);
    assert!(
        ws.next_data("s", WAIT).await.is_some(),
        "events flow again after the outage"
    );
}

/// The first change announced after a Redis restart is not lost: every
/// connection the pool held died with the old server, and a multiplexed
/// connection says so only when a command fails, so the announcement goes
/// again on the next connection until one is alive (its event reaches the
/// subscribers, and its cache entries are dropped).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_announcement_after_a_redis_restart_is_not_lost() {
    use futures::StreamExt;
    use signin_rewards::after_commit::Committed;
    let mut redis = process::PrivateRedis::start().await;
    let app = TestApp::with_config(&[("REDIS_URL", redis.url().as_str())]).await;
    // Four connections in the pool, idle, each of which the restart kills.
    {
        let held = futures::future::join_all((0..4).map(|_| app.state.redis.get())).await;
        assert!(held.iter().all(Result::is_ok));
    }
    assert!(app.state.redis.state().idle_connections >= 4);
    redis.stop().await;
    redis.resume().await;
    let client = redis::Client::open(redis.url()).unwrap();
    let mut listener = client.get_async_pubsub().await.unwrap();
    listener
        .subscribe(app.state.keys.events_channel())
        .await
        .unwrap();
    app.state
        .after_commit
        .hand_over(Committed::default().user_changed(UserId(1)))
        .await;
    let message = tokio::time::timeout(Duration::from_secs(2), listener.on_message().next())
        .await
        .expect("the announcement after the restart reached the channel");
    assert!(message.is_some());
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_subscribers_each_get_their_own_event() {
    const N: usize = 1000;
    let app = TestApp::new().await;
    let port = process::free_port();
    let vars = vec![
        ("DATABASE_URL", app.db.url.clone()),
        ("REDIS_URL", common::redis_url()),
        ("SIGNIN_REDIS_NAMESPACE", app.db.name.clone()),
        ("SIGNIN_JWT_SECRET", common::JWT_SECRET.to_owned()),
        ("SIGNIN_BIND", format!("127.0.0.1:{port}")),
        // A thousand sockets from one test address.
        ("SIGNIN_MAX_WS_PER_ADDRESS", "2000".to_owned()),
    ];
    let server = process::Proc::spawn(
        "thousand-subscribers",
        process::BIN,
        &["serve", "--no-worker"],
        &vars,
    );
    process::wait_for_port(port, Duration::from_secs(30)).await;
    let ids = app.seed_users("fan", N).await;
    let keys = signin_rewards::auth::token::TokenKeys::new(
        b"a-test-secret-that-is-at-least-32-bytes",
        &[],
        Duration::from_secs(3600),
    );
    let sessions = {
        let mut conn = app.state.db.get().await.unwrap();
        common::seed_sessions(&mut conn, &ids).await
    };
    let now = chrono::Utc::now();
    let tokens: Vec<String> = ids
        .iter()
        .zip(&sessions)
        .map(|(id, session)| {
            keys.issue(
                UserId(*id),
                0,
                signin_rewards::model::SessionId(*session),
                now,
                now + chrono::TimeDelta::days(1),
            )
            .unwrap()
            .0
        })
        .collect();
    let (_, idle_hwm) = rss_kib(server.pid());

    // 1000 connections, each subscribed to its own user's streak.
    use futures::StreamExt;
    let mut sockets: Vec<GqlWs> = futures::stream::iter(tokens.iter().cloned())
        .map(|t| async move {
            let mut ws = GqlWs::connect(port, Some(&t)).await.unwrap();
            ws.subscribe("s", STREAK).await;
            ws
        })
        .buffered(50)
        .collect()
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (subscribed_rss, _) = rss_kib(server.pid());

    // A burst of sign-ins; each subscriber waits for its own event.
    let started = Instant::now();
    let client = reqwest::Client::new();
    let listeners: Vec<_> = sockets
        .drain(..)
        .map(|mut ws| {
            tokio::spawn(async move {
                (
                    ws.next_data("s", Duration::from_secs(30)).await,
                    Instant::now(),
                )
            })
        })
        .collect();
    let sent: Vec<Instant> = futures::stream::iter(tokens.iter().cloned())
        .map(|t| {
            let client = client.clone();
            async move {
                let sent = Instant::now();
                let r = post_graphql(&client, port, Some(&t), SIGN_IN)
                    .await
                    .unwrap();
                assert!(r.get("errors").is_none(), "{r}");
                sent
            }
        })
        .buffered(50)
        .collect()
        .await;
    let mut latencies = Vec::new();
    for (listener, sent_at) in listeners.into_iter().zip(&sent) {
        let (payload, received_at) = listener.await.unwrap();
        let payload = payload.expect("every subscriber receives its event");
        assert_eq!(payload["data"]["streakUpdated"]["signedInToday"], true);
        latencies.push(received_at.duration_since(*sent_at));
    }
    let burst = started.elapsed();
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    let (_, peak) = rss_kib(server.pid());
    println!(
        "1000 subscribers: burst of {N} sign-ins in {burst:?}; delivery latency p50 {:?}, p99 {:?}, max {:?}; \
         server RSS idle {} MiB -> {} MiB with 1000 subscriptions, peak {} MiB",
        p(0.5),
        p(0.99),
        latencies[latencies.len() - 1],
        idle_hwm / 1024,
        subscribed_rss / 1024,
        peak / 1024
    );
    assert!(peak < 150 * 1024, "server peak RSS {} MiB", peak / 1024);
}

/// A `serve` process (`args` after `serve`) on the test's database and
/// Redis namespace, with the test's secret unless `extra` (which wins)
/// says otherwise; once it listens, with its port.
async fn replica(
    app: &TestApp,
    name: &'static str,
    args: &[&str],
    extra: &[(&'static str, &str)],
) -> (process::Proc, u16) {
    let port = process::free_port();
    let mut vars = vec![
        ("DATABASE_URL", app.db.url.clone()),
        ("REDIS_URL", common::redis_url()),
        ("SIGNIN_REDIS_NAMESPACE", app.db.name.clone()),
        ("SIGNIN_JWT_SECRET", common::JWT_SECRET.to_owned()),
        ("SIGNIN_BIND", format!("127.0.0.1:{port}")),
    ];
    for (key, value) in extra {
        vars.retain(|(k, _)| k != key);
        vars.push((key, (*value).to_owned()));
    }
    let mut command = vec!["serve"];
    command.extend_from_slice(args);
    let proc = process::Proc::spawn(name, process::BIN, &command, &vars);
    process::wait_for_port(port, Duration::from_secs(30)).await;
    (proc, port)
}

/// Two `serve` replicas on the test's database and Redis namespace, at the
/// default settings (the token recheck every 30 s); their ports.
async fn two_replicas(app: &TestApp) -> (Vec<process::Proc>, Vec<u16>) {
    let (a, a_port) = replica(app, "replica-a", &[], &[]).await;
    let (b, b_port) = replica(app, "replica-b", &[], &[]).await;
    // The replicas run on the real clock: so must the tokens.
    app.clock.set(chrono::Utc::now());
    (vec![a, b], vec![a_port, b_port])
}

/// The first answer to operation `id` on `ws`: its `next` payload, or the
/// errors of its `error` message.
async fn answer(ws: &mut GqlWs, id: &str) -> serde_json::Value {
    loop {
        let message = ws.next_message(WAIT).await.expect("an answer");
        if message["id"] == id && (message["type"] == "next" || message["type"] == "error") {
            return message["payload"].clone();
        }
    }
}

/// Issue 26 (2): a spent refresh token presented after the grace window
/// (0 s here, so no waiting) ends its session: the session's socket on the
/// other replica is closed with 4401 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refresh_token_closes_its_sessions_sockets_with_4401() {
    let app = TestApp::new().await;
    let grace = [("SIGNIN_REFRESH_GRACE_SECS", "0")];
    let (a, a_port) = replica(&app, "reuse-a", &["--no-worker"], &grace).await;
    let (b, b_port) = replica(&app, "reuse-b", &["--no-worker"], &grace).await;
    let (replicas, ports) = ((a, b), [a_port, b_port]);
    let http = reqwest::Client::new();
    let refresh = |token: &str| {
        format!("mutation {{ refreshSession(refreshToken: \"{token}\") {{ token refreshToken }} }}")
    };
    let registered = post_graphql(
        &http,
        ports[1],
        None,
        "mutation { register(username: \"reused_token\", password: \"correct-horse-battery\") { refreshToken } }",
    )
    .await
    .unwrap();
    assert_no_errors(&registered);
    let first = registered["data"]["register"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = post_graphql(&http, ports[1], None, &refresh(&first))
        .await
        .unwrap();
    assert_no_errors(&rotated);
    let access = rotated["data"]["refreshSession"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ws = GqlWs::connect(ports[0], Some(&access)).await.unwrap();
    ws.subscribe("s", STREAK).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reused = post_graphql(&http, ports[1], None, &refresh(&first))
        .await
        .unwrap();
    assert_eq!(
        reused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{reused}"
    );
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4401));
    drop(replicas);
}

/// Issue 26 (5): a restart with a new signing secret, the old one kept in
/// `SIGNIN_JWT_PREVIOUS_SECRETS`, signs nobody out: two processes, the
/// first signing with the old secret, the second (the restart) with the
/// new one; the old token works on the second, whose refresh then signs
/// with the new key, which a process knowing only the old secret refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_a_new_secret_signs_nobody_out() {
    let app = TestApp::new().await;
    let next_secret = "the-next-signing-secret-of-32-bytes-or-more";
    let (old, old_port) = replica(&app, "old-secret", &["--no-worker"], &[]).await;
    let http = reqwest::Client::new();
    let registered = post_graphql(
        &http,
        old_port,
        None,
        "mutation { register(username: \"rotated_key\", password: \"correct-horse-battery\") { token refreshToken } }",
    )
    .await
    .unwrap();
    assert_no_errors(&registered);
    let token = registered["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh_token = registered["data"]["register"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = [
        ("SIGNIN_JWT_SECRET", next_secret),
        ("SIGNIN_JWT_PREVIOUS_SECRETS", common::JWT_SECRET),
    ];
    let (restarted, new_port) = replica(&app, "new-secret", &["--no-worker"], &rotated).await;
    let me = post_graphql(&http, new_port, Some(&token), "{ me { username } }")
        .await
        .unwrap();
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["username"], "rotated_key");
    let refreshed = post_graphql(
        &http,
        new_port,
        None,
        &format!("mutation {{ refreshSession(refreshToken: \"{refresh_token}\") {{ token }} }}"),
    )
    .await
    .unwrap();
    assert_no_errors(&refreshed);
    let new_token = refreshed["data"]["refreshSession"]["token"]
        .as_str()
        .unwrap();
    assert_no_errors(
        &post_graphql(&http, new_port, Some(new_token), "{ me { id } }")
            .await
            .unwrap(),
    );
    let refused = post_graphql(&http, old_port, Some(new_token), "{ me { id } }")
        .await
        .unwrap();
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    drop((old, restarted));
}

/// Issue 26: a session that ends (here `signOut` on replica B) closes its
/// sockets on replica A with 4401 at once; another session of the same
/// user keeps its socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_closes_its_sockets_with_4401_across_replicas() {
    let app = TestApp::new().await;
    let (_replicas, ports) = two_replicas(&app).await;
    let http = reqwest::Client::new();
    let (kept, _) = app.register("two_devices").await;
    let ended = app.login("two_devices", common::PASSWORD).await;
    let ended = ended["data"]["login"]["token"].as_str().unwrap().to_owned();
    let mut ended_ws = GqlWs::connect(ports[0], Some(&ended)).await.unwrap();
    ended_ws.subscribe("s", STREAK).await;
    let mut kept_ws = GqlWs::connect(ports[0], Some(&kept)).await.unwrap();
    kept_ws.subscribe("s", STREAK).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_no_errors(
        &post_graphql(&http, ports[1], Some(&ended), "mutation { signOut }")
            .await
            .unwrap(),
    );
    assert_eq!(
        ended_ws.closed(Duration::from_secs(5)).await,
        Closed::Code(4401)
    );
    // The other device's socket still works.
    kept_ws.subscribe("me", "{ me { id } }").await;
    let me = answer(&mut kept_ws, "me").await;
    assert!(me["data"]["me"]["id"].is_string(), "{me}");
}

/// Issue 24 (1, 2): rights follow the user at once on an open socket, on
/// every replica: a demoted admin's next operation is refused; a deleted
/// user's or a changed password's subscriptions are closed (4403) at once,
/// not at the next periodic recheck (30 s by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rights_follow_the_user_on_open_sockets_across_replicas() {
    let app = TestApp::new().await;
    let (_replicas, ports) = two_replicas(&app).await;
    let http = reqwest::Client::new();
    let (admin_one, _) = app.admin("admin_one").await;
    let (admin_two, two_id) = app.admin("admin_two").await;

    let mut ws = GqlWs::connect(ports[0], Some(&admin_two)).await.unwrap();
    let demote = format!("mutation {{ setUserRole(id: \"{two_id}\", role: USER) {{ role }} }}");
    assert_no_errors(
        &post_graphql(&http, ports[1], Some(&admin_one), &demote)
            .await
            .unwrap(),
    );
    let adjust = format!(
        "mutation {{ adjustWallet(userId: \"{two_id}\", amount: 777, idempotencyKey: \"k1\", note: \"mine\") {{ amount }} }}"
    );
    ws.subscribe("adjust", &adjust).await;
    let refused = answer(&mut ws, "adjust").await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    let promote = format!("mutation {{ setUserRole(id: \"{two_id}\", role: ADMIN) {{ role }} }}");
    ws.subscribe("promote", &promote).await;
    let refused = answer(&mut ws, "promote").await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM wallet_transactions WHERE kind = 'ADJUSTMENT'")
            .await,
        0
    );

    // Deleted on replica B while subscribed on replica A.
    let (doomed, doomed_id) = app.register("doomed_two").await;
    let mut ws = GqlWs::connect(ports[0], Some(&doomed)).await.unwrap();
    ws.subscribe("s", STREAK).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delete = format!("mutation {{ deleteUser(id: \"{doomed_id}\") }}");
    assert_no_errors(
        &post_graphql(&http, ports[1], Some(&admin_one), &delete)
            .await
            .unwrap(),
    );
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4403));

    // A password changed on replica B ends the old token's socket on A.
    let (old_token, _) = app.register("rotating").await;
    let mut ws = GqlWs::connect(ports[0], Some(&old_token)).await.unwrap();
    ws.subscribe("s", STREAK).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let change = format!(
        "mutation {{ changePassword(currentPassword: \"{}\", newPassword: \"another-password-456\") {{ token }} }}",
        common::PASSWORD
    );
    assert_no_errors(
        &post_graphql(&http, ports[1], Some(&old_token), &change)
            .await
            .unwrap(),
    );
    assert_eq!(ws.closed(Duration::from_secs(5)).await, Closed::Code(4403));
}

/// Issue 24 (5): `login` sent over a WebSocket counts against the
/// per-address limit as over HTTP (the socket's address reaches it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_over_a_websocket_are_limited_per_address() {
    let app = TestApp::with_config(&[
        ("SIGNIN_LOGIN_ADDRESS_SLOW_AFTER", "100"),
        ("SIGNIN_LOGIN_ADDRESS_REFUSE_AFTER", "5"),
    ])
    .await;
    let server = app.serve(false).await;
    let (token, _) = app.register("sprayer").await;
    let mut ws = GqlWs::connect(server.addr.port(), Some(&token))
        .await
        .unwrap();
    let login = |name: &str| {
        format!("mutation {{ login(username: \"{name}\", password: \"guess-guess\") {{ token }} }}")
    };
    for i in 0..5 {
        let id = format!("l{i}");
        ws.subscribe(&id, &login(&format!("sprayed{i}"))).await;
        let failed = answer(&mut ws, &id).await;
        assert_eq!(
            failed["errors"][0]["extensions"]["code"], "INVALID_CREDENTIALS",
            "{failed}"
        );
    }
    ws.subscribe("last", &login("sprayer")).await;
    let refused = answer(&mut ws, "last").await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{refused}"
    );
}

/// Issue 24 (14): one user, or one address, cannot take every WebSocket
/// slot of a process: past the per-user limit a socket is closed with 1013
/// at `connection_init`; past the per-address limit the upgrade is refused
/// (429), also for sockets that never authenticate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_are_limited_per_user_and_per_address() {
    let app = TestApp::with_config(&[
        ("SIGNIN_MAX_WS_PER_USER", "2"),
        ("SIGNIN_MAX_WS_PER_ADDRESS", "4"),
    ])
    .await;
    let server = app.serve(false).await;
    let port = server.addr.port();
    let (hog, _) = app.register("socket_hog").await;
    let (other, _) = app.register("socket_other").await;

    let first = GqlWs::connect(port, Some(&hog)).await.unwrap();
    let _second = GqlWs::connect(port, Some(&hog)).await.unwrap();
    assert_eq!(
        GqlWs::connect(port, Some(&hog)).await.err(),
        Some(Closed::Code(1013))
    );
    // Another user still connects; a closed socket gives its slot back.
    let _others = GqlWs::connect(port, Some(&other)).await.unwrap();
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _third = GqlWs::connect(port, Some(&hog)).await.unwrap();

    // Three open from this address (and one freed above): the fourth is the
    // last it gets, authenticated or not.
    let upgrade = || tokio_tungstenite::connect_async(common::upgrade_request(port));
    let silent = upgrade().await;
    assert!(silent.is_ok());
    let refused = upgrade().await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429)
        }
        other => panic!("expected a 429, got {other:?}"),
    }
}
