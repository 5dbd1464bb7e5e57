//! Shared test harness: every test gets its own PostgreSQL database (created,
//! migrated, and dropped afterwards) and its own Redis namespace, and a
//! manual clock it moves by hand.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use signin_rewards::clock::ManualClock;
use signin_rewards::config::Config;
use signin_rewards::graphql::context::RequestAuth;
use signin_rewards::graphql::{self, GraphqlApi};
use signin_rewards::model::{SessionId, SignInId, UserId};
use signin_rewards::state::AppState;
use signin_rewards::store::migrate;

pub const PASSWORD: &str = "correct-horse-battery";
/// The signing secret of every test's configuration (and of the replicas
/// tests start as processes).
pub const JWT_SECRET: &str = "a-test-secret-that-is-at-least-32-bytes";

pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A unique name for this test's database and Redis namespace.
fn unique_name() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    format!(
        "signin_test_{}_{}_{:06x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        rand::random::<u32>() & 0xffffff
    )
}

/// A database that is dropped (with its connections) when this is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    /// The server's URL without a database (`TEST_DATABASE_URL`, or a
    /// server a test started).
    server: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        Self::create_on(&server_url()).await
    }

    /// A migrated database on `server` (a URL without a database).
    pub async fn create_on(server: &str) -> Self {
        let db = Self::create_unmigrated_on(server).await;
        migrate::run_pending(&db.url)
            .await
            .expect("migrations apply");
        db
    }

    /// An empty database: no migration applied yet.
    pub async fn create_unmigrated() -> Self {
        Self::create_unmigrated_on(&server_url()).await
    }

    async fn create_unmigrated_on(server: &str) -> Self {
        // Every test makes its database first: the process's HTTP clients
        // (reqwest over rustls) need the crypto provider from here on.
        signin_rewards::webhook_client::install_crypto_provider();
        let name = unique_name();
        let mut admin = AsyncPgConnection::establish(&format!("{server}/postgres"))
            .await
            .expect("PostgreSQL must run for the tests (make test starts it)");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let url = format!("{server}/{name}");
        TestDatabase {
            name,
            url,
            server: server.to_owned(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (name, server) = (self.name.clone(), self.server.clone());
        // Drop runs outside any runtime we may block: use a thread of our own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut admin) =
                    AsyncPgConnection::establish(&format!("{server}/postgres")).await
                {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin)
                            .await;
                }
                if let Ok(client) = redis::Client::open(redis_url()) {
                    if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                        let keys: Vec<String> = redis::cmd("KEYS")
                            .arg(format!("{name}*"))
                            .query_async(&mut conn)
                            .await
                            .unwrap_or_default();
                        if !keys.is_empty() {
                            let _: Result<(), _> =
                                redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
                        }
                    }
                }
            });
        })
        .join();
    }
}

/// A WebSocket upgrade request for `/graphql` on `port`, offering
/// graphql-transport-ws.
pub fn upgrade_request(port: u16) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://127.0.0.1:{port}/graphql")
        .into_client_request()
        .expect("a valid URL");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        axum::http::HeaderValue::from_static("graphql-transport-ws"),
    );
    request
}

/// A configuration for tests: this test's database and namespace, fast
/// relay, and the given overrides.
pub fn test_config(db: &TestDatabase, overrides: &[(&str, &str)]) -> Config {
    let mut vars: std::collections::HashMap<String, String> = [
        ("DATABASE_URL", db.url.as_str()),
        ("SIGNIN_REDIS_NAMESPACE", db.name.as_str()),
        ("SIGNIN_JWT_SECRET", JWT_SECRET),
        ("SIGNIN_DB_POOL_SIZE", "16"),
        ("SIGNIN_RELAY_INTERVAL_MS", "200"),
        ("SIGNIN_RELAY_GRACE_SECS", "30"),
        // Tests move the clock by days with one login: tokens and sessions
        // outlast that unless a test is about them (tests/api/sessions.rs).
        ("SIGNIN_TOKEN_TTL_SECS", "86400"),
        ("SIGNIN_SESSION_IDLE_DAYS", "3650"),
        ("SIGNIN_SESSION_MAX_DAYS", "3650"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    vars.insert("REDIS_URL".into(), redis_url());
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("test config is valid")
}

pub fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// One test's service: state, schema, clock. The database and Redis keys
/// go away with it.
/// A service on a database and Redis namespace of its own. On drop, unless
/// the test failed or said why not ([`TestApp::books_left_unbalanced`]),
/// it checks the books (after crates.io's `TestApp`, which asserts that no
/// background job was left behind): it credits every sign-in still due, as
/// the reward worker would, then runs `signin-rewards audit`'s checks and
/// fails the test on any finding.
pub struct TestApp {
    pub state: Arc<AppState>,
    pub api: GraphqlApi,
    pub clock: Arc<ManualClock>,
    workers: Vec<CancellationToken>,
    /// Why this test's books need not balance at its end, if they need not.
    books_unchecked: Option<&'static str>,
    pub db: TestDatabase,
}

/// Runs `check` every 50 ms until it answers `Ok`, and returns that value;
/// fails the test with the last `Err` (what was still missing) once
/// `timeout` has passed. For waiting on what a test checks, rather than
/// sleeping for a guessed time.
pub async fn poll_until<T, F, Fut>(timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let started = std::time::Instant::now();
    loop {
        match check().await {
            Ok(value) => return value,
            Err(missing) => assert!(started.elapsed() < timeout, "after {timeout:?}: {missing}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(&[]).await
    }

    pub async fn with_config(overrides: &[(&str, &str)]) -> Self {
        Self::on_database(TestDatabase::create().await, overrides).await
    }

    /// A service on `db` (made by the test, e.g. on a server it started).
    pub async fn on_database(db: TestDatabase, overrides: &[(&str, &str)]) -> Self {
        let config = test_config(&db, overrides);
        let clock = Arc::new(ManualClock::new(instant("2026-03-01T09:00:00Z")));
        let state = AppState::connect_with_clock(config, clock.clone())
            .await
            .unwrap();
        let api = graphql::build(state.clone(), &state.config.graphql);
        TestApp {
            state,
            api,
            clock,
            workers: Vec::new(),
            books_unchecked: None,
            db,
        }
    }

    pub fn advance_days(&self, days: i64) {
        self.clock.advance(TimeDelta::days(days));
    }

    /// Runs one GraphQL operation as the holder of `token`; returns the
    /// response as JSON (`data`, `errors`).
    pub async fn exec(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        serde_json::to_value(self.exec_raw(token, query, variables).await).unwrap()
    }

    /// Like `exec`, the response as async-graphql returns it (its objects
    /// keep their keys' order).
    ///
    /// Returns once what the request read is stored in Redis: the service
    /// answers before those stores land (`VersionedCache::put_each_soon`),
    /// and tests that count what a warm read costs (statements, round
    /// trips) must not race them.
    pub async fn exec_raw(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> async_graphql::Response {
        let header = token.map(|t| format!("Bearer {t}"));
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data(RequestAuth::from_authorization(header.as_deref()));
        let response = async_graphql::Executor::execute(&self.api, request).await;
        self.state.cache.stores_settled().await;
        response
    }

    /// Today's sign-in of the holder of `token`; fails the test on an error.
    pub async fn sign_in(&self, token: &str) {
        let signed = self
            .exec(
                Some(token),
                "mutation { signIn { record { date } } }",
                json!({}),
            )
            .await;
        assert_no_errors(&signed);
    }

    /// Registers `username`; returns (token, user id).
    pub async fn register(&self, username: &str) -> (String, i64) {
        self.register_in(username, None).await
    }

    /// Registers `username` in the IANA zone `time_zone` (the service's
    /// default zone when None); returns (token, user id).
    pub async fn register_in(&self, username: &str, time_zone: Option<&str>) -> (String, i64) {
        let r = self
            .exec(
                None,
                "mutation($u: String!, $p: String!, $z: String) { register(username: $u, password: $p, timeZone: $z) { token user { id timeZone } } }",
                json!({ "u": username, "p": PASSWORD, "z": time_zone }),
            )
            .await;
        assert_no_errors(&r);
        if let Some(zone) = time_zone {
            assert_eq!(r["data"]["register"]["user"]["timeZone"], zone);
        }
        let token = r["data"]["register"]["token"].as_str().unwrap().to_owned();
        let id = r["data"]["register"]["user"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        (token, id)
    }

    /// Registers an admin through the same path as `create-admin`.
    pub async fn admin(&self, username: &str) -> (String, i64) {
        let (user, _) =
            signin_rewards::service::accounts::create_admin(&self.state, username, PASSWORD)
                .await
                .unwrap();
        let r = self.login(username, PASSWORD).await;
        assert_no_errors(&r);
        (
            r["data"]["login"]["token"].as_str().unwrap().to_owned(),
            user.id.0,
        )
    }

    pub async fn login(&self, username: &str, password: &str) -> Value {
        self.exec(
            None,
            "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { id username } } }",
            json!({ "u": username, "p": password }),
        )
        .await
    }

    /// `n` users inserted straight into the database (with wallets), named
    /// `{prefix}{i}`; returns their ids in order. For tests that need many
    /// users and no passwords.
    pub async fn seed_users(&self, prefix: &str, n: usize) -> Vec<i64> {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        let mut conn = self.state.db.get().await.unwrap();
        let ids: Vec<Id> = diesel::sql_query(format!(
            "WITH u AS (INSERT INTO users (username, password_hash, created_at, time_zone, registered_on) \
               SELECT '{prefix}' || g, 'not-a-hash', now(), 'UTC', current_date FROM generate_series(1, {n}) g ORDER BY g RETURNING id), \
             w AS (INSERT INTO wallets (user_id, balance, updated_at) SELECT id, 0, now() FROM u) \
             SELECT id FROM u ORDER BY id"
        ))
        .load(&mut conn)
        .await
        .unwrap();
        ids.into_iter().map(|i| i.id).collect()
    }

    /// A token of a fresh session of `user_id` (a user seeded straight into
    /// the database), signed with this app's keys.
    pub async fn token_for(&self, user_id: i64) -> String {
        let mut conn = self.state.db.get().await.unwrap();
        let session = seed_sessions(&mut conn, &[user_id]).await[0];
        let now = self.state.calendar.now();
        self.state
            .tokens
            .issue(
                UserId(user_id),
                0,
                SessionId(session),
                now,
                now + TimeDelta::days(90),
            )
            .unwrap()
            .0
    }

    /// Runs a statement against this test's database.
    pub async fn sql(&self, statement: &str) {
        let mut conn = self.state.db.get().await.unwrap();
        diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .unwrap();
    }

    /// The id of the schedule read from SIGNIN_REWARDS (written first if
    /// this app has not read the schedules yet), for sign-ins a test
    /// writes with SQL.
    pub async fn first_schedule_id(&self) -> i64 {
        signin_rewards::service::schedules::current(&self.state)
            .await
            .expect("schedules readable");
        self.scalar_i64(
            "SELECT min(id) FROM reward_schedules WHERE created_by IS NULL AND cancelled_at IS NULL",
        )
        .await
    }

    /// Makes every `event` (`INSERT`, `UPDATE`, ...) on `table` fail while
    /// `condition` (SQL, may use `NEW`) holds: a row trigger and its
    /// function, both called `name`, to drop with `DROP FUNCTION name()
    /// CASCADE`. For tests that make a change fail at a chosen point.
    pub async fn inject_failure(&self, name: &str, table: &str, event: &str, condition: &str) {
        self.sql(&format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF {condition} THEN RAISE EXCEPTION 'injected failure ({name})'; END IF; \
               RETURN NEW; \
             END $$"
        ))
        .await;
        self.sql(&format!(
            "CREATE TRIGGER {name} BEFORE {event} ON {table} \
             FOR EACH ROW EXECUTE FUNCTION {name}()"
        ))
        .await;
    }

    /// Serves this app over HTTP on a free port (with the worker or not).
    pub async fn serve(&self, with_worker: bool) -> signin_rewards::app::Running {
        let bind = "127.0.0.1:0".parse().unwrap();
        signin_rewards::app::start(self.state.clone(), bind, with_worker)
            .await
            .unwrap()
    }

    /// Starts the reward worker (and relay) in this process.
    pub fn start_worker(&mut self) {
        let token = CancellationToken::new();
        tokio::spawn(signin_rewards::jobs::worker::run(
            self.state.clone(),
            token.clone(),
        ));
        self.workers.push(token);
    }

    /// Waits until `count` sign-ins are credited (or fails after `timeout`).
    pub async fn wait_credited(&self, count: i64, timeout: Duration) {
        poll_until(timeout, || async {
            let credited = self
                .scalar_i64("SELECT count(*) FROM sign_ins WHERE credited_at IS NOT NULL")
                .await;
            if credited >= count {
                Ok(())
            } else {
                Err(format!("only {credited} of {count} sign-ins credited"))
            }
        })
        .await
    }

    /// Whether `count_sql` (a count, run as [`TestApp::scalar_i64`] runs it)
    /// comes to more than 0 within `timeout`, asked every 10 ms: for a test
    /// that waits until a statement is blocked on a lock it holds.
    pub async fn becomes_nonzero(&self, count_sql: &str, timeout: Duration) -> bool {
        let started = std::time::Instant::now();
        loop {
            if self.scalar_i64(count_sql).await > 0 {
                return true;
            }
            if started.elapsed() > timeout {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Runs a query returning one bigint column named `n` (use `AS n`, or
    /// `count(*)`, which this wraps).
    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.state.db.get().await.unwrap();
        let wrapped = format!("SELECT ({sql})::BIGINT AS n");
        diesel::sql_query(wrapped)
            .get_result::<N>(&mut conn)
            .await
            .unwrap()
            .n
    }

    /// The ledger invariant: every wallet's balance is the sum of its rows.
    pub async fn assert_ledger_consistent(&self) {
        let mismatches = self
            .scalar_i64(
                "SELECT count(*) FROM wallets w WHERE w.balance <> \
                 (SELECT coalesce(sum(amount), 0) FROM wallet_transactions t WHERE t.user_id = w.user_id)",
            )
            .await;
        assert_eq!(mismatches, 0, "a wallet's balance differs from its ledger");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for worker in &self.workers {
            worker.cancel();
        }
        if self.books_unchecked.is_some() || std::thread::panicking() {
            return;
        }
        let config = self.state.config.clone();
        let clock: Arc<dyn signin_rewards::clock::Clock> = self.clock.clone();
        // Drop runs inside the test's runtime, which must not block: the
        // check gets a thread and a runtime of its own (and a state of its
        // own, whose pools live on that runtime).
        let checked = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(check_books(config, clock))
        })
        .join();
        match checked {
            Ok(Ok(())) => {}
            Ok(Err(findings)) => {
                panic!("the books do not balance at the end of this test: {findings}")
            }
            Err(_) => panic!("checking the books at the end of this test panicked"),
        }
    }
}

impl TestApp {
    /// This test leaves the books unbalanced on purpose (`why`: it plants
    /// a wrong row to see it found, say): its end checks nothing.
    pub fn books_left_unbalanced(&mut self, why: &'static str) {
        self.books_unchecked = Some(why);
    }
}

/// One live session each for `ids` (users seeded straight into the
/// database), opened as a login opens one (the users' live lists
/// included); the session ids, in the order of `ids`.
pub async fn seed_sessions(conn: &mut AsyncPgConnection, ids: &[i64]) -> Vec<i64> {
    #[derive(diesel::QueryableByName)]
    struct Opened {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        user_id: i64,
    }
    let opened: Vec<Opened> = diesel::sql_query(
        "WITH s AS (INSERT INTO sessions (user_id, created_at, last_used_at, expires_at) \
           SELECT u, now(), now(), now() + interval '90 days' FROM unnest($1::BIGINT[]) AS u \
           RETURNING id, user_id), \
         up AS (UPDATE users SET live_sessions = array_append(live_sessions, s.id) \
           FROM s WHERE users.id = s.user_id) \
         SELECT id, user_id FROM s",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(ids)
    .load(conn)
    .await
    .unwrap();
    ids.iter()
        .map(|user| {
            opened
                .iter()
                .find(|o| o.user_id == *user)
                .map(|o| o.id)
                .unwrap()
        })
        .collect()
}

/// Credits every sign-in still due through the service's own crediting
/// (`service::wallet::credit_sign_ins`, the reward job's), then runs the
/// audit with every uncredited sign-in overdue. Err names the findings.
async fn check_books(
    config: signin_rewards::config::Config,
    clock: Arc<dyn signin_rewards::clock::Clock>,
) -> Result<(), String> {
    let url = config.database_url.clone();
    let state = AppState::connect_with_clock(config, clock)
        .await
        .map_err(|e| e.to_string())?;
    let mut conn = AsyncPgConnection::establish(&url)
        .await
        .map_err(|e| e.to_string())?;
    #[derive(diesel::QueryableByName)]
    struct Due {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let due: Vec<Due> = diesel::sql_query("SELECT id FROM sign_ins WHERE credited_at IS NULL")
        .load(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let due: Vec<SignInId> = due.into_iter().map(|d| SignInId(d.id)).collect();
    if !due.is_empty() {
        let credits = signin_rewards::service::wallet::credit_sign_ins(&state, &due)
            .await
            .map_err(|e| format!("crediting the sign-ins still due failed: {e}"))?;
        if !credits.refused.is_empty() {
            return Err(format!(
                "sign-ins that cannot be credited: {:?}",
                credits.refused
            ));
        }
    }
    let report =
        signin_rewards::store::audit::run(&mut conn, chrono::DateTime::<chrono::Utc>::MAX_UTC)
            .await
            .map_err(|e| e.to_string())?;
    if report.is_clean() {
        return Ok(());
    }
    let failing: Vec<_> = report.checks.iter().filter(|c| c.failures > 0).collect();
    Err(format!("{failing:#?}"))
}

/// POSTs one GraphQL query (as `token`'s holder, if any) to a server of
/// ours on `port`; the JSON body, or the transport error.
pub async fn post_graphql(
    client: &reqwest::Client,
    port: u16,
    token: Option<&str>,
    query: &str,
) -> Result<Value, reqwest::Error> {
    post_graphql_with(client, port, token, query, Value::Null).await
}

/// As [`post_graphql`], with `variables` (none when null).
pub async fn post_graphql_with(
    client: &reqwest::Client,
    port: u16,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value, reqwest::Error> {
    let body = match variables {
        Value::Null => json!({ "query": query }),
        variables => json!({ "query": query, "variables": variables }),
    };
    let mut request = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    request.send().await?.json().await
}

pub fn assert_no_errors(response: &Value) {
    assert!(
        response.get("errors").is_none(),
        "unexpected errors: {response:#}"
    );
}

/// The `extensions.code` of the response's first error.
pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code: {response:#}"))
}

/// `s` percent-encoded for a URL query (every byte but ASCII letters and
/// digits), as RFC 3986 allows.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
