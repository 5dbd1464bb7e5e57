//! The Redis cache in front of statuses and users: consistency and round
//! trips.

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::json;
use signin_rewards::model::UserId;

use signin_rewards::after_commit::Committed;
use signin_rewards::cache::versioned::{Fill, Slot, VersionedCache, STORES_IN_BACKGROUND};

use crate::common::{assert_no_errors, error_code, TestApp};

const STATUS: &str = "{ me { signInStatus { today signedInToday streak cycleDay } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_cannot_put_back_data_older_than_a_write() {
    let app = TestApp::new().await;
    let cache = &app.state.cache;
    async fn status_of_7(cache: &VersionedCache) -> Slot {
        cache.get_each(&[("status", 7)]).await.unwrap().remove(0)
    }
    async fn fill(cache: &VersionedCache, version: &str, value: &str) {
        let fill = Fill {
            kind: "status",
            id: 7,
            version,
            value,
            ttl: Duration::from_secs(60),
        };
        cache.put_each(&[fill]).await.unwrap();
    }
    // The reader notes the version, then (slowly) reads the database...
    let slot = status_of_7(cache).await;
    assert_eq!(slot.value, None);
    // ...meanwhile a writer commits and hands the change over...
    app.state
        .after_commit
        .hand_over(Committed::default().status_may_be_stale(UserId(7)))
        .await;
    // ...and the reader's stale value is refused, stored at once or after
    // its read has answered (put_each_soon, the reads' way).
    fill(cache, &slot.version, "stale").await;
    assert_eq!(status_of_7(cache).await.value, None);
    let late = Fill {
        kind: "status",
        id: 7,
        version: &slot.version,
        value: "stale, late",
        ttl: Duration::from_secs(60),
    };
    cache.put_each_soon(&[late]).await;
    cache.stores_settled().await;
    assert_eq!(status_of_7(cache).await.value, None);
    // A reader that started after the write may cache.
    let slot = status_of_7(cache).await;
    fill(cache, &slot.version, "fresh").await;
    assert_eq!(status_of_7(cache).await.value.as_deref(), Some("fresh"));
}

/// Reads' stores made at once, three times as many as may run in the
/// background: those past the budget are made before their read goes on,
/// and every value is stored, under the version its read noted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_past_the_background_budget_are_made_at_once_and_none_is_lost() {
    let app = TestApp::new().await;
    let cache = &app.state.cache;
    let entries: Vec<(&str, usize)> = (0..3 * STORES_IN_BACKGROUND)
        .map(|i| ("status", i))
        .collect();
    let slots = cache.get_each(&entries).await.unwrap();
    let rt = cache.round_trips();
    futures::future::join_all(slots.iter().enumerate().map(|(id, slot)| {
        let fill = Fill {
            kind: "status",
            id,
            version: &slot.version,
            value: "read",
            ttl: Duration::from_secs(60),
        };
        async move { cache.put_each_soon(&[fill]).await }
    }))
    .await;
    cache.stores_settled().await;
    assert_eq!(cache.round_trips() - rt, entries.len() as u64);
    let stored = cache.get_each(&entries).await.unwrap();
    assert!(
        stored.iter().all(|s| s.value.as_deref() == Some("read")),
        "{stored:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_is_seen_at_once_and_warm_reads_skip_postgres() {
    let app = TestApp::new().await;
    let (token, _) = app.register("cached").await;
    let before = app.exec(Some(&token), STATUS, json!({})).await;
    assert_eq!(before["data"]["me"]["signInStatus"]["signedInToday"], false);
    // Warm: the token check and the status come from Redis.
    let statements = app.state.statements.count();
    let again = app.exec(Some(&token), STATUS, json!({})).await;
    assert_eq!(again, before);
    assert_eq!(
        app.state.statements.count() - statements,
        0,
        "a warm read runs no SQL"
    );

    assert_no_errors(
        &app.exec(
            Some(&token),
            "mutation { signIn { record { date } } }",
            json!({}),
        )
        .await,
    );
    let after = app.exec(Some(&token), STATUS, json!({})).await;
    assert_eq!(
        after["data"]["me"]["signInStatus"]["signedInToday"], true,
        "the sign-in invalidated the cache"
    );
    assert_eq!(after["data"]["me"]["signInStatus"]["streak"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_invalidation_lasts_no_longer_than_the_day() {
    let app = TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "1000000")]).await;
    let (token, id) = app.register("forgetful").await;
    app.exec(Some(&token), STATUS, json!({})).await; // cached: not signed in today
                                                     // A sign-in whose invalidation never reached Redis.
    let schedule = app.first_schedule_id().await;
    app.sql(&format!(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, schedule_id) VALUES ({id}, '2026-03-01', 1, 1, 10, now(), {schedule})"
    ))
    .await;
    let stale = app.exec(Some(&token), STATUS, json!({})).await;
    assert_eq!(
        stale["data"]["me"]["signInStatus"]["signedInToday"], false,
        "stale within the day"
    );
    // The entry expires in Redis at the end of the business day...
    let mut redis = app.state.redis.get().await.unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{}:status:{id}", app.db.name))
        .query_async(&mut *redis)
        .await
        .unwrap();
    assert!(
        0 < ttl && ttl <= 15 * 3600,
        "expires by midnight (09:00 now): {ttl} s"
    );
    drop(redis);
    // ...and is not used for another day even before then.
    app.clock.advance(TimeDelta::days(1));
    let next_day = app.exec(Some(&token), STATUS, json!({})).await;
    let s = &next_day["data"]["me"]["signInStatus"];
    assert_eq!(
        (
            s["today"].as_str(),
            s["signedInToday"].as_bool(),
            s["streak"].as_i64(),
            s["cycleDay"].as_i64()
        ),
        (Some("2026-03-02"), Some(false), Some(1), Some(2))
    );
    // A refused sign-in repairs a stale entry too.
    app.exec(
        Some(&token),
        "mutation { signIn { record { date } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        app.exec(Some(&token), STATUS, json!({})).await["data"]["me"]["signInStatus"]
            ["signedInToday"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_status_reads_are_one_round_trip() {
    let app = TestApp::new().await;
    let ids: Vec<UserId> = app
        .seed_users("batch", 500)
        .await
        .into_iter()
        .map(UserId)
        .collect();
    let round_trips = || app.state.cache.round_trips();
    let statements = || app.state.statements.count();
    // The reward schedules are read once per process (and kept in memory):
    // not part of what a batch read costs.
    signin_rewards::service::schedules::current(&app.state)
        .await
        .unwrap();

    let (rt, st) = (round_trips(), statements());
    let cold = signin_rewards::service::sign_in::statuses(&app.state, &ids)
        .await
        .unwrap();
    assert_eq!(cold.len(), 500);
    // The values read are stored after the answer (put_each_soon).
    app.state.cache.stores_settled().await;
    assert_eq!(
        (round_trips() - rt, statements() - st),
        (2, 1),
        "cold: one read, one SQL query, one write"
    );

    let (rt, st) = (round_trips(), statements());
    let warm = signin_rewards::service::sign_in::statuses(&app.state, &ids)
        .await
        .unwrap();
    assert_eq!(warm, cold);
    assert_eq!(
        (round_trips() - rt, statements() - st),
        (1, 0),
        "warm: one pipelined read, no SQL"
    );
}

/// `n` users with wallets that no process has read yet, and a token each.
async fn unseen_users(app: &TestApp, prefix: &str, n: usize) -> (Vec<i64>, Vec<String>) {
    let ids = app.seed_users(prefix, n).await;
    let mut tokens = Vec::with_capacity(ids.len());
    for id in &ids {
        tokens.push(app.token_for(*id).await);
    }
    (ids, tokens)
}

/// Token checks of users this process has not seen, made at once by
/// concurrent requests, read their rows together: one Redis read, one
/// statement, one Redis write; and a revoked token among them is still
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_token_checks_read_their_users_in_one_batch() {
    let app = TestApp::new().await;
    let (ids, tokens) = unseen_users(&app, "tokens", 20).await;
    // The last user's token is revoked before anyone asks.
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query("UPDATE users SET token_version = 1 WHERE id = $1")
            .bind::<diesel::sql_types::BigInt, _>(ids[19]),
        &mut app.state.db.get().await.unwrap(),
    )
    .await
    .unwrap();

    app.state.statements.start_recording();
    let rt = app.state.cache.round_trips();
    let answers = futures::future::join_all(
        tokens
            .iter()
            .map(|token| app.exec(Some(token), "{ me { id username } }", json!({}))),
    )
    .await;
    let records = app.state.statements.take_records();
    app.state.cache.stores_settled().await;
    for (i, answer) in answers.iter().enumerate().take(19) {
        assert_no_errors(answer);
        assert_eq!(answer["data"]["me"]["username"], format!("tokens{}", i + 1));
    }
    assert_eq!(
        answers[19]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{}",
        answers[19]
    );
    let user_reads: Vec<_> = records
        .iter()
        .filter(|r| r.sql.contains("FROM \"users\""))
        .collect();
    assert_eq!(user_reads.len(), 1, "{user_reads:#?}");
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(
        app.state.cache.round_trips() - rt,
        2,
        "one read of the cached rows, one write of the rows read"
    );
}

/// A request that reads the caller's status after its token check has the
/// chain read in the token check's batch: concurrent such requests of
/// unseen users cost one Redis read, one statement per kind (rows, chains)
/// and one Redis write, not a second batch for the statuses; and a revoked
/// or deleted user's token in such a batch is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_read_after_a_token_check_is_read_in_its_batch() {
    let app = TestApp::new().await;
    // As when the change listener is up (it keeps this process's copies).
    app.state.local.set_live(true);
    signin_rewards::service::schedules::current(&app.state)
        .await
        .unwrap();
    let (_, tokens) = unseen_users(&app, "status", 10).await;
    let (refused_ids, refused) = unseen_users(&app, "refused", 2).await;
    // One token revoked, one user deleted, before anyone asks.
    app.sql(&format!(
        "UPDATE users SET token_version = 1 WHERE id = {}",
        refused_ids[0]
    ))
    .await;
    app.sql(&format!(
        "UPDATE users SET deleted_at = now() WHERE id = {}",
        refused_ids[1]
    ))
    .await;

    app.state.statements.start_recording();
    let rt = app.state.cache.round_trips();
    let answers = futures::future::join_all(tokens.iter().chain(&refused).map(|token| {
        app.exec(
            Some(token),
            "{ me { username signInStatus { signedInToday streak } } }",
            json!({}),
        )
    }))
    .await;
    let records = app.state.statements.take_records();
    app.state.cache.stores_settled().await;
    let (answers, refusals) = answers.split_at(tokens.len());
    for refusal in refusals {
        assert_eq!(error_code(refusal), "UNAUTHENTICATED", "{refusal}");
        assert!(refusal["data"]["me"].is_null(), "{refusal}");
    }
    for (i, answer) in answers.iter().enumerate() {
        assert_no_errors(answer);
        assert_eq!(answer["data"]["me"]["username"], format!("status{}", i + 1));
        assert_eq!(
            answer["data"]["me"]["signInStatus"],
            json!({ "signedInToday": false, "streak": 0 })
        );
    }
    let sql: Vec<&str> = records.iter().map(|r| r.sql.as_str()).collect();
    assert_eq!(sql.len(), 2, "{sql:#?}");
    assert!(sql.iter().any(|s| s.contains("FROM \"users\"")), "{sql:#?}");
    assert!(sql.iter().any(|s| s.contains("signin_chains")), "{sql:#?}");
    assert_eq!(app.state.cache.round_trips() - rt, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_changes_and_deletes_apply_at_once_despite_the_cache() {
    let app = TestApp::new().await;
    let (admin, _) = app.admin("cache_admin").await;
    let (token, id) = app.register("cache_user").await;
    let stats = "{ signInStats(from: \"2026-03-01\", to: \"2026-03-01\") { date } }";
    assert_eq!(
        app.exec(Some(&token), stats, json!({})).await["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
    let promote = format!("mutation {{ setUserRole(id: \"{id}\", role: ADMIN) {{ role }} }}");
    assert_no_errors(&app.exec(Some(&admin), &promote, json!({})).await);
    assert_no_errors(&app.exec(Some(&token), stats, json!({})).await);
    let demote = format!("mutation {{ setUserRole(id: \"{id}\", role: USER) {{ role }} }}");
    assert_no_errors(&app.exec(Some(&admin), &demote, json!({})).await);
    assert_eq!(
        app.exec(Some(&token), stats, json!({})).await["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
}

/// In-process copies: a warm read makes no round trip at all, and a change
/// made through another replica reaches this one's copies at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_in_other_processes_are_dropped_when_things_change() {
    let app = TestApp::with_config(&[("SIGNIN_TOKEN_TTL_SECS", "1000000")]).await;
    let replica_a = app.serve(false).await;
    let other = signin_rewards::state::AppState::connect_with_clock(
        app.state.config.clone(),
        app.clock.clone(),
    )
    .await
    .unwrap();
    let replica_b =
        signin_rewards::app::start(other.clone(), "127.0.0.1:0".parse().unwrap(), false)
            .await
            .unwrap();
    // Both replicas listen for announcements.
    let mut redis = app.state.redis.get().await.unwrap();
    loop {
        let (_, n): (String, i64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(app.state.keys.events_channel())
            .query_async(&mut *redis)
            .await
            .unwrap();
        if n >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(redis);
    let (admin, _) = app.admin("copies_admin").await;
    let (token, id) = app.register("copied").await;
    let client = reqwest::Client::new();
    let post = |port: u16, token: String, query: String| {
        let client = client.clone();
        async move {
            crate::common::post_graphql(&client, port, Some(&token), &query)
                .await
                .unwrap()
        }
    };
    let (a, b) = (replica_a.addr.port(), replica_b.addr.port());
    post(a, token.clone(), STATUS.into()).await;
    app.state.cache.stores_settled().await;
    let (statements, round_trips) = (app.state.statements.count(), app.state.cache.round_trips());
    let warm = post(a, token.clone(), STATUS.into()).await;
    assert_eq!(warm["data"]["me"]["signInStatus"]["signedInToday"], false);
    assert_eq!(
        (
            app.state.statements.count() - statements,
            app.state.cache.round_trips() - round_trips
        ),
        (0, 0),
        "a warm read needs neither PostgreSQL nor Redis"
    );

    // Signed in through replica B: replica A's copy goes at once.
    assert_no_errors(
        &post(
            b,
            token.clone(),
            "mutation { signIn { record { date } } }".into(),
        )
        .await,
    );
    let started = std::time::Instant::now();
    loop {
        let r = post(a, token.clone(), STATUS.into()).await;
        if r["data"]["me"]["signInStatus"]["signedInToday"] == true {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "replica A still shows the old status"
        );
    }
    // Deleted through replica B: the token stops working on replica A at once.
    assert_no_errors(&post(b, admin, format!("mutation {{ deleteUser(id: \"{id}\") }}")).await);
    let started = std::time::Instant::now();
    loop {
        let r = post(a, token.clone(), STATUS.into()).await;
        if r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "replica A still accepts a deleted user's token"
        );
    }
    println!(
        "replica A saw the deletion {:?} after it committed on B",
        started.elapsed()
    );
}

/// The pool sends no PING before each use; a connection that broke (here:
/// killed by Redis) fails the one command that finds out and is then
/// replaced by a fresh one from bb8-redis's `RedisConnectionManager` (the
/// pool's manager wraps it: `cache::tests::the_pool_is_bb8_redis_underneath`),
/// and a healthy connection is kept across checkouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_redis_connections_are_replaced_without_a_ping_per_use() {
    let url = crate::common::redis_url();
    let target = std::sync::Arc::new(signin_rewards::cache::RedisTarget::new(&url, None).unwrap());
    let pool = signin_rewards::cache::connect(target, &url, 1, Duration::from_secs(2))
        .await
        .unwrap();
    let client_id = || async {
        let mut conn = pool.get().await.unwrap();
        redis::cmd("CLIENT")
            .arg("ID")
            .query_async::<i64>(&mut *conn)
            .await
    };
    let first = client_id().await.unwrap();
    assert_eq!(
        client_id().await.unwrap(),
        first,
        "a healthy connection is reused"
    );

    let mut admin = redis::Client::open(crate::common::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(first)
        .query_async(&mut admin)
        .await
        .unwrap();

    assert!(
        client_id().await.is_err(),
        "the dead connection fails its next command"
    );
    let second = client_id().await.expect("a fresh connection replaces it");
    assert_ne!(second, first);
    assert_eq!(client_id().await.unwrap(), second);
}
