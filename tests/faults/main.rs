//! Fault tests: real service processes, real PostgreSQL, a private Redis we
//! stop and start, `kill -9`. Each ends with `signin-rewards audit` clean and
//! the ledger holding exactly the rewards of the committed sign-ins.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/process.rs"]
mod process;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::sql_types::BigInt;
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use common::{redis_url, TestDatabase};
use process::{free_port, redis_server_args, wait_for_port, PrivateRedis, Proc, BIN};
use signin_rewards::auth::token::TokenKeys;
use signin_rewards::model::{SessionId, UserId};

const SECRET: &str = "fault-test-secret-that-is-32-bytes-long";
const SIGN_IN: &str = "mutation { signIn { record { cycleDay reward rewardCredited } } }";

struct Env {
    db: TestDatabase,
    redis_url: String,
}

impl Env {
    async fn new(redis_url: String) -> Self {
        Env {
            db: TestDatabase::create().await,
            redis_url,
        }
    }

    fn vars(&self, redis_url: &str, port: u16) -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", self.db.url.clone()),
            ("REDIS_URL", redis_url.to_owned()),
            ("SIGNIN_REDIS_NAMESPACE", self.db.name.clone()),
            ("SIGNIN_JWT_SECRET", SECRET.to_owned()),
            ("SIGNIN_BIND", format!("127.0.0.1:{port}")),
            ("SIGNIN_RELAY_GRACE_SECS", "2".to_owned()),
            ("SIGNIN_RELAY_INTERVAL_MS", "500".to_owned()),
            ("SIGNIN_DB_POOL_SIZE", "10".to_owned()),
            // Every first sign-in reaches a milestone: each fault below
            // covers milestone bonuses as it covers rewards.
            ("SIGNIN_MILESTONES", "1:5".to_owned()),
        ]
    }

    /// `signin-rewards serve` (with the worker unless `--no-worker` is given).
    async fn serve(&self, name: &str, redis_url: &str, args: &[&str]) -> (Proc, u16) {
        let port = free_port();
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let proc = Proc::spawn(name, BIN, &all, &self.vars(redis_url, port));
        wait_for_port(port, Duration::from_secs(30)).await;
        (proc, port)
    }

    fn worker(&self, name: &str) -> Proc {
        Proc::spawn(
            name,
            BIN,
            &["worker"],
            &self.vars(&self.redis_url, free_port()),
        )
    }

    async fn conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.db.url).await.unwrap()
    }

    async fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = self.conn().await;
        diesel::sql_query(format!("SELECT ({sql})::BIGINT AS n"))
            .get_result::<N>(&mut conn)
            .await
            .unwrap()
            .n
    }

    /// `n` users straight into the database, with tokens minted with the
    /// service's secret (hashing 1000 passwords would only slow the test).
    async fn seed_users(&self, n: usize) -> Vec<String> {
        let mut conn = self.conn().await;
        diesel::sql_query(format!(
            "WITH u AS (INSERT INTO users (username, password_hash, created_at, time_zone, registered_on) \
               SELECT 'user' || g, 'not-a-hash', now(), 'UTC', current_date FROM generate_series(1, {n}) g RETURNING id) \
             INSERT INTO wallets (user_id, balance, updated_at) SELECT id, 0, now() FROM u"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: UserId,
        }
        let ids: Vec<Id> = diesel::sql_query("SELECT id FROM users ORDER BY id")
            .load(&mut conn)
            .await
            .unwrap();
        let keys = TokenKeys::new(SECRET.as_bytes(), &[], Duration::from_secs(3600));
        let user_ids: Vec<i64> = ids.iter().map(|u| u.id.0).collect();
        let sessions = common::seed_sessions(&mut conn, &user_ids).await;
        let now = Utc::now();
        ids.iter()
            .zip(sessions)
            .map(|(u, session)| {
                keys.issue(
                    u.id,
                    0,
                    SessionId(session),
                    now,
                    now + chrono::TimeDelta::days(1),
                )
                .unwrap()
                .0
            })
            .collect()
    }

    /// Waits until every sign-in is credited; returns how long that took.
    async fn wait_all_credited(&self, timeout: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let pending = self
                .count("SELECT count(*) FROM sign_ins WHERE credited_at IS NULL")
                .await;
            if pending == 0 {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < timeout,
                "{pending} sign-ins still uncredited after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Exactly one reward per committed sign-in, balances equal to their
    /// ledgers, and `signin-rewards audit` agrees.
    async fn assert_money_exact(&self, expected_sign_ins: i64) {
        let sign_ins = self.count("SELECT count(*) FROM sign_ins").await;
        assert_eq!(sign_ins, expected_sign_ins, "committed sign-ins");
        let rewards = self
            .count("SELECT count(*) FROM wallet_transactions WHERE kind = 'SIGN_IN_REWARD'")
            .await;
        assert_eq!(rewards, sign_ins, "one reward row per sign-in");
        let with_bonus = self
            .count("SELECT count(*) FROM sign_ins WHERE milestone_bonus IS NOT NULL")
            .await;
        assert_eq!(with_bonus, sign_ins, "every first sign-in earned a bonus");
        let bonuses = self
            .count("SELECT count(*) FROM wallet_transactions WHERE kind = 'MILESTONE_BONUS'")
            .await;
        assert_eq!(bonuses, with_bonus, "one bonus row per bonus earned");
        let paid = self
            .count("SELECT coalesce(sum(amount), 0) FROM wallet_transactions")
            .await;
        let owed = self
            .count("SELECT coalesce(sum(reward + coalesce(milestone_bonus, 0)), 0) FROM sign_ins")
            .await;
        assert_eq!(
            paid, owed,
            "the ledger holds exactly the rewards and bonuses of the committed sign-ins"
        );
        let output = tokio::process::Command::new(BIN)
            .arg("audit")
            .env("DATABASE_URL", &self.db.url)
            .env("REDIS_URL", &self.redis_url)
            .env("SIGNIN_REDIS_NAMESPACE", &self.db.name)
            .env("RUST_LOG", "warn")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "audit failed:\n{stdout}");
        assert!(stdout.contains("audit: clean"), "{stdout}");
    }
}

fn client() -> reqwest::Client {
    signin_rewards::webhook_client::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

async fn post(
    client: &reqwest::Client,
    port: u16,
    token: &str,
    query: &str,
) -> Result<Value, reqwest::Error> {
    common::post_graphql(client, port, Some(token), query).await
}

/// Signs every token in, `concurrency` at a time; returns the responses.
async fn sign_in_all(
    port: u16,
    tokens: &[String],
    concurrency: usize,
) -> Vec<Result<Value, reqwest::Error>> {
    use futures::StreamExt;
    let client = client();
    futures::stream::iter(tokens.iter().cloned())
        .map(|t| {
            let client = client.clone();
            async move { post(&client, port, &t, SIGN_IN).await }
        })
        .buffered(concurrency)
        .collect()
        .await
}

fn all_succeeded(responses: &[Result<Value, reqwest::Error>]) -> bool {
    responses
        .iter()
        .all(|r| matches!(r, Ok(v) if v.get("errors").is_none() && v["data"]["signIn"].is_object()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_at_sign_in_time() {
    let mut redis = PrivateRedis::start().await;
    let env = Env::new(redis.url()).await;
    let (_service, port) = env.serve("redis-down-serve", &redis.url(), &[]).await;
    let tokens = env.seed_users(100).await;

    redis.stop().await;
    let started = Instant::now();
    let responses = sign_in_all(port, &tokens, 20).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "Redis being down must not slow sign-ins down: {took:?}"
    );
    assert!(
        all_succeeded(&responses),
        "every sign-in succeeds while Redis is down: {:?}",
        responses
            .iter()
            .find(|r| !matches!(r, Ok(v) if v.get("errors").is_none()))
    );
    // Reads fall back to PostgreSQL (token check and status alike).
    let status = post(
        &client(),
        port,
        &tokens[0],
        "{ me { signInStatus { signedInToday streak } } }",
    )
    .await
    .unwrap();
    assert_eq!(
        status["data"]["me"]["signInStatus"]["signedInToday"], true,
        "{status}"
    );
    let ready = client()
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(
        (body["postgres"].as_str(), body["redis"].as_str()),
        (Some("ok"), Some("unavailable"))
    );
    assert_eq!(
        env.count("SELECT count(*) FROM sign_ins WHERE credited_at IS NOT NULL")
            .await,
        0
    );

    redis.resume().await;
    let recovery = env.wait_all_credited(Duration::from_secs(60)).await;
    println!("redis outage: 100 sign-ins took {took:?} with Redis down; all credited {recovery:?} after Redis came back");
    env.assert_money_exact(100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_run() {
    let env = Env::new(redis_url()).await;
    let (_api, port) = env
        .serve("kill-worker-api", &redis_url(), &["--no-worker"])
        .await;
    let mut workers = vec![
        env.worker("kill-worker-1"),
        env.worker("kill-worker-2"),
        env.worker("kill-worker-3"),
    ];
    let tokens = Arc::new(env.seed_users(1000).await);

    let burst = tokio::spawn({
        let tokens = tokens.clone();
        async move { sign_in_all(port, &tokens, 32).await }
    });
    // Kill a worker once crediting is under way.
    let started = Instant::now();
    while env
        .count("SELECT count(*) FROM sign_ins WHERE credited_at IS NOT NULL")
        .await
        < 200
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "crediting never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    workers[0].kill9().await;
    let killed_at = Instant::now();
    workers.push(env.worker("kill-worker-4"));

    let responses = burst.await.unwrap();
    assert!(all_succeeded(&responses));
    let recovery = env.wait_all_credited(Duration::from_secs(90)).await;
    println!(
        "worker kill: all 1000 credited {:?} after the kill ({recovery:?} after the last sign-in)",
        killed_at.elapsed()
    );
    env.assert_money_exact(1000).await;
    for worker in workers.iter_mut().skip(1) {
        assert!(!worker.has_exited(), "{} died", worker.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_killed_between_commit_and_push() {
    let env = Env::new(redis_url()).await;
    // The API's Redis is a port nothing listens on: every push after commit
    // fails, as when the process dies right after committing.
    let dead_redis = format!("redis://127.0.0.1:{}", free_port());
    let (mut api, port) = env.serve("killed-api", &dead_redis, &["--no-worker"]).await;
    let tokens = env.seed_users(50).await;
    let responses = sign_in_all(port, &tokens, 10).await;
    assert!(all_succeeded(&responses));
    api.kill9().await;
    assert_eq!(
        env.count("SELECT count(*) FROM sign_ins WHERE credited_at IS NULL")
            .await,
        50
    );

    let started = Instant::now();
    let _worker = env.worker("relay-worker");
    let recovery = env.wait_all_credited(Duration::from_secs(60)).await;
    println!("api killed before push: the relay credited all 50 within {recovery:?} of the worker starting ({:?})", started.elapsed());
    env.assert_money_exact(50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_dropped_under_load() {
    let env = Env::new(redis_url()).await;
    let (_service, port) = env.serve("pg-drop-serve", &redis_url(), &[]).await;
    let tokens = Arc::new(env.seed_users(400).await);

    let burst = tokio::spawn({
        let tokens = tokens.clone();
        async move {
            let started = Instant::now();
            let r = sign_in_all(port, &tokens, 20).await;
            (r, started.elapsed())
        }
    });
    // Terminate every connection the service holds, a few times, mid-burst.
    let mut terminated = 0;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        terminated += env
            .count(&format!(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = '{}' AND pid <> pg_backend_pid()",
                env.db.name
            ))
            .await;
    }
    let (responses, took) = burst.await.unwrap();
    // No request hangs (each had a 15 s client timeout) and every failure
    // is an honest error with a code.
    let mut failed = Vec::new();
    for (i, r) in responses.iter().enumerate() {
        let value = r
            .as_ref()
            .unwrap_or_else(|e| panic!("request {i} got no answer: {e}"));
        if let Some(errors) = value.get("errors") {
            let code = errors[0]["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert_eq!(code, "SERVICE_UNAVAILABLE", "{value}");
            failed.push(i);
        }
    }
    // The pool recovers: a client retrying the failed ones soon succeeds
    // (or learns the sign-in had committed before its connection died).
    let client = client();
    for &i in &failed {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let value = post(&client, port, &tokens[i], SIGN_IN).await.unwrap();
            let code = value["errors"][0]["extensions"]["code"]
                .as_str()
                .map(str::to_owned);
            match code.as_deref() {
                None | Some("ALREADY_SIGNED_IN") => break,
                Some("SERVICE_UNAVAILABLE") if attempts < 5 => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                _ => panic!("retry {attempts} of request {i}: {value}"),
            }
        }
    }
    let recovery = env.wait_all_credited(Duration::from_secs(60)).await;
    println!(
        "postgres drops: {terminated} backends terminated, {} of 400 requests failed during the burst ({took:?}); all credited {recovery:?} later",
        failed.len()
    );
    env.assert_money_exact(400).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_exits_zero() {
    let env = Env::new(redis_url()).await;
    let (mut service, port) = env.serve("sigterm-serve", &redis_url(), &[]).await;
    let tokens = Arc::new(env.seed_users(1000).await);
    // One connection per request: a request either reaches the server (and
    // must be answered) or finds the port closed. (A reused keep-alive
    // connection could race the server closing it when idle.)
    signin_rewards::webhook_client::install_crypto_provider();
    let fresh = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let burst = tokio::spawn({
        let tokens = tokens.clone();
        async move {
            use futures::StreamExt;
            futures::stream::iter(tokens.iter().cloned())
                .map(|t| {
                    let client = fresh.clone();
                    async move { post(&client, port, &t, SIGN_IN).await }
                })
                .buffered(8)
                .collect::<Vec<_>>()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    service.sigterm();
    let status = service.wait_exit(Duration::from_secs(40)).await;
    assert!(
        status.success(),
        "exit status {status:?}:\n{}",
        service.log_tail()
    );
    let responses = burst.await.unwrap();
    // Requests in flight at SIGTERM were answered; later ones found the
    // port closed. None was cut off mid-way: every committed sign-in was
    // answered (checked below), and every answer is a success.
    let answered = responses.iter().filter(|r| r.is_ok()).count();
    for r in responses.iter().flatten() {
        assert!(r.get("errors").is_none(), "{r}");
    }
    // A request that got no answer must not have been processed: it never
    // reached the server (refused, or reset in the listen backlog).
    // Whatever committed is credited by the next worker.
    let _worker = env.worker("after-sigterm-worker");
    env.wait_all_credited(Duration::from_secs(60)).await;
    let committed = env.count("SELECT count(*) FROM sign_ins").await;
    assert_eq!(committed, answered as i64);
    env.assert_money_exact(committed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_serves_health_and_metrics() {
    let env = Env::new(redis_url()).await;
    let (_api, port) = env.serve("ops-api", &redis_url(), &["--no-worker"]).await;
    let ops_port = free_port();
    let mut vars = env.vars(&env.redis_url, free_port());
    vars.push(("SIGNIN_WORKER_BIND", format!("127.0.0.1:{ops_port}")));
    let _worker = Proc::spawn("ops-worker", BIN, &["worker"], &vars);
    wait_for_port(ops_port, Duration::from_secs(30)).await;
    let tokens = env.seed_users(3).await;
    assert!(all_succeeded(&sign_in_all(port, &tokens, 3).await));
    env.wait_all_credited(Duration::from_secs(30)).await;
    let base = format!("http://127.0.0.1:{ops_port}");
    assert_eq!(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The job counts itself after its transaction commits, so the last
    // count may land a moment after the database says "credited".
    let started = std::time::Instant::now();
    loop {
        let metrics = client()
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains("signin_jobs_total{outcome=\"credited\"} 3") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{metrics}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        client()
            .get(format!("{base}/graphql"))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "no API on a worker"
    );
}

/// Webhooks through a Redis outage and a receiver outage at once: the
/// sign-ins commit their events in the outbox while Redis is down and the
/// receiver answers 503; once both are back, every message arrives (each
/// `webhook-id` at least once, none missing), from the sweep and the
/// retries alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_survive_redis_and_receiver_outages() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    let up = Arc::new(AtomicBool::new(false));
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let receiver = {
        let (up, got) = (up.clone(), got.clone());
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap| {
                let (up, got) = (up.clone(), got.clone());
                async move {
                    if !AtomicBool::load(&up, Ordering::SeqCst) {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let id = headers["webhook-id"].to_str().unwrap().to_owned();
                    got.lock().unwrap().push(id);
                    axum::http::StatusCode::OK
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let mut redis = PrivateRedis::start().await;
    let env = Env::new(redis.url()).await;
    let (_service, port) = env.serve("webhooks-outage", &redis.url(), &[]).await;
    let tokens = env.seed_users(20).await;
    {
        let mut conn = env.conn().await;
        diesel::sql_query(format!(
            "WITH e AS (INSERT INTO webhook_endpoints (url, events, description, created_at) \
               VALUES ('{hook_url}', '{{SIGN_IN_RECORDED}}', 'outage', now()) RETURNING id) \
             INSERT INTO webhook_secrets (endpoint_id, secret, created_at) \
             SELECT id, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', now() FROM e"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    redis.stop().await;
    let responses = sign_in_all(port, &tokens, 10).await;
    assert!(
        all_succeeded(&responses),
        "sign-ins succeed while Redis is down"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM webhook_deliveries").await,
        20
    );
    // The receiver is down too for a while; then both come back.
    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.resume().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    up.store(true, Ordering::SeqCst);
    let started = Instant::now();
    loop {
        let delivered = env
            .count("SELECT count(*) FROM webhook_deliveries WHERE status = 'DELIVERED'")
            .await;
        if delivered == 20 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {delivered} of 20 messages delivered a minute after the outages ended"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let ids: std::collections::HashSet<String> = got.lock().unwrap().iter().cloned().collect();
    assert_eq!(ids.len(), 20, "every message arrived");
    println!(
        "webhooks: 20 messages delivered {:?} after Redis and the receiver came back",
        started.elapsed()
    );
}

/// Redis under Sentinel: a master, a replica and three sentinels on
/// loopback. The master is killed (`kill -9`) while users sign in; the
/// sentinels promote the replica and the service follows them (cache pool,
/// event listener, job queues: each reconnection asks a sentinel for the
/// master). Every committed sign-in is credited once, the audit is clean,
/// and sign-ins are refused, if at all, only within the failover's seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_through_a_redis_sentinel_failover() {
    let (master_port, replica_port) = (free_port(), free_port());
    let redis = |name: &str, port: u16, replica_of: Option<&str>| {
        let args = redis_server_args(port, replica_of);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Proc::spawn(name, "redis-server", &args, &[])
    };
    let mut master = redis("sentinel-master", master_port, None);
    let _replica = redis(
        "sentinel-replica",
        replica_port,
        Some(&format!("127.0.0.1 {master_port}")),
    );
    wait_for_port(master_port, Duration::from_secs(10)).await;
    wait_for_port(replica_port, Duration::from_secs(10)).await;
    let folder = std::env::temp_dir().join(format!("signin-sentinels-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let mut sentinels = Vec::new();
    let mut nodes = Vec::new();
    for i in 0..3 {
        let port = free_port();
        let conf = folder.join(format!("sentinel-{port}.conf"));
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {}\n\
                 sentinel monitor signin 127.0.0.1 {master_port} 2\n\
                 sentinel down-after-milliseconds signin 1000\n\
                 sentinel failover-timeout signin 5000\n\
                 sentinel parallel-syncs signin 1\n",
                folder.display()
            ),
        )
        .unwrap();
        sentinels.push(Proc::spawn(
            &format!("sentinel-{i}"),
            "redis-server",
            &[conf.to_str().unwrap(), "--sentinel"],
            &[],
        ));
        wait_for_port(port, Duration::from_secs(10)).await;
        nodes.push(format!("127.0.0.1:{port}"));
    }
    let sentinel_url = format!("redis://{}", nodes[0]);
    // Before the kill, the sentinels must know the replica and each other
    // (a quorum of 2 to agree, a majority to elect a leader).
    let started = Instant::now();
    loop {
        let known = sentinel_view(&sentinel_url).await;
        if known.replicas >= 1 && known.other_sentinels >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sentinels did not find each other and the replica: {known:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The audit and any worker process reach Redis at the replica's
    // address: it is the master after the failover.
    let env = Env::new(format!("redis://127.0.0.1:{replica_port}")).await;
    let sentinel_list = nodes.join(",");
    let (_service, port) = env
        .serve(
            "sentinel-serve",
            &format!("redis://127.0.0.1:{master_port}"),
            &[
                "--redis-sentinels",
                &sentinel_list,
                "--redis-sentinel-master",
                "signin",
            ],
        )
        .await;
    let tokens = env.seed_users(600).await;

    // Six sign-ins every 50 ms or so; the master dies after the 15th round.
    let mut outcomes: Vec<(Duration, Result<Value, reqwest::Error>)> = Vec::new();
    let mut killed_at = None;
    let run_started = Instant::now();
    for (round, chunk) in tokens.chunks(6).enumerate() {
        if round == 15 {
            master.kill9().await;
            killed_at = Some(run_started.elapsed());
        }
        let at = run_started.elapsed();
        for response in sign_in_all(port, chunk, 6).await {
            outcomes.push((at, response));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let killed_at = killed_at.unwrap();
    let ran_for = run_started.elapsed();

    // The sentinels promoted the replica.
    let started = Instant::now();
    while sentinel_master_port(&sentinel_url).await != replica_port {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no failover to the replica"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let refused: Vec<Duration> = outcomes
        .iter()
        .filter(|(_, r)| !matches!(r, Ok(v) if v.get("errors").is_none() && v["data"]["signIn"].is_object()))
        .map(|(at, r)| {
            let code = r.as_ref().ok().map(common::error_code).unwrap_or("transport");
            assert_eq!(code, "SERVICE_UNAVAILABLE", "{r:?}");
            *at
        })
        .collect();
    if let (Some(first), Some(last)) = (refused.iter().min(), refused.iter().max()) {
        assert!(
            *first >= killed_at && *last - killed_at <= Duration::from_secs(10),
            "refusals only within the failover's seconds: from {first:?} to {last:?}, master killed at {killed_at:?}"
        );
    }
    let succeeded = outcomes.len() - refused.len();
    // After the failover the service works as before: the last rounds
    // all succeed, and their after-commit writes (the chain cache's
    // version keys) are on the promoted replica, which stopped copying the
    // old master when it died.
    let last_round = &outcomes[outcomes.len() - 6..];
    assert!(
        last_round
            .iter()
            .all(|(_, r)| matches!(r, Ok(v) if v.get("errors").is_none())),
        "the last round after the failover: {last_round:?}"
    );
    let newest_user = env.count("SELECT max(id) FROM users").await;
    let version_key = format!("{}:status-version:{newest_user}", env.db.name);
    let client = redis::Client::open(format!("redis://127.0.0.1:{replica_port}")).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let on_new_master: bool = redis::cmd("EXISTS")
        .arg(&version_key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(on_new_master, "{version_key} was written to the new master");
    let recovery = env.wait_all_credited(Duration::from_secs(60)).await;
    let committed = env.count("SELECT count(*) FROM sign_ins").await;
    assert!(committed >= succeeded as i64);
    println!(
        "sentinel failover: {} sign-ins over {ran_for:?}, master killed at {killed_at:?}, {} refused, all {committed} committed credited {recovery:?} after the last",
        outcomes.len(),
        refused.len()
    );
    env.assert_money_exact(committed).await;
    let _ = std::fs::remove_dir_all(&folder);
}

#[derive(Debug, Default)]
struct SentinelView {
    replicas: i64,
    other_sentinels: i64,
}

/// What the sentinel at `url` knows of the master `signin` (zeros when it
/// does not answer yet).
async fn sentinel_view(url: &str) -> SentinelView {
    let Ok(client) = redis::Client::open(url) else {
        return SentinelView::default();
    };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return SentinelView::default();
    };
    let fields: Vec<String> = redis::cmd("SENTINEL")
        .arg("MASTER")
        .arg("signin")
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    let field = |name: &str| {
        fields
            .iter()
            .position(|f| f == name)
            .and_then(|i| fields.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    SentinelView {
        replicas: field("num-slaves"),
        other_sentinels: field("num-other-sentinels"),
    }
}

/// The master's port as the sentinel at `url` names it.
async fn sentinel_master_port(url: &str) -> u16 {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (_, port): (String, u16) = redis::cmd("SENTINEL")
        .arg("GET-MASTER-ADDR-BY-NAME")
        .arg("signin")
        .query_async(&mut conn)
        .await
        .unwrap();
    port
}
