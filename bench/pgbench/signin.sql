-- pgbench baseline of scenario a: the SQL of one `signIn` request as the
-- service runs it (src/service/sign_in.rs, src/store/chain.rs; checked with
-- log_statement = 'all', see docs/performance.md), followed by the reward
-- worker's credit transaction (src/service/wallet.rs credit_sign_ins), which
-- the service runs once per queued batch of sign-ins; here it credits this
-- one sign-in, so pgbench does at least the SQL work per sign-in the service
-- does.
-- Variables: -D today=YYYY-MM-DD -D nusers=N. Users are taken once each per
-- run from the sequence bench_uid_seq, spread over 1..nusers by a fixed
-- permutation (n * 48271 mod nusers), as the service bench uses shuffled users.
-- What this does not do, and the service does: HTTP, GraphQL, JWT check,
-- the streak rule in Rust, the apalis job push + fetch + ack and the event
-- PUBLISH in Redis.

-- 1. the request: the token's user (by id; the service reads it once per
--    user and then keeps it, and each user signs in once per run)
SELECT u.id AS uid, u.username, u.password_hash, u.role, u.token_version, u.created_at, u.deleted_at,
       u.time_zone, u.registered_on, u.time_zone_changed_at
  FROM (SELECT (nextval('bench_uid_seq') * 48271) % :nusers + 1 AS n) AS s
  JOIN users AS u ON u.id = s.n
 LIMIT 1
\gset
BEGIN;
-- the wallet lock that serializes every change to one user's chain
SELECT user_id FROM wallets WHERE user_id = :uid LIMIT 1 FOR UPDATE;
-- the recent chain (store::streak::load_many, one user: the function
-- signin_chains of migrations/2026-12-08-000001_user_time_zones and
-- 2026-12-12-000001_bounded_chain_reads, as the
-- service calls it: bounds from the UTC date, today + 2 and the make-up
-- window a day earlier); the service then settles the user's today and the
-- next position in Rust from these arrays: here the last three columns do
-- it in SQL from the same arrays (the latest signed date; the bench's data
-- has no freezes, make-ups or zone changes), so no statement is added
WITH chain AS (
 SELECT user_id, balance, freezes_held, registered_on, time_zone, made_up_at, days, frozen,
        made_up, cycle_days, streaks, jumped, last_day, last_reward
   FROM signin_chains(ARRAY[:uid]::int8[], :today::date + 2, :today::date - 8,
                      :today::date - interval '32 days'))
SELECT c.user_id, c.balance AS wallet_balance, c.freezes_held, c.registered_on, c.time_zone,
       c.made_up_at, c.days, c.frozen, c.made_up, c.cycle_days, c.streaks, c.jumped,
       c.last_day, c.last_reward,
       coalesce((l.day = :today::date - 1)::int, 0) AS consec,
       coalesce(l.cd, 0) AS pcd, coalesce(l.st, 0) AS pst
  FROM chain c
  LEFT JOIN LATERAL (
       SELECT t.day, t.cd, t.st FROM unnest(c.days, c.cycle_days, c.streaks, c.frozen) AS t(day, cd, st, fr)
        WHERE NOT t.fr ORDER BY t.day DESC LIMIT 1) AS l ON true
\gset
\if :consec = 1
\set ncd :pcd % 7 + 1
\set nst :pst + 1
\else
\set ncd 1
\set nst 1
\endif
\set reward case when :ncd <= 2 then 10 when :ncd <= 4 then 20 when :ncd <= 6 then 30 else 100 end
INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, made_up, milestone_bonus, credited_at, schedule_id)
VALUES (:uid, :today, :ncd, :nst, :reward, now(), false, NULL, NULL,
        (SELECT min(id) FROM reward_schedules WHERE created_by IS NULL AND cancelled_at IS NULL))
ON CONFLICT (user_id, day) DO NOTHING
RETURNING id AS sid, user_id AS s_user_id, day AS s_day, cycle_day AS s_cycle_day,
          streak AS s_streak, reward AS s_reward, created_at AS s_created_at, credited_at AS s_credited_at
\gset
COMMIT;

-- 2. the worker's credit transaction (for a batch of one; the job carries
--    its sign-ins' dates, which bound the lookups by id)
BEGIN;
SELECT id, user_id, day, cycle_day, streak, reward, created_at, credited_at, made_up, milestone_bonus
  FROM sign_ins WHERE id = ANY(ARRAY[:sid]::int8[]) AND day BETWEEN :s_day::date AND :s_day::date
 ORDER BY id FOR UPDATE;
SELECT user_id, balance FROM wallets WHERE user_id = ANY(ARRAY[:uid]::int8[]) ORDER BY user_id FOR UPDATE
\gset
\set newbal :balance + :reward
UPDATE wallets AS w SET balance = v.balance, updated_at = now()
  FROM unnest(ARRAY[:uid]::int8[], ARRAY[:newbal]::int8[]) AS v(user_id, balance)
 WHERE w.user_id = v.user_id;
INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, note, idempotency_key, sign_in_id, created_at)
VALUES (:uid, :reward, 'SIGN_IN_REWARD', :newbal, NULL, NULL, :sid, now())
RETURNING id, user_id, amount, kind, balance_after, note, idempotency_key, sign_in_id, created_at;
UPDATE sign_ins SET credited_at = now()
 WHERE id = ANY(ARRAY[:sid]::int8[]) AND day BETWEEN :s_day::date AND :s_day::date;
COMMIT;
