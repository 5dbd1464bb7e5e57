//! `migrations/2026-11-30-000002_streak_protection`, up and down, over rows
//! written before it: existing sign-ins keep their positions, existing
//! users hold no freeze, and down restores the schema exactly.

use diesel_async::{AsyncMigrationHarness, SimpleAsyncConnection};
use diesel_migrations::MigrationHarness;

use signin_rewards::store::migrate::MIGRATIONS;

use crate::common::TestDatabase;
use crate::migrations::{connect, lines, refused, schema_shape};

const STREAK_PROTECTION: &str = "20261130000002";

/// Everything the migration touches: the shared shape, plus the
/// constraints of `sign_ins` and `wallets` and the ledger kinds.
async fn shape(conn: &mut diesel_async::AsyncPgConnection) -> Vec<String> {
    let mut shape = schema_shape(conn).await;
    shape.extend(
        lines(
            conn,
            "SELECT conrelid::regclass::text || ' ' || conname::text || ' ' || pg_get_constraintdef(oid) AS line \
               FROM pg_constraint WHERE conrelid IN ('sign_ins'::regclass, 'wallets'::regclass) \
             UNION ALL SELECT enum_range(NULL::ledger_kind)::text \
             ORDER BY 1",
        )
        .await,
    );
    shape
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streak_protection_migrates_up_and_down_over_existing_rows() {
    let db = TestDatabase::create_unmigrated().await;
    let mut harness = AsyncMigrationHarness::new(connect(&db).await);
    let pending = harness.pending_migrations(MIGRATIONS).unwrap();
    let target = pending
        .iter()
        .find(|m| m.name().version().to_string() == STREAK_PROTECTION)
        .expect("the streak-protection migration is embedded");
    for migration in &pending {
        if migration.name().version().to_string().as_str() < STREAK_PROTECTION {
            harness.run_migration(&**migration).unwrap();
        }
    }

    // A user with a three-day chain, credited, as written before.
    let mut conn = connect(&db).await;
    let before = shape(&mut conn).await;
    conn.batch_execute(
        "INSERT INTO users (username, password_hash, created_at) VALUES ('ada', 'x', now()); \
         INSERT INTO wallets (user_id, balance, updated_at) SELECT id, 40, now() FROM users; \
         INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at) \
           SELECT u.id, d::date, row_number() OVER (ORDER BY d), row_number() OVER (ORDER BY d), \
                  CASE WHEN d::date = '2026-03-03' THEN 20 ELSE 10 END, now(), now() \
             FROM users u, generate_series('2026-03-01'::date, '2026-03-03'::date, '1 day') d; \
         INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, sign_in_id, created_at) \
           SELECT user_id, reward, 'SIGN_IN_REWARD', sum(reward) OVER (ORDER BY id), id, now() FROM sign_ins;",
    )
    .await
    .unwrap();
    let rows = "SELECT day || ' ' || cycle_day || ' ' || streak || ' ' || reward AS line FROM sign_ins ORDER BY day";
    let positions = lines(&mut conn, rows).await;
    drop(conn);

    harness.run_migration(&**target).unwrap();
    let mut conn = connect(&db).await;
    assert_eq!(lines(&mut conn, rows).await, positions, "positions kept");
    assert_eq!(
        lines(
            &mut conn,
            "SELECT bool_or(made_up)::text || ' ' || count(milestone_bonus) AS line FROM sign_ins"
        )
        .await,
        ["false 0"]
    );
    assert_eq!(
        lines(&mut conn, "SELECT freezes_held::text AS line FROM wallets").await,
        ["0"]
    );
    // The new kinds are accepted with their rules; a second reward of the
    // same sign-in is still refused.
    conn.batch_execute(
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, idempotency_key, created_at) \
           SELECT id, -10, 'STREAK_FREEZE', 30, 'f', now() FROM users; \
         INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, sign_in_id, created_at) \
           SELECT user_id, 5, 'MILESTONE_BONUS', 35, id, now() FROM sign_ins WHERE day = '2026-03-03';",
    )
    .await
    .unwrap();
    let error = refused(
        &mut conn,
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, sign_in_id, created_at) \
         SELECT user_id, 1, 'SIGN_IN_REWARD', 36, id, now() FROM sign_ins WHERE day = '2026-03-03'",
    )
    .await;
    assert!(
        error.contains("wallet_transactions_sign_in_kind_key"),
        "{error}"
    );
    let error = refused(
        &mut conn,
        "INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, created_at) \
         SELECT id, -1, 'MAKE_UP_FEE', 34, now() FROM users",
    )
    .await;
    assert!(error.contains("wallet_transactions_check"), "{error}");
    let error = refused(&mut conn, "UPDATE wallets SET freezes_held = -1").await;
    assert!(error.contains("freezes_held"), "{error}");
    let error = refused(
        &mut conn,
        "UPDATE sign_ins SET made_up = true WHERE day = '2026-03-01'",
    )
    .await;
    assert!(error.contains("sign_ins_made_up_check"), "{error}");

    // Down refuses while the ledger holds rows of the new kinds (they cannot
    // be dropped without losing money)...
    drop(conn);
    assert!(harness.revert_last_migration(MIGRATIONS).is_err());
    // ...and restores the schema exactly on data from before.
    let mut conn = connect(&db).await;
    conn.batch_execute(
        "ALTER TABLE wallet_transactions DISABLE TRIGGER USER; \
         DELETE FROM wallet_transactions WHERE kind IN ('STREAK_FREEZE', 'MILESTONE_BONUS'); \
         ALTER TABLE wallet_transactions ENABLE TRIGGER USER;",
    )
    .await
    .unwrap();
    drop(conn);
    let reverted = harness.revert_last_migration(MIGRATIONS).unwrap();
    assert_eq!(reverted.to_string(), STREAK_PROTECTION);
    let mut conn = connect(&db).await;
    assert_eq!(shape(&mut conn).await, before);
    assert_eq!(lines(&mut conn, rows).await, positions);
    drop(conn);

    harness.run_pending_migrations(MIGRATIONS).unwrap();
    let mut conn = connect(&db).await;
    assert_eq!(lines(&mut conn, rows).await, positions);
}
