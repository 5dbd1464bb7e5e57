//! Partitioned history (migration `2026-12-11-000001_partitioned_history`,
//! `store::history`, `service::history`): the months' partitions, the
//! ledger's keys outside them, and retention that archives months with
//! their sums kept, so the books still balance.

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::json;
use signin_rewards::model::SignInId;
use signin_rewards::service::history::maintain;
use signin_rewards::service::wallet::credit_sign_ins;
use signin_rewards::store::{audit, history::HistoryTable};

use crate::common::{assert_no_errors, instant, TestApp, PASSWORD};

/// The test clock's months (2026-01 .. 2026-08) get partitions of their
/// own, as the migration gives an install's months from its first one.
async fn partitions_for_2026(app: &TestApp) {
    let mut conn = app.state.db.get().await.unwrap();
    conn.batch_execute(
        "BEGIN; SET LOCAL TIME ZONE 'UTC'; \
         SELECT partman.create_partition_time(parent, \
                  ARRAY(SELECT generate_series(timestamptz '2026-01-01', '2026-08-01', '1 month')), \
                  p_analyze := false) \
           FROM unnest(ARRAY['public.sign_ins', 'public.wallet_transactions']) AS parent; \
         SELECT guard_history_partitions(); COMMIT;",
    )
    .await
    .unwrap();
}

async fn credit_all(app: &TestApp) {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let mut conn = app.state.db.get().await.unwrap();
    let ids: Vec<SignInId> = diesel::sql_query("SELECT id FROM sign_ins WHERE credited_at IS NULL")
        .load::<Id>(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|row| SignInId(row.id))
        .collect();
    drop(conn);
    let credits = credit_sign_ins(&app.state, &ids).await.unwrap();
    assert!(credits.refused.is_empty(), "{:?}", credits.refused);
}

/// `name`'s partition of `table` holding `value`.
async fn partition_of(app: &TestApp, table: &str, column: &str, value: &str) -> String {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let mut conn = app.state.db.get().await.unwrap();
    diesel::sql_query(format!(
        "SELECT tableoid::regclass::text AS name FROM {table} WHERE {column} = {value} LIMIT 1"
    ))
    .get_result::<Name>(&mut conn)
    .await
    .unwrap()
    .name
}

async fn balance(app: &TestApp, user: i64) -> i64 {
    app.scalar_i64(&format!(
        "SELECT balance FROM wallets WHERE user_id = {user}"
    ))
    .await
}

/// A token of `username`'s, fresh at the clock's time.
async fn token(app: &TestApp, username: &str) -> String {
    let login = app.login(username, PASSWORD).await;
    assert_no_errors(&login);
    login["data"]["login"]["token"].as_str().unwrap().to_owned()
}

/// Signs `username` in on each of `days` days from the clock's day on.
async fn sign_in_days(app: &TestApp, username: &str, days: i64) {
    for _ in 0..days {
        app.sign_in(&token(app, username).await).await;
        app.advance_days(1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_go_to_their_months_and_the_parents_are_partitioned() {
    let app = TestApp::new().await;
    partitions_for_2026(&app).await;
    let (_, ann_id) = app.register("ann").await;
    sign_in_days(&app, "ann", 2).await;
    credit_all(&app).await;
    assert_eq!(
        partition_of(&app, "sign_ins", "day", "'2026-03-01'").await,
        "sign_ins_p2026_03"
    );
    assert_eq!(
        partition_of(&app, "wallet_transactions", "user_id", &ann_id.to_string()).await,
        "wallet_transactions_p2026_03"
    );
    for table in ["sign_ins", "wallet_transactions"] {
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = '{table}'::regclass"
            ))
            .await,
            1,
            "{table} is partitioned"
        );
    }
    // The upkeep makes the coming months (four ahead of the database's
    // clock) and guards every ledger partition against TRUNCATE.
    let upkeep = maintain(&app.state).await.unwrap();
    assert!(upkeep.archived.is_empty());
    assert_eq!(upkeep.default_rows, 0);
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM partman.show_partitions('public.sign_ins') p \
             WHERE p.partition_tablename = 'sign_ins_p' || to_char(now() + interval '4 months', 'YYYY_MM')"
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar_i64(
            "SELECT count(*) FROM pg_inherits i WHERE i.inhparent = 'wallet_transactions'::regclass \
             AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = i.inhrelid \
                              AND t.tgname = 'wallet_transactions_no_truncate')"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_stays_append_only_and_its_keys_unique_across_months() {
    let app = TestApp::new().await;
    partitions_for_2026(&app).await;
    let (_, ann_id) = app.register("ann").await;
    sign_in_days(&app, "ann", 1).await;
    credit_all(&app).await;
    let mut conn = app.state.db.get().await.unwrap();
    for statement in [
        "TRUNCATE wallet_transactions_p2026_03",
        "TRUNCATE wallet_transactions",
        "DELETE FROM wallet_transactions_p2026_03",
        "UPDATE wallet_transactions SET amount = 1000",
    ] {
        let error = conn.batch_execute(statement).await.unwrap_err().to_string();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    // A second reward of the same sign-in, written in another month, is
    // refused by the key outside the partitions.
    let error = conn
        .batch_execute(&format!(
            "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, sign_in_id, created_at) \
             SELECT user_id, 10, 'SIGN_IN_REWARD', 20, id, '2026-05-02T00:00:00Z' FROM sign_ins \
              WHERE user_id = {ann_id}"
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("wallet_transactions_sign_in_kind_key"),
        "{error}"
    );
    drop(conn);

    // An idempotency key is one spend however far apart its replays are.
    let spend = "mutation { spend(amount: 3, idempotencyKey: \"k-1\") { id balanceAfter } }";
    let first = app
        .exec(Some(&token(&app, "ann").await), spend, json!({}))
        .await;
    assert_no_errors(&first);
    app.advance_days(70);
    let again = app
        .exec(Some(&token(&app, "ann").await), spend, json!({}))
        .await;
    assert_no_errors(&again);
    assert_eq!(first["data"]["spend"]["id"], again["data"]["spend"]["id"]);
    assert_eq!(balance(&app, ann_id).await, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_archives_old_months_and_the_books_still_balance() {
    let app = TestApp::with_config(&[("SIGNIN_HISTORY_RETENTION_MONTHS", "2")]).await;
    partitions_for_2026(&app).await;
    let (_, ann_id) = app.register("ann").await;
    let (_, bob_id) = app.register("bob").await;
    // March and April: sign-ins, their rewards, a spend with a key (March).
    sign_in_days(&app, "ann", 10).await;
    credit_all(&app).await;
    let spend = "mutation { spend(amount: 5, idempotencyKey: \"march\") { id } }";
    assert_no_errors(
        &app.exec(Some(&token(&app, "ann").await), spend, json!({}))
            .await,
    );
    sign_in_days(&app, "ann", 30).await;
    sign_in_days(&app, "bob", 3).await;
    credit_all(&app).await;
    let before = (balance(&app, ann_id).await, balance(&app, bob_id).await);

    // 2026-07-20: sign-in months ending before 2026-05-20 (January to
    // April, the first two empty) go; the ledger keeps a month more
    // (ending before 2026-04-20: January to March).
    app.clock.set(instant("2026-07-20T09:00:00Z"));
    let upkeep = maintain(&app.state).await.unwrap();
    let archived: Vec<(HistoryTable, String)> = upkeep
        .archived
        .iter()
        .map(|(table, month)| (*table, month.partition.clone()))
        .collect();
    assert_eq!(
        archived,
        [
            (HistoryTable::SignIns, "sign_ins_p2026_01"),
            (HistoryTable::SignIns, "sign_ins_p2026_02"),
            (HistoryTable::SignIns, "sign_ins_p2026_03"),
            (HistoryTable::SignIns, "sign_ins_p2026_04"),
            (HistoryTable::Ledger, "wallet_transactions_p2026_01"),
            (HistoryTable::Ledger, "wallet_transactions_p2026_02"),
            (HistoryTable::Ledger, "wallet_transactions_p2026_03"),
        ]
        .map(|(table, name)| (table, name.to_owned()))
    );
    assert_eq!(upkeep.held_back, None);
    // Detached into the archive schema, rows intact.
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM history_archive.sign_ins_p2026_03")
            .await,
        31
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM sign_ins WHERE day < '2026-05-01'")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM archived_history")
            .await,
        7
    );
    // Balances are untouched, and are the archived sums plus the kept rows.
    assert_eq!(
        (balance(&app, ann_id).await, balance(&app, bob_id).await),
        before
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT a.amount + coalesce((SELECT sum(amount) FROM wallet_transactions WHERE user_id = {ann_id}), 0) \
             FROM archived_ledger_totals a WHERE a.user_id = {ann_id}"
        ))
        .await,
        before.0
    );
    let mut conn = app.state.db.get().await.unwrap();
    let report = audit::run(&mut conn, app.state.calendar.now())
        .await
        .unwrap();
    assert!(report.is_clean(), "{report:#?}");
    drop(conn);

    // A second pass has nothing left to do; sign-ins go on.
    assert!(maintain(&app.state).await.unwrap().archived.is_empty());
    app.sign_in(&token(&app, "ann").await).await;
    credit_all(&app).await;
    // The key of an archived spend went with its month: the same key is a
    // new spend now (a retry months later is not a retry).
    let replay = app
        .exec(Some(&token(&app, "ann").await), spend, json!({}))
        .await;
    assert_no_errors(&replay);
    // The books are checked again when the test ends (TestApp's drop).
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_with_rewards_still_owed_is_not_archived() {
    let app = TestApp::with_config(&[("SIGNIN_HISTORY_RETENTION_MONTHS", "1")]).await;
    partitions_for_2026(&app).await;
    app.register("ann").await;
    sign_in_days(&app, "ann", 2).await;
    credit_all(&app).await;
    // A March sign-in still owed its reward (as if its credit had failed).
    app.sql(
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, schedule_id) \
         SELECT user_id, '2026-03-20', 1, 1, 10, '2026-03-20T09:00:00Z', schedule_id FROM sign_ins LIMIT 1",
    )
    .await;
    app.clock.set(instant("2026-06-15T09:00:00Z"));
    let upkeep = maintain(&app.state).await.unwrap();
    assert!(upkeep.archived.is_empty(), "{upkeep:?}");
    let reason = upkeep.held_back.unwrap();
    assert!(
        reason.contains("sign_ins_p2026_03") && reason.contains("1 sign-ins"),
        "{reason}"
    );
    // Nothing moved, not even the ledger's months (one transaction).
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM archived_history")
            .await,
        0
    );
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM archived_ledger_totals")
            .await,
        0
    );
    // Once credited, the month goes.
    credit_all(&app).await;
    let upkeep = maintain(&app.state).await.unwrap();
    assert_eq!(upkeep.held_back, None);
    assert!(!upkeep.archived.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_still_finds_a_wrong_balance_after_archiving() {
    let mut app = TestApp::with_config(&[("SIGNIN_HISTORY_RETENTION_MONTHS", "1")]).await;
    app.books_left_unbalanced("moves a balance by hand, on purpose");
    partitions_for_2026(&app).await;
    let (_, ann_id) = app.register("ann").await;
    sign_in_days(&app, "ann", 3).await;
    credit_all(&app).await;
    app.clock.set(instant("2026-07-01T09:00:00Z"));
    assert!(!maintain(&app.state).await.unwrap().archived.is_empty());
    app.sql(&format!(
        "UPDATE wallets SET balance = balance + 1 WHERE user_id = {ann_id}"
    ))
    .await;
    let mut conn = app.state.db.get().await.unwrap();
    let report = audit::run(&mut conn, app.state.calendar.now())
        .await
        .unwrap();
    let check = report
        .checks
        .iter()
        .find(|c| c.name == "wallet balance differs from the sum of its ledger rows")
        .unwrap();
    assert_eq!(check.failures, 1);
    assert_eq!(check.examples[0].id, ann_id);
    assert_eq!(check.examples[0].actual, check.examples[0].expected + 1);
}
