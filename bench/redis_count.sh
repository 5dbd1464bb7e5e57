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
# then stops both. Prints one JSON line per step and run ("REDISCOUNT {...}").
#
# With RUNS=N (default 1): N idle windows of IDLE_SECS back to back (one
# service start), then N rounds of the sign-in steps (each on a fresh day,
# service restarted); the idle rate subtracted is the median of the idle
# windows; at the end one "REDISCOUNT_MEDIAN {...}" line per step with the
# medians over its runs (bench/lib/redis_medians.py).
#
# Besides commands (INFO commandstats; commands run inside a script count
# one by one), each line has Redis's read events (total_reads_processed, the
# counting's own two subtracted): "reads" / "reads_per_unit". A read event
# is one request (a command, or a pipeline, or a script call) arriving from a
# client, so at one connection it is the round trips; under concurrency the
# commands of requests sharing a multiplexed connection can arrive in one
# read, so it is a lower bound on the round trips.
# Knobs: COUNT_DB (signin_bench_redis), USERS (20000), DAYS (3), SIGNIN_BIN,
#   COUNT_REDIS_PORT (6390), PORT (18085), IDLE_SECS (10), DURATION (5),
#   COUNT_CONNS ("1 16"), POOL (8), REUSE_DATA=1, RUNS (1).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

DB="${COUNT_DB:-signin_bench_redis}"
: "${USERS:=20000}" "${DAYS:=3}" "${COUNT_REDIS_PORT:=6390}" "${PORT:=18085}" "${IDLE_SECS:=10}"
: "${DURATION:=5}" "${COUNT_CONNS:=1 16}" "${POOL:=8}" "${REUSE_DATA:=0}" "${BENCH_TODAY:=2026-01-15}"
: "${RUNS:=1}"
check_db_name "$DB"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
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
   && grep -qx "GEN_DAYS=$DAYS" "$envf" \
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

# One INFO call for both sections: its own read and the previous call's
# connection close are the counting's two read events.
stats() { redis-cli -u "$RURL" info stats commandstats; }
start_service() { # day
  redis-cli -u "$RURL" flushall >/dev/null
  REDIS_URL="$RURL" BENCH_DB="$DB" DAY="$1" start_bench_service "$SIGNIN_BIN" "$OUT_DIR/redis-count-service.log"
}
stop_service() { stop_bench_service; }
next_day() { psql_db "$DB" -Atc "SELECT max(day) + 1 FROM sign_ins"; }

# delta: before-stats after-stats divisor idle-cmds-to-subtract idle-reads-to-subtract label extra-json
delta() {
  python3 - "$@" <<'PY'
import json, re, sys
before, after, n, idle, idle_reads, label, extra = (sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]),
                                                    float(sys.argv[5]), sys.argv[6], json.loads(sys.argv[7]))
calls = lambda t: {k: int(v) for k, v in re.findall(r"cmdstat_([\w|]+):calls=(\d+)", t)}
reads = lambda t: int(re.search(r"total_reads_processed:(\d+)", t).group(1))
a, b = calls(before), calls(after)
d = {k: b[k] - a.get(k, 0) for k in b if k not in ("info", "flushall", "ping|x") and b[k] - a.get(k, 0) > 0}
total = sum(d.values())
r = max(0, reads(after) - reads(before) - 2)  # the two INFO calls' own
n = max(n, 1)
out = {"step": label, "commands": total, "idle_subtracted": round(idle, 1),
       "per_unit_raw": round(total / n, 2),
       "per_unit": round((total - idle) / n, 2),
       "reads": r, "idle_reads_subtracted": round(idle_reads, 1),
       "reads_per_unit_raw": round(r / n, 2),
       "reads_per_unit": round((r - idle_reads) / n, 2),
       "by_command": {k: round(v / n, 2) for k, v in sorted(d.items(), key=lambda kv: -kv[1])}}
out.update(extra)
print("REDISCOUNT " + json.dumps(out))
PY
}
LINES="$TMP/lines.txt"
: >"$LINES"
emit() { echo "$1"; echo "$1" >>"$LINES"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1].split(" ",1)[1])[sys.argv[2]])' "$1" "$2"; }

day="$(next_day)"
start_service "$day"
sleep 2  # start-up work (worker registration, subscription) is not idle polling
idle_rates=() idle_read_rates=()
for r in $(seq 1 "$RUNS"); do
  s0="$(stats)"; t0=$(date +%s.%N)
  sleep "$IDLE_SECS"
  s1="$(stats)"; t1=$(date +%s.%N)
  idle_secs="$(echo "$t1 - $t0" | bc)"
  line="$(delta "$s0" "$s1" "$idle_secs" 0 0 idle "{\"run\": $r, \"seconds\": $idle_secs}")"
  emit "$line"
  idle_rates+=("$(field "$line" per_unit)"); idle_read_rates+=("$(field "$line" reads_per_unit)")
done
median() { printf '%s\n' "$@" | python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.stdin.read().split()))'; }
IDLE_RATE="$(median "${idle_rates[@]}")"
IDLE_READ_RATE="$(median "${idle_read_rates[@]}")"
stop_service

for r in $(seq 1 "$RUNS"); do
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
    read -r rps errors wrapped < <(grep '^BENCHJSON ' <<<"$out" | python3 -c 'import json,sys; m=json.loads(sys.stdin.read().split(" ",1)[1]); print(m["rps"], m["graphql_errors"] + m["non200"] + m["socket_errors"] + m["timeouts"], m["tokens_wrapped"])')
    idle="$(echo "$IDLE_RATE * ($t1 - $t0)" | bc)"
    idle_reads="$(echo "$IDLE_READ_RATE * ($t1 - $t0)" | bc)"
    emit "$(delta "$s0" "$s1" "$count" "$idle" "$idle_reads" "signin-$conns-conns" \
      "{\"run\": $r, \"conns\": $conns, \"day\": \"$day\", \"sign_ins\": $count, \"rps\": $rps, \"errors\": $errors, \"tokens_wrapped\": $wrapped, \"credit_ms_p50\": ${p50:-null}, \"credit_ms_p99\": ${p99:-null}, \"credit_ms_max\": ${pmax:-null}, \"uncredited\": $n}")"
    stop_service
  done
done
if [ "$RUNS" -gt 1 ]; then
  python3 "$BENCH_DIR/lib/redis_medians.py" "$LINES"
fi
