//! The CSV exports: columns, order and quoting on a small data set, the
//! admin token and range rules (401, 403, 400 naming the parameter), and a
//! download aborted midway that ends the server's query.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{assert_no_errors, TestApp};

struct Export {
    client: reqwest::Client,
    base: String,
}

impl Export {
    fn new(addr: std::net::SocketAddr) -> Self {
        Export {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            base: format!("http://{addr}/admin/export"),
        }
    }

    async fn get(&self, token: Option<&str>, path: &str) -> reqwest::Response {
        let mut request = self.client.get(format!("{}/{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    /// Status, Content-Type and body text.
    async fn text(&self, token: Option<&str>, path: &str) -> (u16, String, String) {
        let response = self.get(token, path).await;
        let status = response.status().as_u16();
        let media = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, media, response.text().await.unwrap())
    }
}

/// A user inserted straight into the database (as an older version, or a
/// hand-made fix, might have left them): the username can hold what the
/// register rules refuse. Returns the id.
async fn raw_user(app: &TestApp, username_sql: &str) -> i64 {
    app.sql(&format!(
        "INSERT INTO users (username, password_hash, created_at, time_zone, registered_on) VALUES ({username_sql}, 'x', now(), 'UTC', current_date)"
    ))
    .await;
    app.scalar_i64(&format!(
        "SELECT id FROM users WHERE username = {username_sql}"
    ))
    .await
}

async fn sign_in_row(
    app: &TestApp,
    user: i64,
    day: &str,
    cycle_day: i32,
    streak: i32,
    reward: i64,
    credited: bool,
) {
    let credited_at = if credited { "now()" } else { "NULL" };
    let schedule = app.first_schedule_id().await;
    app.sql(&format!(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, schedule_id) \
         VALUES ({user}, '{day}', {cycle_day}, {streak}, {reward}, now(), {credited_at}, {schedule})"
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_csv_has_the_contracts_columns_order_and_quoting() {
    let mut app = TestApp::new().await;
    app.books_left_unbalanced("seeds sign-ins straight into the table, without their ledger rows");
    let (root, _) = app.admin("root").await;
    let (_, ada) = app.register("ada").await;
    let (_, bob) = app.register("bob").await;
    let (_, carl) = app.register("carl").await;
    let quoted = raw_user(&app, r#"'o"brien, jr'"#).await;
    let two_lines = raw_user(&app, "E'two\\nlines'").await;
    // Inserted out of order; the export sorts by date, then user id.
    sign_in_row(&app, bob, "2026-03-02", 2, 2, 10, true).await;
    sign_in_row(&app, ada, "2026-03-02", 1, 1, 10, false).await;
    sign_in_row(&app, two_lines, "2026-03-03", 7, 14, 100, true).await;
    sign_in_row(&app, quoted, "2026-03-01", 3, 3, 20, false).await;
    sign_in_row(&app, bob, "2026-03-01", 1, 1, 10, true).await;
    sign_in_row(&app, carl, "2026-03-03", 1, 1, 10, true).await;
    sign_in_row(&app, ada, "2026-02-28", 1, 1, 10, true).await;
    sign_in_row(&app, ada, "2026-03-05", 1, 1, 10, true).await;
    // A made-up date (makeUpSignIn): reward 0, credited at once.
    let schedule = app.first_schedule_id().await;
    app.sql(&format!(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, schedule_id, made_up) \
         VALUES ({ada}, '2026-03-04', 2, 2, 0, now(), now(), {schedule}, true)"
    ))
    .await;
    // A deleted user's sign-ins stay in the export (stats.csv counts
    // them too), under the name they had.
    let r = app
        .exec(
            Some(&root),
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": carl.to_string() }),
        )
        .await;
    assert_no_errors(&r);

    let server = app.serve(false).await;
    let export = Export::new(server.addr);
    let (status, media, body) = export
        .text(Some(&root), "sign-ins.csv?from=2026-03-01&to=2026-03-04")
        .await;
    assert_eq!(
        (status, media.as_str()),
        (200, "text/csv; charset=utf-8"),
        "{body}"
    );
    let expected = [
        "user_id,username,date,cycle_day,streak,reward,made_up,credited".to_owned(),
        format!("{bob},bob,2026-03-01,1,1,10,false,true"),
        format!("{quoted},\"o\"\"brien, jr\",2026-03-01,3,3,20,false,false"),
        format!("{ada},ada,2026-03-02,1,1,10,false,false"),
        format!("{bob},bob,2026-03-02,2,2,10,false,true"),
        format!("{carl},carl,2026-03-03,1,1,10,false,true"),
        format!("{two_lines},\"two\nlines\",2026-03-03,7,14,100,false,true"),
        format!("{ada},ada,2026-03-04,2,2,0,true,true"),
    ];
    assert_eq!(body, expected.map(|line| line + "\r\n").concat());

    // An empty range is the header alone.
    let (status, _, body) = export
        .text(Some(&root), "sign-ins.csv?from=2027-01-01&to=2027-01-31")
        .await;
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            "user_id,username,date,cycle_day,streak,reward,made_up,credited\r\n"
        )
    );
    server.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_csv_is_signin_stats_one_row_per_date() {
    let mut app = TestApp::new().await;
    app.books_left_unbalanced("seeds sign-ins straight into the table, without their ledger rows");
    let (root, _) = app.admin("root").await;
    let (_, ada) = app.register("ada").await;
    let (_, bob) = app.register("bob").await;
    sign_in_row(&app, bob, "2026-03-01", 1, 1, 10, true).await;
    sign_in_row(&app, ada, "2026-03-01", 3, 3, 20, false).await;
    sign_in_row(&app, ada, "2026-03-02", 4, 4, 20, false).await;
    sign_in_row(&app, bob, "2026-03-02", 2, 2, 10, true).await;
    sign_in_row(&app, bob, "2026-03-05", 1, 1, 10, true).await;

    let server = app.serve(false).await;
    let export = Export::new(server.addr);
    let (status, media, body) = export
        .text(Some(&root), "stats.csv?from=2026-03-01&to=2026-03-04")
        .await;
    assert_eq!(
        (status, media.as_str()),
        (200, "text/csv; charset=utf-8"),
        "{body}"
    );
    assert_eq!(
        body,
        "date,signed_in,day1,day2,day3,day4,day5,day6,day7,reward_total,make_ups,frozen,milestone_bonus_total\r\n\
         2026-03-01,2,1,0,1,0,0,0,0,30,0,0,0\r\n\
         2026-03-02,2,0,1,0,1,0,0,0,30,0,0,0\r\n\
         2026-03-03,0,0,0,0,0,0,0,0,0,0,0,0\r\n\
         2026-03-04,0,0,0,0,0,0,0,0,0,0,0,0\r\n"
    );
    // The same numbers as the signInStats query.
    let stats = app
        .exec(
            Some(&root),
            "{ signInStats(from: \"2026-03-01\", to: \"2026-03-04\") { date signedIn byCycleDay rewardTotal } }",
            json!({}),
        )
        .await;
    assert_no_errors(&stats);
    let from_csv: Vec<Value> = body
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<i64> = line
                .split(',')
                .skip(1)
                .map(|x| x.parse().unwrap())
                .collect();
            json!({ "date": line.split(',').next().unwrap(), "signedIn": f[0],
                    "byCycleDay": &f[1..8], "rewardTotal": f[8] })
        })
        .collect();
    assert_eq!(stats["data"]["signInStats"], Value::Array(from_csv));
    server.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_need_an_admin_token_and_a_valid_range() {
    let app = TestApp::new().await;
    let (root, _) = app.admin("root").await;
    let (user, _) = app.register("ada").await;
    let server = app.serve(false).await;
    let export = Export::new(server.addr);
    for file in ["sign-ins.csv", "stats.csv"] {
        let ok = format!("{file}?from=2026-03-01&to=2026-03-07");
        let (status, _, _) = export.text(None, &ok).await;
        assert_eq!(status, 401, "{file} without a token");
        let response = export.get(None, &ok).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let (status, _, _) = export.text(Some("not-a-token"), &ok).await;
        assert_eq!(status, 401, "{file} with a bad token");
        let (status, _, _) = export.text(Some(&user), &ok).await;
        assert_eq!(status, 403, "{file} as a user");
        // Without a token, a bad range is still 401: who asks comes first.
        let (status, _, _) = export.text(None, &format!("{file}?from=x")).await;
        assert_eq!(status, 401);

        for (query, parameter) in [
            ("to=2026-03-07", "from"),
            ("from=2026-03-01", "to"),
            ("", "from"),
            ("from=2026-3-1&to=2026-03-07", "from"),
            ("from=2026-03-01&to=2026-02-30", "to"),
            ("from=2026-03-08&to=2026-03-07", "from"),
            ("from=2025-01-01&to=2026-01-02", "to"),
            ("from=2026-03-01&to=2026-03-07&to=2026-03-08", "to"),
            ("from=2026-03-01&to=2026-03-07&limit=5", "limit"),
        ] {
            let (status, media, body) = export.text(Some(&root), &format!("{file}?{query}")).await;
            assert_eq!(status, 400, "{file}?{query}: {body}");
            assert_eq!(media, "text/plain; charset=utf-8");
            assert!(
                body.starts_with(&format!("{parameter}: ")),
                "{file}?{query}: {body}"
            );
        }
        // 366 days is the most a range may span.
        let (status, _, body) = export
            .text(
                Some(&root),
                &format!("{file}?from=2024-01-01&to=2024-12-31"),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    server.shutdown.cancel();
}

/// Sessions of this test's database running an export transaction.
async fn exports_running(app: &TestApp) -> i64 {
    app.scalar_i64(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND application_name = '{}'",
        app.db.name,
        signin_rewards::store::export::APPLICATION_NAME
    ))
    .await
}

async fn wait_for_exports(app: &TestApp, expected: i64, within: Duration) {
    let started = Instant::now();
    loop {
        let running = exports_running(app).await;
        if running == expected {
            return;
        }
        assert!(
            started.elapsed() < within,
            "{running} exports running after {within:?}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The rows every export of this process has read from PostgreSQL
/// (`signin_export_rows_total` on `/metrics`).
async fn rows_read(client: &reqwest::Client, addr: std::net::SocketAddr) -> i64 {
    let page = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    page.lines()
        .find_map(|l| l.strip_prefix("signin_export_rows_total "))
        .map(|n| n.trim().parse::<f64>().unwrap() as i64)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_download_ends_the_servers_query() {
    let mut app = TestApp::new().await;
    app.books_left_unbalanced("seeds sign-ins straight into the table, without their ledger rows");
    let (root, _) = app.admin("root").await;
    // 1,000 users x 365 days: about 17 MB of CSV, far more than the
    // channel, the socket buffers and the client hold between them.
    app.seed_users("user", 1000).await;
    let schedule = app.first_schedule_id().await;
    app.sql(&format!(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, schedule_id) \
         SELECT u.id, d::date, 1, 1, 10, now(), now(), {schedule} \
         FROM users u, generate_series('2025-03-01'::date, '2026-02-28'::date, '1 day') d \
         WHERE u.username LIKE 'user%'"
    ))
    .await;
    let total = app.scalar_i64("SELECT count(*) FROM sign_ins").await;
    assert_eq!(total, 365_000);
    let server = app.serve(false).await;
    let export = Export::new(server.addr);
    let path = "sign-ins.csv?from=2025-03-01&to=2026-02-28";

    let mut response = export.get(Some(&root), path).await;
    assert_eq!(response.status(), 200);
    let first = response.chunk().await.unwrap().unwrap();
    assert!(first.starts_with(b"user_id,"));
    // The client reads no more: the server stops reading too
    // (back-pressure), its query open, instead of reading the whole range
    // into memory. (Other tests of this process export a few rows at most.)
    wait_for_exports(&app, 1, Duration::from_secs(10)).await;
    let mut paused = rows_read(&export.client, server.addr).await;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = rows_read(&export.client, server.addr).await;
        if now == paused {
            break;
        }
        paused = now;
    }
    assert!(
        paused < total,
        "the server read all {total} rows ahead of the client"
    );
    assert_eq!(
        exports_running(&app).await,
        1,
        "the export waits for the client"
    );
    // Hang up: the query ends, and reads nothing more.
    drop(response);
    wait_for_exports(&app, 0, Duration::from_secs(10)).await;
    let read = rows_read(&export.client, server.addr).await;
    assert!(
        read - paused < i64::from(signin_rewards::service::export::CHUNK_ROWS),
        "{} rows read after the client hung up",
        read - paused
    );

    // A client that reads it all gets every row, in order.
    let (status, _, body) = export.text(Some(&root), path).await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert_eq!(lines.len() as i64, total + 1);
    assert!(lines[1].contains(",2025-03-01,"), "{}", lines[1]);
    assert!(lines[lines.len() - 1].contains(",2026-02-28,"));
    wait_for_exports(&app, 0, Duration::from_secs(10)).await;
    server.shutdown.cancel();
}

/// Issue 24, item 17: a cell a spreadsheet would read as a formula (a
/// username `-2-3`, or `=..`, `+..`, `@..` left by an older version) is
/// written with a leading `'` (OWASP's CSV injection advice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_like_usernames_are_written_as_text() {
    let mut app = TestApp::new().await;
    app.books_left_unbalanced("seeds sign-ins straight into the table, without their ledger rows");
    let (root, _) = app.admin("root").await;
    let (_, minus) = app.register("-2-3").await;
    let formula = raw_user(&app, "'=HYPERLINK(\"http://x\")'").await;
    let at = raw_user(&app, "'@SUM(1+1)'").await;
    sign_in_row(&app, minus, "2026-03-01", 1, 1, 10, true).await;
    sign_in_row(&app, formula, "2026-03-01", 1, 1, 10, true).await;
    sign_in_row(&app, at, "2026-03-01", 1, 1, 10, true).await;
    let server = app.serve(false).await;
    let export = Export::new(server.addr);
    let (status, _, body) = export
        .text(Some(&root), "sign-ins.csv?from=2026-03-01&to=2026-03-01")
        .await;
    assert_eq!(status, 200, "{body}");
    let expected = [
        "user_id,username,date,cycle_day,streak,reward,made_up,credited".to_owned(),
        format!("{minus},'-2-3,2026-03-01,1,1,10,false,true"),
        format!("{formula},\"'=HYPERLINK(\"\"http://x\"\")\",2026-03-01,1,1,10,false,true"),
        format!("{at},'@SUM(1+1),2026-03-01,1,1,10,false,true"),
    ];
    assert_eq!(body, expected.map(|line| line + "\r\n").concat());
    server.shutdown.cancel();
}
