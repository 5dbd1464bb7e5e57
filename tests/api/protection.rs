//! Streak protection and milestones (contract, "Streak protection and
//! milestones"): make-up sign-ins, streak freezes, milestone bonuses, as a
//! client sees them.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{assert_no_errors, error_code, TestApp};

const SIGN_IN: &str = "mutation { signIn { record { date cycleDay streak reward madeUp milestoneBonus } status { streak cycleDay freezesHeld } } }";
const STATUS: &str = "{ me { signInStatus { today signedInToday streak cycleDay todayReward freezesHeld makeUpDates makeUpsLeft nextMilestone { streak bonus } cycle { day date signedIn } } wallet { balance } } }";
const MAKE_UP: &str = "mutation($d: Date!, $k: String!) { makeUpSignIn(date: $d, idempotencyKey: $k) { record { date cycleDay streak reward rewardCredited madeUp milestoneBonus } status { streak cycleDay makeUpDates makeUpsLeft } } }";
const BUY_FREEZE: &str = "mutation($k: String!) { buyStreakFreeze(idempotencyKey: $k) { transaction { id amount kind balanceAfter } status { freezesHeld } } }";

/// A test app whose tokens outlive the days the tests move the clock.
async fn app_with(overrides: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("SIGNIN_TOKEN_TTL_SECS", "31536000")];
    vars.extend_from_slice(overrides);
    TestApp::with_config(&vars).await
}

/// A user with `points` in their wallet (an admin's adjustment).
async fn user_with_points(app: &TestApp, name: &str, points: i64) -> (String, i64) {
    let (token, id) = app.register(name).await;
    if points > 0 {
        let (admin, _) = app.admin(&format!("{name}_admin")).await;
        let r = app
            .exec(
                Some(&admin),
                "mutation($u: ID!, $a: Int!) { adjustWallet(userId: $u, amount: $a, idempotencyKey: \"seed\", note: \"seed\") { id } }",
                json!({ "u": id.to_string(), "a": points }),
            )
            .await;
        assert_no_errors(&r);
    }
    (token, id)
}

async fn status(app: &TestApp, token: &str) -> Value {
    let r = app.exec(Some(token), STATUS, json!({})).await;
    assert_no_errors(&r);
    r["data"]["me"].clone()
}

async fn sign_in(app: &TestApp, token: &str) -> Value {
    let r = app.exec(Some(token), SIGN_IN, json!({})).await;
    assert_no_errors(&r);
    r["data"]["signIn"].clone()
}

async fn make_up(app: &TestApp, token: &str, date: &str, key: &str) -> Value {
    app.exec(Some(token), MAKE_UP, json!({ "d": date, "k": key }))
        .await
}

/// (date, signedIn, cycleDay, streak, reward, madeUp, frozen) of each day.
async fn history(app: &TestApp, token: &str, from: &str, to: &str) -> Vec<Value> {
    let r = app
        .exec(
            Some(token),
            "query($f: Date!, $t: Date!) { me { signInHistory(from: $f, to: $t) { date signedIn cycleDay streak reward madeUp frozen } } }",
            json!({ "f": from, "t": to }),
        )
        .await;
    assert_no_errors(&r);
    r["data"]["me"]["signInHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            json!([
                d["date"],
                d["signedIn"],
                d["cycleDay"],
                d["streak"],
                d["reward"],
                d["madeUp"],
                d["frozen"]
            ])
        })
        .collect()
}

fn reason(response: &Value) -> &str {
    response["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a reason: {response:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_make_up_fills_the_only_gap_renumbers_later_dates_and_costs_the_fee() {
    let app = app_with(&[]).await;
    let (token, id) = user_with_points(&app, "mona", 1000).await;
    // 03-01 signed, 03-02 missed, 03-03..03-05 signed; today is 03-06.
    sign_in(&app, &token).await;
    app.advance_days(2);
    for _ in 0..3 {
        sign_in(&app, &token).await;
        app.advance_days(1);
    }
    let before = status(&app, &token).await;
    assert_eq!(before["signInStatus"]["makeUpDates"], json!(["2026-03-02"]));
    assert_eq!(before["signInStatus"]["makeUpsLeft"], 3);
    assert_eq!(before["signInStatus"]["streak"], 3);

    let r = make_up(&app, &token, "2026-03-02", "fill-1").await;
    assert_no_errors(&r);
    let record = &r["data"]["makeUpSignIn"]["record"];
    assert_eq!(
        record,
        &json!({ "date": "2026-03-02", "cycleDay": 2, "streak": 2, "reward": 0,
                 "rewardCredited": true, "madeUp": true, "milestoneBonus": null })
    );
    let after = &r["data"]["makeUpSignIn"]["status"];
    assert_eq!(
        (after["streak"].as_i64(), after["cycleDay"].as_i64()),
        (Some(5), Some(6)),
        "the next sign-in continues the renumbered chain"
    );
    assert_eq!(after["makeUpDates"], json!([]));
    assert_eq!(after["makeUpsLeft"], 2);

    assert_eq!(
        history(&app, &token, "2026-03-01", "2026-03-05").await,
        vec![
            json!(["2026-03-01", true, 1, 1, 10, false, false]),
            json!(["2026-03-02", true, 2, 2, 0, true, false]),
            // Renumbered; the rewards they earned stay as they were.
            json!(["2026-03-03", true, 3, 3, 10, false, false]),
            json!(["2026-03-04", true, 4, 4, 10, false, false]),
            json!(["2026-03-05", true, 5, 5, 20, false, false]),
        ]
    );
    let fee = app
        .scalar_i64(&format!(
            "SELECT amount FROM wallet_transactions WHERE user_id = {id} AND kind = 'MAKE_UP_FEE'"
        ))
        .await;
    assert_eq!(fee, -50);
    assert_eq!(status(&app, &token).await["wallet"]["balance"], 950);

    let next = sign_in(&app, &token).await;
    assert_eq!(
        (&next["record"]["cycleDay"], &next["record"]["streak"]),
        (&json!(6), &json!(6))
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_make_up_in_a_gap_of_two_leaves_the_chain_broken_at_the_other_date() {
    let app = app_with(&[]).await;
    let (token, _) = user_with_points(&app, "nils", 500).await;
    sign_in(&app, &token).await; // 03-01
    app.advance_days(3); // 03-02, 03-03 missed
    sign_in(&app, &token).await; // 03-04
    app.advance_days(1);
    let r = make_up(&app, &token, "2026-03-02", "k").await;
    assert_no_errors(&r);
    assert_eq!(
        history(&app, &token, "2026-03-01", "2026-03-04").await,
        vec![
            json!(["2026-03-01", true, 1, 1, 10, false, false]),
            json!(["2026-03-02", true, 2, 2, 0, true, false]),
            json!(["2026-03-03", false, null, null, null, false, false]),
            json!(["2026-03-04", true, 1, 1, 10, false, false]),
        ]
    );
    let s = status(&app, &token).await;
    assert_eq!(s["signInStatus"]["makeUpDates"], json!(["2026-03-03"]));
    // Filling the other date joins the whole run.
    assert_no_errors(&make_up(&app, &token, "2026-03-03", "k2").await);
    let s = status(&app, &token).await;
    assert_eq!(
        (&s["signInStatus"]["streak"], &s["signInStatus"]["cycleDay"]),
        (&json!(4), &json!(5))
    );
}

/// A date before the user's first sign-in (after registering) is filled
/// and every sign-in after it renumbered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_make_up_before_the_first_sign_in_renumbers_all_of_them() {
    let app = app_with(&[]).await;
    let (token, _) = user_with_points(&app, "abel", 100).await; // registered 03-01
    app.advance_days(1);
    sign_in(&app, &token).await; // 03-02
    app.advance_days(1);
    sign_in(&app, &token).await; // 03-03
    app.advance_days(1);
    let r = make_up(&app, &token, "2026-03-01", "first").await;
    assert_no_errors(&r);
    assert_eq!(
        history(&app, &token, "2026-03-01", "2026-03-03").await,
        vec![
            json!(["2026-03-01", true, 1, 1, 0, true, false]),
            json!(["2026-03-02", true, 2, 2, 10, false, false]),
            json!(["2026-03-03", true, 3, 3, 10, false, false]),
        ]
    );
    assert_eq!(r["data"]["makeUpSignIn"]["status"]["streak"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_up_refusals_name_their_reason_and_change_nothing() {
    let app = app_with(&[("SIGNIN_MAKEUP_WINDOW_DAYS", "3")]).await;
    let (token, id) = user_with_points(&app, "olga", 1000).await;
    sign_in(&app, &token).await; // 03-01, registered 03-01
    app.advance_days(5); // today 03-06; window 03-03..03-05
    let cases = [
        ("2026-03-06", "OUT_OF_WINDOW"), // today
        ("2026-03-07", "OUT_OF_WINDOW"), // later
        ("2026-03-02", "OUT_OF_WINDOW"), // older than the window
        ("2026-02-28", "OUT_OF_WINDOW"),
    ];
    for (date, want) in cases {
        let r = make_up(&app, &token, date, &format!("k-{date}")).await;
        assert_eq!(error_code(&r), "MAKE_UP_NOT_ALLOWED", "{date}: {r:#}");
        assert_eq!(reason(&r), want, "{date}");
    }
    let s = status(&app, &token).await;
    assert_eq!(
        s["signInStatus"]["makeUpDates"],
        json!(["2026-03-03", "2026-03-04", "2026-03-05"])
    );

    // Signed (and later frozen) dates are not missed.
    let app = app_with(&[]).await;
    let (token, _) = user_with_points(&app, "pia", 1000).await;
    sign_in(&app, &token).await;
    app.advance_days(1);
    let r = make_up(&app, &token, "2026-03-01", "k").await;
    assert_eq!(
        (error_code(&r), reason(&r)),
        ("MAKE_UP_NOT_ALLOWED", "NOT_MISSED")
    );
    // Before registration: a user registered on 03-02.
    let (late, _) = user_with_points(&app, "quinn", 1000).await;
    app.advance_days(1);
    let r = make_up(&app, &late, "2026-03-01", "k").await;
    assert_eq!(
        (error_code(&r), reason(&r)),
        ("MAKE_UP_NOT_ALLOWED", "BEFORE_REGISTRATION")
    );
    let s = status(&app, &late).await;
    assert_eq!(s["signInStatus"]["makeUpDates"], json!(["2026-03-02"]));

    // Too few points: INSUFFICIENT_FUNDS, nothing filled, nothing debited.
    let (poor, poor_id) = user_with_points(&app, "ravi", 49).await;
    app.advance_days(1);
    let r = make_up(&app, &poor, "2026-03-03", "k").await;
    assert_eq!(error_code(&r), "INSUFFICIENT_FUNDS", "{r:#}");
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM sign_ins WHERE user_id = {poor_id}"
        ))
        .await,
        0
    );
    assert_eq!(status(&app, &poor).await["wallet"]["balance"], 49);
    let _ = id;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_ups_are_capped_per_calendar_month_of_making_them() {
    let app = app_with(&[
        ("SIGNIN_MAKEUP_MONTHLY_LIMIT", "2"),
        ("SIGNIN_MAKEUP_WINDOW_DAYS", "30"),
    ])
    .await;
    let (token, id) = user_with_points(&app, "sven", 1000).await;
    // Registered 03-01; today 03-20: 19 missed dates.
    app.advance_days(19);
    assert_no_errors(&make_up(&app, &token, "2026-03-05", "a").await);
    assert_no_errors(&make_up(&app, &token, "2026-03-06", "b").await);
    let r = make_up(&app, &token, "2026-03-07", "c").await;
    assert_eq!(error_code(&r), "LIMIT_REACHED", "{r:#}");
    assert_eq!(status(&app, &token).await["signInStatus"]["makeUpsLeft"], 0);
    assert_eq!(status(&app, &token).await["wallet"]["balance"], 900);
    // April: counted by the month the make-up is made in, even for a March date.
    app.advance_days(12); // 04-01
    assert_eq!(status(&app, &token).await["signInStatus"]["makeUpsLeft"], 2);
    assert_no_errors(&make_up(&app, &token, "2026-03-25", "d").await);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM sign_ins WHERE user_id = {id} AND made_up"
        ))
        .await,
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_shared_with_spend_and_replays_return_the_first_result() {
    let app = app_with(&[]).await;
    let (token, id) = user_with_points(&app, "tara", 1000).await;
    app.advance_days(3);
    let first = make_up(&app, &token, "2026-03-02", "same").await;
    assert_no_errors(&first);
    let replay = make_up(&app, &token, "2026-03-02", "same").await;
    assert_no_errors(&replay);
    assert_eq!(
        replay["data"]["makeUpSignIn"]["record"],
        first["data"]["makeUpSignIn"]["record"]
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM wallet_transactions WHERE user_id = {id} AND kind = 'MAKE_UP_FEE'"
        ))
        .await,
        1
    );
    // Another date, another operation: conflicts.
    let r = make_up(&app, &token, "2026-03-03", "same").await;
    assert_eq!(error_code(&r), "IDEMPOTENCY_CONFLICT");
    let r = app
        .exec(Some(&token), BUY_FREEZE, json!({ "k": "same" }))
        .await;
    assert_eq!(error_code(&r), "IDEMPOTENCY_CONFLICT");
    let r = app
        .exec(
            Some(&token),
            "mutation { spend(amount: 50, idempotencyKey: \"same\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r), "IDEMPOTENCY_CONFLICT");
    // A spend's key cannot buy a freeze or make a date up.
    let r = app
        .exec(
            Some(&token),
            "mutation { spend(amount: 5, idempotencyKey: \"spent\") { id } }",
            json!({}),
        )
        .await;
    assert_no_errors(&r);
    let r = make_up(&app, &token, "2026-03-03", "spent").await;
    assert_eq!(error_code(&r), "IDEMPOTENCY_CONFLICT");
    let r = app
        .exec(Some(&token), BUY_FREEZE, json!({ "k": "spent" }))
        .await;
    assert_eq!(error_code(&r), "IDEMPOTENCY_CONFLICT");
    // A freeze's replay returns its first transaction.
    let a = app
        .exec(Some(&token), BUY_FREEZE, json!({ "k": "f" }))
        .await;
    let b = app
        .exec(Some(&token), BUY_FREEZE, json!({ "k": "f" }))
        .await;
    assert_no_errors(&b);
    assert_eq!(
        a["data"]["buyStreakFreeze"]["transaction"],
        b["data"]["buyStreakFreeze"]["transaction"]
    );
    assert_eq!(b["data"]["buyStreakFreeze"]["status"]["freezesHeld"], 1);
    let r = make_up(&app, &token, "2026-03-03", " ").await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
    app.assert_ledger_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freezes_are_bought_up_to_the_maximum_and_cover_missed_dates_at_sign_in() {
    let app = app_with(&[]).await;
    let (token, id) = user_with_points(&app, "uma", 450).await;
    let r = app
        .exec(Some(&token), BUY_FREEZE, json!({ "k": "f1" }))
        .await;
    assert_no_errors(&r);
    assert_eq!(
        r["data"]["buyStreakFreeze"]["transaction"]["kind"],
        "STREAK_FREEZE"
    );
    assert_eq!(r["data"]["buyStreakFreeze"]["transaction"]["amount"], -200);
    assert_eq!(
        r["data"]["buyStreakFreeze"]["transaction"]["balanceAfter"],
        250
    );
    assert_no_errors(
        &app.exec(Some(&token), BUY_FREEZE, json!({ "k": "f2" }))
            .await,
    );
    let r = app
        .exec(Some(&token), BUY_FREEZE, json!({ "k": "f3" }))
        .await;
    assert_eq!(error_code(&r), "LIMIT_REACHED", "{r:#}");
    let me = status(&app, &token).await;
    assert_eq!(
        me["wallet"]["balance"], 50,
        "the refused freeze debits nothing"
    );
    assert_eq!(me["signInStatus"]["freezesHeld"], 2);

    // 03-01, 03-02 signed; 03-03 and 03-04 missed; today 03-05.
    sign_in(&app, &token).await;
    app.advance_days(1);
    sign_in(&app, &token).await;
    app.advance_days(3);
    let before = status(&app, &token).await;
    let s = &before["signInStatus"];
    assert_eq!(
        (&s["streak"], &s["cycleDay"], &s["freezesHeld"]),
        (&json!(2), &json!(3), &json!(2)),
        "the status shows what a sign-in now would get: {s:#}"
    );
    let dates: Vec<&str> = s["cycle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        [
            "2026-03-01",
            "2026-03-02",
            "2026-03-05",
            "2026-03-06",
            "2026-03-07",
            "2026-03-08",
            "2026-03-09"
        ],
        "the cycle skips the dates a sign-in now would freeze"
    );
    let signed = sign_in(&app, &token).await;
    assert_eq!(
        (&signed["record"]["cycleDay"], &signed["record"]["streak"]),
        (&json!(3), &json!(3))
    );
    assert_eq!(signed["status"]["freezesHeld"], 0);
    assert_eq!(
        history(&app, &token, "2026-03-02", "2026-03-05").await,
        vec![
            json!(["2026-03-02", true, 2, 2, 10, false, false]),
            json!(["2026-03-03", false, null, null, null, false, true]),
            json!(["2026-03-04", false, null, null, null, false, true]),
            json!(["2026-03-05", true, 3, 3, 20, false, false]),
        ]
    );
    // A frozen date is not missed: it cannot be made up.
    let r = make_up(&app, &token, "2026-03-03", "m").await;
    assert_eq!(reason(&r), "NOT_MISSED");
    let (admin, _) = app.admin("stats_admin").await;
    let stats = app
        .exec(
            Some(&admin),
            "{ signInStats(from: \"2026-03-03\", to: \"2026-03-05\") { date signedIn frozen makeUps milestoneBonusTotal } }",
            json!({}),
        )
        .await;
    assert_no_errors(&stats);
    assert_eq!(
        stats["data"]["signInStats"],
        json!([
            { "date": "2026-03-03", "signedIn": 0, "frozen": 1, "makeUps": 0, "milestoneBonusTotal": 0 },
            { "date": "2026-03-04", "signedIn": 0, "frozen": 1, "makeUps": 0, "milestoneBonusTotal": 0 },
            { "date": "2026-03-05", "signedIn": 1, "frozen": 0, "makeUps": 0, "milestoneBonusTotal": 0 },
        ])
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT freezes_held FROM wallets WHERE user_id = {id}"
        ))
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_missed_dates_than_freezes_restart_the_chain_and_use_none() {
    let app = app_with(&[]).await;
    let (token, id) = user_with_points(&app, "vera", 200).await;
    assert_no_errors(
        &app.exec(Some(&token), BUY_FREEZE, json!({ "k": "f" }))
            .await,
    );
    sign_in(&app, &token).await;
    app.advance_days(3); // two missed, one freeze
    let s = status(&app, &token).await;
    assert_eq!(
        (&s["signInStatus"]["streak"], &s["signInStatus"]["cycleDay"]),
        (&json!(0), &json!(1))
    );
    let signed = sign_in(&app, &token).await;
    assert_eq!(
        (&signed["record"]["cycleDay"], &signed["record"]["streak"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(signed["status"]["freezesHeld"], 1);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM frozen_days WHERE user_id = {id}"
        ))
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_milestone_bonus_is_credited_once_by_the_reward_job() {
    let mut app = app_with(&[("SIGNIN_MILESTONES", "3:50,10:500")]).await;
    let (token, id) = app.register("wes").await;
    let s = status(&app, &token).await;
    assert_eq!(
        s["signInStatus"]["nextMilestone"],
        json!({ "streak": 3, "bonus": 50 })
    );
    let mut records = Vec::new();
    for _ in 0..3 {
        records.push(sign_in(&app, &token).await["record"].clone());
        app.advance_days(1);
    }
    assert_eq!(
        records
            .iter()
            .map(|r| r["milestoneBonus"].clone())
            .collect::<Vec<_>>(),
        [Value::Null, Value::Null, json!(50)]
    );
    app.start_worker();
    app.wait_credited(3, Duration::from_secs(10)).await;
    // The job may be delivered again: still credited once.
    let third = app
        .scalar_i64(&format!(
            "SELECT max(id) FROM sign_ins WHERE user_id = {id}"
        ))
        .await;
    signin_rewards::service::wallet::credit_sign_in(
        &app.state,
        signin_rewards::model::SignInId(third),
    )
    .await
    .unwrap();
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM wallet_transactions WHERE user_id = {id} AND kind = 'MILESTONE_BONUS'"
        ))
        .await,
        1
    );
    let me = status(&app, &token).await;
    assert_eq!(me["wallet"]["balance"], 10 + 10 + 20 + 50);
    assert_eq!(
        me["signInStatus"]["nextMilestone"],
        json!({ "streak": 10, "bonus": 500 })
    );
    let (admin, _) = app.admin("ms_admin").await;
    let stats = app
        .exec(
            Some(&admin),
            "{ signInStats(from: \"2026-03-03\", to: \"2026-03-03\") { milestoneBonusTotal rewardTotal } }",
            json!({}),
        )
        .await;
    assert_eq!(
        stats["data"]["signInStats"],
        json!([{ "milestoneBonusTotal": 50, "rewardTotal": 20 }])
    );
    // The jobs of the three sign-ins may finish in any order.
    let ledger = app
        .exec(
            Some(&token),
            "{ me { wallet { transactions(first: 10) { edges { node { kind amount } } } } } }",
            json!({}),
        )
        .await;
    let mut kinds: Vec<String> = ledger["data"]["me"]["wallet"]["transactions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["node"]["kind"].as_str().unwrap(),
                e["node"]["amount"]
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "MILESTONE_BONUS 50",
            "SIGN_IN_REWARD 10",
            "SIGN_IN_REWARD 10",
            "SIGN_IN_REWARD 20"
        ]
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_made_up_date_earns_no_milestone_and_later_bonuses_stay() {
    let app = app_with(&[("SIGNIN_MILESTONES", "2:40")]).await;
    let (token, id) = user_with_points(&app, "xena", 500).await;
    sign_in(&app, &token).await; // 03-01 streak 1
    app.advance_days(2);
    let third = sign_in(&app, &token).await; // 03-03 streak 1
    assert_eq!(third["record"]["milestoneBonus"], Value::Null);
    app.advance_days(1);
    let r = make_up(&app, &token, "2026-03-02", "m").await; // streak 2, no bonus
    assert_no_errors(&r);
    assert_eq!(
        r["data"]["makeUpSignIn"]["record"]["milestoneBonus"],
        Value::Null
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM sign_ins WHERE user_id = {id} AND milestone_bonus IS NOT NULL"
        ))
        .await,
        0
    );
}

/// "Rewards and bonuses already earned by later sign-ins stay as they
/// were": a renumbering that moves a sign-in off its milestone keeps the
/// bonus it earned, and its reward.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bonuses_already_earned_stay_when_a_make_up_renumbers_later_dates() {
    let app = app_with(&[("SIGNIN_MILESTONES", "1:40")]).await;
    let (token, id) = user_with_points(&app, "yves", 500).await;
    sign_in(&app, &token).await; // 03-01 streak 1: bonus
    app.advance_days(2);
    let later = sign_in(&app, &token).await; // 03-03 streak 1: bonus
    assert_eq!(later["record"]["milestoneBonus"], 40);
    app.advance_days(1);
    assert_no_errors(&make_up(&app, &token, "2026-03-02", "m").await);
    // 03-03 is now streak 3, which no milestone lists, and keeps its bonus.
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT milestone_bonus FROM sign_ins WHERE user_id = {id} AND day = '2026-03-03' AND streak = 3 AND reward = 10"
        ))
        .await,
        40
    );
}

/// The `i`th of a mixed burst of one user's calls, as a query with its
/// values inline: signIn, makeUpSignIn of one of 03-01..03-05,
/// buyStreakFreeze, spend 60.
fn mixed_call(i: usize) -> String {
    match i % 4 {
        0 => "mutation { signIn { record { date } } }".to_owned(),
        1 => format!(
            "mutation {{ makeUpSignIn(date: \"2026-03-0{}\", idempotencyKey: \"m{i}\") {{ record {{ date }} }} }}",
            1 + (i / 4) % 5
        ),
        2 => format!(
            "mutation {{ buyStreakFreeze(idempotencyKey: \"f{i}\") {{ status {{ freezesHeld }} }} }}"
        ),
        _ => format!("mutation {{ spend(amount: 60, idempotencyKey: \"s{i}\") {{ id }} }}"),
    }
}

/// After a burst of mixed calls by user `id`: only the refusals the rules
/// allow, one outcome per date, one sign-in today, freezes held within
/// bounds and equal to bought minus used, no negative balance, the balance
/// the ledger's sum, stored positions what the chain rule gives, and a
/// clean audit.
async fn assert_invariants_after_burst(app: &TestApp, token: &str, id: i64, responses: &[Value]) {
    for r in responses {
        if r.get("errors").is_some() {
            let code = error_code(r);
            assert!(
                [
                    "ALREADY_SIGNED_IN",
                    "MAKE_UP_NOT_ALLOWED",
                    "LIMIT_REACHED",
                    "INSUFFICIENT_FUNDS"
                ]
                .contains(&code),
                "unexpected {r:#}"
            );
        }
    }
    let both = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM sign_ins s JOIN frozen_days f ON f.user_id = s.user_id AND f.day = s.day WHERE s.user_id = {id}"
        ))
        .await;
    assert_eq!(both, 0, "a date is both signed and frozen");
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM sign_ins WHERE user_id = {id} AND NOT made_up"
        ))
        .await,
        1,
        "one sign-in today"
    );
    let held = app
        .scalar_i64(&format!(
            "SELECT freezes_held FROM wallets WHERE user_id = {id}"
        ))
        .await;
    assert!((0..=2).contains(&held), "{held}");
    let bought = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM wallet_transactions WHERE user_id = {id} AND kind = 'STREAK_FREEZE'"
        ))
        .await;
    let used = app
        .scalar_i64(&format!(
            "SELECT count(*) FROM frozen_days WHERE user_id = {id}"
        ))
        .await;
    assert_eq!(held, bought - used, "held = bought - used");
    assert!(
        app.scalar_i64(&format!("SELECT balance FROM wallets WHERE user_id = {id}"))
            .await
            >= 0
    );
    app.assert_ledger_consistent().await;
    // The stored positions are what the chain rule gives the stored dates.
    let days = history(app, token, "2026-03-01", "2026-03-06").await;
    let mut streak = 0;
    for day in &days {
        if day[1] == true {
            streak += 1;
            assert_eq!(day[3], json!(streak), "{days:#?}");
        } else if day[6] != true {
            streak = 0;
        }
    }
    let mut conn = app.state.db.get().await.unwrap();
    let report = signin_rewards::store::audit::run(&mut conn, app.state.calendar.now())
        .await
        .unwrap();
    assert!(report.is_clean(), "{report:#?}");
}

/// One user's signIn, makeUpSignIn, buyStreakFreeze and spend racing in
/// one process.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mixed_calls_of_one_user_keep_every_invariant() {
    let app = std::sync::Arc::new(app_with(&[]).await);
    let (token, id) = user_with_points(&app, "yuri", 700).await;
    app.advance_days(5); // 03-01..03-05 missed
    let mut calls = Vec::new();
    for i in 0..32 {
        let app = app.clone();
        let token = token.clone();
        calls.push(tokio::spawn(async move {
            app.exec(Some(&token), &mixed_call(i), json!({})).await
        }));
    }
    let mut responses = Vec::new();
    for call in calls {
        responses.push(call.await.unwrap());
    }
    assert_invariants_after_burst(&app, &token, id, &responses).await;
    let me = status(&app, &token).await;
    assert_eq!(me["signInStatus"]["signedInToday"], true);
}

/// The same burst split over two `serve` processes on one database and
/// Redis (each with its worker, milestones on): the wallet lock holds across
/// replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mixed_calls_on_two_replicas_keep_every_invariant() {
    use crate::process::{free_port, wait_for_port, Proc, BIN};
    // Whatever the burst's order, today's sign-in reaches one of these
    // streaks (at most 5 dates before it can be made up or frozen).
    const EVERY_STREAK: &str = "1:5,2:5,3:5,4:5,5:5,6:5";
    let app = app_with(&[("SIGNIN_MILESTONES", EVERY_STREAK)]).await;
    let (token, id) = user_with_points(&app, "zack", 700).await;
    let mut ports = Vec::new();
    let mut replicas = Vec::new();
    for name in ["protect-a", "protect-b"] {
        let port = free_port();
        let vars = vec![
            ("DATABASE_URL", app.db.url.clone()),
            ("REDIS_URL", crate::common::redis_url()),
            ("SIGNIN_REDIS_NAMESPACE", app.db.name.clone()),
            (
                "SIGNIN_JWT_SECRET",
                "a-test-secret-that-is-at-least-32-bytes".to_owned(),
            ),
            ("SIGNIN_BIND", format!("127.0.0.1:{port}")),
            ("SIGNIN_TOKEN_TTL_SECS", "31536000".to_owned()),
            ("SIGNIN_MILESTONES", EVERY_STREAK.to_owned()),
            // 03-01..03-05 missed, as in the one-process test.
            ("SIGNIN_NOW", "2026-03-06T09:00:00Z".to_owned()),
        ];
        replicas.push(Proc::spawn(name, BIN, &["serve"], &vars));
        wait_for_port(port, Duration::from_secs(30)).await;
        ports.push(port);
    }
    app.advance_days(5);
    let client = reqwest::Client::new();
    let mut calls = Vec::new();
    for i in 0..32 {
        let (client, token, port) = (client.clone(), token.clone(), ports[i % 2]);
        calls.push(tokio::spawn(async move {
            crate::common::post_graphql(&client, port, Some(&token), &mixed_call(i))
                .await
                .unwrap()
        }));
    }
    let mut responses = Vec::new();
    for call in calls {
        responses.push(call.await.unwrap());
    }
    app.wait_credited(1, Duration::from_secs(20)).await;
    // The sign-in's reward and its bonus are credited once, by one worker.
    let started = std::time::Instant::now();
    while app
        .scalar_i64(&format!(
            "SELECT count(*) FROM wallet_transactions WHERE user_id = {id} AND kind = 'MILESTONE_BONUS'"
        ))
        .await
        == 0
    {
        assert!(started.elapsed() < Duration::from_secs(20), "no bonus");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_invariants_after_burst(&app, &token, id, &responses).await;
    drop(replicas);
}

/// `signin-rewards audit` checks fees, freezes and bonuses as it checks
/// rewards: clean after real use, and each kind of tampering is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_checks_fees_freezes_and_bonuses() {
    let mut app = app_with(&[("SIGNIN_MILESTONES", "2:40")]).await;
    app.books_left_unbalanced("plants wrong rows to see the audit find them");
    let (token, id) = user_with_points(&app, "zoe", 1000).await;
    assert_no_errors(
        &app.exec(Some(&token), BUY_FREEZE, json!({ "k": "f" }))
            .await,
    );
    sign_in(&app, &token).await;
    app.advance_days(1);
    sign_in(&app, &token).await; // bonus 40
    app.advance_days(2);
    sign_in(&app, &token).await; // uses the freeze
    app.advance_days(2);
    assert_no_errors(&make_up(&app, &token, "2026-03-05", "m").await);
    app.start_worker();
    app.wait_credited(4, Duration::from_secs(10)).await;

    let audit = || async {
        let mut conn = app.state.db.get().await.unwrap();
        signin_rewards::store::audit::run(&mut conn, app.state.calendar.now())
            .await
            .unwrap()
    };
    let failing = |report: &signin_rewards::store::audit::Report| {
        report
            .checks
            .iter()
            .filter(|c| c.failures > 0)
            .map(|c| c.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(failing(&audit().await), Vec::<&str>::new());

    app.sql(&format!(
        "UPDATE wallets SET freezes_held = 2 WHERE user_id = {id}"
    ))
    .await;
    app.sql(&format!(
        "INSERT INTO frozen_days (user_id, day, sign_in_id, created_at) \
         SELECT user_id, day, id, now() FROM sign_ins WHERE user_id = {id} AND day = '2026-03-01'"
    ))
    .await;
    app.sql(&format!(
        "UPDATE sign_ins SET milestone_bonus = 99 WHERE user_id = {id} AND day = '2026-03-02'"
    ))
    .await;
    let report = audit().await;
    let failing = failing(&report);
    for check in [
        "freezes held differ from freezes bought minus freezes used",
        "date both signed and frozen",
        "credited sign-in's milestone bonus without a matching bonus row",
    ] {
        assert!(
            failing.contains(&check),
            "{check} not reported: {failing:?}"
        );
    }
}

/// Issue 24, item 18: after a make-up renumbers today's sign-in,
/// `todayReward` still shows what that sign-in earned. Days 1-5 signed, 6
/// missed, 7 signed (cycle day 1: 10 points), then 6 made up: today is now
/// cycle day 7 (100 in the table), and the sign-in earned 10.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn today_reward_after_a_make_up_is_what_todays_sign_in_earned() {
    let app = app_with(&[]).await;
    let (token, id) = user_with_points(&app, "olga", 1000).await;
    for _ in 0..5 {
        sign_in(&app, &token).await;
        app.advance_days(1);
    }
    app.advance_days(1);
    let today = sign_in(&app, &token).await;
    assert_eq!(today["record"]["date"], "2026-03-07");
    assert_eq!(
        (&today["record"]["cycleDay"], &today["record"]["reward"]),
        (&json!(1), &json!(10))
    );
    let r = make_up(&app, &token, "2026-03-06", "fill-6").await;
    assert_no_errors(&r);
    let s = status(&app, &token).await;
    assert_eq!(
        (
            &s["signInStatus"]["signedInToday"],
            &s["signInStatus"]["cycleDay"],
            &s["signInStatus"]["todayReward"]
        ),
        (&json!(true), &json!(7), &json!(10)),
        "{s}"
    );
    // The same from the store, as a replica with nothing cached reads it.
    let mut conn = app.state.db.get().await.unwrap();
    let now = app.state.calendar.now();
    let chains = signin_rewards::service::streak::load_many(
        &mut conn,
        &[signin_rewards::model::UserId(id)],
        now,
        app.state.calendar.zone(),
        &app.state.config.protection,
    )
    .await
    .unwrap();
    let (_, chain) = &chains[&signin_rewards::model::UserId(id)];
    let cold = chain.status(
        chain.today(now),
        &app.state.config.protection,
        &app.state.config.rewards,
    );
    assert_eq!((cold.cycle_day, cold.today_reward), (7, 10));
}
