-- pgbench baseline of scenario a: the SQL of one `signIn` request as the
-- service runs it (captured with log_statement = 'all'; see results), followed
-- by the reward worker's credit transaction for that sign-in, which the
-- service also runs once per sign-in (in its worker, after the request).
-- Variables: -D today=YYYY-MM-DD -D nusers=N. Users are taken once each per
-- run from the sequence bench_uid_seq, spread over 1..nusers by a fixed
-- permutation (n * 48271 mod nusers), as the service bench uses shuffled users.
-- What this does not do, and the service does: HTTP, GraphQL, JWT check,
-- the apalis job push + fetch + ack and the event PUBLISH in Redis.

-- 1. the request: token's user (by id), latest sign-in on or before today, insert
SELECT u.id AS uid, u.username, u.role, u.token_version, u.created_at
  FROM (SELECT (nextval('bench_uid_seq') * 48271) % :nusers + 1 AS n) AS s
  JOIN users AS u ON u.id = s.n
 LIMIT 1
\gset
SELECT coalesce((l.day = :today::date - 1)::int, 0) AS consec,
       coalesce(l.cycle_day, 0) AS pcd, coalesce(l.streak, 0) AS pst
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (
       SELECT id, user_id, day, cycle_day, streak, reward, created_at, credited_at
         FROM sign_ins WHERE user_id = :uid AND day <= :today
        ORDER BY day DESC LIMIT 1) AS l ON true
\gset
\if :consec = 1
\set ncd :pcd % 7 + 1
\set nst :pst + 1
\else
\set ncd 1
\set nst 1
\endif
\set reward case when :ncd <= 2 then 10 when :ncd <= 4 then 20 when :ncd <= 6 then 30 else 100 end
INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, schedule_id)
VALUES (:uid, :today, :ncd, :nst, :reward, now(),
        (SELECT min(id) FROM reward_schedules WHERE created_by IS NULL AND cancelled_at IS NULL))
ON CONFLICT (user_id, day) DO NOTHING
RETURNING id AS sid, user_id AS s_user_id, day AS s_day, cycle_day AS s_cycle_day,
          streak AS s_streak, reward AS s_reward, created_at AS s_created_at, credited_at AS s_credited_at
\gset

-- 2. the worker's credit transaction
BEGIN;
SELECT id, user_id, day, cycle_day, streak, reward, created_at, credited_at
  FROM sign_ins WHERE id = :sid LIMIT 1 FOR UPDATE;
SELECT balance FROM wallets WHERE user_id = :uid LIMIT 1 FOR UPDATE
\gset
\set newbal :balance + :reward
UPDATE wallets SET balance = :newbal, updated_at = now() WHERE user_id = :uid;
INSERT INTO wallet_transactions (user_id, amount, kind, balance_after, note, idempotency_key, sign_in_id, created_at)
VALUES (:uid, :reward, 'SIGN_IN_REWARD', :newbal, NULL, NULL, :sid, now())
RETURNING id, user_id, amount, kind, balance_after, note, idempotency_key, sign_in_id, created_at;
UPDATE sign_ins SET credited_at = now() WHERE id = :sid;
COMMIT;
