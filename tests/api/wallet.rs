//! Spends, adjustments, the ledger and its pages.

use serde_json::{json, Value};

use crate::common::{assert_no_errors, error_code, TestApp};

const SPEND: &str = "mutation($a: Int!, $k: String!, $n: String) { spend(amount: $a, idempotencyKey: $k, note: $n) { id amount kind balanceAfter note createdAt } }";
const ADJUST: &str = "mutation($u: ID!, $a: Int!, $k: String!, $n: String!) { adjustWallet(userId: $u, amount: $a, idempotencyKey: $k, note: $n) { id amount kind balanceAfter note } }";
const BALANCE: &str = "{ me { wallet { balance } } }";

async fn funded_user(app: &TestApp, name: &str, amount: i64) -> (String, i64) {
    let (admin, _) = app.admin(&format!("{name}_admin")).await;
    let (token, id) = app.register(name).await;
    let r = app
        .exec(
            Some(&admin),
            ADJUST,
            json!({ "u": id.to_string(), "a": amount, "k": "fund", "n": "welcome" }),
        )
        .await;
    assert_no_errors(&r);
    (token, id)
}

async fn balance(app: &TestApp, token: &str) -> i64 {
    app.exec(Some(token), BALANCE, json!({})).await["data"]["me"]["wallet"]["balance"]
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_replay_and_conflict() {
    let app = TestApp::new().await;
    let (token, _) = funded_user(&app, "quentin", 100).await;

    let first = app
        .exec(
            Some(&token),
            SPEND,
            json!({ "a": 30, "k": "order-1", "n": "coffee" }),
        )
        .await;
    assert_no_errors(&first);
    let tx = &first["data"]["spend"];
    assert_eq!(
        (tx["amount"].as_i64(), tx["balanceAfter"].as_i64()),
        (Some(-30), Some(70))
    );
    assert_eq!(
        (tx["kind"].as_str(), tx["note"].as_str()),
        (Some("SPEND"), Some("coffee"))
    );

    let replay = app
        .exec(
            Some(&token),
            SPEND,
            json!({ "a": 30, "k": "order-1", "n": "coffee" }),
        )
        .await;
    assert_eq!(
        replay["data"]["spend"], first["data"]["spend"],
        "a replay returns the first transaction"
    );
    assert_eq!(balance(&app, &token).await, 70, "and changes nothing");

    let conflict = app
        .exec(Some(&token), SPEND, json!({ "a": 31, "k": "order-1" }))
        .await;
    assert_eq!(error_code(&conflict), "IDEMPOTENCY_CONFLICT");
    assert_eq!(balance(&app, &token).await, 70);
    app.assert_ledger_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_refuses_overdrafts_and_bad_amounts() {
    let app = TestApp::new().await;
    let (token, _) = funded_user(&app, "rupert", 50).await;
    let r = app
        .exec(Some(&token), SPEND, json!({ "a": 51, "k": "too-much" }))
        .await;
    assert_eq!(error_code(&r), "INSUFFICIENT_FUNDS");
    for (amount, key) in [(0, "zero"), (-5, "negative")] {
        let r = app
            .exec(Some(&token), SPEND, json!({ "a": amount, "k": key }))
            .await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT");
        assert_eq!(r["errors"][0]["extensions"]["argument"], "amount");
    }
    let r = app
        .exec(Some(&token), SPEND, json!({ "a": 1, "k": "" }))
        .await;
    assert_eq!(r["errors"][0]["extensions"]["argument"], "idempotencyKey");
    let r = app
        .exec(Some(&token), SPEND, json!({ "a": 1, "k": "k".repeat(129) }))
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
    let r = app
        .exec(
            Some(&token),
            SPEND,
            json!({ "a": 1, "k": "long-note", "n": "n".repeat(501) }),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["argument"], "note");
    assert_eq!(
        error_code(&app.exec(None, SPEND, json!({ "a": 1, "k": "anon" })).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(balance(&app, &token).await, 50, "nothing changed");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM wallet_transactions")
            .await,
        1
    );
    // Spending the whole balance is fine.
    assert_no_errors(
        &app.exec(Some(&token), SPEND, json!({ "a": 50, "k": "all" }))
            .await,
    );
    assert_eq!(balance(&app, &token).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_spends_never_overdraw() {
    let app = TestApp::new().await;
    let (token, user_id) = funded_user(&app, "sybil", 100).await;
    let app_ref = &app;
    let results: Vec<Value> = futures::future::join_all((0..20).map(|i| {
        let token = token.clone();
        async move {
            app_ref
                .exec(
                    Some(&token),
                    SPEND,
                    json!({ "a": 15, "k": format!("k{i}") }),
                )
                .await
        }
    }))
    .await;
    let ok = results.iter().filter(|r| r.get("errors").is_none()).count();
    let refused = results
        .iter()
        .filter(|r| r.get("errors").is_some() && error_code(r) == "INSUFFICIENT_FUNDS")
        .count();
    assert_eq!(
        (ok, refused),
        (6, 14),
        "6 x 15 = 90 fits in 100, a 7th does not"
    );
    assert_eq!(balance(&app, &token).await, 10);
    let mut after: Vec<i64> = results
        .iter()
        .filter_map(|r| r["data"]["spend"]["balanceAfter"].as_i64())
        .collect();
    after.sort_unstable();
    assert_eq!(
        after,
        vec![10, 25, 40, 55, 70, 85],
        "each spend saw the one before it"
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT min(balance_after) FROM wallet_transactions WHERE user_id = {user_id}"
        ))
        .await,
        10
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replays_of_one_key_spend_once() {
    let app = TestApp::new().await;
    let (token, _) = funded_user(&app, "trent", 100).await;
    let app_ref = &app;
    let results: Vec<Value> = futures::future::join_all((0..10).map(|_| {
        let token = token.clone();
        async move {
            app_ref
                .exec(Some(&token), SPEND, json!({ "a": 40, "k": "same" }))
                .await
        }
    }))
    .await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|r| r["data"]["spend"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "every replay returns the first transaction");
    assert_eq!(balance(&app, &token).await, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_are_paged_newest_first() {
    let app = TestApp::new().await;
    let (token, _) = funded_user(&app, "uma", 1000).await;
    for i in 1..=24 {
        assert_no_errors(
            &app.exec(Some(&token), SPEND, json!({ "a": i, "k": format!("s{i}") }))
                .await,
        );
    }
    let page = |after: Option<String>, first: Option<i64>| {
        let token = token.clone();
        let app = &app;
        async move {
            let q = "query($f: Int, $a: String) { me { wallet { transactions(first: $f, after: $a) { edges { cursor node { amount } } pageInfo { hasNextPage endCursor } } } } }";
            let mut vars = json!({ "a": after });
            if let Some(f) = first {
                vars["f"] = json!(f);
            }
            app.exec(Some(&token), q, vars).await
        }
    };
    let first = page(None, None).await;
    assert_no_errors(&first);
    let conn = &first["data"]["me"]["wallet"]["transactions"];
    let amounts: Vec<i64> = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts.len(), 20, "20 by default");
    assert_eq!(amounts[0], -24, "newest first");
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    let next = page(
        conn["pageInfo"]["endCursor"].as_str().map(String::from),
        Some(20),
    )
    .await;
    let conn2 = &next["data"]["me"]["wallet"]["transactions"];
    let rest: Vec<i64> = conn2["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(rest, vec![-4, -3, -2, -1, 1000]);
    assert_eq!(conn2["pageInfo"]["hasNextPage"], false);
    assert_eq!(
        error_code(&page(Some("garbage".into()), None).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(error_code(&page(None, Some(101)).await), "BAD_USER_INPUT");
    assert_eq!(error_code(&page(None, Some(-1)).await), "BAD_USER_INPUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_is_append_only() {
    let app = TestApp::new().await;
    funded_user(&app, "victor", 10).await;
    let mut conn = app.state.db.get().await.unwrap();
    use diesel_async::RunQueryDsl;
    for sql in [
        "UPDATE wallet_transactions SET amount = 1000",
        "DELETE FROM wallet_transactions",
        "TRUNCATE wallet_transactions CASCADE",
    ] {
        let result = diesel::sql_query(sql).execute(&mut conn).await;
        assert!(result.is_err(), "{sql} must be refused");
    }
    drop(conn);
    app.assert_ledger_consistent().await;
}

/// Issue 25 (7): every test's end checks the books. A test that leaves a
/// wallet whose balance is not its ledger's sum fails there, without
/// asking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "the books do not balance at the end of this test")]
async fn a_test_that_leaves_the_books_unbalanced_fails_at_its_end() {
    let app = TestApp::new().await;
    let (_, id) = app.register("unbalanced").await;
    app.sql(&format!(
        "UPDATE wallets SET balance = 42 WHERE user_id = {id}"
    ))
    .await;
}

/// A sign-in still due at a test's end is credited there, through the
/// service, before the books are checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_still_due_at_a_tests_end_are_credited_before_the_check() {
    let app = TestApp::new().await;
    let (token, _) = app.register("due").await;
    let answer = app
        .exec(
            Some(&token),
            "mutation { signIn { record { date } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&answer);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sign_ins WHERE credited_at IS NULL")
            .await,
        1
    );
}
