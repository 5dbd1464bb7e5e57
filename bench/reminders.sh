#!/usr/bin/env bash
# Issue 28's reminder bench: USERS (100,000) users in one zone (Asia/Tokyo),
# each with a streak at risk (signed yesterday, not today), and one webhook
# endpoint subscribed to streak.at_risk, pointing at hook-receiver on
# loopback (bench/baseline: answers 204 at once), so the messages are
# delivered while the sweep runs, as they would be. Starts
# `signin-rewards serve` with its clock at 20:01 in Tokyo and reports how
# long until every reminder is written and its message queued (a
# webhook_deliveries row, handed to the queue by the after-commit push),
# and until every message is delivered; then the query plan of one page
# of candidates.
#
#   bash bench/reminders.sh            (SKIP_BUILD=1: use the built binaries)
# Knobs: USERS (100000), BENCH_DB (signin_bench_reminders), PORT (18090),
#   HOOK_PORT (18091), NO_ENDPOINT=1: no endpoint (the reminders are
#   written, no message: the sweep alone), LIMIT_SECS (120).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

: "${USERS:=100000}" "${BENCH_DB:=signin_bench_reminders}" "${PORT:=18090}"
check_db_name "$BENCH_DB"
[ "${SKIP_BUILD:-0}" = 1 ] || build_release 1
RECEIVER_BIN="$BENCH_DIR/baseline/target/release/hook-receiver"
: "${HOOK_PORT:=18091}"

# Today in Tokyo is 2026-03-10; 20:01 there is 11:01 UTC.
NOW="2026-03-10T11:01:00Z"
psql_db postgres -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
DATABASE_URL="$PG_SERVER/$BENCH_DB" "$SIGNIN_BIN" migrate >/dev/null
say "seeding $USERS users at risk in Asia/Tokyo"
psql_db "$BENCH_DB" <<SQL
SET synchronous_commit = off;
-- The data's month gets its partitions first, as a live install's upkeep
-- makes them ahead (pg_partman made only the real clock's months at migrate).
SET TIME ZONE 'UTC';
SELECT partman.create_partition_time(parent, ARRAY['2026-03-01'::timestamptz], p_analyze := false)
  FROM unnest(ARRAY['public.sign_ins', 'public.wallet_transactions']) AS parent;
SELECT guard_history_partitions();
INSERT INTO reward_schedules (rewards, effective_from, note, created_at)
  VALUES ('{10,10,20,20,30,30,100}', '1970-01-01', 'SIGNIN_REWARDS', now());
INSERT INTO users (id, username, password_hash, created_at, time_zone, registered_on)
  OVERRIDING SYSTEM VALUE
  SELECT i, 'tokyo' || i, 'x', '2026-03-01T00:00:00Z', 'Asia/Tokyo', '2026-03-01'
    FROM generate_series(1, $USERS) i;
SELECT setval(pg_get_serial_sequence('users', 'id'), $USERS);
INSERT INTO wallets (user_id, balance, updated_at) SELECT id, 0, now() FROM users;
INSERT INTO sign_ins (user_id, day, cycle_day, streak, reward, created_at, credited_at, schedule_id)
  SELECT id, '2026-03-09', 1, 1, 10, '2026-03-09T03:00:00Z', '2026-03-09T03:00:01Z',
         (SELECT id FROM reward_schedules LIMIT 1) FROM users;
VACUUM ANALYZE;
SQL
if [ "${NO_ENDPOINT:-0}" != 1 ]; then
  psql_db "$BENCH_DB" -c "INSERT INTO webhook_endpoints (url, events, description, created_at)
    VALUES ('http://127.0.0.1:$HOOK_PORT/reminders', '{STREAK_AT_RISK}', 'bench', now())" \
    -c "INSERT INTO webhook_secrets (endpoint_id, secret, created_at)
    SELECT id, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', now() FROM webhook_endpoints"
fi
table=webhook_deliveries; [ "${NO_ENDPOINT:-0}" = 1 ] && table=streak_reminders

say "starting serve at $NOW (20:01 in Tokyo)"
start=$(date +%s.%N)
DATABASE_URL="$PG_SERVER/$BENCH_DB" REDIS_URL="$REDIS_URL" SIGNIN_REDIS_NAMESPACE="$BENCH_DB" \
  SIGNIN_BIND="127.0.0.1:$PORT" SIGNIN_NOW="$NOW" SIGNIN_JWT_SECRET="$BENCH_JWT_SECRET" \
  "$SIGNIN_BIN" serve </dev/null >"$OUT_DIR/reminders-serve.log" 2>&1 &
pid=$!
receiver=""
if [ "${NO_ENDPOINT:-0}" != 1 ]; then
  "$RECEIVER_BIN" "127.0.0.1:$HOOK_PORT" >"$OUT_DIR/reminders-receiver.log" 2>&1 &
  receiver=$!
fi
trap 'kill $pid $receiver 2>/dev/null || true' EXIT
# The sweep's end is read from serve's log (it logs "streak reminders
# written" once every page is committed), not by counting rows meanwhile: a
# count(*) of the growing table every 0.2 s took about 3 s of PostgreSQL's
# CPU during a run (pg_stat_statements), on the same two cores as the sweep.
# The count is checked once the line is there; a sweep that failed part way
# (the next one comes a minute later) is waited for by counting, once a
# second.
while :; do
  if grep -q "streak reminders written" "$OUT_DIR/reminders-serve.log"; then
    n=$(psql_db "$BENCH_DB" -Atc "SELECT count(*) FROM $table")
    [ "$n" -ge "$USERS" ] && break
    sleep 1
  else
    sleep 0.05
  fi
  if [ "$(echo "$(date +%s.%N) - $start > ${LIMIT_SECS:-120}" | bc)" = 1 ]; then
    say "only $(psql_db "$BENCH_DB" -Atc "SELECT count(*) FROM $table") of $USERS in $table after ${LIMIT_SECS:-120} s"; break
  fi
done
took=$(echo "$(date +%s.%N) - $start" | bc)
delivered_in=""
if [ "${NO_ENDPOINT:-0}" != 1 ]; then
  while [ "$(psql_db "$BENCH_DB" -Atc "SELECT count(*) FROM webhook_deliveries WHERE status = 'DELIVERED'")" -lt "$USERS" ]; do
    sleep 0.5
    if [ "$(echo "$(date +%s.%N) - $start > ${LIMIT_SECS:-120}" | bc)" = 1 ]; then break; fi
  done
  delivered_in=$(echo "$(date +%s.%N) - $start" | bc)
fi
reminders=$(psql_db "$BENCH_DB" -Atc "SELECT count(*) FROM streak_reminders")
first=$(psql_db "$BENCH_DB" -Atc "SELECT min(created_at) FROM webhook_deliveries")
last=$(psql_db "$BENCH_DB" -Atc "SELECT max(created_at) FROM webhook_deliveries")
delivered=$(psql_db "$BENCH_DB" -Atc "SELECT count(*) FROM webhook_deliveries WHERE status = 'DELIVERED'")
say "$reminders reminders written and their messages queued $took s after serve started; $delivered messages delivered ${delivered_in:+$delivered_in s after serve started}"
kill $pid $receiver 2>/dev/null; wait $pid 2>/dev/null || true
# The plan of the middle page as the sweep met it (reminders written for the
# first half only; rolled back), with the service's query text.
psql_db "$BENCH_DB" <<'SQL'
BEGIN;
DELETE FROM streak_reminders WHERE user_id > 50000;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT s.user_id FROM sign_ins s
  JOIN users u ON u.id = s.user_id AND u.id > 50000
              AND u.deleted_at IS NULL AND u.time_zone = 'Asia/Tokyo'
 WHERE s.day = '2026-03-09' AND s.user_id > 50000
   AND NOT EXISTS (SELECT 1 FROM sign_ins t
                    WHERE t.user_id = s.user_id AND t.day > '2026-03-09' AND t.day <= '2026-03-10' OFFSET 0)
   AND NOT EXISTS (SELECT 1 FROM streak_reminders r
                    WHERE r.user_id = s.user_id AND r.kind = 'STREAK_AT_RISK'
                      AND r.day = '2026-03-10' OFFSET 0)
 ORDER BY s.user_id LIMIT 1000;
ROLLBACK;
SQL
