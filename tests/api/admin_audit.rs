//! The admin audit log: one entry per admin action, in the same
//! transaction as the change (neither without the other), append-only,
//! paged newest first with two filters, never a password, no entry for a
//! replay.

use std::process::Stdio;

use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use tokio::process::Command;

use crate::common::{assert_no_errors, error_code, TestApp, PASSWORD};
use crate::process::BIN;

const LOG: &str = "query($first: Int, $after: String, $actor: ID, $target: ID) { \
    adminAuditLog(first: $first, after: $after, actorId: $actor, targetUserId: $target) { \
      edges { cursor node { id action actor { id username } actorId targetUser { id username } \
              targetUserId details requestId createdAt } } \
      pageInfo { hasNextPage endCursor } } }";

/// The whole log (or the filtered part), newest first, read in one page.
async fn log(app: &TestApp, token: &str, actor: Option<i64>, target: Option<i64>) -> Vec<Value> {
    let r = app
        .exec(
            Some(token),
            LOG,
            json!({ "first": 100, "actor": actor.map(|a| a.to_string()),
                    "target": target.map(|t| t.to_string()) }),
        )
        .await;
    assert_no_errors(&r);
    r["data"]["adminAuditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// An entry's `details`, parsed (it must be a JSON object).
fn details(entry: &Value) -> Value {
    let parsed: Value = serde_json::from_str(entry["details"].as_str().unwrap()).unwrap();
    assert!(parsed.is_object(), "{parsed}");
    parsed
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

async fn count(app: &TestApp) -> i64 {
    app.scalar_i64("SELECT count(*) FROM admin_audit_log").await
}

const ADJUST: &str = "mutation($u: ID!, $a: Int!, $k: String!, $n: String!) { \
    adjustWallet(userId: $u, amount: $a, idempotencyKey: $k, note: $n) { id amount } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_admin_action_writes_one_entry_with_its_arguments() {
    let app = TestApp::new().await;
    let (root, root_id) = app.admin("root").await;
    let (_, ada) = app.register("ada").await;
    let (_, bob) = app.register("bob").await;

    let r = app
        .exec(
            Some(&root),
            "mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { role } }",
            json!({ "id": bob.to_string() }),
        )
        .await;
    assert_no_errors(&r);
    let r = app
        .exec(
            Some(&root),
            ADJUST,
            json!({ "u": ada.to_string(), "a": 25, "k": "goodwill-1", "n": "sorry, \"really\"" }),
        )
        .await;
    assert_no_errors(&r);
    assert_eq!(count(&app).await, 3);
    // A replay returns the first transaction and writes no second entry.
    let replay = app
        .exec(
            Some(&root),
            ADJUST,
            json!({ "u": ada.to_string(), "a": 25, "k": "goodwill-1", "n": "sorry, \"really\"" }),
        )
        .await;
    assert_no_errors(&replay);
    assert_eq!(
        replay["data"]["adjustWallet"]["id"],
        r["data"]["adjustWallet"]["id"]
    );
    assert_eq!(count(&app).await, 3, "a replay writes no entry");
    // A refused action writes none either.
    let conflict = app
        .exec(
            Some(&root),
            ADJUST,
            json!({ "u": ada.to_string(), "a": 30, "k": "goodwill-1", "n": "x" }),
        )
        .await;
    assert_eq!(error_code(&conflict), "IDEMPOTENCY_CONFLICT");
    let overdraw = app
        .exec(
            Some(&root),
            ADJUST,
            json!({ "u": ada.to_string(), "a": -1000, "k": "take-all", "n": "x" }),
        )
        .await;
    assert_eq!(error_code(&overdraw), "INSUFFICIENT_FUNDS");
    assert_eq!(count(&app).await, 3, "a refused action writes no entry");

    let delete = "mutation($id: ID!) { deleteUser(id: $id) }";
    let r = app
        .exec(Some(&root), delete, json!({ "id": ada.to_string() }))
        .await;
    assert_eq!(r["data"]["deleteUser"], true, "{r}");
    // Deleting a deleted user changes nothing: false, and no entry.
    let again = app
        .exec(Some(&root), delete, json!({ "id": ada.to_string() }))
        .await;
    assert_eq!(again["data"]["deleteUser"], false, "{again}");
    assert_eq!(count(&app).await, 4);
    // Refused: an unknown or deleted user, an admin deleting themselves.
    let r = app
        .exec(Some(&root), delete, json!({ "id": "31337" }))
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    let r = app
        .exec(Some(&root), delete, json!({ "id": root_id.to_string() }))
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
    for target in ["31337".to_owned(), ada.to_string()] {
        let r = app
            .exec(
                Some(&root),
                "mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { role } }",
                json!({ "id": target }),
            )
            .await;
        assert_eq!(error_code(&r), "NOT_FOUND", "{r}");
    }
    assert_eq!(count(&app).await, 4, "a refused action writes no entry");

    let entries = log(&app, &root, None, None).await;
    assert_eq!(
        actions(&entries),
        ["deleteUser", "adjustWallet", "setUserRole", "create-admin"],
        "newest first"
    );
    let root_s = root_id.to_string();
    let (ada_s, bob_s) = (ada.to_string(), bob.to_string());

    let deleted = &entries[0];
    assert_eq!(deleted["actor"]["id"], root_s.as_str());
    assert_eq!(deleted["actorId"], root_s.as_str());
    // The deleted user is no longer a User anywhere in the API; the entry
    // keeps their id.
    assert_eq!(deleted["targetUser"], Value::Null);
    assert_eq!(deleted["targetUserId"], ada_s.as_str());
    assert_eq!(details(deleted), json!({ "id": ada_s }));
    assert_eq!(deleted["requestId"], Value::Null, "no HTTP request here");

    let adjusted = &entries[1];
    assert_eq!(
        details(adjusted),
        json!({ "userId": ada_s, "amount": 25, "idempotencyKey": "goodwill-1",
                "note": "sorry, \"really\"" })
    );
    assert_eq!(adjusted["targetUserId"], ada_s.as_str());

    let promoted = &entries[2];
    assert_eq!(details(promoted), json!({ "id": bob_s, "role": "ADMIN" }));
    assert_eq!(promoted["targetUser"]["username"], "bob");
    assert_eq!(promoted["actor"]["username"], "root");

    // The command-line path (TestApp::admin goes through create_admin):
    // no actor, no request, the username and never the password.
    let created = &entries[3];
    assert_eq!(created["actor"], Value::Null);
    assert_eq!(created["actorId"], Value::Null);
    assert_eq!(created["requestId"], Value::Null);
    assert_eq!(created["targetUser"]["id"], root_s.as_str());
    assert_eq!(details(created), json!({ "username": "root" }));
    for entry in &entries {
        assert!(
            entry["createdAt"].as_str().unwrap().ends_with('Z'),
            "{entry}"
        );
        assert!(!entry["details"].as_str().unwrap().contains(PASSWORD));
    }
}

/// Runs `create-admin` as an operator would.
fn create_admin(app: &TestApp, username: &str, password: &str) -> Command {
    let mut c = Command::new(BIN);
    c.args(["create-admin", "--username", username])
        .env("DATABASE_URL", &app.db.url)
        .env("REDIS_URL", crate::common::redis_url())
        .env("SIGNIN_REDIS_NAMESPACE", &app.db.name)
        .env(
            "SIGNIN_JWT_SECRET",
            "a-test-secret-that-is-at-least-32-bytes",
        )
        .env("SIGNIN_ADMIN_PASSWORD", password)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_create_admin_command_is_recorded_without_actor_or_password() {
    let app = TestApp::new().await;
    let password = "the-chiefs-secret-1";
    let out = create_admin(&app, "chief", password)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, carl) = app.register("carl").await;
    let out = create_admin(&app, "Carl", "ignored-for-promotion")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A refused command (weak password) records nothing.
    let out = create_admin(&app, "weakling", "short")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());

    let login = app.login("chief", password).await;
    assert_no_errors(&login);
    let chief = login["data"]["login"]["token"].as_str().unwrap().to_owned();
    let chief_id = login["data"]["login"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let entries = log(&app, &chief, None, None).await;
    assert_eq!(actions(&entries), ["create-admin", "create-admin"]);
    assert_eq!(details(&entries[0]), json!({ "username": "Carl" }));
    assert_eq!(entries[0]["targetUserId"], carl.to_string().as_str());
    assert_eq!(details(&entries[1]), json!({ "username": "chief" }));
    assert_eq!(entries[1]["targetUserId"], chief_id.as_str());
    for entry in &entries {
        assert_eq!(entry["actor"], Value::Null);
        assert_eq!(entry["requestId"], Value::Null);
    }
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM admin_audit_log WHERE details LIKE '%{password}%' \
               OR details ILIKE '%password%' OR details LIKE '%ignored-for-promotion%'"
        ))
        .await,
        0,
        "no password in any entry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_carry_the_http_request_id() {
    let app = TestApp::new().await;
    let (root, _) = app.admin("root").await;
    let (_, ada) = app.register("ada").await;
    let server = app.serve(false).await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/graphql", server.addr);
    for (key, request_id) in [("k-1", Some("audit-req-42")), ("k-2", None)] {
        let mut request = client.post(&url).bearer_auth(&root).json(&json!({
            "query": ADJUST,
            "variables": { "u": ada.to_string(), "a": 1, "k": key, "n": "n" },
        }));
        if let Some(id) = request_id {
            request = request.header("x-request-id", id);
        }
        let response = request.send().await.unwrap();
        let echoed = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        assert_no_errors(&body);
        let newest = log(&app, &root, None, None).await.remove(0);
        assert_eq!(newest["requestId"], echoed.as_str());
        if let Some(id) = request_id {
            assert_eq!(echoed, id);
        }
    }
    server.shutdown.cancel();
}

/// Installs a trigger that fails `table`'s `event` only once the audit
/// entry `action` for the row's user is visible: i.e. after the entry was
/// written, in the same transaction.
async fn fail_after_entry(
    app: &TestApp,
    table: &str,
    event: &str,
    user_column: &str,
    action: &str,
) {
    app.inject_failure(
        &format!("fail_{action}"),
        table,
        event,
        &format!(
            "EXISTS (SELECT 1 FROM admin_audit_log \
                     WHERE action = '{action}' AND target_user_id = NEW.{user_column})"
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_fails_after_its_entry_leaves_neither() {
    let app = TestApp::new().await;
    let (root, _) = app.admin("root").await;
    let (_, ada) = app.register("ada").await;
    let before = count(&app).await;
    fail_after_entry(&app, "users", "UPDATE", "id", "deleteUser").await;
    fail_after_entry(&app, "users", "UPDATE", "id", "setUserRole").await;
    fail_after_entry(
        &app,
        "wallet_transactions",
        "INSERT",
        "user_id",
        "adjustWallet",
    )
    .await;
    let id = ada.to_string();

    let r = app
        .exec(
            Some(&root),
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&r), "INTERNAL_SERVER_ERROR", "{r}");
    let r = app
        .exec(
            Some(&root),
            "mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&r), "INTERNAL_SERVER_ERROR", "{r}");
    let r = app
        .exec(
            Some(&root),
            ADJUST,
            json!({ "u": id, "a": 5, "k": "k", "n": "n" }),
        )
        .await;
    assert_eq!(error_code(&r), "INTERNAL_SERVER_ERROR", "{r}");

    assert_eq!(count(&app).await, before, "no entry without its change");
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM users WHERE id = {ada} AND deleted_at IS NULL AND role = 'USER'"
        ))
        .await,
        1,
        "the user is unchanged"
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM wallet_transactions WHERE user_id = {ada}"
        ))
        .await,
        0
    );
    app.assert_ledger_consistent().await;

    // With the triggers gone, the same calls go through, each with its entry.
    for action in ["deleteUser", "setUserRole", "adjustWallet"] {
        app.sql(&format!("DROP FUNCTION fail_{action}() CASCADE"))
            .await;
    }
    let r = app
        .exec(
            Some(&root),
            ADJUST,
            json!({ "u": id, "a": 5, "k": "k", "n": "n" }),
        )
        .await;
    assert_no_errors(&r);
    assert_eq!(count(&app).await, before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_entry_leaves_no_change() {
    let app = TestApp::new().await;
    let (root, _) = app.admin("root").await;
    let (_, ada) = app.register("ada").await;
    app.inject_failure("refuse_entries", "admin_audit_log", "INSERT", "true")
        .await;
    let id = ada.to_string();
    let r = app
        .exec(
            Some(&root),
            "mutation($id: ID!) { deleteUser(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&r), "INTERNAL_SERVER_ERROR", "{r}");
    let r = app
        .exec(
            Some(&root),
            ADJUST,
            json!({ "u": id, "a": 5, "k": "k", "n": "n" }),
        )
        .await;
    assert_eq!(error_code(&r), "INTERNAL_SERVER_ERROR", "{r}");
    let created =
        signin_rewards::service::accounts::create_admin(&app.state, "newboss", PASSWORD).await;
    assert!(created.is_err());
    let promoted =
        signin_rewards::service::accounts::create_admin(&app.state, "ada", PASSWORD).await;
    assert!(promoted.is_err());
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM users WHERE id = {ada} AND deleted_at IS NULL AND role = 'USER'"
        ))
        .await,
        1,
        "no change without its entry"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users WHERE username = 'newboss'")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM wallet_transactions")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_cannot_be_updated_deleted_or_truncated() {
    let app = TestApp::new().await;
    app.admin("root").await;
    assert_eq!(count(&app).await, 1);
    let mut conn = app.state.db.get().await.unwrap();
    for statement in [
        "UPDATE admin_audit_log SET details = '{}'",
        "UPDATE admin_audit_log SET actor_id = NULL",
        "DELETE FROM admin_audit_log",
        "TRUNCATE admin_audit_log",
    ] {
        let error = diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .expect_err(statement)
            .to_string();
        assert!(
            error.contains("admin_audit_log is append-only"),
            "{statement}: {error}"
        );
    }
    // Nor can anything but a JSON object be stored as details.
    let error = diesel::sql_query(
        "INSERT INTO admin_audit_log (action, details, created_at) VALUES ('deleteUser', '[1]', now())",
    )
    .execute(&mut conn)
    .await
    .expect_err("an array is not an object")
    .to_string();
    assert!(error.contains("admin_audit_log_details_check"), "{error}");
    drop(conn);
    assert_eq!(count(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_pages_newest_first() {
    let app = TestApp::new().await;
    let (root, root_id) = app.admin("root").await;
    let (deputy, deputy_id) = app.admin("deputy").await;
    let (_, ada) = app.register("ada").await;
    let (_, bob) = app.register("bob").await;
    // root: 3 adjustments of ada, 2 of bob; deputy: 2 of ada.
    for (token, user, key) in [
        (&root, ada, "r1"),
        (&deputy, ada, "d1"),
        (&root, bob, "r2"),
        (&root, ada, "r3"),
        (&deputy, ada, "d2"),
        (&root, bob, "r4"),
        (&root, ada, "r5"),
    ] {
        let r = app
            .exec(
                Some(token),
                ADJUST,
                json!({ "u": user.to_string(), "a": 1, "k": key, "n": key }),
            )
            .await;
        assert_no_errors(&r);
    }
    let keys = |entries: &[Value]| -> Vec<String> {
        entries
            .iter()
            .map(|e| {
                details(e)["idempotencyKey"]
                    .as_str()
                    .unwrap_or("-")
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(
        keys(&log(&app, &root, Some(deputy_id), None).await),
        ["d2", "d1"]
    );
    assert_eq!(keys(&log(&app, &root, None, Some(bob)).await), ["r4", "r2"]);
    assert_eq!(
        keys(&log(&app, &root, Some(root_id), Some(ada)).await),
        ["r5", "r3", "r1"]
    );
    assert_eq!(
        keys(&log(&app, &root, Some(deputy_id), Some(bob)).await),
        Vec::<String>::new()
    );
    // The two create-admin entries are aimed at the admins themselves.
    assert_eq!(
        actions(&log(&app, &root, None, Some(deputy_id)).await),
        ["create-admin"]
    );

    // Pages of 3 walk the whole log, newest first, without gaps or repeats.
    let all = log(&app, &root, None, None).await;
    assert_eq!(all.len(), 9);
    let ids: Vec<i64> = all
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let mut walked = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let r = app
            .exec(Some(&root), LOG, json!({ "first": 3, "after": after }))
            .await;
        assert_no_errors(&r);
        let connection = &r["data"]["adminAuditLog"];
        let edges = connection["edges"].as_array().unwrap();
        walked.extend(edges.iter().map(|e| e["node"]["id"].clone()));
        pages += 1;
        assert_eq!(
            connection["pageInfo"]["endCursor"],
            edges
                .last()
                .map(|e| e["cursor"].clone())
                .unwrap_or(Value::Null)
        );
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(pages, 3);
    let all_ids: Vec<Value> = all.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(walked, all_ids);
    // A filtered page continues within the filter.
    let r = app
        .exec(
            Some(&root),
            LOG,
            json!({ "first": 1, "actor": root_id.to_string(), "target": ada.to_string() }),
        )
        .await;
    let cursor = r["data"]["adminAuditLog"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .exec(
            Some(&root),
            LOG,
            json!({ "first": 5, "after": cursor, "actor": root_id.to_string(), "target": ada.to_string() }),
        )
        .await;
    let rest: Vec<Value> = r["data"]["adminAuditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(keys(&rest), ["r3", "r1"]);
    assert_eq!(r["data"]["adminAuditLog"]["pageInfo"]["hasNextPage"], false);
    // The default page size is 20 (fewer here); the limits are the other listings'.
    let r = app
        .exec(
            Some(&root),
            "{ adminAuditLog { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"]["adminAuditLog"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        9
    );

    for (variables, argument) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "first": -1 }), "first"),
        (json!({ "after": "not-a-cursor" }), "after"),
        (json!({ "actor": "abc" }), "actorId"),
        (json!({ "target": "0" }), "targetUserId"),
    ] {
        let r = app.exec(Some(&root), LOG, variables.clone()).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{variables}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["argument"], argument, "{r}");
    }
    // A cursor of another listing is refused.
    let users = app
        .exec(
            Some(&root),
            "{ searchUsers(query: \"a\", first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let foreign = users["data"]["searchUsers"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .exec(Some(&root), LOG, json!({ "after": foreign }))
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_read_the_log() {
    let app = TestApp::new().await;
    app.admin("root").await;
    let (user, _) = app.register("ada").await;
    let r = app.exec(Some(&user), LOG, json!({})).await;
    assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
    assert_eq!(r["data"], Value::Null);
    let r = app.exec(None, LOG, json!({})).await;
    assert_eq!(error_code(&r), "UNAUTHENTICATED", "{r}");
    let r = app.exec(Some("not-a-token"), LOG, json!({})).await;
    assert_eq!(error_code(&r), "UNAUTHENTICATED", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deletions_write_one_entry() {
    let app = TestApp::new().await;
    let (root, _) = app.admin("root").await;
    let (_, ada) = app.register("ada").await;
    let delete = "mutation($id: ID!) { deleteUser(id: $id) }";
    let vars = json!({ "id": ada.to_string() });
    let results =
        futures::future::join_all((0..8).map(|_| app.exec(Some(&root), delete, vars.clone())))
            .await;
    let trues = results
        .iter()
        .filter(|r| r["data"]["deleteUser"] == true)
        .count();
    assert_eq!(trues, 1, "{results:?}");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM admin_audit_log WHERE action = 'deleteUser'")
            .await,
        1
    );
}
