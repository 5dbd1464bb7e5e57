-- Bulk fill of a freshly migrated signin-rewards database (run by gen_data.sh).
-- psql variables: users, days, first_day (first history date), seed.
-- Everything is set-based (generate_series + window functions); no row-by-row
-- round trips. The rows obey the product's rules:
--   sign_ins: per user, runs of consecutive days; streak = position in the run,
--             cycle_day = (streak-1) % 7 + 1, reward = 10,10,20,20,30,30,100[cycle_day],
--             credited (credited_at set);
--   wallet_transactions: one SIGN_IN_REWARD row per sign-in, balance_after the
--             running sum; wallets.balance = the sum of the user's rows.
\set ON_ERROR_STOP on
\timing on

-- The data is consistent by construction, so foreign-key triggers are skipped
-- for this session (replica role); CHECK and unique constraints still apply.
SET session_replication_role = replica;
SET synchronous_commit = off;
SET work_mem = '512MB';
SET maintenance_work_mem = '1GB';
SELECT setseed(:seed);

\echo users
INSERT INTO users (id, username, password_hash, role, token_version, created_at,
                   time_zone, registered_on)
OVERRIDING SYSTEM VALUE
SELECT i,
       'user' || lpad(i::text, greatest(6, length(:users::text)), '0'),
       (SELECT password_hash FROM users WHERE username = 'benchadmin'),
       'USER', 0,
       (:'first_day'::date - 1)::timestamp AT TIME ZONE 'UTC',
       'UTC', :'first_day'::date - 1
FROM generate_series(1, :users) AS i;

-- Each user's days are alternating blocks of OFF days (1..10, mean 5.5) and
-- ON days (1..13, mean 7): ~7/12.5 = 56% of days are sign-ins, in runs, so
-- streaks run up to 13 (cycles wrap past day 7). The first block starts ON
-- with probability 0.56, so even a 1- or 2-day history is ~56% sign-ins.
-- The first reward schedule (SIGNIN_REWARDS's default table, which the
-- rewards below follow), unless the service already wrote it; every
-- generated sign-in names it.
\echo reward_schedules
INSERT INTO reward_schedules (rewards, effective_from, note, created_at)
SELECT ARRAY[10, 10, 20, 20, 30, 30, 100], DATE '1970-01-01', 'SIGNIN_REWARDS', now()
WHERE NOT EXISTS (SELECT 1 FROM reward_schedules WHERE created_by IS NULL AND cancelled_at IS NULL);

-- On the partitioned schema, the history's months get their partitions
-- first (pg_partman made only this month's and the next four at migrate).
SELECT to_regclass('public.wallet_transaction_sign_in_keys') IS NOT NULL AS partitioned \gset
\if :partitioned
\echo partitions
SET TIME ZONE 'UTC';
SELECT partman.create_partition_time(parent, ARRAY(
           SELECT generate_series(date_trunc('month', :'first_day'::date),
                                  :'first_day'::date + :days, interval '1 month')::timestamptz),
           p_analyze := false)
  FROM unnest(ARRAY['public.sign_ins', 'public.wallet_transactions']) AS parent;
SELECT guard_history_partitions();
\endif

\echo sign_ins
INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, enqueued_at, credited_at,
                      schedule_id)
SELECT r.user_id,
       r.day,
       (r.k % 7) + 1,
       r.k + 1,
       (ARRAY[10, 10, 20, 20, 30, 30, 100])[(r.k % 7) + 1],
       r.at, r.at, r.at + interval '2 seconds',
       (SELECT min(id) FROM reward_schedules WHERE created_by IS NULL AND cancelled_at IS NULL)
FROM (
    SELECT b.user_id,
           :'first_day'::date + b.on_start + k AS day,
           k,
           (:'first_day'::date + b.on_start + k)::timestamp AT TIME ZONE 'UTC'
               + interval '7 hours' + random() * interval '14 hours' AS at
    FROM (
        SELECT user_id, on_len,
               (sum(off_len + on_len) OVER (PARTITION BY user_id ORDER BY blk) - on_len)::int
                   AS on_start
        FROM (
            SELECT u AS user_id, blk,
                   CASE WHEN blk = 0 AND random() < 0.56 THEN 0
                        ELSE 1 + floor(random() * 10)::int END AS off_len,
                   1 + floor(random() * 13)::int AS on_len
            FROM generate_series(1, :users) AS u,
                 generate_series(0, :days / 4 + 8) AS blk
        ) AS blocks
    ) AS b
    CROSS JOIN LATERAL generate_series(0, b.on_len - 1) AS k
    WHERE b.on_start < :days AND b.on_start + k < :days
) AS r;

\echo wallets
INSERT INTO wallets (user_id, balance, updated_at)
SELECT u.id, coalesce(s.total, 0), (:'first_day'::date + :days)::timestamp AT TIME ZONE 'UTC'
FROM users AS u
LEFT JOIN (SELECT user_id, sum(reward) AS total FROM sign_ins GROUP BY user_id) AS s
       ON s.user_id = u.id
WHERE u.id <= :users;

\echo wallet_transactions
INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, sign_in_id, created_at)
SELECT user_id, reward, 'SIGN_IN_REWARD',
       sum(reward) OVER (PARTITION BY user_id ORDER BY day),
       id, credited_at
FROM sign_ins;

-- The replica role skipped the ledger's insert trigger: its credit keys
-- are written here, as the trigger would have.
\if :partitioned
\echo wallet_transaction_sign_in_keys
INSERT INTO wallet_transaction_sign_in_keys (sign_in_id, kind, entry_id, entry_created_at)
SELECT sign_in_id, kind, id, created_at FROM wallet_transactions;
\endif

RESET session_replication_role;
\echo vacuum analyze
VACUUM (ANALYZE) users, wallets, sign_ins, wallet_transactions;
\if :partitioned
VACUUM (ANALYZE) wallet_transaction_sign_in_keys;
\endif
CHECKPOINT;
