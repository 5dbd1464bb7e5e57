//! Admin reads on a real streaming replica (issue 29, item 1): each test
//! starts its own primary and a `pg_basebackup` hot standby of it on free
//! ports (`cluster.rs`), and runs the service with `DATABASE_REPLICA_URL`.
//! Where PostgreSQL's server programs are not installed, each test says so
//! and passes without running.
//!
//! Reads that went to the replica are told apart from reads that went to
//! the primary by what they see: replay on the replica is paused
//! (`pg_wal_replay_pause()`), so writes made after that are on the primary
//! only. The lag is measured on the service's clock, which the tests move.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/process.rs"]
mod process;

mod cluster;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

use cluster::Pair;
use common::{assert_no_errors, TestApp, TestDatabase};
use signin_rewards::clock::Clock;
use signin_rewards::store::replica::{Health, Replica};

const CATCH_UP: Duration = Duration::from_secs(30);

/// A primary and its replica, or None (with the reason printed) where
/// they cannot be started.
fn pair_or_skip(test: &str) -> Option<Pair> {
    match Pair::start() {
        Ok(pair) => Some(pair),
        Err(cluster::Missing(why)) => {
            eprintln!("SKIPPED {test}: {why}");
            None
        }
    }
}

/// The service on a new database of `pair`'s primary, with the replica
/// configured; returns once the database has reached the replica.
async fn app_on(pair: &Pair, overrides: &[(&str, &str)]) -> TestApp {
    let db = TestDatabase::create_on(&pair.primary_url()).await;
    pair.wait_for_database(&db.name, CATCH_UP).await;
    let replica_url = format!("{}/{}", pair.replica_url(), db.name);
    let mut settings = vec![("DATABASE_REPLICA_URL", replica_url.as_str())];
    settings.extend_from_slice(overrides);
    TestApp::on_database(db, &settings).await
}

fn replica(app: &TestApp) -> Arc<Replica> {
    app.state.replica.clone().expect("a replica is configured")
}

/// Runs the lag check now, at the service's clock.
async fn check(app: &TestApp) -> Health {
    replica(app).check(&app.state.db, app.clock.now()).await
}

async fn on_replica(pair: &Pair, app: &TestApp, sql: &str) {
    let url = format!("{}/{}", pair.replica_url(), app.db.name);
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

/// `GET /readyz`: the status code and the body.
async fn readyz(addr: std::net::SocketAddr) -> (u16, Value) {
    let response = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Sessions of the service's export (`store::export::APPLICATION_NAME`)
/// on the server at `url`.
async fn exports_on(url: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = '{}'",
        signin_rewards::store::export::APPLICATION_NAME
    ))
    .get_result::<N>(&mut conn)
    .await
    .unwrap()
    .n
}

/// What an admin sees of `username`, its history today and the day's
/// stats, and the audit log's length, in one request.
async fn admin_view(app: &TestApp, admin: &str, username: &str, user_id: i64) -> Value {
    let today = app.clock.now().date_naive().to_string();
    let response = app
        .exec(
            Some(admin),
            "query($q: String!, $ids: [ID!]!, $d: Date!) {
               searchUsers(query: $q) { edges { node { username } } }
               signInHistory(userIds: $ids, from: $d, to: $d) { days { signedIn } }
               signInStats(from: $d, to: $d) { signedIn }
               adminAuditLog(first: 100) { edges { node { action } } }
             }",
            json!({ "q": username, "ids": [user_id.to_string()], "d": today }),
        )
        .await;
    assert_no_errors(&response);
    let data = &response["data"];
    json!({
        "found": data["searchUsers"]["edges"].as_array().unwrap().len(),
        "signedToday": data["signInHistory"][0]["days"][0]["signedIn"],
        "signedInStats": data["signInStats"][0]["signedIn"],
        "auditEntries": data["adminAuditLog"]["edges"].as_array().unwrap().len(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_reads_go_to_a_fresh_replica_and_to_the_primary_past_the_lag() {
    let Some(pair) = pair_or_skip("admin_reads_go_to_a_fresh_replica_…") else {
        return;
    };
    let app = app_on(&pair, &[("SIGNIN_REPLICA_MAX_LAG_SECS", "30")]).await;
    let (root, root_id) = app.admin("root").await;
    let (alice, alice_id) = app.register("alice").await;
    pair.wait_caught_up(&app.db.name, CATCH_UP).await;
    assert!(matches!(check(&app).await, Health::Fresh(_)));
    let before = admin_view(&app, &root, "latecomer", alice_id).await;
    let audit_before = before["auditEntries"].as_u64().unwrap();
    assert_eq!(
        before,
        json!({ "found": 0, "signedToday": false, "signedInStats": 0, "auditEntries": audit_before })
    );

    // Replay stops: what happens on the primary now stays there.
    on_replica(&pair, &app, "SELECT pg_wal_replay_pause()").await;
    app.register("latecomer").await;
    app.sign_in(&alice).await;
    let adjusted = app
        .exec(
            Some(&root),
            "mutation($u: ID!) { adjustWallet(userId: $u, amount: 5, idempotencyKey: \"k1\", note: \"n\") { amount } }",
            json!({ "u": alice_id.to_string() }),
        )
        .await;
    assert_no_errors(&adjusted);

    // Within the maximum lag (the clock has not moved), admin reads are the
    // replica's: none of those writes shows.
    assert!(matches!(check(&app).await, Health::Fresh(_)));
    assert_eq!(
        admin_view(&app, &root, "latecomer", alice_id).await,
        before,
        "admin reads served by the replica"
    );
    // An admin's own history is theirs: read from the primary, while the
    // others' in the same request are the replica's.
    app.sign_in(&root).await;
    let both = app
        .exec(
            Some(&root),
            "query($ids: [ID!]!, $d: Date!) { signInHistory(userIds: $ids, from: $d, to: $d) { days { signedIn } } }",
            json!({
                "ids": [root_id.to_string(), alice_id.to_string()],
                "d": app.clock.now().date_naive().to_string()
            }),
        )
        .await;
    assert_no_errors(&both);
    assert_eq!(
        both["data"]["signInHistory"][0]["days"][0]["signedIn"], true,
        "{both}"
    );
    assert_eq!(
        both["data"]["signInHistory"][1]["days"][0]["signedIn"], false,
        "{both}"
    );
    // The user's own reads are the primary's: alice sees her sign-in.
    let own = app
        .exec(
            Some(&alice),
            "query($d: Date!) { me { signInHistory(from: $d, to: $d) { signedIn } } }",
            json!({ "d": app.clock.now().date_naive().to_string() }),
        )
        .await;
    assert_eq!(own["data"]["me"]["signInHistory"][0]["signedIn"], true);

    // 31 s later the replica has still replayed nothing: it lags past the
    // maximum, and the same reads go to the primary.
    app.clock.advance(TimeDelta::seconds(31));
    let lagging = check(&app).await;
    assert!(matches!(lagging, Health::Lagging(_)), "{lagging:?}");
    assert!(lagging.lag_seconds().unwrap() >= 31.0);
    let from_primary = json!({
        "found": 1, "signedToday": true, "signedInStats": 2, "auditEntries": audit_before + 1
    });
    assert_eq!(
        admin_view(&app, &root, "latecomer", alice_id).await,
        from_primary
    );
    let server = app.serve(false).await;
    let client = reqwest::Client::new();
    let (_, ready) = readyz(server.addr).await;
    assert_eq!(ready["status"], "ok", "{ready}");
    assert_eq!(ready["replica"], "lagging", "{ready}");
    assert!(
        ready["replicaLagSeconds"].as_f64().unwrap() >= 31.0,
        "{ready}"
    );
    // (Counted once this process records metrics, which serving starts.)
    admin_view(&app, &root, "latecomer", alice_id).await;
    let metrics = client
        .get(format!("http://{}/metrics", server.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("signin_replica_fallback_total{reason=\"lagging\"}"),
        "{metrics}"
    );

    // Replay resumes and catches up: the replica is fresh again, and
    // serves what the primary showed.
    on_replica(&pair, &app, "SELECT pg_wal_replay_resume()").await;
    pair.wait_caught_up(&app.db.name, CATCH_UP).await;
    app.clock.advance(TimeDelta::seconds(1));
    assert!(matches!(check(&app).await, Health::Fresh(_)));
    assert_eq!(
        admin_view(&app, &root, "latecomer", alice_id).await,
        from_primary
    );
    let (_, ready) = readyz(server.addr).await;
    assert_eq!(ready["replica"], "ok", "{ready}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_is_down_or_not_a_standby_sends_reads_to_the_primary() {
    let Some(mut pair) = pair_or_skip("a_replica_that_is_down_…") else {
        return;
    };
    let app = app_on(&pair, &[]).await;
    let (root, _) = app.admin("root").await;
    let (_, bob_id) = app.register("bob").await;
    pair.wait_caught_up(&app.db.name, CATCH_UP).await;
    assert!(matches!(check(&app).await, Health::Fresh(_)));

    pair.stop_replica();
    // Before any check notices, a read finds no connection, marks the
    // replica unavailable and is served by the primary.
    let view = admin_view(&app, &root, "bob", bob_id).await;
    assert_eq!(view["found"], 1);
    assert_eq!(replica(&app).health(), Health::Unavailable);
    assert_eq!(check(&app).await, Health::Unavailable);
    let server = app.serve(false).await;
    let (status, ready) = readyz(server.addr).await;
    assert_eq!(status, 200, "a replica down leaves the service ready");
    assert_eq!(ready["replica"], "unavailable", "{ready}");
    assert_eq!(ready["replicaLagSeconds"], Value::Null, "{ready}");

    // A URL that names a server which is not a standby (here another,
    // empty database of the primary) is never read from: its data could
    // be anything.
    let elsewhere = TestDatabase::create_on(&pair.primary_url()).await;
    let wrong = TestApp::on_database(
        TestDatabase::create_on(&pair.primary_url()).await,
        &[("DATABASE_REPLICA_URL", &elsewhere.url)],
    )
    .await;
    assert_eq!(check(&wrong).await, Health::NotAStandby);
    let (root, _) = wrong.admin("root").await;
    let (_, carol_id) = wrong.register("carol").await;
    assert_eq!(
        admin_view(&wrong, &root, "carol", carol_id).await["found"],
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_on_the_replica_runs_through_a_burst_of_writes() {
    let Some(pair) = pair_or_skip("an_export_on_the_replica_…") else {
        return;
    };
    let mut app = app_on(&pair, &[]).await;
    app.books_left_unbalanced("seeds sign-ins straight into the table, without their ledger rows");
    // 20,000 sign-ins: four of the export's chunks, so it is still reading
    // while the writes happen.
    app.seed_users("user", 200).await;
    let schedule = app.first_schedule_id().await;
    app.sql(&format!(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, schedule_id) \
         SELECT u.id, d::date, 1, 1, 10, now(), now(), {schedule} \
         FROM users u, generate_series('2026-01-01'::date, '2026-04-10'::date, '1 day') d"
    ))
    .await;
    // Rows the burst deletes: VACUUM on the primary then removes row
    // versions the export's snapshot (taken before) could still see, which
    // cancels the export on a standby without hot_standby_feedback.
    app.sql("CREATE TABLE burst AS SELECT g AS n FROM generate_series(1, 50000) g")
        .await;
    let total = app.scalar_i64("SELECT count(*) FROM sign_ins").await;
    assert_eq!(total, 20_000);
    pair.wait_caught_up(&app.db.name, CATCH_UP).await;
    assert!(matches!(check(&app).await, Health::Fresh(_)));

    let (from, to) = ("2026-01-01".parse().unwrap(), "2026-04-10".parse().unwrap());
    let mut chunks = signin_rewards::service::export::sign_ins(&app.state, from, to)
        .await
        .unwrap();
    let mut exported = chunks.recv().await.unwrap().unwrap().len();
    // The export reads on the replica, not on the primary.
    let replica_db = format!("{}/{}", pair.replica_url(), app.db.name);
    assert_eq!(exports_on(&replica_db).await, 1);
    assert_eq!(exports_on(&app.db.url).await, 0);

    // The burst: more sign-ins in the range, deletions, VACUUM.
    for i in 0..3 {
        let (token, _) = app.register(&format!("burster{i}")).await;
        app.sign_in(&token).await;
    }
    app.sql("DELETE FROM burst").await;
    app.sql("UPDATE users SET username = username || '_' WHERE username LIKE 'user1%'")
        .await;
    app.sql("VACUUM burst").await;
    app.sql("VACUUM users").await;
    // The replica replays all of it while the export is open (without the
    // standby settings replay cancels the export, at once or after
    // max_standby_streaming_delay's default 30 s, within this wait).
    pair.wait_caught_up(&app.db.name, Duration::from_secs(40))
        .await;

    while let Some(chunk) = chunks.recv().await {
        exported += chunk.expect("the export was not cancelled").len();
    }
    assert_eq!(
        exported as i64, total,
        "every row of the export's snapshot, none of the burst's"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sign_ins").await,
        total + 3
    );
}

/// What a reviewer asks of a replica: can its lag grant what the primary
/// has taken away? Rights are read from the primary (through the caches it
/// invalidates), never from the replica: a demoted admin and a deleted user
/// are refused at once while the replica still shows them as they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_replica_never_grants_what_the_primary_took_away() {
    let Some(pair) = pair_or_skip("a_lagging_replica_never_grants_…") else {
        return;
    };
    let app = app_on(&pair, &[]).await;
    let (root, _) = app.admin("root").await;
    let (deputy, deputy_id) = app.admin("deputy").await;
    let (mallory, mallory_id) = app.register("mallory").await;
    let search = "{ searchUsers(query: \"mallory\") { edges { node { id } } } }";
    assert_no_errors(&app.exec(Some(&deputy), search, json!({})).await);
    pair.wait_caught_up(&app.db.name, CATCH_UP).await;
    assert!(matches!(check(&app).await, Health::Fresh(_)));

    on_replica(&pair, &app, "SELECT pg_wal_replay_pause()").await;
    for (mutation, id) in [
        (
            "mutation($id: ID!) { setUserRole(id: $id, role: USER) { role } }",
            deputy_id,
        ),
        ("mutation($id: ID!) { deleteUser(id: $id) }", mallory_id),
    ] {
        let done = app
            .exec(Some(&root), mutation, json!({ "id": id.to_string() }))
            .await;
        assert_no_errors(&done);
    }
    // The replica is fresh by the clock and still holds the old rows...
    assert!(matches!(check(&app).await, Health::Fresh(_)));
    let on_replica_still = app.exec(Some(&root), search, json!({})).await;
    assert_eq!(
        on_replica_still["data"]["searchUsers"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the admin read is the replica's (mallory's deletion not replayed)"
    );
    // ...but the demoted admin's admin read and the deleted user's own
    // read are refused at once.
    let demoted = app.exec(Some(&deputy), search, json!({})).await;
    assert_eq!(common::error_code(&demoted), "FORBIDDEN", "{demoted}");
    let gone = app.exec(Some(&mallory), "{ me { id } }", json!({})).await;
    assert_eq!(common::error_code(&gone), "UNAUTHENTICATED", "{gone}");
    on_replica(&pair, &app, "SELECT pg_wal_replay_resume()").await;
}
