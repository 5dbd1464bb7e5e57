#!/usr/bin/env bash
# Counts the Redis work of signIn and of an idle `serve`, on a Redis server of
# its own (so nothing else's commands are counted), and how long a sign-in
# waits to be credited.
#
#   bash bench/redis_count.sh
#
# What it does: starts `redis-server --port $COUNT_REDIS_PORT` (6390), starts
# the service on a small bench database, then
#   1. idle: INFO commandstats before and after IDLE_SECS (10) of nothing;
#   2. for each concurrency in COUNT_CONNS ("1 16"): a fresh day, DURATION (5) s
#      of signIn through wrk (each token once), waits until every sign-in of
#      the day is credited, and reports Redis commands per sign-in (the idle
#      rate over the same time subtracted), broken down by command, and the
#      credit delay per sign-in (credited_at - created_at: p50, p99, max);
# then stops both. Prints one JSON line per step ("REDISCOUNT {...}").
# Knobs: COUNT_DB (signin_bench_redis), USERS (20000), DAYS (3), SIGNIN_BIN,
#   COUNT_REDIS_PORT (6390), PORT (18085), IDLE_SECS (10), DURATION (5),
#   COUNT_CONNS ("1 16"), POOL (8), REUSE_DATA=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

DB="${COUNT_DB:-signin_bench_redis}"
: "${USERS:=20000}" "${DAYS:=3}" "${COUNT_REDIS_PORT:=6390}" "${PORT:=18085}" "${IDLE_SECS:=10}"
: "${DURATION:=5}" "${COUNT_CONNS:=1 16}" "${POOL:=8}" "${REUSE_DATA:=0}" "${BENCH_TODAY:=2026-01-15}"
check_db_name "$DB"
RURL="redis://127.0.0.1:$COUNT_REDIS_PORT"
NS=count
TMP="$(mktemp -d /tmp/signin-redis-count.XXXXXX)"
REDIS_PID="" SERVICE_PID=""
cleanup() {
  set +e
  [ -n "$SERVICE_PID" ] && { kill -TERM "$SERVICE_PID"; wait "$SERVICE_PID"; }
  [ -n "$REDIS_PID" ] && { kill -TERM "$REDIS_PID"; wait "$REDIS_PID"; }
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free "$COUNT_REDIS_PORT" || die "port $COUNT_REDIS_PORT is in use (set COUNT_REDIS_PORT)"
port_free "$PORT" || die "port $PORT is in use (set PORT)"
redis-server --port "$COUNT_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --logfile "$OUT_DIR/redis-count.log" &
REDIS_PID=$!
for _ in $(seq 1 50); do redis-cli -u "$RURL" ping >/dev/null 2>&1 && break; sleep 0.1; done

envf="$OUT_DIR/gen-$DB.env"
if [ "$REUSE_DATA" = 1 ] && [ -f "$envf" ] && grep -qx "GEN_USERS=$USERS" "$envf" \
   && psql_db postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  say "data: reusing $DB"
else
  BENCH_DB="$DB" USERS="$USERS" DAYS="$DAYS" BENCH_TODAY="$BENCH_TODAY" REDIS_URL="$RURL" \
    bash "$BENCH_DIR/gen_data.sh"
fi
FIRST_DAY="$(date -u -d "$BENCH_TODAY - $DAYS days" +%F)"
IAT="$(date -u -d "$FIRST_DAY - 1 day" +%s)"
TOKENS="$OUT_DIR/tokens-$USERS.txt"
python3 "$BENCH_DIR/lib/tokens.py" users --secret "$BENCH_JWT_SECRET" --users "$USERS" --iat "$IAT" --out "$TOKENS"
BODY="$TMP/signin.jsonl"
echo '{"query":"mutation { signIn { record { cycleDay streak reward } } }"}' >"$BODY"

stats() { redis-cli -u "$RURL" info commandstats; }
start_service() { # day
  redis-cli -u "$RURL" flushall >/dev/null
  (cd "$TMP" && exec env -i PATH="$PATH" HOME="$HOME" \
      DATABASE_URL="$PG_SERVER/$DB" REDIS_URL="$RURL" SIGNIN_BIND="127.0.0.1:$PORT" \
      SIGNIN_ENV=development SIGNIN_JWT_SECRET="$BENCH_JWT_SECRET" SIGNIN_NOW="${1}T12:00:00Z" \
      SIGNIN_REDIS_NAMESPACE="$NS" SIGNIN_DB_POOL_SIZE="$POOL" SIGNIN_TIMEZONE=UTC \
      SIGNIN_REWARDS=10,10,20,20,30,30,100 SIGNIN_LOG_FORMAT=json RUST_LOG=warn \
      "$SIGNIN_BIN" serve) >>"$OUT_DIR/redis-count-service.log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVICE_PID" 2>/dev/null || die "service exited at start (see $OUT_DIR/redis-count-service.log)"
    sleep 0.2
  done
  die "service not ready"
}
stop_service() { kill -TERM "$SERVICE_PID"; wait "$SERVICE_PID" || true; SERVICE_PID=""; }
next_day() { psql_db "$DB" -Atc "SELECT max(day) + 1 FROM sign_ins"; }

# delta: before-stats after-stats divisor idle-cmds-to-subtract label extra-json
delta() {
  python3 - "$@" <<'PY'
import json, re, sys
before, after, n, idle, label, extra = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], json.loads(sys.argv[6])
calls = lambda t: {k: int(v) for k, v in re.findall(r"cmdstat_([\w|]+):calls=(\d+)", t)}
a, b = calls(before), calls(after)
d = {k: b[k] - a.get(k, 0) for k in b if k not in ("info", "flushall", "ping|x") and b[k] - a.get(k, 0) > 0}
total = sum(d.values())
out = {"step": label, "commands": total, "idle_subtracted": round(idle, 1),
       "per_unit_raw": round(total / n, 2),
       "per_unit": round((total - idle) / n, 2),
       "by_command": {k: round(v / n, 2) for k, v in sorted(d.items(), key=lambda kv: -kv[1])}}
out.update(extra)
print("REDISCOUNT " + json.dumps(out))
PY
}

day="$(next_day)"
start_service "$day"
sleep 2  # start-up work (worker registration, subscription) is not idle polling
s0="$(stats)"; t0=$(date +%s.%N)
sleep "$IDLE_SECS"
s1="$(stats)"; t1=$(date +%s.%N)
idle_secs="$(echo "$t1 - $t0" | bc)"
line="$(delta "$s0" "$s1" "$idle_secs" 0 idle "{\"seconds\": $idle_secs}")"
echo "$line"
IDLE_RATE="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1].split(" ",1)[1])["per_unit"])' "$line")"
stop_service

for conns in $COUNT_CONNS; do
  day="$(next_day)"
  start_service "$day"
  sleep 2
  s0="$(stats)"; t0=$(date +%s.%N)
  out="$(wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 30s -s "$BENCH_DIR/wrk/graphql.lua" \
        "http://127.0.0.1:$PORT/graphql" -- "bodies=$BODY" "tokens=$TOKENS" threads=1 mode=seq)"
  for _ in $(seq 1 300); do
    n="$(psql_db "$DB" -Atc "SELECT count(*) FROM sign_ins WHERE credited_at IS NULL AND day = '$day'")"
    [ "$n" = 0 ] && break; sleep 0.1
  done
  s1="$(stats)"; t1=$(date +%s.%N)
  read -r count p50 p99 pmax < <(psql_db "$DB" -At -F ' ' -c "
    SELECT count(*),
           round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM credited_at - created_at))::numeric, 1),
           round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM credited_at - created_at))::numeric, 1),
           round(1000 * max(extract(epoch FROM credited_at - created_at))::numeric, 1)
      FROM sign_ins WHERE day = '$day'")
  rps="$(grep '^BENCHJSON ' <<<"$out" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ",1)[1])["rps"])')"
  idle="$(echo "$IDLE_RATE * ($t1 - $t0)" | bc)"
  delta "$s0" "$s1" "$count" "$idle" "signin-$conns-conns" \
    "{\"sign_ins\": $count, \"rps\": $rps, \"credit_ms_p50\": $p50, \"credit_ms_p99\": $p99, \"credit_ms_max\": $pmax, \"uncredited\": $n}"
  stop_service
done
