//! The reward job when crediting fails: kept visibly, retried by the relay
//! once the cause is gone.

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::json;

use signin_rewards::after_commit::queue::queue_config;
use signin_rewards::after_commit::{RewardBatch, RewardJob};
use signin_rewards::model::{SignInDates, SignInId};
use signin_rewards::service::wallet::{credit_sign_ins, credit_sign_ins_within, Credits};
use signin_rewards::service::ServiceError;

use crate::common::{assert_no_errors, TestApp};

const ADJUST: &str = "mutation($u: ID!, $a: Int!, $k: String!) { adjustWallet(userId: $u, amount: $a, idempotencyKey: $k, note: \"test\") { balanceAfter } }";

/// Brings `user_id`'s balance so close to the maximum that a 10-point
/// reward cannot fit (as `admin`).
async fn fill_nearly(app: &TestApp, admin: &str, user_id: i64) {
    let r = app
        .exec(
            Some(admin),
            ADJUST,
            json!({ "u": user_id.to_string(), "a": i32::MAX - 5, "k": "near-max" }),
        )
        .await;
    assert_no_errors(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_credit_is_parked_then_relayed_once_fixed() {
    let mut app = TestApp::with_config(&[("SIGNIN_RELAY_GRACE_SECS", "1")]).await;
    let (admin, _) = app.admin("boss").await;
    let (token, id) = app.register("wendy").await;
    fill_nearly(&app, &admin, id).await;
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

const SIGN_IN: &str = "mutation { signIn { record { reward } } }";

/// Signs `token`'s user in and returns the new sign-in's id.
async fn sign_in_id(app: &TestApp, token: &str, user_id: i64) -> SignInId {
    assert_no_errors(&app.exec(Some(token), SIGN_IN, json!({})).await);
    SignInId(
        app.scalar_i64(&format!(
            "SELECT max(id) FROM sign_ins WHERE user_id = {user_id}"
        ))
        .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_credits_each_sign_in_once_with_exact_balances() {
    // Tokens that outlive the day the clock moves on.
    let app = TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "10000000")]).await;
    let (ann, ann_id) = app.register("ann").await;
    let (bob, bob_id) = app.register("bob").await;
    let ann_1 = sign_in_id(&app, &ann, ann_id).await;
    let bob_1 = sign_in_id(&app, &bob, bob_id).await;
    app.advance_days(1);
    let ann_2 = sign_in_id(&app, &ann, ann_id).await;
    let no_such = SignInId(ann_2.0 + 1000);

    // Two of one wallet's sign-ins, another's, one that does not exist, and
    // a repeat, in no order.
    let credits = credit_sign_ins(&app.state, &[ann_2, no_such, bob_1, ann_1, ann_2])
        .await
        .unwrap();
    let mut credited: Vec<SignInId> = credits.credited.iter().map(|(id, _)| *id).collect();
    credited.sort();
    assert_eq!(credited, vec![ann_1, bob_1, ann_2]);
    for (id, rows) in &credits.credited {
        assert_eq!(rows.len(), 1, "one reward row for {id:?}");
        assert_eq!(rows[0].sign_in_id, Some(*id));
    }
    assert!(credits.already_credited.is_empty());
    assert_eq!(credits.refused.len(), 1);
    assert_eq!(credits.refused[0].0, no_such);

    let balance = |id: i64| {
        let app = &app;
        async move {
            app.scalar_i64(&format!("SELECT balance FROM wallets WHERE user_id = {id}"))
                .await
        }
    };
    assert_eq!(balance(ann_id).await, 10 + 10);
    assert_eq!(balance(bob_id).await, 10);
    app.assert_ledger_consistent().await;

    // Delivered again: nothing more is written.
    let again = credit_sign_ins(&app.state, &[ann_1, bob_1, ann_2])
        .await
        .unwrap();
    assert!(again.credited.is_empty());
    assert_eq!(again.already_credited.len(), 3);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM wallet_transactions")
            .await,
        3
    );
    assert_eq!(balance(ann_id).await, 20);
}

/// `credits` credited `credited` alone and refused `refused` alone.
fn assert_split(credits: &Credits, credited: SignInId, refused: SignInId) {
    let ids = |v: &[(SignInId, _)]| v.iter().map(|(id, _)| *id).collect::<Vec<_>>();
    assert_eq!(ids(&credits.credited), vec![credited]);
    assert_eq!(
        credits
            .refused
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>(),
        vec![refused]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_sign_in_does_not_hold_back_the_rest_of_its_batch() {
    let mut app = TestApp::new().await;
    app.books_left_unbalanced("leaves a sign-in its full wallet cannot take, on purpose");
    let (admin, _) = app.admin("boss").await;
    let (full, full_id) = app.register("full").await;
    let (fine, fine_id) = app.register("fine").await;
    fill_nearly(&app, &admin, full_id).await;
    let refused = sign_in_id(&app, &full, full_id).await;
    let credited = sign_in_id(&app, &fine, fine_id).await;

    let credits = credit_sign_ins(&app.state, &[refused, credited])
        .await
        .unwrap();
    assert_split(&credits, credited, refused);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM sign_ins WHERE credited_at IS NULL AND id = {}",
            refused.0
        ))
        .await,
        1,
        "the refused sign-in stays an obligation"
    );
    app.assert_ledger_consistent().await;
}

/// The jobs in the reward queue, as apalis stored them (JSON).
async fn queued_jobs(app: &TestApp) -> Vec<String> {
    let config =
        queue_config::<signin_rewards::after_commit::RewardBatch>(&app.state.keys.reward_queue());
    let mut redis = app.state.redis.get().await.unwrap();
    redis::cmd("HVALS")
        .arg(config.job_data_hash())
        .query_async(&mut *redis)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_handed_over_together_are_queued_as_one_batch() {
    let app = TestApp::new().await;
    let queue = app.state.queue.clone();
    let pushes = (1..=5).map(|id| {
        let queue = queue.clone();
        tokio::spawn(async move {
            queue
                .push([RewardJob {
                    sign_in_id: SignInId(id),
                    day: date(&format!("2026-01-0{id}")),
                }])
                .await
        })
    });
    for push in futures::future::join_all(pushes).await {
        push.unwrap().unwrap();
    }
    let queued = queued_jobs(&app).await;
    assert_eq!(queued.len(), 1, "one queued job, not five: {queued:?}");
    let batch: RewardBatch = serde_json::from_str(&queued[0]).unwrap();
    assert_eq!(batch.sign_in_ids, (1..=5).map(SignInId).collect::<Vec<_>>());
    assert_eq!(
        batch.dates,
        SignInDates {
            first: date("2026-01-01"),
            last: date("2026-01-05"),
        }
    );
}

fn date(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// A credit finds its sign-ins by id within the dates its job carries
/// (`sign_ins` is partitioned by date): one dated outside them is refused
/// as not found and nothing is paid; offered again with its date (as the
/// relay does), it is credited once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_looks_for_its_sign_ins_within_their_dates() {
    let app = TestApp::new().await;
    let (token, user_id) = app.register("dora").await;
    let sign_in = sign_in_id(&app, &token, user_id).await;
    let day = date("2000-01-01")
        + chrono::Days::new(
            app.scalar_i64(&format!(
                "SELECT day - date '2000-01-01' FROM sign_ins WHERE id = {}",
                sign_in.0
            ))
            .await
            .unsigned_abs(),
        );
    let elsewhere = SignInDates {
        first: day + chrono::Days::new(1),
        last: day + chrono::Days::new(40),
    };
    let credits = credit_sign_ins_within(&app.state, &[sign_in], elsewhere)
        .await
        .unwrap();
    assert!(credits.credited.is_empty());
    assert!(
        matches!(credits.refused[..], [(id, ServiceError::NotFound("sign-in"))] if id == sign_in),
        "{:?}",
        credits.refused
    );
    let balance = format!("SELECT balance FROM wallets WHERE user_id = {user_id}");
    assert_eq!(app.scalar_i64(&balance).await, 0);

    let its_own = SignInDates {
        first: day,
        last: day,
    };
    let credits = credit_sign_ins_within(&app.state, &[sign_in], its_own)
        .await
        .unwrap();
    assert_eq!(credits.credited.len(), 1);
    let again = credit_sign_ins_within(&app.state, &[sign_in], its_own)
        .await
        .unwrap();
    assert_eq!(again.already_credited, vec![sign_in]);
    assert_eq!(app.scalar_i64(&balance).await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_takes_the_wallet_before_the_sign_ins_as_every_change_does() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::new().await;
    let (token, user_id) = app.register("lena").await;
    let sign_in = sign_in_id(&app, &token, user_id).await;

    // A change that holds the wallet and then updates the sign-in, as a
    // make-up renumbering later dates does.
    let mut holder = app.state.db.get().await.unwrap();
    for statement in [
        "BEGIN".to_owned(),
        "SET LOCAL lock_timeout = '5s'".to_owned(),
        format!("SELECT 1 FROM wallets WHERE user_id = {user_id} FOR UPDATE"),
    ] {
        diesel::sql_query(statement)
            .execute(&mut holder)
            .await
            .unwrap();
    }
    let state = app.state.clone();
    let credit = tokio::spawn(async move { credit_sign_ins(&state, &[sign_in]).await });
    // Until the credit waits for a lock (the wallet, if it locks in order).
    assert!(
        app.becomes_nonzero(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
            Duration::from_secs(10),
        )
        .await,
        "the credit never waited"
    );
    // Had the credit locked the sign-in first, this would wait for it while
    // it waits for the wallet: a deadlock, one of the two aborted.
    for statement in [
        format!(
            "UPDATE sign_ins SET streak = streak WHERE id = {}",
            sign_in.0
        ),
        "COMMIT".to_owned(),
    ] {
        diesel::sql_query(statement)
            .execute(&mut holder)
            .await
            .unwrap();
    }
    let credits = credit.await.unwrap().unwrap();
    assert_eq!(credits.credited.len(), 1);
    assert!(credits.refused.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_that_fails_its_batch_is_set_aside_and_the_rest_are_credited() {
    let mut app = TestApp::new().await;
    app.books_left_unbalanced(
        "plants a ledger row that makes a sign-in fail its credit, on purpose",
    );
    let (ann, ann_id) = app.register("ann").await;
    let (bob, bob_id) = app.register("bob").await;
    let broken = sign_in_id(&app, &ann, ann_id).await;
    let fine = sign_in_id(&app, &bob, bob_id).await;
    // A reward row already written for `broken` (by hand, say) while the
    // sign-in still reads uncredited: its credit breaks the ledger's unique
    // (sign-in, kind) key, which fails the whole transaction.
    app.sql(&format!(
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, sign_in_id, created_at) \
         VALUES ({ann_id}, 0, 'SIGN_IN_REWARD', 0, {}, now())",
        broken.0
    ))
    .await;

    let credits = credit_sign_ins(&app.state, &[broken, fine]).await.unwrap();
    assert_split(&credits, fine, broken);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT balance FROM wallets WHERE user_id = {bob_id}"
        ))
        .await,
        10
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draining_after_commit_work_puts_the_last_jobs_in_the_queue() {
    use signin_rewards::after_commit::Committed;
    let app = TestApp::new().await;
    // Handed over and not awaited, as a request that just got its answer.
    drop(
        app.state
            .after_commit
            .hand_over(Committed::default().reward_due(RewardJob {
                sign_in_id: SignInId(7),
                day: date("2026-01-07"),
            })),
    );
    assert!(app.state.after_commit.drain(Duration::from_secs(5)).await);
    let queued = queued_jobs(&app).await;
    assert_eq!(
        queued,
        vec![
            r#"{"sign_in_ids":[7],"dates":{"first":"2026-01-07","last":"2026-01-07"}}"#.to_owned()
        ]
    );
}

/// The worker is steered only through apalis's public poll strategies (a
/// wake-up stream and a backoff timer; nothing holds or recognises its Redis
/// commands): idle, it costs Redis at most 5 commands a second, yet a push
/// wakes it at once and the credit lands well within a second. Counted
/// with `MONITOR` (which also lists the commands apalis's scripts run),
/// keeping only this test's namespace, as Redis is shared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_costs_redis_little_and_a_push_wakes_it_at_once() {
    use futures::StreamExt;

    let mut app = TestApp::new().await;
    let (token, _) = app.register("idle_worker").await;
    app.start_worker();
    // Registration and the first fetches are start-up, not idle work.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let namespace = format!("{}:", app.state.keys.namespace());
    let monitor = redis::Client::open(crate::common::redis_url())
        .unwrap()
        .get_async_monitor()
        .await
        .unwrap();
    let mut commands = monitor.into_on_message::<String>();
    let window = Duration::from_secs(10);
    let deadline = tokio::time::Instant::now() + window;
    let mut ours = Vec::new();
    while let Ok(Some(line)) = tokio::time::timeout_at(deadline, commands.next()).await {
        if line.contains(&namespace) {
            ours.push(line);
        }
    }
    let per_second = ours.len() as f64 / window.as_secs_f64();
    println!("idle worker: {per_second} Redis commands a second");
    assert!(
        per_second <= 5.0,
        "an idle worker sent {} commands in {window:?}: {ours:#?}",
        ours.len()
    );

    let started = std::time::Instant::now();
    assert_no_errors(
        &app.exec(
            Some(&token),
            "mutation { signIn { record { date } } }",
            json!({}),
        )
        .await,
    );
    app.wait_credited(1, Duration::from_secs(1)).await;
    println!("credited {:?} after the sign-in", started.elapsed());
}
