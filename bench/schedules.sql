-- For the reward schedules' A/B (issue: signIn and the warm status read with 10
-- schedules and 3 campaigns published, within 5 % of the same run with one):
-- run on a bench database after gen_data, before starting the service:
--   psql "$PG_SERVER/$BENCH_DB" -v ON_ERROR_STOP=1 -f bench/schedules.sql
-- Every table pays the default rewards, so only the schedule lookups differ.
-- Nine more base schedules (monthly, before the data's last day) and three
-- campaigns: two in the past, one over the bench's days (the next year).
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO reward_schedules (rewards, effective_from, note, created_at)
SELECT ARRAY[10, 10, 20, 20, 30, 30, 100], DATE '1970-01-01', 'SIGNIN_REWARDS', now()
WHERE NOT EXISTS (SELECT 1 FROM reward_schedules WHERE created_by IS NULL AND cancelled_at IS NULL);

WITH last AS (SELECT coalesce(max(day), current_date) AS day FROM sign_ins),
     admin AS (SELECT min(id) AS id FROM users WHERE role = 'ADMIN')
INSERT INTO reward_schedules (rewards, effective_from, effective_to, note, created_at, created_by)
SELECT ARRAY[10, 10, 20, 20, 30, 30, 100], last.day - 30 * g, NULL, 'bench base ' || g, now(), admin.id
FROM last, admin, generate_series(1, 9) AS g
UNION ALL
SELECT ARRAY[10, 10, 20, 20, 30, 30, 100], last.day + f, last.day + t, 'bench campaign ' || f, now(), admin.id
FROM last, admin, (VALUES (-100, -95), (-50, -45), (1, 365)) AS c(f, t);
COMMIT;

SELECT count(*) FILTER (WHERE effective_to IS NULL) AS bases,
       count(*) FILTER (WHERE effective_to IS NOT NULL) AS campaigns
FROM reward_schedules WHERE cancelled_at IS NULL;
