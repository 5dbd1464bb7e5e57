//! Read-only consistency checks over the money tables (`signin-rewards audit`).

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::StoreError;

/// Examples kept per kind of problem.
const EXAMPLES: i64 = 20;

#[derive(Debug, QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Finding {
    /// The row concerned (a user id, ledger row id or sign-in id).
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub expected: i64,
    #[diesel(sql_type = BigInt)]
    pub actual: i64,
}

/// One kind of check: how many rows fail it, and a few of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub failures: i64,
    pub examples: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub wallets: i64,
    pub ledger_rows: i64,
    pub sign_ins: i64,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.checks.iter().all(|c| c.failures == 0)
    }
}

/// (name, query yielding `id, expected, actual` for every failing row)
const CHECKS: &[(&str, &str)] = &[
    (
        "wallet balance differs from the sum of its ledger rows",
        "SELECT w.user_id AS id, coalesce(l.total, 0)::BIGINT AS expected, w.balance AS actual \
         FROM wallets w LEFT JOIN (SELECT user_id, sum(amount) AS total FROM wallet_transactions GROUP BY user_id) l \
         USING (user_id) WHERE w.balance <> coalesce(l.total, 0)",
    ),
    (
        "ledger row's balance_after differs from the running sum",
        "SELECT id, running::BIGINT AS expected, balance_after AS actual FROM ( \
           SELECT id, balance_after, sum(amount) OVER (PARTITION BY user_id ORDER BY id) AS running \
           FROM wallet_transactions) t WHERE balance_after <> running",
    ),
    (
        "credited sign-in without a matching reward row",
        "SELECT s.id, s.reward AS expected, coalesce(t.amount, -1) AS actual FROM sign_ins s \
         LEFT JOIN wallet_transactions t ON t.sign_in_id = s.id \
         WHERE s.credited_at IS NOT NULL AND (t.id IS NULL OR t.amount <> s.reward OR t.user_id <> s.user_id)",
    ),
    (
        "reward row for a sign-in not marked credited",
        "SELECT s.id, 0::BIGINT AS expected, t.id AS actual FROM sign_ins s \
         JOIN wallet_transactions t ON t.sign_in_id = s.id WHERE s.credited_at IS NULL",
    ),
];

pub async fn run(
    conn: &mut AsyncPgConnection,
    overdue_before: DateTime<Utc>,
) -> Result<Report, StoreError> {
    let count = |sql: &'static str| diesel::sql_query(sql);
    let wallets = count("SELECT count(*) AS n FROM wallets")
        .get_result::<Count>(conn)
        .await?
        .n;
    let ledger_rows = count("SELECT count(*) AS n FROM wallet_transactions")
        .get_result::<Count>(conn)
        .await?
        .n;
    let sign_ins = count("SELECT count(*) AS n FROM sign_ins")
        .get_result::<Count>(conn)
        .await?
        .n;

    let mut checks = Vec::new();
    for (name, query) in CHECKS {
        let failures = diesel::sql_query(format!("SELECT count(*) AS n FROM ({query}) f"))
            .get_result::<Count>(conn)
            .await?
            .n;
        let examples = diesel::sql_query(format!("{query} ORDER BY 1 LIMIT {EXAMPLES}"))
            .load(conn)
            .await?;
        checks.push(Check {
            name,
            failures,
            examples,
        });
    }
    let overdue = "SELECT id, 0::BIGINT AS expected, 0::BIGINT AS actual FROM sign_ins \
                   WHERE credited_at IS NULL AND created_at < $1";
    let failures = diesel::sql_query(format!("SELECT count(*) AS n FROM ({overdue}) f"))
        .bind::<Timestamptz, _>(overdue_before)
        .get_result::<Count>(conn)
        .await?
        .n;
    let examples = diesel::sql_query(format!("{overdue} ORDER BY 1 LIMIT {EXAMPLES}"))
        .bind::<Timestamptz, _>(overdue_before)
        .load(conn)
        .await?;
    checks.push(Check {
        name: "sign-in still uncredited past the deadline",
        failures,
        examples,
    });
    Ok(Report {
        wallets,
        ledger_rows,
        sign_ins,
        checks,
    })
}
