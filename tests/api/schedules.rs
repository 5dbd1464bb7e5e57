//! Reward schedules (contract, "Running the programme (admin)"): the first
//! one from SIGNIN_REWARDS, publishing and cancelling, what each date pays
//! and shows, the table's immutability, its migration, and a change seen
//! by another replica within a second.

use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use serde_json::{json, Value};

use signin_rewards::model::UserId;
use signin_rewards::state::AppState;
use signin_rewards::store::migrate::MIGRATIONS;

use crate::common::{
    assert_no_errors, error_code, post_graphql, test_config, TestApp, TestDatabase,
};
use crate::process::{free_port, wait_for_port, Proc, BIN};

const SCHEDULES: &str = "{ rewardSchedules { id rewards effectiveFrom effectiveTo note createdAt createdBy { id username } cancelled } }";
const PUBLISH: &str = "mutation($r: [Int!]!, $f: Date!, $t: Date, $n: String!) { publishRewardSchedule(rewards: $r, effectiveFrom: $f, effectiveTo: $t, note: $n) { id rewards effectiveFrom effectiveTo note createdBy { id username } cancelled } }";
const CANCEL: &str =
    "mutation($id: ID!) { cancelRewardSchedule(id: $id) { id effectiveFrom cancelled } }";
const SIGN_IN: &str = "mutation { signIn { record { date cycleDay reward scheduleId } status { todayReward cycle { date reward } } } }";
const STATUS: &str =
    "{ me { signInStatus { today cycleDay todayReward cycle { day date reward signedIn } } } }";

fn publish_vars(rewards: &[i64], from: &str, to: Option<&str>) -> Value {
    json!({ "r": rewards, "f": from, "t": to, "n": "test schedule" })
}

/// (date, reward) of each day of the status's cycle.
fn strip(status: &Value) -> Vec<(String, i64)> {
    status["cycle"]
        .as_array()
        .unwrap_or_else(|| panic!("no cycle in {status:#}"))
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["reward"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn owned(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs.iter().map(|(d, r)| ((*d).to_owned(), *r)).collect()
}

async fn publish(app: &TestApp, admin: &str, vars: Value) -> Value {
    let r = app.exec(Some(admin), PUBLISH, vars).await;
    assert_no_errors(&r);
    r["data"]["publishRewardSchedule"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signin_rewards_is_the_first_base_schedule() {
    let app = TestApp::with_config(&[("SIGNIN_REWARDS", "1,2,3,4,5,6,700")]).await;
    let (admin, _) = app.admin("boss").await;
    let (user, _) = app.register("ursula").await;
    let r = app.exec(Some(&admin), SCHEDULES, json!({})).await;
    assert_no_errors(&r);
    let list = r["data"]["rewardSchedules"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{r:#}");
    let first = &list[0];
    assert_eq!(first["rewards"], json!([1, 2, 3, 4, 5, 6, 700]));
    assert_eq!(first["effectiveFrom"], "1970-01-01");
    assert_eq!(first["effectiveTo"], Value::Null);
    assert_eq!(first["createdBy"], Value::Null);
    assert_eq!(first["cancelled"], false);
    let signed = app.exec(Some(&user), SIGN_IN, json!({})).await;
    assert_no_errors(&signed);
    let record = &signed["data"]["signIn"]["record"];
    assert_eq!(record["reward"], 1);
    assert_eq!(record["scheduleId"], first["id"]);
}

/// Base changes, a campaign inside a base period and one across a base
/// change: the status strip shows each date's own schedule, and each
/// sign-in is paid (and names) the schedule in force on its date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_date_pays_the_schedule_in_force_on_it() {
    let app = TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "10000000")]).await;
    let (admin, admin_id) = app.admin("boss").await;
    let (user, _) = app.register("ursula").await;
    // Today is 2026-03-01 (the first base: 10,10,20,20,30,30,100).
    let base = publish(
        &app,
        &admin,
        publish_vars(&[1, 2, 3, 4, 5, 6, 7], "2026-03-03", None),
    )
    .await;
    assert_eq!(base["createdBy"]["id"], admin_id.to_string());
    assert_eq!(base["createdBy"]["username"], "boss");
    assert_eq!(base["cancelled"], false);
    let campaign = publish(
        &app,
        &admin,
        publish_vars(
            &[100, 200, 300, 400, 500, 600, 700],
            "2026-03-05",
            Some("2026-03-06"),
        ),
    )
    .await;
    // Across the next base change (2026-03-10).
    let across = publish(
        &app,
        &admin,
        publish_vars(&[9, 9, 9, 9, 9, 9, 9], "2026-03-09", Some("2026-03-11")),
    )
    .await;
    let later_base = publish(
        &app,
        &admin,
        publish_vars(&[5, 5, 5, 5, 5, 5, 5], "2026-03-10", None),
    )
    .await;

    let status = app.exec(Some(&user), STATUS, json!({})).await;
    assert_eq!(
        strip(&status["data"]["me"]["signInStatus"]),
        owned(&[
            ("2026-03-01", 10),
            ("2026-03-02", 10),
            ("2026-03-03", 3),
            ("2026-03-04", 4),
            ("2026-03-05", 500),
            ("2026-03-06", 600),
            ("2026-03-07", 7),
        ])
    );

    // Signing in every day: (date, reward, schedule that paid).
    let expected = [
        ("2026-03-01", 10, None),
        ("2026-03-02", 10, None),
        ("2026-03-03", 3, Some(&base)),
        ("2026-03-04", 4, Some(&base)),
        ("2026-03-05", 500, Some(&campaign)),
        ("2026-03-06", 600, Some(&campaign)),
        ("2026-03-07", 7, Some(&base)),
        ("2026-03-08", 1, Some(&base)), // day 1 of the next cycle
        ("2026-03-09", 9, Some(&across)),
        ("2026-03-10", 9, Some(&across)),
        ("2026-03-11", 9, Some(&across)),
        ("2026-03-12", 5, Some(&later_base)),
    ];
    let mut first_id = None;
    for (date, reward, paid_by) in expected {
        let r = app.exec(Some(&user), SIGN_IN, json!({})).await;
        assert_no_errors(&r);
        let record = &r["data"]["signIn"]["record"];
        assert_eq!(
            (record["date"].as_str(), record["reward"].as_i64()),
            (Some(date), Some(reward)),
            "{r:#}"
        );
        match paid_by {
            Some(schedule) => assert_eq!(record["scheduleId"], schedule["id"], "{date}"),
            None => {
                let id = first_id.get_or_insert_with(|| record["scheduleId"].clone());
                assert_eq!(&record["scheduleId"], id, "{date}");
            }
        }
        assert_eq!(
            r["data"]["signIn"]["status"]["todayReward"], reward,
            "{date}"
        );
        app.advance_days(1);
    }

    // Newest effectiveFrom first.
    let r = app.exec(Some(&admin), SCHEDULES, json!({})).await;
    let froms: Vec<&str> = r["data"]["rewardSchedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["effectiveFrom"].as_str().unwrap())
        .collect();
    assert_eq!(
        froms,
        [
            "2026-03-10",
            "2026-03-09",
            "2026-03-05",
            "2026-03-03",
            "1970-01-01"
        ]
    );
}

/// What a sign-in earned is fixed when it happens: a schedule published
/// afterwards changes neither the record nor today's status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_schedule_changes_nothing_already_earned_or_shown_for_today() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("boss").await;
    let (user, user_id) = app.register("ursula").await;
    let r = app.exec(Some(&user), SIGN_IN, json!({})).await;
    assert_eq!(r["data"]["signIn"]["record"]["reward"], 10);
    publish(
        &app,
        &admin,
        publish_vars(&[50, 50, 50, 50, 50, 50, 50], "2026-03-02", None),
    )
    .await;
    let status = app.exec(Some(&user), STATUS, json!({})).await;
    let status = &status["data"]["me"]["signInStatus"];
    assert_eq!(status["todayReward"], 10);
    assert_eq!(strip(status)[0], ("2026-03-01".to_owned(), 10));
    assert_eq!(strip(status)[1], ("2026-03-02".to_owned(), 50));
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT reward FROM sign_ins WHERE user_id = {user_id}"
        ))
        .await,
        10
    );
}

/// The business zone's midnight: at 23:59 in Shanghai (15:59 UTC) the
/// next day may still be planned and today's table pays; at 00:00 (16:00
/// UTC, still the same UTC date) the new day has begun: it can no longer be
/// planned, and its schedule pays, even one this process's copy of the
/// schedules never heard of (written behind its back before midnight).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_midnight_decides_the_schedule_and_utc_plus_14_decides_publishing() {
    let app = TestApp::with_config(&[
        ("SIGNIN_TIMEZONE", "Asia/Shanghai"),
        ("SIGNIN_TOKEN_TTL_SECS", "10000000"),
    ])
    .await;
    // 09:59Z: 23:59 on March 1st at UTC+14, the newest date any zone has.
    app.clock
        .set(crate::common::instant("2026-03-01T09:59:00Z"));
    let (admin, _) = app.admin("boss").await;
    let (user, _) = app.register("ursula").await;
    let (early, _) = app.register("early_bird").await;
    // Planned for March 2nd a minute before it begins anywhere: accepted.
    publish(&app, &admin, publish_vars(&[3; 7], "2026-03-02", None)).await;
    // Written with no announcement, also for March 2nd: this process's
    // copy is current for March 1st and does not know it.
    app.sql(
        "INSERT INTO reward_schedules (rewards, effective_from, effective_to, note, created_at) \
         VALUES ('{44,44,44,44,44,44,44}', '2026-03-02', '2026-03-02', 'unannounced', now())",
    )
    .await;
    let status = app.exec(Some(&user), STATUS, json!({})).await;
    assert_eq!(status["data"]["me"]["signInStatus"]["todayReward"], 10);

    // 10:00Z: March 2nd has begun at UTC+14 (it is 18:00 on March 1st in Shanghai).
    app.clock
        .set(crate::common::instant("2026-03-01T10:00:00Z"));
    let r = app
        .exec(
            Some(&admin),
            PUBLISH,
            publish_vars(&[5; 7], "2026-03-02", Some("2026-03-02")),
        )
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r:#}");
    assert_eq!(r["errors"][0]["extensions"]["argument"], "effectiveFrom");

    // The user's own midnight (Shanghai, the business zone here) decides
    // which schedule pays.
    app.clock
        .set(crate::common::instant("2026-03-01T15:59:00Z"));
    let signed = app.exec(Some(&early), SIGN_IN, json!({})).await;
    assert_eq!(signed["data"]["signIn"]["record"]["date"], "2026-03-01");
    assert_eq!(signed["data"]["signIn"]["record"]["reward"], 10);
    app.clock
        .set(crate::common::instant("2026-03-01T16:00:00Z"));
    let signed = app.exec(Some(&user), SIGN_IN, json!({})).await;
    assert_no_errors(&signed);
    let record = &signed["data"]["signIn"]["record"];
    assert_eq!(record["date"], "2026-03-02");
    assert_eq!(
        record["reward"], 44,
        "the copy was read again once March 2nd began anywhere"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_is_refused_naming_the_argument() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("boss").await;
    let ok = [1i64, 2, 3, 4, 5, 6, 7];
    publish(
        &app,
        &admin,
        publish_vars(&ok, "2026-03-10", Some("2026-03-12")),
    )
    .await;
    publish(&app, &admin, publish_vars(&ok, "2026-04-01", None)).await;
    let rows = || app.scalar_i64("SELECT count(*) FROM reward_schedules");
    let before = rows().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "today",
            publish_vars(&ok, "2026-03-01", None),
            "effectiveFrom",
        ),
        (
            "yesterday",
            publish_vars(&ok, "2026-02-28", None),
            "effectiveFrom",
        ),
        (
            "six rewards",
            publish_vars(&ok[..6], "2026-03-02", None),
            "rewards",
        ),
        (
            "eight rewards",
            publish_vars(&[1, 2, 3, 4, 5, 6, 7, 8], "2026-03-02", None),
            "rewards",
        ),
        (
            "a negative reward",
            publish_vars(&[1, 2, 3, -4, 5, 6, 7], "2026-03-02", None),
            "rewards",
        ),
        (
            "a reward above the maximum",
            publish_vars(&[1, 2, 3, 4, 5, 6, 1_000_001], "2026-03-02", None),
            "rewards",
        ),
        (
            "ends before it starts",
            publish_vars(&ok, "2026-03-05", Some("2026-03-04")),
            "effectiveTo",
        ),
        (
            "367 days",
            publish_vars(&ok, "2026-05-01", Some("2027-05-02")),
            "effectiveTo",
        ),
        (
            "overlaps a live campaign",
            publish_vars(&ok, "2026-03-12", Some("2026-03-20")),
            "effectiveFrom",
        ),
        (
            "inside a live campaign",
            publish_vars(&ok, "2026-03-11", Some("2026-03-11")),
            "effectiveFrom",
        ),
        (
            "a base on another's date",
            publish_vars(&ok, "2026-04-01", None),
            "effectiveFrom",
        ),
    ];
    for (name, vars, argument) in cases {
        let r = app.exec(Some(&admin), PUBLISH, vars).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{name}: {r:#}");
        assert_eq!(
            r["errors"][0]["extensions"]["argument"], argument,
            "{name}: {r:#}"
        );
    }
    assert_eq!(rows().await, before, "nothing written");
    // The limits themselves are fine: 366 days, zero rewards, a campaign
    // right after another.
    publish(
        &app,
        &admin,
        publish_vars(&[0; 7], "2026-05-01", Some("2027-05-01")),
    )
    .await;
    publish(
        &app,
        &admin,
        publish_vars(&ok, "2026-03-13", Some("2026-03-13")),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_works_only_before_it_takes_effect() {
    let app = TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "10000000")]).await;
    let (admin, _) = app.admin("boss").await;
    let (user, _) = app.register("ursula").await;
    let campaign = publish(
        &app,
        &admin,
        publish_vars(&[7; 7], "2026-03-02", Some("2026-03-03")),
    )
    .await;
    let later = publish(&app, &admin, publish_vars(&[3; 7], "2026-03-05", None)).await;
    let status = app.exec(Some(&user), STATUS, json!({})).await;
    assert_eq!(strip(&status["data"]["me"]["signInStatus"])[1].1, 7);

    let r = app
        .exec(Some(&admin), CANCEL, json!({ "id": later["id"] }))
        .await;
    assert_no_errors(&r);
    assert_eq!(r["data"]["cancelRewardSchedule"]["cancelled"], true);
    // Again: the same answer, nothing changes.
    let again = app
        .exec(Some(&admin), CANCEL, json!({ "id": later["id"] }))
        .await;
    assert_eq!(again["data"], r["data"]);
    let status = app.exec(Some(&user), STATUS, json!({})).await;
    assert_eq!(
        strip(&status["data"]["me"]["signInStatus"])[4],
        ("2026-03-05".to_owned(), 30)
    );

    // The first schedule is in force: refused.
    let list = app.exec(Some(&admin), SCHEDULES, json!({})).await;
    let first = list["data"]["rewardSchedules"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let r = app
        .exec(Some(&admin), CANCEL, json!({ "id": first["id"] }))
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r:#}");
    assert_eq!(r["errors"][0]["extensions"]["argument"], "id");
    // Once the campaign's first day has come: refused, and it still pays.
    app.advance_days(1);
    let r = app
        .exec(Some(&admin), CANCEL, json!({ "id": campaign["id"] }))
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r:#}");
    let signed = app.exec(Some(&user), SIGN_IN, json!({})).await;
    assert_eq!(signed["data"]["signIn"]["record"]["reward"], 7);
    // Unknown and malformed ids.
    let r = app
        .exec(Some(&admin), CANCEL, json!({ "id": "999999" }))
        .await;
    assert_eq!(error_code(&r), "NOT_FOUND", "{r:#}");
    let r = app.exec(Some(&admin), CANCEL, json!({ "id": "x" })).await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r:#}");
    // Cancelled ones are listed as such.
    let list = app.exec(Some(&admin), SCHEDULES, json!({})).await;
    let cancelled: Vec<bool> = list["data"]["rewardSchedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cancelled"].as_bool().unwrap())
        .collect();
    assert_eq!(cancelled, [true, false, false]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_are_for_admins_only() {
    let app = TestApp::new().await;
    let (user, _) = app.register("ursula").await;
    let operations = [
        (SCHEDULES, json!({})),
        (PUBLISH, publish_vars(&[1; 7], "2026-03-05", None)),
        (CANCEL, json!({ "id": "1" })),
    ];
    for (query, vars) in operations {
        let r = app.exec(Some(&user), query, vars.clone()).await;
        assert_eq!(error_code(&r), "FORBIDDEN", "{query}: {r:#}");
        let r = app.exec(None, query, vars).await;
        assert_eq!(error_code(&r), "UNAUTHENTICATED", "{query}: {r:#}");
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM reward_schedules WHERE created_by IS NOT NULL")
            .await,
        0
    );
}

/// Rows are never edited (only cancelled, once) nor deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_refuses_edits() {
    let app = TestApp::new().await;
    let id = app.first_schedule_id().await;
    let mut conn = app.state.db.get().await.unwrap();
    for sql in [
        format!("UPDATE reward_schedules SET rewards = '{{1,1,1,1,1,1,1}}' WHERE id = {id}"),
        format!("UPDATE reward_schedules SET effective_from = '2030-01-01' WHERE id = {id}"),
        format!("UPDATE reward_schedules SET note = 'x', cancelled_at = now() WHERE id = {id}"),
        format!("DELETE FROM reward_schedules WHERE id = {id}"),
        "TRUNCATE reward_schedules CASCADE".to_owned(),
    ] {
        let error = diesel::sql_query(&sql)
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("never edited"), "{sql}: {error}");
    }
    diesel::sql_query(format!(
        "UPDATE reward_schedules SET cancelled_at = now() WHERE id = {id}"
    ))
    .execute(&mut conn)
    .await
    .expect("cancelling once is the one change allowed");
    let error = diesel::sql_query(format!(
        "UPDATE reward_schedules SET cancelled_at = now() WHERE id = {id}"
    ))
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(error.to_string().contains("never edited"), "{error}");
}

/// An operator who changes SIGNIN_REWARDS and restarts: today keeps the
/// table in force (what was earned and shown), the new one pays from
/// tomorrow; restarting again with the same value changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_setting_applies_from_tomorrow() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("boss").await;
    let (user, user_id) = app.register("ursula").await;
    assert_no_errors(&app.exec(Some(&user), SIGN_IN, json!({})).await);
    let restarted = || async {
        let config = test_config(&app.db, &[("SIGNIN_REWARDS", "2,2,2,2,2,2,2")]);
        AppState::connect_with_clock(config, app.clock.clone())
            .await
            .unwrap()
    };
    let other = restarted().await;
    let statuses = signin_rewards::service::sign_in::statuses(&other, &[UserId(user_id)])
        .await
        .unwrap();
    let status = &statuses[&UserId(user_id)];
    let rewards: Vec<u32> = status.cycle.iter().map(|c| c.reward).collect();
    assert_eq!(rewards, [10, 2, 2, 2, 2, 2, 2]);
    assert_eq!(status.today_reward, 10);
    let again = restarted().await;
    signin_rewards::service::schedules::current(&again)
        .await
        .unwrap();
    let list = app.exec(Some(&admin), SCHEDULES, json!({})).await;
    let list = list["data"]["rewardSchedules"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:#?}");
    assert_eq!(list[0]["effectiveFrom"], "2026-03-02");
    assert_eq!(list[0]["rewards"], json!([2, 2, 2, 2, 2, 2, 2]));
    assert_eq!(list[0]["createdBy"], Value::Null);
}

/// Two `serve` processes: a schedule published on one shows in the other's
/// status within a second (the announcement); one written behind the
/// service's back (no announcement) within a second too (the version
/// check).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_reaches_another_replica_within_a_second() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("boss").await;
    let (user, _) = app.register("ursula").await;
    let vars = |port: u16| {
        vec![
            ("DATABASE_URL", app.db.url.clone()),
            ("REDIS_URL", crate::common::redis_url()),
            ("SIGNIN_REDIS_NAMESPACE", app.db.name.clone()),
            (
                "SIGNIN_JWT_SECRET",
                "a-test-secret-that-is-at-least-32-bytes".to_owned(),
            ),
            ("SIGNIN_BIND", format!("127.0.0.1:{port}")),
            ("SIGNIN_NOW", "2026-03-01T09:00:00Z".to_owned()),
        ]
    };
    let (port_a, port_b) = (free_port(), free_port());
    let _a = Proc::spawn("schedules-a", BIN, &["serve", "--no-worker"], &vars(port_a));
    let _b = Proc::spawn("schedules-b", BIN, &["serve", "--no-worker"], &vars(port_b));
    wait_for_port(port_a, Duration::from_secs(30)).await;
    wait_for_port(port_b, Duration::from_secs(30)).await;
    let client = reqwest::Client::new();
    let second_day = |port: u16| {
        let client = client.clone();
        let user = user.clone();
        async move {
            let r = post_graphql(&client, port, Some(&user), STATUS)
                .await
                .unwrap();
            strip(&r["data"]["me"]["signInStatus"])[1].1
        }
    };
    assert_eq!(
        second_day(port_b).await,
        10,
        "B has read the first schedule"
    );

    // Published on A.
    let published = post_graphql(
        &client,
        port_a,
        Some(&admin),
        "mutation { publishRewardSchedule(rewards: [1, 42, 3, 4, 5, 6, 7], effectiveFrom: \"2026-03-02\", note: \"x\") { id } }",
    )
    .await
    .unwrap();
    assert_no_errors(&published);
    let since = Instant::now();
    while second_day(port_b).await != 42 {
        assert!(
            since.elapsed() < Duration::from_secs(1),
            "B still shows the old reward"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let announced = since.elapsed();

    // Written with no announcement: the version check finds it.
    app.sql(
        "INSERT INTO reward_schedules (rewards, effective_from, effective_to, note, created_at) \
         VALUES ('{77,77,77,77,77,77,77}', '2026-03-02', '2026-03-02', 'behind its back', now())",
    )
    .await;
    let since = Instant::now();
    while second_day(port_b).await != 77 {
        assert!(
            since.elapsed() < Duration::from_secs(1),
            "B did not notice the new row"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "seen by the other replica after {announced:?} (announced), {:?} (version check)",
        since.elapsed()
    );
}

/// The migration over rows written before it: existing sign-ins get the
/// first base schedule (the service's SIGNIN_REWARDS when it migrates, the
/// default otherwise); down restores the schema exactly; up again works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_gives_existing_sign_ins_the_first_schedule() {
    const VERSION: &str = "20261130000020";
    let db = TestDatabase::create_unmigrated().await;
    let connect = || async { AsyncPgConnection::establish(&db.url).await.unwrap() };
    let mut harness = AsyncMigrationHarness::new(connect().await);
    let pending = harness.pending_migrations(MIGRATIONS).unwrap();
    let target = pending
        .iter()
        .find(|m| m.name().version().to_string() == VERSION)
        .expect("the reward schedules migration is embedded");
    for migration in &pending {
        if migration.name().version().to_string().as_str() < VERSION {
            harness.run_migration(&**migration).unwrap();
        }
    }
    let mut conn = connect().await;
    let shape_before = shape(&mut conn).await;
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut conn,
        "INSERT INTO users (username, password_hash, created_at) VALUES ('ada', 'x', now()); \
         INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at) \
           SELECT id, d, n, n, 10 * n, now() FROM users, \
           (VALUES ('2026-03-01'::date, 1), ('2026-03-02', 2)) v(d, n);",
    )
    .await
    .unwrap();
    drop(conn);

    harness.run_migration(&**target).unwrap();
    let mut conn = connect().await;
    assert_eq!(
        lines(&mut conn, "SELECT id || ' ' || rewards::text || ' ' || effective_from || ' ' || coalesce(created_by::text, 'null') || ' ' || (effective_to IS NULL) AS line FROM reward_schedules").await,
        ["1 {10,10,20,20,30,30,100} 1970-01-01 null true"]
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT day || ' ' || reward || ' ' || schedule_id AS line FROM sign_ins ORDER BY day"
        )
        .await,
        ["2026-03-01 10 1", "2026-03-02 20 1"]
    );
    let error = diesel::sql_query(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at) \
         SELECT id, '2026-03-03', 3, 3, 20, now() FROM users",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("schedule_id"),
        "no default is left: {error}"
    );
    drop(conn);

    let reverted = harness.revert_last_migration(MIGRATIONS).unwrap();
    assert_eq!(reverted.to_string(), VERSION);
    let mut conn = connect().await;
    assert_eq!(shape(&mut conn).await, shape_before);
    assert_eq!(
        lines(
            &mut conn,
            "SELECT day || ' ' || reward AS line FROM sign_ins ORDER BY day"
        )
        .await,
        ["2026-03-01 10", "2026-03-02 20"]
    );
    drop(conn);

    // Up again as the service migrates: its SIGNIN_REWARDS paid them.
    drop(harness);
    let rewards: signin_rewards::domain::rewards::RewardTable = "1,2,3,4,5,6,7".parse().unwrap();
    let programme = signin_rewards::store::migrate::Programme {
        rewards: &rewards,
        timezone: chrono_tz::Tz::UTC,
    };
    signin_rewards::store::migrate::run_pending_with(&db.url, Some(programme))
        .await
        .unwrap();
    let mut conn = connect().await;
    assert_eq!(
        lines(&mut conn, "SELECT rewards::text || ' ' || (SELECT count(*) FROM sign_ins WHERE schedule_id = s.id) AS line FROM reward_schedules s").await,
        ["{1,2,3,4,5,6,7} 2"]
    );
}

#[derive(diesel::QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

async fn lines(conn: &mut AsyncPgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Line>(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect()
}

/// Tables, columns, constraints, triggers, indexes and functions.
async fn shape(conn: &mut AsyncPgConnection) -> Vec<String> {
    lines(
        conn,
        "SELECT conrelid::regclass::text || ' ' || conname::text || ' ' || pg_get_constraintdef(oid) AS line \
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
         UNION ALL \
         SELECT table_name::text || '.' || column_name::text || ' ' || udt_name::text || ' ' \
                || coalesce(column_default::text, '-') || ' ' || is_nullable::text \
           FROM information_schema.columns WHERE table_schema = 'public' \
         UNION ALL \
         SELECT tgrelid::regclass::text || ' ' || tgname::text || ' ' || tgenabled::text \
           FROM pg_trigger WHERE NOT tgisinternal \
         UNION ALL \
         SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' \
         UNION ALL \
         SELECT 'function ' || proname::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace \
         ORDER BY 1",
    )
    .await
}

/// When the schedules cannot be read again (here: the table is away), a
/// status still shows the rewards of the copy in memory, but no sign-in is
/// paid from a copy that is not known to be current.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_copy_may_show_rewards_but_never_pays() {
    let app = TestApp::new().await;
    let (user, _) = app.register("ursula").await;
    let status = app.exec(Some(&user), STATUS, json!({})).await;
    assert_eq!(status["data"]["me"]["signInStatus"]["todayReward"], 10);
    app.state.local.schedules.mark_stale();
    app.sql("ALTER TABLE reward_schedules RENAME TO reward_schedules_away")
        .await;
    let status = app.exec(Some(&user), STATUS, json!({})).await;
    assert_no_errors(&status);
    assert_eq!(status["data"]["me"]["signInStatus"]["todayReward"], 10);
    let refused = app.exec(Some(&user), SIGN_IN, json!({})).await;
    assert_eq!(error_code(&refused), "INTERNAL_SERVER_ERROR", "{refused:#}");
    assert_eq!(app.scalar_i64("SELECT count(*) FROM sign_ins").await, 0);
    app.sql("ALTER TABLE reward_schedules_away RENAME TO reward_schedules")
        .await;
    let signed = app.exec(Some(&user), SIGN_IN, json!({})).await;
    assert_no_errors(&signed);
    assert_eq!(signed["data"]["signIn"]["record"]["reward"], 10);
}

/// A made-up date names the schedule in force on that date (not today's),
/// though it pays nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_made_up_date_names_the_schedule_in_force_on_it() {
    let app = TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "10000000")]).await;
    let (admin, _) = app.admin("boss").await;
    let (user, user_id) = app.register("ursula").await;
    let first = app.first_schedule_id().await.to_string();
    let base = publish(&app, &admin, publish_vars(&[4; 7], "2026-03-02", None)).await;
    let later = publish(&app, &admin, publish_vars(&[6; 7], "2026-03-03", None)).await;
    assert_no_errors(
        &app.exec(
            Some(&admin),
            "mutation($u: ID!) { adjustWallet(userId: $u, amount: 500, idempotencyKey: \"fund\", note: \"fund\") { id } }",
            json!({ "u": user_id.to_string() }),
        )
        .await,
    );
    app.advance_days(2); // today 2026-03-03: 03-01 and 03-02 were missed
    let make_up = "mutation($d: Date!, $k: String!) { makeUpSignIn(date: $d, idempotencyKey: $k) { record { date reward madeUp scheduleId } } }";
    for (date, key, expected) in [
        ("2026-03-02", "m1", base["id"].as_str().unwrap()),
        ("2026-03-01", "m2", first.as_str()),
    ] {
        let r = app
            .exec(Some(&user), make_up, json!({ "d": date, "k": key }))
            .await;
        assert_no_errors(&r);
        let record = &r["data"]["makeUpSignIn"]["record"];
        assert_eq!(record["date"], date);
        assert_eq!(record["madeUp"], true);
        assert_eq!(record["reward"], 0);
        assert_eq!(record["scheduleId"], expected, "{date}");
    }
    let signed = app.exec(Some(&user), SIGN_IN, json!({})).await;
    assert_no_errors(&signed);
    let record = &signed["data"]["signIn"]["record"];
    assert_eq!(record["scheduleId"], later["id"]);
    assert_eq!(record["reward"], 6);
}

const AUDIT_LOG: &str = "{ adminAuditLog(first: 100) { edges { node { action actor { id } targetUser { id } details } } } }";

/// The schedules' entries of the admin audit log, newest first:
/// (action, actor id, details).
async fn audit_entries(app: &TestApp, admin: &str) -> Vec<(String, Value, Value)> {
    let r = app.exec(Some(admin), AUDIT_LOG, json!({})).await;
    assert_no_errors(&r);
    r["data"]["adminAuditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .filter(|node| node["action"].as_str().unwrap().ends_with("RewardSchedule"))
        .map(|node| {
            assert_eq!(node["targetUser"], Value::Null);
            (
                node["action"].as_str().unwrap().to_owned(),
                node["actor"]["id"].clone(),
                serde_json::from_str(node["details"].as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

/// Publishing and cancelling each write one entry with their arguments; a
/// refused call and a repeated cancel write none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_and_cancelling_are_audited() {
    let app = TestApp::new().await;
    let (admin, admin_id) = app.admin("boss").await;
    let before = audit_entries(&app, &admin).await.len();
    let campaign = publish(
        &app,
        &admin,
        publish_vars(&[1, 2, 3, 4, 5, 6, 7], "2026-03-05", Some("2026-03-06")),
    )
    .await;
    let refused = app
        .exec(
            Some(&admin),
            PUBLISH,
            publish_vars(&[1; 7], "2026-03-01", None),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    for _ in 0..2 {
        let r = app
            .exec(Some(&admin), CANCEL, json!({ "id": campaign["id"] }))
            .await;
        assert_no_errors(&r);
    }
    let first = app.first_schedule_id().await.to_string();
    let refused = app.exec(Some(&admin), CANCEL, json!({ "id": first })).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");

    let entries = audit_entries(&app, &admin).await;
    assert_eq!(entries.len(), before + 2, "{entries:#?}");
    let admin_id = Value::from(admin_id.to_string());
    assert_eq!(
        entries[0],
        (
            "cancelRewardSchedule".to_owned(),
            admin_id.clone(),
            json!({ "id": campaign["id"] })
        )
    );
    assert_eq!(
        entries[1],
        (
            "publishRewardSchedule".to_owned(),
            admin_id,
            json!({ "rewards": [1, 2, 3, 4, 5, 6, 7], "effectiveFrom": "2026-03-05",
                    "effectiveTo": "2026-03-06", "note": "test schedule" })
        )
    );
}

/// The entry and the change commit together: a change that fails after
/// its entry was written leaves neither, and an entry that cannot be
/// written leaves no change.
/// Publishing a schedule and cancelling `schedule_id`, as `admin`, both
/// fail with INTERNAL_SERVER_ERROR.
async fn publish_and_cancel_fail(app: &TestApp, admin: &str, schedule_id: &Value) {
    let r = app
        .exec(
            Some(admin),
            PUBLISH,
            publish_vars(&[3; 7], "2026-03-07", None),
        )
        .await;
    assert_eq!(error_code(&r), "INTERNAL_SERVER_ERROR", "{r:#}");
    let r = app
        .exec(Some(admin), CANCEL, json!({ "id": schedule_id }))
        .await;
    assert_eq!(error_code(&r), "INTERNAL_SERVER_ERROR", "{r:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_change_and_its_entry_commit_together() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("boss").await;
    let pending = publish(&app, &admin, publish_vars(&[2; 7], "2026-03-05", None)).await;
    let entries = || app.scalar_i64("SELECT count(*) FROM admin_audit_log");
    let schedules =
        || app.scalar_i64("SELECT count(*) + count(cancelled_at) FROM reward_schedules");
    let (entries_before, schedules_before) = (entries().await, schedules().await);
    for (action, event) in [
        ("publishRewardSchedule", "INSERT"),
        ("cancelRewardSchedule", "UPDATE"),
    ] {
        // Fails the change only once this transaction's entry is visible.
        let committed = app
            .scalar_i64(&format!(
                "SELECT count(*) FROM admin_audit_log WHERE action = '{action}'"
            ))
            .await;
        app.inject_failure(
            &format!("fail_{action}"),
            "reward_schedules",
            event,
            &format!(
                "(SELECT count(*) FROM admin_audit_log WHERE action = '{action}') > {committed}"
            ),
        )
        .await;
    }
    publish_and_cancel_fail(&app, &admin, &pending["id"]).await;
    assert_eq!(
        (entries().await, schedules().await),
        (entries_before, schedules_before)
    );
    for action in ["publishRewardSchedule", "cancelRewardSchedule"] {
        app.sql(&format!("DROP FUNCTION fail_{action}() CASCADE"))
            .await;
    }

    app.inject_failure("refuse_entries", "admin_audit_log", "INSERT", "true")
        .await;
    publish_and_cancel_fail(&app, &admin, &pending["id"]).await;
    assert_eq!(
        (entries().await, schedules().await),
        (entries_before, schedules_before)
    );
    app.sql("DROP FUNCTION refuse_entries() CASCADE").await;
    assert_no_errors(
        &app.exec(Some(&admin), CANCEL, json!({ "id": pending["id"] }))
            .await,
    );
    assert_eq!(
        (entries().await, schedules().await),
        (entries_before + 1, schedules_before + 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_campaign_does_not_block_one_on_its_dates() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("boss").await;
    let first = publish(
        &app,
        &admin,
        publish_vars(&[7; 7], "2026-03-10", Some("2026-03-20")),
    )
    .await;
    let overlapping = publish_vars(&[9; 7], "2026-03-15", Some("2026-03-25"));
    let refused = app.exec(Some(&admin), PUBLISH, overlapping.clone()).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    let r = app
        .exec(Some(&admin), CANCEL, json!({ "id": first["id"] }))
        .await;
    assert_no_errors(&r);
    // Only a live campaign blocks its dates.
    let second = publish(&app, &admin, overlapping).await;
    assert_eq!(second["effectiveFrom"], "2026-03-15");
    assert_eq!(second["cancelled"], false);
}
