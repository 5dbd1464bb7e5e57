//! The reward job when crediting fails: kept visibly, retried by the relay
//! once the cause is gone.

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::json;

use crate::common::{assert_no_errors, TestApp};

const ADJUST: &str = "mutation($u: ID!, $a: Int!, $k: String!) { adjustWallet(userId: $u, amount: $a, idempotencyKey: $k, note: \"test\") { balanceAfter } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_credit_is_parked_then_relayed_once_fixed() {
    let mut app = TestApp::with_config(&[("SIGNIN_RELAY_GRACE_SECS", "1")]).await;
    let (admin, _) = app.admin("boss").await;
    let (token, id) = app.register("wendy").await;
    // A balance so close to the maximum that the 10-point reward cannot fit.
    let r = app
        .exec(
            Some(&admin),
            ADJUST,
            json!({ "u": id.to_string(), "a": i32::MAX - 5, "k": "near-max" }),
        )
        .await;
    assert_no_errors(&r);
    app.start_worker();
    assert_no_errors(
        &app.exec(
            Some(&token),
            "mutation { signIn { record { reward } } }",
            json!({}),
        )
        .await,
    );

    // The job fails for good and is parked in the queue's dead set.
    let dead_set = format!("{}:dead", app.state.keys.reward_queue());
    let mut redis = app.state.redis.get().await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let dead: i64 = redis::cmd("SCARD")
            .arg(&dead_set)
            .query_async(&mut *redis)
            .await
            .unwrap();
        if dead > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the failing job was not parked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(redis);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sign_ins WHERE credited_at IS NULL")
            .await,
        1
    );

    // The cause goes away; past the grace period the relay enqueues it again.
    let r = app
        .exec(
            Some(&admin),
            ADJUST,
            json!({ "u": id.to_string(), "a": -100, "k": "make-room" }),
        )
        .await;
    assert_no_errors(&r);
    app.clock.advance(TimeDelta::seconds(2));
    app.wait_credited(1, Duration::from_secs(20)).await;
    let balance = app
        .scalar_i64(&format!("SELECT balance FROM wallets WHERE user_id = {id}"))
        .await;
    assert_eq!(balance, i64::from(i32::MAX) - 5 - 100 + 10);
    app.assert_ledger_consistent().await;
}
