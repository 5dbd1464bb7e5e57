//! Every user's own day (contract, "Every user's own day"), as a client
//! sees it, on the test clock: each user's today in their zone, zone
//! changes west (no date twice) and east (a jumped date keeps the chain),
//! the change limit, the registration date, DST in the user's zone, the
//! schedules' "today at UTC+14", and a random walk that keeps every
//! promise.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::common::{assert_no_errors, error_code, instant, TestApp};

const SIGN_IN: &str = "mutation { signIn { record { date cycleDay streak reward } status { today signedInToday streak cycleDay } } }";
const STATUS: &str = "{ me { timeZone signInStatus { today signedInToday streak cycleDay freezesHeld makeUpDates timeZone dayEndsAt cycle { day date signedIn } } } }";
const SET_ZONE: &str = "mutation($z: String!) { setTimeZone(timeZone: $z) { id timeZone } }";
const REGISTER: &str = "mutation($u: String!, $p: String!, $z: String) { register(username: $u, password: $p, timeZone: $z) { token user { id timeZone } } }";
const MAKE_UP: &str = "mutation($d: Date!, $k: String!) { makeUpSignIn(date: $d, idempotencyKey: $k) { record { date cycleDay streak } } }";

async fn app_with(overrides: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("SIGNIN_TOKEN_TTL_SECS", "31536000")];
    vars.extend_from_slice(overrides);
    TestApp::with_config(&vars).await
}

/// Registers `name` in `zone`: (token, id).
async fn register_in(app: &TestApp, name: &str, zone: &str) -> (String, i64) {
    app.register_in(name, Some(zone)).await
}

async fn status(app: &TestApp, token: &str) -> Value {
    let r = app.exec(Some(token), STATUS, json!({})).await;
    assert_no_errors(&r);
    r["data"]["me"]["signInStatus"].clone()
}

async fn set_zone(app: &TestApp, token: &str, zone: &str) -> Value {
    app.exec(Some(token), SET_ZONE, json!({ "z": zone })).await
}

/// (date, signedIn, frozen) of each date of the caller's history.
async fn history(app: &TestApp, token: &str, from: &str, to: &str) -> Vec<(String, bool, bool)> {
    let r = app
        .exec(
            Some(token),
            "query($f: Date!, $t: Date!) { me { signInHistory(from: $f, to: $t) { date signedIn frozen } } }",
            json!({ "f": from, "t": to }),
        )
        .await;
    assert_no_errors(&r);
    r["data"]["me"]["signInHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["signedIn"].as_bool().unwrap(),
                d["frozen"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn give_points(app: &TestApp, admin: &str, user: i64, points: i64) {
    let r = app
        .exec(
            Some(admin),
            "mutation($u: ID!, $a: Int!) { adjustWallet(userId: $u, amount: $a, idempotencyKey: \"seed\", note: \"seed\") { id } }",
            json!({ "u": user.to_string(), "a": points }),
        )
        .await;
    assert_no_errors(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_takes_a_zone_and_refuses_unknown_names_naming_time_zone() {
    let app = app_with(&[("SIGNIN_TIMEZONE", "Europe/Paris")]).await;
    register_in(&app, "tokyo_user", "Asia/Tokyo").await;
    // Left out: the business zone.
    let (token, _) = app.register("paris_user").await;
    let r = app
        .exec(Some(&token), "{ me { timeZone } }", json!({}))
        .await;
    assert_eq!(r["data"]["me"]["timeZone"], "Europe/Paris");

    let users_before = app.scalar_i64("SELECT count(*) FROM users").await;
    for bad in [
        "Mars/Olympus_Mons",
        "asia/tokyo",
        "",
        "+09:00",
        &"Europe/".repeat(20),
    ] {
        let r = app
            .exec(
                None,
                REGISTER,
                json!({ "u": "zoneless", "p": "correct horse battery", "z": bad }),
            )
            .await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{bad:?}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["argument"], "timeZone", "{r}");
        let message = r["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("timeZone: "), "{message}");
    }
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM users").await,
        users_before,
        "a refused registration creates nothing"
    );
}

/// Two users 23 hours apart signing in at the same instant get different
/// dates, each their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_signs_in_on_their_own_date() {
    let app = app_with(&[]).await;
    // 2026-03-01T09:00Z: 22:00 on the 1st in Tonga (UTC+13), 23:00 on
    // February 28th in Honolulu (UTC-10).
    let (tonga, _) = register_in(&app, "tonga", "Pacific/Tongatapu").await;
    let (honolulu, _) = register_in(&app, "honolulu", "Pacific/Honolulu").await;
    let r = app.exec(Some(&tonga), SIGN_IN, json!({})).await;
    assert_no_errors(&r);
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-03-01");
    let r = app.exec(Some(&honolulu), SIGN_IN, json!({})).await;
    assert_no_errors(&r);
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-02-28");

    let s = status(&app, &tonga).await;
    assert_eq!(s["timeZone"], "Pacific/Tongatapu");
    // Tonga's day ends at midnight there: 11:00Z.
    assert_eq!(s["dayEndsAt"], "2026-03-01T11:00:00.000Z");
    // Two hours later Tonga is on the 2nd, Honolulu on the 1st: each signs again.
    app.clock.set(instant("2026-03-01T11:00:00Z"));
    let r = app.exec(Some(&tonga), SIGN_IN, json!({})).await;
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-03-02", "{r}");
    assert_eq!(r["data"]["signIn"]["record"]["streak"], 2);
    let r = app.exec(Some(&honolulu), SIGN_IN, json!({})).await;
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-03-01", "{r}");
}

/// Moving west onto a signed date: `ALREADY_SIGNED_IN` until the new zone
/// reaches a later date; the chain then continues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_west_never_signs_a_date_twice() {
    let app = app_with(&[]).await;
    // 16:30Z: 01:30 on March 2nd in Tokyo.
    app.clock.set(instant("2026-03-01T16:30:00Z"));
    let (token, _) = register_in(&app, "westward", "Asia/Tokyo").await;
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-03-02", "{r}");
    // Los Angeles is on March 1st (08:30).
    let r = set_zone(&app, &token, "America/Los_Angeles").await;
    assert_no_errors(&r);
    assert_eq!(r["data"]["setTimeZone"]["timeZone"], "America/Los_Angeles");
    let s = status(&app, &token).await;
    assert_eq!(
        (s["today"].as_str(), s["signedInToday"].as_bool()),
        (Some("2026-03-02"), Some(true)),
        "{s}"
    );
    assert_eq!(s["timeZone"], "America/Los_Angeles");
    for now in [
        "2026-03-01T16:31:00Z", // March 1st in LA
        "2026-03-02T08:00:00Z", // 00:00 on March 2nd in LA: the date signed in Tokyo
        "2026-03-03T07:59:00Z", // 23:59 on March 2nd in LA
    ] {
        app.clock.set(instant(now));
        let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
        assert_eq!(error_code(&r), "ALREADY_SIGNED_IN", "{now}: {r}");
    }
    app.clock.set(instant("2026-03-03T08:00:00Z")); // 00:00 on March 3rd in LA
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_no_errors(&r);
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-03-03");
    assert_eq!(
        r["data"]["signIn"]["record"]["streak"], 2,
        "the chain continues"
    );
    assert_eq!(r["data"]["signIn"]["record"]["cycleDay"], 2);
}

/// Moving east past midnight jumps a date: it keeps the chain, uses no
/// freeze, earns nothing, shows as neither signed nor frozen, and cannot be
/// made up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_east_jumps_a_date_that_keeps_the_chain() {
    let mut app = app_with(&[]).await;
    app.start_worker();
    let (admin, _) = app.admin("east_admin").await;
    // 20:00Z on March 1st is 09:00 on the 1st in Pago Pago (UTC-11).
    app.clock.set(instant("2026-03-01T20:00:00Z"));
    let (token, id) = register_in(&app, "eastward", "Pacific/Pago_Pago").await;
    give_points(&app, &admin, id, 1000).await;
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-03-01", "{r}");
    // 23:30 on March 1st in Pago Pago is 00:30 on March 3rd in Kiritimati (UTC+14).
    app.clock.set(instant("2026-03-02T10:30:00Z"));
    let r = set_zone(&app, &token, "Pacific/Kiritimati").await;
    assert_no_errors(&r);
    let s = status(&app, &token).await;
    assert_eq!(s["today"], "2026-03-03", "{s}");
    assert_eq!(s["signedInToday"], false);
    assert_eq!(
        (s["streak"].as_i64(), s["cycleDay"].as_i64()),
        (Some(1), Some(2)),
        "the run goes on: {s}"
    );
    assert_eq!(s["freezesHeld"], 0);
    assert!(
        !s["makeUpDates"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-03-02")),
        "{s}"
    );
    let strip: Vec<&str> = s["cycle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        &strip[..2],
        ["2026-03-01", "2026-03-03"],
        "the strip skips the jumped date"
    );

    let r = app
        .exec(
            Some(&token),
            MAKE_UP,
            json!({ "d": "2026-03-02", "k": "jumped" }),
        )
        .await;
    assert_eq!(error_code(&r), "MAKE_UP_NOT_ALLOWED", "{r}");
    assert_eq!(r["errors"][0]["extensions"]["reason"], "NOT_MISSED");

    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_no_errors(&r);
    let record = &r["data"]["signIn"]["record"];
    assert_eq!(
        (
            record["date"].as_str(),
            record["streak"].as_i64(),
            record["cycleDay"].as_i64()
        ),
        (Some("2026-03-03"), Some(2), Some(2)),
        "{r}"
    );
    assert_eq!(
        history(&app, &token, "2026-03-01", "2026-03-03").await,
        [
            ("2026-03-01".to_owned(), true, false),
            ("2026-03-02".to_owned(), false, false),
            ("2026-03-03".to_owned(), true, false),
        ]
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM frozen_days").await,
        0,
        "no freeze used"
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sign_ins WHERE day = '2026-03-02'")
            .await,
        0,
        "nothing earned for it"
    );
    assert_eq!(
        app.scalar_i64(&format!("SELECT count(*) FROM time_zone_changes WHERE user_id = {id} AND jumped_date = '2026-03-02'")).await,
        1
    );
}

/// A change of zone at most once per SIGNIN_TIMEZONE_CHANGE_DAYS × 24 h,
/// with `retryAfter`; the zone one has already is not a change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zone_changes_are_limited_with_retry_after() {
    let app = app_with(&[("SIGNIN_TIMEZONE_CHANGE_DAYS", "2")]).await;
    let (token, _) = register_in(&app, "traveller", "Europe/Paris").await;
    // The zone one has: nothing changes, not counted.
    let r = set_zone(&app, &token, "Europe/Paris").await;
    assert_no_errors(&r);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM time_zone_changes")
            .await,
        0
    );
    assert_no_errors(&set_zone(&app, &token, "Europe/London").await);
    app.clock.advance(chrono::TimeDelta::hours(47));
    let r = set_zone(&app, &token, "Europe/Paris").await;
    assert_eq!(error_code(&r), "LIMIT_REACHED", "{r}");
    assert_eq!(r["errors"][0]["extensions"]["retryAfter"], 3600, "{r}");
    // Setting the zone one has is still fine, and does not restart the wait.
    assert_no_errors(&set_zone(&app, &token, "Europe/London").await);
    app.clock.advance(chrono::TimeDelta::hours(1));
    let r = set_zone(&app, &token, "Europe/Paris").await;
    assert_no_errors(&r);
    assert_eq!(r["data"]["setTimeZone"]["timeZone"], "Europe/Paris");
    // A bad name is BAD_USER_INPUT naming timeZone, and changes nothing.
    let r = set_zone(&app, &token, "Europe/Atlantis").await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
    assert_eq!(r["errors"][0]["extensions"]["argument"], "timeZone");
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM time_zone_changes")
            .await,
        2
    );
    // Without a token: UNAUTHENTICATED.
    let r = app.exec(None, SET_ZONE, json!({ "z": "UTC" })).await;
    assert_eq!(error_code(&r), "UNAUTHENTICATED");
}

/// The registration date is the date of registration in the zone the user
/// had then, whatever zone they have later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registration_date_is_in_the_zone_at_registration() {
    let app = app_with(&[]).await;
    let (admin, _) = app.admin("reg_admin").await;
    // 01:30 on March 2nd in Tokyo, 08:30 on March 1st in Los Angeles.
    app.clock.set(instant("2026-03-01T16:30:00Z"));
    let (token, id) = register_in(&app, "registered", "Asia/Tokyo").await;
    give_points(&app, &admin, id, 500).await;
    assert_no_errors(&set_zone(&app, &token, "America/Los_Angeles").await);
    app.clock.set(instant("2026-03-04T16:30:00Z")); // March 4th in LA
    let r = app
        .exec(
            Some(&token),
            MAKE_UP,
            json!({ "d": "2026-03-01", "k": "a" }),
        )
        .await;
    assert_eq!(
        r["errors"][0]["extensions"]["reason"], "BEFORE_REGISTRATION",
        "{r}"
    );
    let r = app
        .exec(
            Some(&token),
            MAKE_UP,
            json!({ "d": "2026-03-02", "k": "b" }),
        )
        .await;
    assert_no_errors(&r);
}

/// DST in the user's own zone: Los Angeles springs forward on 2026-03-08.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dst_in_the_users_zone_keeps_one_sign_in_per_date() {
    let app = app_with(&[]).await;
    app.clock.set(instant("2026-03-08T07:30:00Z")); // 23:30 PST on March 7th
    let (token, _) = register_in(&app, "pacific", "America/Los_Angeles").await;
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-03-07", "{r}");
    app.clock.set(instant("2026-03-08T08:30:00Z")); // 00:30 PST on March 8th
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-03-08", "{r}");
    // March 8th has 23 hours: it ends at 00:00 PDT, 07:00Z.
    assert_eq!(
        status(&app, &token).await["dayEndsAt"],
        "2026-03-09T07:00:00.000Z"
    );
    app.clock.set(instant("2026-03-09T06:59:00Z")); // 23:59 PDT on March 8th
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_eq!(error_code(&r), "ALREADY_SIGNED_IN", "{r}");
    app.clock.set(instant("2026-03-09T07:01:00Z")); // 00:01 PDT on March 9th
    let r = app.exec(Some(&token), SIGN_IN, json!({})).await;
    assert_eq!(r["data"]["signIn"]["record"]["date"], "2026-03-09", "{r}");
    assert_eq!(r["data"]["signIn"]["record"]["streak"], 3);
}

/// `effectiveFrom` must be after today at UTC+14; a schedule can be
/// cancelled until that date begins anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_take_effect_after_the_newest_date_of_any_zone() {
    let app = app_with(&[]).await;
    let (admin, _) = app.admin("sched_admin").await;
    const PUBLISH: &str = "mutation($f: Date!) { publishRewardSchedule(rewards: [1,2,3,4,5,6,7], effectiveFrom: $f, note: \"x\") { id } }";
    // 10:30Z on March 1st: already March 2nd at UTC+14.
    app.clock.set(instant("2026-03-01T10:30:00Z"));
    let r = app
        .exec(Some(&admin), PUBLISH, json!({ "f": "2026-03-02" }))
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
    assert_eq!(r["errors"][0]["extensions"]["argument"], "effectiveFrom");
    let r = app
        .exec(Some(&admin), PUBLISH, json!({ "f": "2026-03-03" }))
        .await;
    assert_no_errors(&r);
    let id = r["data"]["publishRewardSchedule"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // 10:00Z on March 2nd: March 3rd has begun at UTC+14.
    app.clock.set(instant("2026-03-02T10:00:00Z"));
    let r = app
        .exec(
            Some(&admin),
            "mutation($i: ID!) { cancelRewardSchedule(id: $i) { id } }",
            json!({ "i": id }),
        )
        .await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
}

/// Admin reads by date go by the recorded date, whatever the zone now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_reads_use_the_recorded_date() {
    let app = app_with(&[]).await;
    let (admin, _) = app.admin("reads_admin").await;
    app.clock.set(instant("2026-03-01T16:30:00Z")); // March 2nd in Tokyo
    let (token, id) = register_in(&app, "recorded", "Asia/Tokyo").await;
    assert_no_errors(&app.exec(Some(&token), SIGN_IN, json!({})).await);
    assert_no_errors(&set_zone(&app, &token, "America/Los_Angeles").await);
    let r = app
        .exec(
            Some(&admin),
            "query($u: [ID!]!) { signInHistory(userIds: $u, from: \"2026-03-01\", to: \"2026-03-02\") { days { date signedIn } } signInStats(from: \"2026-03-01\", to: \"2026-03-02\") { date signedIn } }",
            json!({ "u": [id.to_string()] }),
        )
        .await;
    assert_no_errors(&r);
    assert_eq!(
        r["data"]["signInHistory"][0]["days"],
        json!([{ "date": "2026-03-01", "signedIn": false }, { "date": "2026-03-02", "signedIn": true }])
    );
    assert_eq!(
        r["data"]["signInStats"][1],
        json!({ "date": "2026-03-02", "signedIn": 1 }),
        "{r}"
    );
}

/// Concurrent zone changes of one user: one is made, the rest wait their
/// turn under the wallet lock and are refused by the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_zone_changes_count_once() {
    let app = std::sync::Arc::new(app_with(&[]).await);
    let (token, _) = register_in(&app, "racer", "UTC").await;
    const ZONES: [&str; 6] = [
        "Asia/Tokyo",
        "Europe/Paris",
        "America/New_York",
        "Australia/Sydney",
        "Africa/Cairo",
        "Asia/Kolkata",
    ];
    let calls = ZONES.iter().map(|zone| {
        let (app, token) = (app.clone(), token.clone());
        tokio::spawn(async move { set_zone(&app, &token, zone).await })
    });
    let answers: Vec<Value> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let made = answers.iter().filter(|r| r.get("errors").is_none()).count();
    assert_eq!(made, 1, "{answers:#?}");
    assert!(answers
        .iter()
        .filter(|r| r.get("errors").is_some())
        .all(|r| error_code(r) == "LIMIT_REACHED"));
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM time_zone_changes")
            .await,
        1
    );
}

/// Random sign-ins, make-ups, freezes and zone changes over random
/// instants: no date is recorded twice for a user, a `signIn` never
/// records a date before an earlier one, and the audit stays clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_walks_across_zones_keep_every_promise() {
    let mut app = app_with(&[
        ("SIGNIN_TIMEZONE_CHANGE_DAYS", "0"),
        ("SIGNIN_MAKEUP_MONTHLY_LIMIT", "31"),
    ])
    .await;
    app.start_worker();
    let (admin, _) = app.admin("walk_admin").await;
    let zones = [
        "Pacific/Kiritimati",
        "Pacific/Tongatapu",
        "Asia/Tokyo",
        "Asia/Kolkata",
        "Europe/Paris",
        "UTC",
        "America/Sao_Paulo",
        "America/New_York",
        "America/Los_Angeles",
        "Pacific/Honolulu",
        "Pacific/Pago_Pago",
        "Etc/GMT+12",
    ];
    let seed: u64 = std::env::var("TIME_ZONE_WALK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(27);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut walkers = Vec::new();
    for i in 0..3 {
        let zone = zones[rng.random_range(0..zones.len())];
        let (token, id) = register_in(&app, &format!("walker{i}"), zone).await;
        give_points(&app, &admin, id, 100_000).await;
        walkers.push((token, id, None::<String>));
    }
    for step in 0..150 {
        let w = rng.random_range(0..walkers.len());
        let (token, _, last_signed) = &mut walkers[w];
        match rng.random_range(0..11) {
            10 => {
                // A night flight east: at 23:30 at UTC-12, on to UTC+14,
                // which jumps the date between.
                assert_no_errors(&set_zone(&app, token, "Etc/GMT+12").await);
                let now = app.state.calendar.now();
                let local = now.with_timezone(&chrono_tz::Etc::GMTPlus12);
                let mut night = local.date_naive().and_hms_opt(23, 30, 0).unwrap().and_utc()
                    + chrono::TimeDelta::hours(12);
                if night <= now {
                    night += chrono::TimeDelta::days(1);
                }
                app.clock.set(night);
                assert_no_errors(&set_zone(&app, token, "Pacific/Kiritimati").await);
            }
            0..=3 => {
                let r = app.exec(Some(token), SIGN_IN, json!({})).await;
                if r.get("errors").is_none() {
                    let date = r["data"]["signIn"]["record"]["date"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    if let Some(last) = last_signed {
                        assert!(
                            date > *last,
                            "seed {seed} step {step}: signed {date} after {last}"
                        );
                    }
                    *last_signed = Some(date);
                } else {
                    assert_eq!(
                        error_code(&r),
                        "ALREADY_SIGNED_IN",
                        "seed {seed} step {step}: {r}"
                    );
                }
            }
            4 => {
                let back = rng.random_range(1..=7);
                let s = status(&app, token).await;
                let today: chrono::NaiveDate = s["today"].as_str().unwrap().parse().unwrap();
                let date = today - chrono::Days::new(back);
                let r = app
                    .exec(
                        Some(token),
                        MAKE_UP,
                        json!({ "d": date.to_string(), "k": format!("m{step}") }),
                    )
                    .await;
                if r.get("errors").is_some() {
                    assert_eq!(
                        error_code(&r),
                        "MAKE_UP_NOT_ALLOWED",
                        "seed {seed} step {step}: {r}"
                    );
                }
            }
            5 => {
                let r = app
                    .exec(Some(token), "mutation($k: String!) { buyStreakFreeze(idempotencyKey: $k) { transaction { id } } }", json!({ "k": format!("f{step}") }))
                    .await;
                if r.get("errors").is_some() {
                    assert_eq!(
                        error_code(&r),
                        "LIMIT_REACHED",
                        "seed {seed} step {step}: {r}"
                    );
                }
            }
            6 | 7 => {
                let zone = zones[rng.random_range(0..zones.len())];
                assert_no_errors(&set_zone(&app, token, zone).await);
            }
            _ => {
                let minutes = rng.random_range(30..=36 * 60);
                app.clock.advance(chrono::TimeDelta::minutes(minutes));
            }
        }
    }
    // No date twice per user, and each user's dates are theirs once.
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM (SELECT user_id, day FROM sign_ins GROUP BY 1, 2 HAVING count(*) > 1) d").await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sign_ins s JOIN frozen_days f USING (user_id, day)")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM time_zone_changes c JOIN sign_ins s ON s.user_id = c.user_id AND s.day = c.jumped_date"
        )
        .await,
        0,
        "a jumped date is never signed"
    );
    let signed = app
        .scalar_i64("SELECT count(*) FROM sign_ins WHERE NOT made_up")
        .await;
    app.wait_credited(
        app.scalar_i64("SELECT count(*) FROM sign_ins").await,
        std::time::Duration::from_secs(30),
    )
    .await;
    assert!(signed > 10, "the walk signed in {signed} times");
    let jumped = app
        .scalar_i64("SELECT count(*) FROM time_zone_changes WHERE jumped_date IS NOT NULL")
        .await;
    assert!(jumped > 0, "seed {seed}: the walk jumped no date");
    let mut conn = app.state.db.get().await.unwrap();
    let report = signin_rewards::store::audit::run(&mut conn, app.state.calendar.now())
        .await
        .unwrap();
    assert!(report.is_clean(), "seed {seed}: {report:#?}");
}

/// The audit finds a jumped date that is also signed (which no rule
/// writes: planted here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_finds_a_jumped_date_that_is_signed() {
    let mut app = app_with(&[]).await;
    app.books_left_unbalanced("plants a jumped date on a signed one");
    let (token, id) = register_in(&app, "planted", "UTC").await;
    assert_no_errors(&app.exec(Some(&token), SIGN_IN, json!({})).await);
    app.sql(&format!(
        "INSERT INTO time_zone_changes (user_id, changed_at, from_zone, to_zone, jumped_date) \
         VALUES ({id}, now(), 'UTC', 'Asia/Tokyo', '2026-03-01')"
    ))
    .await;
    let mut conn = app.state.db.get().await.unwrap();
    let report = signin_rewards::store::audit::run(&mut conn, app.state.calendar.now())
        .await
        .unwrap();
    let failing: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.failures > 0)
        .map(|c| c.name)
        .collect();
    assert!(
        failing.contains(&"date both jumped (a change of time zone) and signed or frozen"),
        "{failing:?}"
    );
}

/// Sign-ins and zone changes of one user racing, between zones a day
/// apart and across midnight: every sign-in takes the wallet lock after or
/// before a change, never between, so no date is signed twice and, in the
/// order they were made, the dates only go up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_ins_racing_zone_changes_never_sign_a_date_twice() {
    let app = std::sync::Arc::new(app_with(&[("SIGNIN_TIMEZONE_CHANGE_DAYS", "0")]).await);
    let (token, id) = register_in(&app, "racing", "Etc/GMT+12").await;
    // 11:30Z: 23:30 at UTC-12 (March 1st), 01:30 on March 3rd at UTC+14.
    for now in [
        "2026-03-01T11:30:00Z",
        "2026-03-02T11:45:00Z",
        "2026-03-03T11:50:00Z",
    ] {
        app.clock.set(instant(now));
        let calls = (0..16).map(|i| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move {
                match i % 4 {
                    0 => set_zone(&app, &token, "Pacific/Kiritimati").await,
                    2 => set_zone(&app, &token, "Etc/GMT+12").await,
                    _ => app.exec(Some(&token), SIGN_IN, json!({})).await,
                }
            })
        });
        for answer in futures::future::join_all(calls).await {
            let answer = answer.unwrap();
            if answer.get("errors").is_some() {
                assert_eq!(error_code(&answer), "ALREADY_SIGNED_IN", "{answer}");
            }
        }
        // After the race, one sign-in at UTC+14, where the date is new at
        // each instant (the race itself may have run every sign-in at
        // UTC-12, where the second and third instants have no new date):
        // the count below then holds whatever order the race took.
        assert_no_errors(&set_zone(&app, &token, "Pacific/Kiritimati").await);
        let answer = app.exec(Some(&token), SIGN_IN, json!({})).await;
        if answer.get("errors").is_some() {
            assert_eq!(error_code(&answer), "ALREADY_SIGNED_IN", "{answer}");
        }
    }
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM (SELECT day FROM sign_ins WHERE user_id = {id} GROUP BY day HAVING count(*) > 1) d"
        ))
        .await,
        0
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM (SELECT day < lag(day) OVER (ORDER BY id) AS back FROM sign_ins WHERE user_id = {id}) d WHERE back"
        ))
        .await,
        0,
        "a later sign-in recorded an earlier date"
    );
    assert!(
        app.scalar_i64(&format!(
            "SELECT count(*) FROM sign_ins WHERE user_id = {id}"
        ))
        .await
            >= 3
    );
}

/// The monthly make-up count goes by the calendar month of the user's own
/// zone: past midnight on April 1st in Tokyo (still March 31st in UTC, the
/// business zone here) a new month's make-ups are allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_make_up_month_is_the_users() {
    let app = app_with(&[("SIGNIN_MAKEUP_MONTHLY_LIMIT", "1")]).await;
    let (admin, _) = app.admin("month_admin").await;
    app.clock.set(instant("2026-03-20T03:00:00Z"));
    let (token, id) = register_in(&app, "monthly", "Asia/Tokyo").await;
    give_points(&app, &admin, id, 500).await;
    // 23:30 on March 31st in Tokyo: March's one make-up.
    app.clock.set(instant("2026-03-31T14:30:00Z"));
    let r = app
        .exec(
            Some(&token),
            MAKE_UP,
            json!({ "d": "2026-03-29", "k": "march" }),
        )
        .await;
    assert_no_errors(&r);
    let r = app
        .exec(
            Some(&token),
            MAKE_UP,
            json!({ "d": "2026-03-28", "k": "march-2" }),
        )
        .await;
    assert_eq!(error_code(&r), "LIMIT_REACHED", "{r}");
    // 00:30 on April 1st in Tokyo (15:30 on March 31st in UTC): April's.
    app.clock.set(instant("2026-03-31T15:30:00Z"));
    let r = app
        .exec(
            Some(&token),
            MAKE_UP,
            json!({ "d": "2026-03-28", "k": "april" }),
        )
        .await;
    assert_no_errors(&r);
}
