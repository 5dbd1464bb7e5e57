//! The daily sign-in, its 7-day cycle and its reward.

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::{json, Value};
use signin_rewards::model::{SignInId, UserId};

use crate::common::{assert_no_errors, error_code, instant, TestApp};

const SIGN_IN: &str = "mutation { signIn { record { date cycleDay streak reward rewardCredited } status { today signedInToday streak cycleDay todayReward cycle { day date reward signedIn } } } }";
const STATUS: &str = "{ me { signInStatus { today signedInToday streak cycleDay todayReward cycle { day date reward signedIn } } wallet { balance } } }";

fn cycle_dates(status: &Value) -> Vec<String> {
    status["cycle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap().to_owned())
        .collect()
}

fn cycle_signed(status: &Value) -> Vec<bool> {
    status["cycle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["signedIn"].as_bool().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sign_in_then_already_signed_in() {
    let app = TestApp::new().await;
    let (token, _) = app.register("ivan").await;

    let before = app.exec(Some(&token), STATUS, json!({})).await;
    assert_no_errors(&before);
    let status = &before["data"]["me"]["signInStatus"];
    assert_eq!(status["today"], "2026-03-01");
    assert_eq!(
        (status["signedInToday"].as_bool(), status["streak"].as_i64()),
        (Some(false), Some(0))
    );
    assert_eq!(
        (status["cycleDay"].as_i64(), status["todayReward"].as_i64()),
        (Some(1), Some(10))
    );
    assert_eq!(cycle_dates(status)[0], "2026-03-01");
    assert_eq!(cycle_dates(status)[6], "2026-03-07");
    let rewards: Vec<i64> = status["cycle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reward"].as_i64().unwrap())
        .collect();
    assert_eq!(rewards, vec![10, 10, 20, 20, 30, 30, 100]);

    let first = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_no_errors(&first);
    let record = &first["data"]["signIn"]["record"];
    assert_eq!(record["date"], "2026-03-01");
    assert_eq!(
        (
            record["cycleDay"].as_i64(),
            record["streak"].as_i64(),
            record["reward"].as_i64()
        ),
        (Some(1), Some(1), Some(10))
    );
    assert_eq!(
        record["rewardCredited"], false,
        "the reward arrives through the background job"
    );
    let status = &first["data"]["signIn"]["status"];
    assert_eq!(
        (status["signedInToday"].as_bool(), status["streak"].as_i64()),
        (Some(true), Some(1))
    );
    assert_eq!(
        cycle_signed(status),
        vec![true, false, false, false, false, false, false]
    );

    let second = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_eq!(error_code(&second), "ALREADY_SIGNED_IN");
    assert!(second["data"].is_null());
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sign_ins").await,
        1,
        "the second call changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sign_ins_one_wins_and_one_reward_is_credited() {
    let mut app = TestApp::new().await;
    let (token, user_id) = app.register("judy").await;
    let app_ref = &app;
    let results = futures::future::join_all((0..64).map(|_| {
        let token = token.clone();
        async move { app_ref.exec(Some(&token), SIGN_IN, json!({})).await }
    }))
    .await;
    let successes = results.iter().filter(|r| r.get("errors").is_none()).count();
    let refused = results
        .iter()
        .filter(|r| r.get("errors").is_some() && error_code(r) == "ALREADY_SIGNED_IN")
        .count();
    assert_eq!((successes, refused), (1, 63));

    app.start_worker();
    app.wait_credited(1, Duration::from_secs(20)).await;
    // Give duplicate deliveries (if any) time to run: still one reward.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rows = app
        .scalar_i64(&format!("SELECT count(*) FROM wallet_transactions WHERE user_id = {user_id} AND kind = 'SIGN_IN_REWARD'"))
        .await;
    assert_eq!(rows, 1);
    let me = app.exec(Some(&token), STATUS, json!({})).await;
    assert_eq!(me["data"]["me"]["wallet"]["balance"], 10);
    app.assert_ledger_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_days_with_a_missed_day() {
    let mut app = TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "10000000")]).await;
    let (token, user_id) = app.register("mallory").await;
    app.start_worker();
    // Days 1..8 in a row, day 9 missed, day 10 signed.
    let expected = [
        (1, 1, 10),
        (2, 2, 10),
        (3, 3, 20),
        (4, 4, 20),
        (5, 5, 30),
        (6, 6, 30),
        (7, 7, 100),
        (1, 8, 10),
    ];
    for (i, (cycle_day, streak, reward)) in expected.iter().enumerate() {
        let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
        assert_no_errors(&r);
        let record = &r["data"]["signIn"]["record"];
        assert_eq!(
            (
                record["cycleDay"].as_i64(),
                record["streak"].as_i64(),
                record["reward"].as_i64()
            ),
            (Some(*cycle_day), Some(*streak), Some(*reward)),
            "day {}",
            i + 1
        );
        app.advance_days(1);
    }
    // Day 9: not signed. The status still shows yesterday's streak.
    let status = app.exec(Some(&token), STATUS, json!({})).await;
    let s = &status["data"]["me"]["signInStatus"];
    assert_eq!(
        (
            s["streak"].as_i64(),
            s["cycleDay"].as_i64(),
            s["signedInToday"].as_bool()
        ),
        (Some(8), Some(2), Some(false))
    );
    assert_eq!(
        cycle_signed(s),
        vec![true, false, false, false, false, false, false]
    );
    app.advance_days(1);
    // Day 10: the missed day resets the cycle and the streak.
    let s = &app.exec(Some(&token), STATUS, json!({})).await["data"]["me"]["signInStatus"].clone();
    assert_eq!(
        (s["streak"].as_i64(), s["cycleDay"].as_i64()),
        (Some(0), Some(1))
    );
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    let record = &r["data"]["signIn"]["record"];
    assert_eq!(
        (
            record["cycleDay"].as_i64(),
            record["streak"].as_i64(),
            record["reward"].as_i64()
        ),
        (Some(1), Some(1), Some(10))
    );

    app.wait_credited(9, Duration::from_secs(20)).await;
    let me = app.exec(Some(&token), STATUS, json!({})).await;
    assert_eq!(me["data"]["me"]["wallet"]["balance"], 240);
    let rows = app
        .scalar_i64(&format!("SELECT count(*) FROM wallet_transactions WHERE user_id = {user_id} AND kind = 'SIGN_IN_REWARD'"))
        .await;
    assert_eq!(rows, 9, "one ledger row per sign-in");
    app.assert_ledger_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_day_turns_at_midnight_in_the_business_zone() {
    let app = TestApp::with_config(&[
        ("SIGNIN_TIMEZONE", "Asia/Shanghai"),
        ("SIGNIN_TOKEN_TTL_SECS", "100000000"),
    ])
    .await;
    let (token, _) = app.register("niaj").await;
    // 23:59 in Shanghai.
    app.clock.set(instant("2026-05-01T15:59:00Z"));
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-05-01");
    assert_eq!(
        error_code(&app.exec(Some(&token), SIGN_IN, json!({})).await),
        "ALREADY_SIGNED_IN"
    );
    // 00:00 in Shanghai, still 2026-05-01 in UTC: a new business day.
    app.clock.advance(TimeDelta::minutes(1));
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_no_errors(&r);
    let record = &r["data"]["signIn"]["record"];
    assert_eq!(record["date"], "2026-05-02");
    assert_eq!(
        (record["cycleDay"].as_i64(), record["streak"].as_i64()),
        (Some(2), Some(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewards_come_from_the_configured_table() {
    let mut app = TestApp::with_config(&[
        ("SIGNIN_REWARDS", "1,2,3,4,5,6,700"),
        ("SIGNIN_TOKEN_TTL_SECS", "10000000"),
    ])
    .await;
    let (token, _) = app.register("olivia").await;
    app.start_worker();
    for day in 1..=7 {
        let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
        let expected = if day == 7 { 700 } else { day };
        assert_eq!(r["data"]["signIn"]["record"]["reward"], expected);
        app.advance_days(1);
    }
    app.wait_credited(7, Duration::from_secs(20)).await;
    let me = app.exec(Some(&token), STATUS, json!({})).await;
    assert_eq!(me["data"]["me"]["wallet"]["balance"], 721);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crediting_is_idempotent() {
    let app = TestApp::new().await;
    let (token, user_id) = app.register("peggy").await;
    assert_no_errors(&app.exec(Some(&token), SIGN_IN, json!({})).await);
    let sign_in_id = SignInId(app.scalar_i64("SELECT max(id) FROM sign_ins").await);
    use signin_rewards::service::wallet::credit_sign_in;
    let (a, b) = tokio::join!(
        credit_sign_in(&app.state, sign_in_id),
        credit_sign_in(&app.state, sign_in_id)
    );
    let credited = [a.unwrap(), b.unwrap()].into_iter().flatten().count();
    assert_eq!(credited, 1, "two deliveries of the same job credit once");
    assert!(credit_sign_in(&app.state, sign_in_id)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT balance FROM wallets WHERE user_id = {user_id}"
        ))
        .await,
        10
    );
    let status = app
        .exec(
            Some(&token),
            "{ me { wallet { transactions { edges { node { kind amount balanceAfter } } } } } }",
            json!({}),
        )
        .await;
    let edges = status["data"]["me"]["wallet"]["transactions"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["kind"], "SIGN_IN_REWARD");
    assert_eq!(edges[0]["node"]["balanceAfter"], 10);
}

/// A caller that gives up mid-request (a client hanging up) does not cut a
/// sign-in off between its commit and its job: it completes and is
/// credited at once, not by the relay a grace period (30 s here) later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_whose_caller_gives_up_still_completes_and_is_credited() {
    let mut app = TestApp::new().await;
    let (_, user_id) = app.register("quitter").await;
    app.start_worker();
    let gave_up = tokio::time::timeout(
        Duration::from_micros(1),
        signin_rewards::service::sign_in::sign_in(&app.state, UserId(user_id)),
    )
    .await;
    assert!(gave_up.is_err(), "the caller stopped waiting");
    app.wait_credited(1, Duration::from_secs(10)).await;
    let rows = app
        .scalar_i64(&format!(
            "SELECT count(*) AS n FROM sign_ins WHERE user_id = {user_id}"
        ))
        .await;
    assert_eq!(rows, 1);
}
