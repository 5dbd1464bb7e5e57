//! The migrations that rework the money tables (enum types, partitioned
//! history): up and down over rows written before them; and what an
//! unknown value in the database does (an error, never a default).

use chrono::Utc;
use diesel::sql_types::Text;
use diesel::QueryableByName;
use diesel_async::SimpleAsyncConnection;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use serde_json::json;

use signin_rewards::model::{LedgerKind, Role, SignInId, UserId};
use signin_rewards::store::migrate::MIGRATIONS;
use signin_rewards::store::{ledger, users};

use crate::common::{error_code, TestApp, TestDatabase};

/// The version of `migrations/2026-11-30-000001_enum_types`.
const ENUM_TYPES: &str = "20261130000001";

/// A new connection each time: a connection caches the OIDs of the enum
/// types, which a revert and a new apply change.
pub(crate) async fn connect(db: &TestDatabase) -> AsyncPgConnection {
    AsyncPgConnection::establish(&db.url).await.unwrap()
}

#[derive(QueryableByName)]
pub(crate) struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

pub(crate) async fn lines(conn: &mut AsyncPgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Line>(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect()
}

async fn id_of(conn: &mut AsyncPgConnection, username: &str) -> UserId {
    let line = lines(
        conn,
        &format!("SELECT id::text AS line FROM users WHERE username = '{username}'"),
    )
    .await;
    UserId(line[0].parse().unwrap())
}

/// What a migration may change of the tables: constraints, columns (type,
/// default, nullability), triggers, indexes.
pub(crate) async fn schema_shape(conn: &mut AsyncPgConnection) -> Vec<String> {
    lines(
        conn,
        "SELECT conrelid::regclass::text || ' ' || conname::text || ' ' || pg_get_constraintdef(oid) AS line \
           FROM pg_constraint WHERE conrelid IN ('users'::regclass, 'wallet_transactions'::regclass) \
         UNION ALL \
         SELECT table_name::text || '.' || column_name::text || ' ' || udt_name::text || ' ' \
                || coalesce(column_default::text, '-') || ' ' || is_nullable::text \
           FROM information_schema.columns WHERE table_schema = 'public' \
         UNION ALL \
         SELECT tgrelid::regclass::text || ' ' || tgname::text || ' ' || tgenabled::text \
           FROM pg_trigger WHERE NOT tgisinternal \
         UNION ALL \
         SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' \
         ORDER BY 1",
    )
    .await
}

/// Runs every embedded migration older than `version` that is pending.
fn run_before(harness: &mut AsyncMigrationHarness<AsyncPgConnection>, version: &str) {
    for migration in &harness.pending_migrations(MIGRATIONS).unwrap() {
        if migration.name().version().to_string().as_str() < version {
            harness.run_migration(&**migration).unwrap();
        }
    }
}

/// Reverts migrations, the newest first, down to and including `version`.
fn revert_through(harness: &mut AsyncMigrationHarness<AsyncPgConnection>, version: &str) {
    while harness
        .revert_last_migration(MIGRATIONS)
        .unwrap()
        .to_string()
        != version
    {}
}

/// Reverts migrations down to and including `version` (on a connection
/// of its own) and answers a new connection to the reverted database.
async fn connect_after_reverting(db: &TestDatabase, version: &str) -> AsyncPgConnection {
    revert_through(&mut AsyncMigrationHarness::new(connect(db).await), version);
    connect(db).await
}

/// The error a statement fails with, as text.
pub(crate) async fn refused(conn: &mut AsyncPgConnection, sql: &str) -> String {
    match diesel::sql_query(sql).execute(conn).await {
        Ok(n) => panic!("{sql:?} was accepted ({n} rows)"),
        Err(e) => e.to_string(),
    }
}

/// Reads `ada`'s and `root`'s rows through the store, as the service does.
async fn check_through_the_store(db: &TestDatabase) {
    let mut conn = connect(db).await;
    let (ada, root) = (
        id_of(&mut conn, "ada").await,
        id_of(&mut conn, "root").await,
    );
    // The roles as the store maps them (its `User` has columns of later
    // migrations: the role column alone here).
    let mut roles = Vec::new();
    for id in [ada, root] {
        use diesel::QueryDsl;
        roles.push(
            diesel_async::RunQueryDsl::first::<Role>(
                signin_rewards::schema::users::table
                    .find(id)
                    .select(signin_rewards::schema::users::role),
                &mut conn,
            )
            .await
            .unwrap(),
        );
    }
    assert_eq!(roles, [Role::User, Role::Admin]);
    // The sign-in's id as SQL sees it (the store's `SignIn` has columns of
    // later migrations).
    let sign_in_id = SignInId(
        lines(
            &mut conn,
            &format!("SELECT id::text AS line FROM sign_ins WHERE user_id = {ada}"),
        )
        .await[0]
            .parse()
            .unwrap(),
    );
    let rows = ledger::page(&mut conn, ada, None, 10).await.unwrap();
    let kinds: Vec<_> = rows
        .iter()
        .map(|r| (r.kind, r.amount, r.sign_in_id))
        .collect();
    assert_eq!(
        kinds,
        [
            (LedgerKind::Adjustment, 3, None),
            (LedgerKind::Spend, -5, None),
            (LedgerKind::SignInReward, 10, Some(sign_in_id)),
        ],
        "newest first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enum_types_migrate_up_and_down_over_existing_rows() {
    let db = TestDatabase::create_unmigrated().await;
    let mut harness = AsyncMigrationHarness::new(connect(&db).await);

    // Every migration before this one.
    let pending = harness.pending_migrations(MIGRATIONS).unwrap();
    let target = pending
        .iter()
        .find(|m| m.name().version().to_string() == ENUM_TYPES)
        .expect("the enum-types migration is embedded");
    run_before(&mut harness, ENUM_TYPES);

    // Rows of every role and kind, written as before this change.
    let mut conn = connect(&db).await;
    let shape_before = schema_shape(&mut conn).await;
    conn.batch_execute(
        "INSERT INTO users (username, password_hash, created_at) VALUES ('ada', 'x', now()); \
         INSERT INTO users (username, password_hash, role, created_at) VALUES ('root', 'x', 'ADMIN', now()); \
         INSERT INTO wallets (user_id, balance, updated_at) SELECT id, 0, now() FROM users; \
         INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at) \
           SELECT id, '2026-03-01', 1, 1, 10, now(), now() FROM users WHERE username = 'ada'; \
         INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, sign_in_id, created_at) \
           SELECT user_id, 10, 'SIGN_IN_REWARD', 10, id, now() FROM sign_ins; \
         INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, idempotency_key, created_at) \
           SELECT id, -5, 'SPEND', 5, 'spend-1', now() FROM users WHERE username = 'ada'; \
         INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, idempotency_key, note, created_at) \
           SELECT id, 3, 'ADJUSTMENT', 8, 'adjust-1', 'goodwill', now() FROM users WHERE username = 'ada'; \
         UPDATE wallets SET balance = 8 WHERE user_id = (SELECT id FROM users WHERE username = 'ada');",
    )
    .await
    .unwrap();
    drop(conn);

    // Up: the values read back as the right variants.
    harness.run_migration(&**target).unwrap();
    check_through_the_store(&db).await;
    let mut conn = connect(&db).await;
    // Diesel writes the enums too (the store's `User` has columns of later
    // migrations: the role alone here), and the column default still holds.
    {
        use diesel::ExpressionMethods;
        use signin_rewards::schema::users as u;
        let grace_role: Role = diesel_async::RunQueryDsl::get_result(
            diesel::insert_into(u::table)
                .values((
                    u::username.eq("grace"),
                    u::password_hash.eq("x"),
                    u::role.eq(Role::Admin),
                    u::created_at.eq(Utc::now()),
                ))
                .returning(u::role),
            &mut conn,
        )
        .await
        .unwrap();
        assert_eq!(grace_role, Role::Admin);
    }
    conn.batch_execute(
        "INSERT INTO users (username, password_hash, created_at) VALUES ('eve', 'x', now())",
    )
    .await
    .unwrap();
    let eve = id_of(&mut conn, "eve").await;
    {
        use diesel::QueryDsl;
        use signin_rewards::schema::users as u;
        let eve_role: Role =
            diesel_async::RunQueryDsl::first(u::table.find(eve).select(u::role), &mut conn)
                .await
                .unwrap();
        assert_eq!(eve_role, Role::User);
    }
    // Unknown values cannot be stored; the ledger's CHECKs still hold.
    let error = refused(&mut conn, "UPDATE users SET role = 'SUPERUSER'").await;
    assert!(
        error.contains("invalid input value for enum user_role"),
        "{error}"
    );
    let error = refused(
        &mut conn,
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, idempotency_key, created_at) \
         SELECT id, 1, 'BONUS', 1, 'bonus-1', now() FROM users WHERE username = 'root'",
    )
    .await;
    assert!(
        error.contains("invalid input value for enum ledger_kind"),
        "{error}"
    );
    let error = refused(
        &mut conn,
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, created_at) \
         SELECT id, 1, 'SIGN_IN_REWARD', 1, now() FROM users WHERE username = 'root'",
    )
    .await;
    assert!(error.contains("wallet_transactions_check"), "{error}");
    let error = refused(
        &mut conn,
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, created_at) \
         SELECT id, 1, 'SPEND', 1, now() FROM users WHERE username = 'root'",
    )
    .await;
    assert!(error.contains("wallet_transactions_check1"), "{error}");
    drop(conn);

    // Down: the text values are back, and so is every constraint.
    let reverted = harness.revert_last_migration(MIGRATIONS).unwrap();
    assert_eq!(reverted.to_string(), ENUM_TYPES);
    let mut conn = connect(&db).await;
    assert_eq!(
        lines(
            &mut conn,
            "SELECT username || ' ' || role || ' ' || pg_typeof(role)::text AS line FROM users ORDER BY id"
        )
        .await,
        [
            "ada USER text",
            "root ADMIN text",
            "grace ADMIN text",
            "eve USER text"
        ]
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT kind || ' ' || pg_typeof(kind)::text AS line FROM wallet_transactions ORDER BY id"
        )
        .await,
        ["SIGN_IN_REWARD text", "SPEND text", "ADJUSTMENT text"]
    );
    assert_eq!(schema_shape(&mut conn).await, shape_before);
    let error = refused(&mut conn, "UPDATE users SET role = 'SUPERUSER'").await;
    assert!(error.contains("users_role_check"), "{error}");
    let error = refused(
        &mut conn,
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, idempotency_key, created_at) \
         SELECT id, 1, 'BONUS', 1, 'bonus-1', now() FROM users WHERE username = 'root'",
    )
    .await;
    assert!(error.contains("wallet_transactions_kind_check"), "{error}");
    drop(conn);

    // Up again, and whatever follows it.
    harness.run_migration(&**target).unwrap();
    harness.run_pending_migrations(MIGRATIONS).unwrap();
    check_through_the_store(&db).await;
}

/// A value this version does not know (as a later version's migration
/// might add) fails the read: the API answers with an error, not with
/// `USER` or `ADJUSTMENT`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_enum_values_in_the_database_are_errors_not_defaults() {
    let app = TestApp::new().await;
    let (mallory, mallory_id) = app.register("mallory").await;
    let (trudy, trudy_id) = app.register("trudy").await;
    app.sql("ALTER TYPE user_role ADD VALUE 'SUPERUSER'").await;
    app.sql("ALTER TYPE ledger_kind ADD VALUE 'BONUS'").await;
    app.sql(&format!(
        "UPDATE users SET role = 'SUPERUSER' WHERE id = {mallory_id}"
    ))
    .await;
    app.sql(&format!(
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, idempotency_key, created_at) \
         VALUES ({trudy_id}, 0, 'BONUS', 0, 'bonus-1', now())"
    ))
    .await;

    let mut conn = app.state.db().await.unwrap();
    assert!(users::find(&mut conn, UserId(mallory_id)).await.is_err());
    assert!(ledger::page(&mut conn, UserId(trudy_id), None, 10)
        .await
        .is_err());
    drop(conn);

    let me = app.exec(Some(&mallory), "{ me { role } }", json!({})).await;
    assert_eq!(error_code(&me), "INTERNAL_SERVER_ERROR", "{me}");
    let ledger = app
        .exec(
            Some(&trudy),
            "{ me { wallet { transactions { edges { node { kind } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&ledger), "INTERNAL_SERVER_ERROR", "{ledger}");
    assert!(!ledger.to_string().contains("ADJUSTMENT"), "{ledger}");
}

/// The version of `migrations/2026-11-30-000010_admin_audit_log`.
const ADMIN_AUDIT_LOG: &str = "20261130000010";

/// Types and functions of the public schema, which `schema_shape` leaves out.
async fn types_and_functions(conn: &mut AsyncPgConnection) -> Vec<String> {
    lines(
        conn,
        "SELECT 'type ' || typname::text AS line FROM pg_type t \
           JOIN pg_namespace n ON n.oid = t.typnamespace \
          WHERE n.nspname = 'public' AND t.typtype = 'e' \
         UNION ALL \
         SELECT 'function ' || proname::text FROM pg_proc p \
           JOIN pg_namespace n ON n.oid = p.pronamespace \
          WHERE n.nspname = 'public' AND p.prolang <> 13 \
         ORDER BY 1",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_audit_log_migrates_up_and_down() {
    let db = TestDatabase::create_unmigrated().await;
    let mut harness = AsyncMigrationHarness::new(connect(&db).await);
    let pending = harness.pending_migrations(MIGRATIONS).unwrap();
    let target = pending
        .iter()
        .find(|m| m.name().version().to_string() == ADMIN_AUDIT_LOG)
        .expect("the admin-audit-log migration is embedded");
    run_before(&mut harness, ADMIN_AUDIT_LOG);
    let mut conn = connect(&db).await;
    let shape_before = schema_shape(&mut conn).await;
    let types_before = types_and_functions(&mut conn).await;
    conn.batch_execute(
        "INSERT INTO users (username, password_hash, created_at) VALUES ('root', 'x', now())",
    )
    .await
    .unwrap();
    drop(conn);

    harness.run_migration(&**target).unwrap();
    let mut conn = connect(&db).await;
    let added = types_and_functions(&mut conn).await;
    for new in ["type admin_action", "function admin_audit_log_append_only"] {
        assert!(added.iter().any(|l| l == new), "{new} in {added:?}");
    }
    conn.batch_execute(
        "INSERT INTO admin_audit_log (action, target_user_id, details, created_at) \
         SELECT 'create-admin', id, '{\"username\":\"root\"}', now() FROM users",
    )
    .await
    .unwrap();
    let error = refused(&mut conn, "UPDATE admin_audit_log SET details = '{}'").await;
    assert!(error.contains("append-only"), "{error}");
    let error = refused(
        &mut conn,
        "INSERT INTO admin_audit_log (action, details, created_at) VALUES ('dropTable', '{}', now())",
    )
    .await;
    assert!(
        error.contains("invalid input value for enum admin_action"),
        "{error}"
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT action::text || ' ' || details AS line FROM admin_audit_log"
        )
        .await,
        ["create-admin {\"username\":\"root\"}"]
    );
    drop(conn);

    // Down: the schema is exactly as before, types and functions included.
    let reverted = harness.revert_last_migration(MIGRATIONS).unwrap();
    assert_eq!(reverted.to_string(), ADMIN_AUDIT_LOG);
    let mut conn = connect(&db).await;
    assert_eq!(schema_shape(&mut conn).await, shape_before);
    assert_eq!(types_and_functions(&mut conn).await, types_before);
    drop(conn);

    // Up again, and whatever follows it.
    harness.run_migration(&**target).unwrap();
    harness.run_pending_migrations(MIGRATIONS).unwrap();
    let mut conn = connect(&db).await;
    assert_eq!(
        lines(
            &mut conn,
            "SELECT count(*)::text AS line FROM admin_audit_log"
        )
        .await,
        ["0"]
    );
}

/// The version of `migrations/2026-12-08-000001_user_time_zones`.
const USER_TIME_ZONES: &str = "20261208000001";

/// Every user's own day: existing users get `SIGNIN_TIMEZONE` as their
/// zone and their registration date in it; their sign-ins keep their
/// dates; down restores the schema exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_time_zones_migrate_up_and_down_over_existing_users() {
    let db = TestDatabase::create_unmigrated().await;
    let mut harness = AsyncMigrationHarness::new(connect(&db).await);
    let pending = harness.pending_migrations(MIGRATIONS).unwrap();
    let target = pending
        .iter()
        .find(|m| m.name().version().to_string() == USER_TIME_ZONES)
        .expect("the user-time-zones migration is embedded");
    run_before(&mut harness, USER_TIME_ZONES);
    let mut conn = connect(&db).await;
    let shape_before = schema_shape(&mut conn).await;
    let types_before = types_and_functions(&mut conn).await;
    // Registered at 20:00Z on March 1st: March 2nd in Shanghai.
    conn.batch_execute(
        "INSERT INTO users (username, password_hash, created_at) VALUES ('ada', 'x', '2026-03-01T20:00:00Z'); \
         INSERT INTO wallets (user_id, balance, updated_at) SELECT id, 0, now() FROM users; \
         INSERT INTO reward_schedules (rewards, effective_from, note, created_at) \
           VALUES ('{10,10,20,20,30,30,100}', '1970-01-01', 'SIGNIN_REWARDS', now()); \
         INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, schedule_id) \
           SELECT u.id, '2026-03-01', 1, 1, 10, '2026-03-01T20:00:00Z', s.id FROM users u, reward_schedules s;",
    )
    .await
    .unwrap();
    drop(conn);
    drop(harness);

    // Up, as the service migrates with SIGNIN_TIMEZONE=Asia/Shanghai.
    let rewards: signin_rewards::domain::rewards::RewardTable =
        "10,10,20,20,30,30,100".parse().unwrap();
    let programme = signin_rewards::store::migrate::Programme {
        rewards: &rewards,
        timezone: chrono_tz::Asia::Shanghai,
    };
    signin_rewards::store::migrate::run_pending_with(&db.url, Some(programme))
        .await
        .unwrap();
    let mut conn = connect(&db).await;
    assert_eq!(
        lines(&mut conn, "SELECT time_zone || ' ' || registered_on::text || ' ' || coalesce(time_zone_changed_at::text, '-') AS line FROM users").await,
        ["Asia/Shanghai 2026-03-02 -"]
    );
    assert_eq!(
        lines(&mut conn, "SELECT day::text AS line FROM sign_ins").await,
        ["2026-03-01"],
        "existing sign-ins keep their dates"
    );
    let error = refused(&mut conn, "UPDATE users SET time_zone = ''").await;
    assert!(error.contains("users_time_zone_length"), "{error}");
    drop(conn);

    // Down: the schema is exactly as before, functions included.
    // (Later migrations first, if any.)
    let mut harness = AsyncMigrationHarness::new(connect(&db).await);
    revert_through(&mut harness, USER_TIME_ZONES);
    let mut conn = connect(&db).await;
    assert_eq!(schema_shape(&mut conn).await, shape_before);
    assert_eq!(types_and_functions(&mut conn).await, types_before);
    drop(conn);
    // Up again, without the setting: UTC.
    harness.run_migration(&**target).unwrap();
    let mut conn = connect(&db).await;
    assert_eq!(
        lines(
            &mut conn,
            "SELECT time_zone || ' ' || registered_on::text AS line FROM users"
        )
        .await,
        ["UTC 2026-03-01"]
    );
}

/// The version of `migrations/2026-12-11-000001_partitioned_history`.
const PARTITIONED_HISTORY: &str = "20261211000001";

/// Partitioned history over an install's rows: every row lands in its
/// month (the oldest month gets a partition of its own), the ledger's keys
/// are filled from the rows and still refuse a second use, ids go on from
/// the last one, and down restores the schema exactly, rows included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioned_history_migrates_up_and_down_over_existing_rows() {
    let db = TestDatabase::create_unmigrated().await;
    let mut harness = AsyncMigrationHarness::new(connect(&db).await);
    run_before(&mut harness, PARTITIONED_HISTORY);
    let mut conn = connect(&db).await;
    let shape_before = schema_shape(&mut conn).await;
    let types_before = types_and_functions(&mut conn).await;
    conn.batch_execute(
        "INSERT INTO users (username, password_hash, created_at, time_zone, registered_on) \
           VALUES ('ada', 'x', '2025-11-30T10:00:00Z', 'UTC', '2025-11-30'); \
         INSERT INTO wallets (user_id, balance, updated_at) SELECT id, 25, now() FROM users; \
         INSERT INTO reward_schedules (rewards, effective_from, note, created_at) \
           VALUES ('{10,10,20,20,30,30,100}', '1970-01-01', 'SIGNIN_REWARDS', now()); \
         INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, schedule_id) \
           SELECT u.id, d::date, 1, 1, 10, d, d, s.id FROM users u, reward_schedules s, \
                  unnest(ARRAY[timestamptz '2025-11-30T10:00:00Z', '2025-12-01T10:00:00Z']) AS d; \
         INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, sign_in_id, created_at) \
           SELECT user_id, 10, 'SIGN_IN_REWARD', 10 * row_number() OVER (ORDER BY id), id, credited_at FROM sign_ins; \
         INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, idempotency_key, created_at) \
           SELECT id, 5, 'ADJUSTMENT', 25, 'gift', '2025-12-02T00:00:00Z' FROM users;",
    )
    .await
    .unwrap();
    let rows_before = lines(
        &mut conn,
        "SELECT (SELECT string_agg(s::text, ';' ORDER BY id) FROM sign_ins s) \
             || '|' || (SELECT string_agg(t::text, ';' ORDER BY id) FROM wallet_transactions t) AS line",
    )
    .await;
    drop(conn);
    drop(harness);

    signin_rewards::store::migrate::run_pending_with(&db.url, None)
        .await
        .unwrap();
    let mut conn = connect(&db).await;
    assert_eq!(
        lines(
            &mut conn,
            "SELECT tableoid::regclass::text || ' ' || day AS line FROM sign_ins ORDER BY id"
        )
        .await,
        [
            "sign_ins_p2025_11 2025-11-30",
            "sign_ins_p2025_12 2025-12-01"
        ]
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT tableoid::regclass::text AS line FROM wallet_transactions ORDER BY id"
        )
        .await,
        [
            "wallet_transactions_p2025_11",
            "wallet_transactions_p2025_12",
            "wallet_transactions_p2025_12"
        ]
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT line FROM ( \
               SELECT sign_in_id || ' ' || kind AS line FROM wallet_transaction_sign_in_keys \
               UNION ALL SELECT user_id || ' ' || idempotency_key FROM wallet_transaction_idempotency_keys) k \
             ORDER BY line COLLATE \"C\""
        )
        .await,
        ["1 SIGN_IN_REWARD", "1 gift", "2 SIGN_IN_REWARD"]
    );
    let error = refused(
        &mut conn,
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, idempotency_key, created_at) \
         SELECT id, 5, 'ADJUSTMENT', 30, 'gift', now() FROM users",
    )
    .await;
    assert!(
        error.contains("wallet_transactions_idempotency_key"),
        "{error}"
    );
    assert_eq!(
        lines(
            &mut conn,
            "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, schedule_id) \
             SELECT id, '2025-12-02', 2, 2, 10, now(), 1 FROM users RETURNING id::text AS line"
        )
        .await,
        ["3"]
    );
    conn.batch_execute("DELETE FROM sign_ins WHERE id = 3")
        .await
        .unwrap();
    drop(conn);

    // Down: the schema exactly as before, every row as it was.
    let mut conn = connect_after_reverting(&db, PARTITIONED_HISTORY).await;
    assert_eq!(schema_shape(&mut conn).await, shape_before);
    assert_eq!(types_and_functions(&mut conn).await, types_before);
    assert_eq!(
        lines(
            &mut conn,
            "SELECT (SELECT string_agg(s::text, ';' ORDER BY id) FROM sign_ins s) \
                 || '|' || (SELECT string_agg(t::text, ';' ORDER BY id) FROM wallet_transactions t) AS line",
        )
        .await,
        rows_before
    );
}

/// The version of `migrations/2026-12-12-000001_bounded_chain_reads`.
const BOUNDED_CHAIN_READS: &str = "20261212000001";

/// Histories for the chain reads: a daily one, one every 4th day (ten dates
/// span more than 31 days), one every 9th day with make-ups, two dates far
/// apart, none, and a last week of alternating make-ups; October to
/// December 2025 in partitions of their own, January 2026 in the default
/// partition. The last recorded date is 2026-01-10.
const CHAIN_HISTORIES: &str = "\
    SELECT partman.create_partition_time('public.sign_ins', \
             ARRAY['2025-10-01', '2025-11-01', '2025-12-01']::timestamptz[]); \
    INSERT INTO users (username, password_hash, created_at, time_zone, registered_on) \
      SELECT 'user' || n, 'x', '2025-09-01T00:00:00Z', 'UTC', '2025-09-01' FROM generate_series(1, 6) n; \
    INSERT INTO wallets (user_id, balance, updated_at) SELECT id, 0, now() FROM users; \
    INSERT INTO reward_schedules (rewards, effective_from, note, created_at) \
      VALUES ('{10,10,20,20,30,30,100}', '1970-01-01', 'SIGNIN_REWARDS', now()); \
    INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, made_up, schedule_id) \
      SELECT u.id, h.day, 1, 1, CASE WHEN h.made_up THEN 0 ELSE extract(day FROM h.day)::int END, \
             h.day + interval '1 day', now(), h.made_up, 1 \
        FROM users u, LATERAL ( \
          SELECT d::date AS day, u.username = 'user6' AND extract(day FROM d)::int % 2 = 0 AS made_up \
            FROM generate_series(date '2025-10-01', date '2026-01-10', interval '1 day') d \
           WHERE CASE u.username \
                   WHEN 'user1' THEN true \
                   WHEN 'user2' THEN (d::date - date '2025-10-01') % 4 = 0 \
                   WHEN 'user3' THEN (d::date - date '2025-10-01') % 9 = 0 \
                   WHEN 'user4' THEN d::date IN ('2025-10-05', '2025-12-25') \
                   WHEN 'user6' THEN d::date >= '2026-01-04' \
                   ELSE false END) h; \
    UPDATE sign_ins SET made_up = true, reward = 0 WHERE user_id = 3 AND day IN ('2025-12-05', '2026-01-04');";

/// What signin_chains answers for every user at every UTC date from
/// 2026-01-09 (the last recorded date 2026-01-10 is before `before`, as the
/// service's reads have it) to 2026-02-20, with a 7-day make-up window. The
/// latest sign-in is compared where it can be today (in [before - 3,
/// before)), the only place the service reads it.
async fn chain_answers(conn: &mut AsyncPgConnection) -> Vec<String> {
    lines(
        conn,
        "SELECT g.t::date || ' ' || c.user_id || ' ' || c.made_up_at::text || ' ' || c.days::text \
                || ' ' || c.made_up::text || ' ' || c.jumped::text || ' ' \
                || coalesce(CASE WHEN c.last_day >= g.t::date - 1 \
                                 THEN c.last_day || ' ' || c.last_reward END, '-') AS line \
           FROM generate_series(timestamptz '2026-01-09', '2026-02-20', interval '1 day') g(t), \
                LATERAL signin_chains(ARRAY(SELECT id FROM users ORDER BY id), g.t::date + 2, \
                                      g.t::date - 8, g.t - interval '32 days') c \
          ORDER BY g.t, c.user_id",
    )
    .await
}

/// Reading only the recent months first (2026-12-12) changes no answer of
/// signin_chains: each bounded read falls back to the unbounded one when
/// its range does not hold the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_chain_reads_answer_as_the_unbounded_ones() {
    let db = TestDatabase::create().await;
    let mut conn = connect(&db).await;
    conn.batch_execute(CHAIN_HISTORIES).await.unwrap();
    let bounded = chain_answers(&mut conn).await;
    assert_eq!(bounded.len(), 43 * 6);
    // The daily user on 2026-01-09 reads from ten dates back, with today's
    // reward; the sparse ones from further back than 31 days.
    assert!(
        bounded[0].starts_with("2026-01-09 1 {} {2025-12-31,"),
        "{}",
        bounded[0]
    );
    assert!(bounded[0].ends_with(" 2026-01-10 10"), "{}", bounded[0]);
    assert!(
        bounded[1].starts_with("2026-01-09 2 {} {2025-12-04,"),
        "{}",
        bounded[1]
    );
    drop(conn);

    let mut conn = connect_after_reverting(&db, BOUNDED_CHAIN_READS).await;
    assert_eq!(chain_answers(&mut conn).await, bounded);
}

/// The version of `migrations/2026-12-14-000001_chain_reads_end_before_today`.
const CHAIN_READS_END_BEFORE_TODAY: &str = "20261214000001";

/// Bounding signin_chains' day reads above by `before` and its make-ups
/// read by dates (2026-12-14) changes no answer: over the histories of
/// [`CHAIN_HISTORIES`], with the coming months' partitions made (as
/// pg_partman keeps them) and a make-up made on 2026-01-08 for a date 300
/// days before it (SIGNIN_MAKEUP_WINDOW_DAYS may be up to 366), which the
/// make-ups read must still count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_reads_ending_before_today_answer_as_before() {
    let db = TestDatabase::create().await;
    let mut conn = connect(&db).await;
    conn.batch_execute(CHAIN_HISTORIES).await.unwrap();
    conn.batch_execute(
        "SELECT partman.create_partition_time('public.sign_ins', \
                  ARRAY['2026-02-01', '2026-03-01', '2026-04-01']::timestamptz[]); \
         INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, made_up, schedule_id) \
           SELECT id, '2025-03-14', 1, 1, 0, '2026-01-08T12:00:00Z', now(), true, 1 \
             FROM users WHERE username = 'user5';",
    )
    .await
    .unwrap();
    let bounded = chain_answers(&mut conn).await;
    assert_eq!(bounded.len(), 43 * 6);
    // The far make-up counts for the 32 days after it was made (the
    // monthly limit's reach), no longer.
    let counted: Vec<&str> = bounded
        .iter()
        .filter(|line| line.split(' ').nth(1) == Some("5") && !line.contains(" {} {"))
        .map(|line| &line[..10])
        .collect();
    assert_eq!(
        (
            counted.len(),
            counted.as_slice().first(),
            counted.as_slice().last()
        ),
        (32, Some(&"2026-01-09"), Some(&"2026-02-09")),
        "{bounded:?}"
    );
    drop(conn);

    let mut conn = connect_after_reverting(&db, CHAIN_READS_END_BEFORE_TODAY).await;
    assert_eq!(chain_answers(&mut conn).await, bounded);
}

/// The version of `migrations/2026-12-16-000001_sign_ins_covering_key`.
const SIGN_INS_COVERING_KEY: &str = "20261216000001";

/// How PostgreSQL reads a user's dates with the columns the history and
/// chain reads take (seq and bitmap scans off: the test's table is tiny).
async fn dates_read_plan(conn: &mut AsyncPgConnection) -> String {
    conn.batch_execute(
        "SET enable_seqscan = off; SET enable_bitmapscan = off; \
         CREATE OR REPLACE FUNCTION pg_temp.plan_of(q text) RETURNS SETOF text \
           LANGUAGE plpgsql AS $$ DECLARE r text; BEGIN \
             FOR r IN EXECUTE 'EXPLAIN (COSTS off) ' || q LOOP RETURN NEXT r; END LOOP; END $$",
    )
    .await
    .unwrap();
    lines(
        conn,
        "SELECT pg_temp.plan_of('SELECT day, cycle_day, streak, reward, made_up FROM sign_ins \
           WHERE user_id = 1 AND day BETWEEN ''2025-12-01'' AND ''2025-12-31'' ORDER BY day') AS line",
    )
    .await
    .join("\n")
}

/// With the key including the columns the history and chain reads take
/// (2026-12-16), a user's dates are read from the index alone; before it,
/// every date's row was fetched from the table. Sign-ins still conflict on
/// the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_key_covers_the_reads_of_a_users_dates() {
    let db = TestDatabase::create().await;
    let mut conn = connect(&db).await;
    conn.batch_execute(CHAIN_HISTORIES).await.unwrap();
    conn.batch_execute("VACUUM ANALYZE sign_ins").await.unwrap();
    let plan = dates_read_plan(&mut conn).await;
    assert!(plan.contains("Index Only Scan"), "{plan}");
    let duplicate = refused(
        &mut conn,
        "INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, schedule_id) \
         VALUES (1, '2025-12-05', 1, 1, 0, now(), 1)",
    )
    .await;
    assert!(
        duplicate.starts_with("duplicate key value violates unique constraint"),
        "{duplicate}"
    );
    drop(conn);

    let mut conn = connect_after_reverting(&db, SIGN_INS_COVERING_KEY).await;
    conn.batch_execute("VACUUM ANALYZE sign_ins").await.unwrap();
    let plan = dates_read_plan(&mut conn).await;
    assert!(!plan.contains("Index Only Scan"), "{plan}");
}
