//! The loaders are on the live path: however many users one request (or
//! several concurrent requests) touches, each kind of row is one statement.

use serde_json::{json, Value};

use crate::common::{assert_no_errors, TestApp};

/// The statements run while `run` ran, as their SQL without quotes.
async fn statements_of<F: std::future::Future<Output = T>, T>(
    app: &TestApp,
    run: F,
) -> (T, Vec<String>) {
    app.state.statements.start_recording();
    let out = run.await;
    let sql = app
        .state
        .statements
        .take_records()
        .into_iter()
        .map(|r| r.sql.replace('"', ""))
        .collect();
    (out, sql)
}

/// How many of `sql` read each kind of row a loader reads.
fn reads_by_kind(sql: &[String]) -> [(&'static str, usize); 4] {
    let count = |needle: &str| sql.iter().filter(|s| s.contains(needle)).count();
    [
        ("users", count("FROM users")),
        ("chains (status)", count("signin_chains")),
        ("wallets (balance)", count("FROM wallets")),
        ("sign-ins (history)", count("FROM sign_ins")),
    ]
}

const FIELDS: &str = "username signInStatus { streak } wallet { balance } \
                      signInHistory(from: \"2026-02-01\", to: \"2026-02-02\") { signedIn }";

/// An admin (its own row and the schedules already read, as in a warm
/// process) and `n` users with a sign-in on 2026-02-01.
async fn fixture(app: &TestApp, n: usize) -> (String, Vec<i64>) {
    let (admin, _) = app.admin("loader_admin").await;
    let ids = app.seed_users("loaded", n).await;
    let schedule = app.first_schedule_id().await;
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    app.sql(&format!(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, schedule_id) \
         SELECT u, '2026-02-01', 1, 1, 10, now(), {schedule} FROM unnest(ARRAY[{list}]::BIGINT[]) u"
    ))
    .await;
    assert_no_errors(
        &app.exec(
            Some(&admin),
            "{ me { signInStatus { streak } } }",
            json!({}),
        )
        .await,
    );
    (admin, ids)
}

fn assert_answered(answer: &Value, alias: &str, i: usize) {
    assert_no_errors(answer);
    let user = &answer["data"][alias];
    assert_eq!(user["username"], format!("loaded{}", i + 1), "{answer}");
    assert_eq!(user["wallet"]["balance"], 0, "{answer}");
    assert_eq!(
        user["signInHistory"],
        json!([{ "signedIn": true }, { "signedIn": false }])
    );
}

/// One request asks for 10 users by alias (`user(id:)` reads no list ahead,
/// so each field goes to its loader): one statement per kind of row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_of_many_users_reads_each_kind_in_one_statement() {
    let app = TestApp::new().await;
    let (admin, ids) = fixture(&app, 10).await;
    let query = format!(
        "{{ {} }}",
        ids.iter()
            .enumerate()
            .map(|(i, id)| format!("u{i}: user(id: \"{id}\") {{ {FIELDS} }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (answer, sql) = statements_of(&app, app.exec(Some(&admin), &query, json!({}))).await;
    for i in 0..ids.len() {
        assert_answered(&answer, &format!("u{i}"), i);
    }
    for (kind, reads) in reads_by_kind(&sql) {
        assert_eq!(reads, 1, "{kind}: {sql:#?}");
    }
}

/// Concurrent requests, one user each: their loads share one batch per kind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_a_batch() {
    let app = TestApp::new().await;
    let (admin, ids) = fixture(&app, 8).await;
    let requests = ids.iter().map(|id| {
        let query = format!("{{ u: user(id: \"{id}\") {{ {FIELDS} }} }}");
        let admin = admin.clone();
        let app = &app;
        async move { app.exec(Some(&admin), &query, json!({})).await }
    });
    let (answers, sql) = statements_of(&app, futures::future::join_all(requests)).await;
    for (i, answer) in answers.iter().enumerate() {
        assert_answered(answer, "u", i);
    }
    for (kind, reads) in reads_by_kind(&sql) {
        assert_eq!(reads, 1, "{kind}: {sql:#?}");
    }
}
