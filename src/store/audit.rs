//! Read-only consistency checks over the money tables (`signin-rewards audit`).
//!
//! With months archived (`store::history`), the checks read the kept
//! months and the archived sums: a wallet's balance is its archived total
//! plus its kept rows, and its freezes count the archived ones bought.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::StoreError;

/// Examples kept per kind of problem.
const EXAMPLES: i64 = 20;

/// One `count(*) AS n` (or any bigint named `n`).
#[derive(Debug, QueryableByName)]
pub(super) struct Count {
    #[diesel(sql_type = BigInt)]
    pub(super) n: i64,
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
        "SELECT w.user_id AS id, (coalesce(a.amount, 0) + coalesce(l.total, 0))::BIGINT AS expected, \
                w.balance AS actual \
         FROM wallets w LEFT JOIN archived_ledger_totals a USING (user_id) \
         LEFT JOIN (SELECT user_id, sum(amount) AS total FROM wallet_transactions GROUP BY user_id) l \
         USING (user_id) WHERE w.balance <> coalesce(a.amount, 0) + coalesce(l.total, 0)",
    ),
    (
        "ledger row's balance_after differs from the running sum",
        "SELECT id, running::BIGINT AS expected, balance_after AS actual FROM ( \
           SELECT t.id, t.balance_after, \
                  coalesce(a.amount, 0) + sum(t.amount) OVER (PARTITION BY t.user_id ORDER BY t.id) AS running \
           FROM wallet_transactions t LEFT JOIN archived_ledger_totals a USING (user_id)) t \
         WHERE balance_after <> running",
    ),
    (
        "credited sign-in without a matching reward row",
        "SELECT s.id, s.reward AS expected, coalesce(t.amount, -1) AS actual FROM sign_ins s \
         LEFT JOIN wallet_transactions t ON t.sign_in_id = s.id AND t.kind = 'SIGN_IN_REWARD' \
         WHERE s.credited_at IS NOT NULL AND NOT s.made_up \
           AND (t.id IS NULL OR t.amount <> s.reward OR t.user_id <> s.user_id)",
    ),
    (
        "credited sign-in's milestone bonus without a matching bonus row",
        "SELECT s.id, s.milestone_bonus AS expected, coalesce(t.amount, -1) AS actual FROM sign_ins s \
         LEFT JOIN wallet_transactions t ON t.sign_in_id = s.id AND t.kind = 'MILESTONE_BONUS' \
         WHERE s.credited_at IS NOT NULL AND s.milestone_bonus IS NOT NULL \
           AND (t.id IS NULL OR t.amount <> s.milestone_bonus OR t.user_id <> s.user_id)",
    ),
    (
        "milestone bonus row for a sign-in that earned none",
        "SELECT t.id, 0::BIGINT AS expected, t.amount AS actual FROM wallet_transactions t \
         JOIN sign_ins s ON s.id = t.sign_in_id \
         WHERE t.kind = 'MILESTONE_BONUS' AND s.milestone_bonus IS NULL",
    ),
    (
        "reward or bonus row for a sign-in not marked credited",
        "SELECT s.id, 0::BIGINT AS expected, t.id AS actual FROM sign_ins s \
         JOIN wallet_transactions t ON t.sign_in_id = s.id \
         WHERE s.credited_at IS NULL AND t.kind IN ('SIGN_IN_REWARD', 'MILESTONE_BONUS')",
    ),
    (
        "made-up date without its fee row",
        "SELECT s.id, 1::BIGINT AS expected, count(t.id) AS actual FROM sign_ins s \
         LEFT JOIN wallet_transactions t ON t.sign_in_id = s.id AND t.kind = 'MAKE_UP_FEE' \
         WHERE s.made_up GROUP BY s.id HAVING count(t.id) <> 1",
    ),
    (
        "make-up fee that is a credit, or not for a made-up date of its user",
        "SELECT t.id, 0::BIGINT AS expected, t.amount AS actual FROM wallet_transactions t \
         JOIN sign_ins s ON s.id = t.sign_in_id \
         WHERE t.kind = 'MAKE_UP_FEE' \
           AND (t.amount > 0 OR NOT s.made_up OR s.user_id <> t.user_id)",
    ),
    (
        // No foreign key holds these (a partitioned `sign_ins` could never
        // detach a month), so the audit does, for every row written after
        // sign-ins were last archived (an older row's sign-in may have
        // gone with its month; a newer one's cannot, see the view).
        "ledger row for a sign-in of another user or none",
        "SELECT t.id, t.sign_in_id AS expected, 0::BIGINT AS actual FROM wallet_transactions t \
         WHERE t.sign_in_id IS NOT NULL \
           AND t.created_at > (SELECT sign_ins_archived_at FROM history_kept_from) \
           AND NOT EXISTS (SELECT 1 FROM sign_ins s WHERE s.id = t.sign_in_id AND s.user_id = t.user_id)",
    ),
    (
        // The sign-in that used the freeze comes after the frozen date,
        // so it is kept whenever the date is.
        "frozen date without the sign-in that used the freeze",
        "SELECT f.user_id AS id, f.sign_in_id AS expected, 0::BIGINT AS actual FROM frozen_days f \
         WHERE f.day >= (SELECT sign_ins FROM history_kept_from) \
           AND NOT EXISTS (SELECT 1 FROM sign_ins s \
                            WHERE s.id = f.sign_in_id AND s.user_id = f.user_id)",
    ),
    (
        "streak freeze bought for a credit",
        "SELECT t.id, 0::BIGINT AS expected, t.amount AS actual FROM wallet_transactions t \
         WHERE t.kind = 'STREAK_FREEZE' AND t.amount > 0",
    ),
    (
        "freezes held differ from freezes bought minus freezes used",
        "SELECT w.user_id AS id, (coalesce(a.freezes_bought, 0) + coalesce(b.n, 0) - coalesce(u.n, 0))::BIGINT \
                AS expected, w.freezes_held::BIGINT AS actual FROM wallets w \
         LEFT JOIN archived_ledger_totals a USING (user_id) \
         LEFT JOIN (SELECT user_id, count(*) AS n FROM wallet_transactions \
                     WHERE kind = 'STREAK_FREEZE' GROUP BY user_id) b USING (user_id) \
         LEFT JOIN (SELECT user_id, count(*) AS n FROM frozen_days GROUP BY user_id) u USING (user_id) \
         WHERE w.freezes_held <> coalesce(a.freezes_bought, 0) + coalesce(b.n, 0) - coalesce(u.n, 0)",
    ),
    (
        "date both signed and frozen",
        "SELECT s.id, 0::BIGINT AS expected, s.user_id AS actual FROM sign_ins s \
         JOIN frozen_days f ON f.user_id = s.user_id AND f.day = s.day",
    ),
    (
        "date both jumped (a change of time zone) and signed or frozen",
        "SELECT c.id, 0::BIGINT AS expected, c.user_id AS actual FROM time_zone_changes c \
         WHERE EXISTS (SELECT 1 FROM sign_ins s WHERE s.user_id = c.user_id AND s.day = c.jumped_date) \
            OR EXISTS (SELECT 1 FROM frozen_days f WHERE f.user_id = c.user_id AND f.day = c.jumped_date)",
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
