#!/usr/bin/env bash
# The signin-rewards benchmark: builds, generates the data, runs every
# scenario against the service on 127.0.0.1 and writes
# bench/results/latest.md. See docs/performance.md.
#
#   bash bench/run.sh            full run (100k users, ~5M sign-ins; ~20 min)
#   QUICK=1 bash bench/run.sh    small data, short runs (~3 min): checks the scripts
#
# Knobs (environment): RUNS (3), DURATION (s per signIn/me run: 15), ADMIN_DURATION (10),
#   USERS (100000), DAYS (90), SMALL_DAYS (2), POOL (8 = SIGNIN_DB_POOL_SIZE and pgbench -c),
#   SIGNIN_CONNS (16), ME_CONNS (32), ADMIN_CONNS (2), WRK_THREADS (2),
#   BENCH_DB (signin_bench), BENCH_DB_SMALL (signin_bench_small),
#   REUSE_DATA=1 (keep the databases if they exist with the same USERS/DAYS),
#   SKIP_BUILD=1, PORT (18080), BASELINE_PORT (18081), SCENARIOS ("a b c d f g h"),
#   g: signIn with milestones and freezes held by half the users vs without (alternating),
#   h: makeUpSignIn of users with DAYS days of history (MAKEUP_CONNS, 16),
#   i: signIn and the warm status with 10 base schedules + 3 campaigns vs one (alternating,
#      on a copy of the database), j: the sign-ins CSV export of every row (rows/s, peak RSS,
#      time to first byte), k: signIn with two webhook endpoints subscribed to sign_in.recorded
#      vs none (alternating; a receiver on loopback, HOOK_PORT 18091), with the credit and
#      delivery delays, l: signInStats over one year (the year before BENCH_TODAY; one client,
#      RUNS requests timed one by one),
#   m: login, successful, LOGIN_CONNS (4) connections (its cost is the password hash; the
#      login limiter's Redis steps ride on it), n: me { signInStatus } over graphql-transport-ws,
#      WS_CONNS (32) sockets of different users, one operation at a time each (bench/baseline's
#      ws-load; the token is checked again for every operation),
#   EXPORT_DAYS (j: export the last EXPORT_DAYS days of history; default every sign-in),
#   WARM_SECS (b's warm-up, every user once: USERS / 2000 + 5),
#   DRAIN_WAIT (s to wait after a signIn run until every sign-in is credited: 90; QUICK 5),
#   FOREIGN_MAX (10): a run during which processes that are not part of the bench used more
#   than this % of the machine's CPU is discarded and repeated, at most MAX_RETRIES (2) times.
#   SERVICE_ENV ("VAR=value ..."): settings added to every start of the service,
#   BENCH_REPORT: where the report goes (default bench/results/latest.md; QUICK: bench/out/latest-quick.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

QUICK="${QUICK:-0}"
if [ "$QUICK" = 1 ]; then
  : "${USERS:=20000}" "${DAYS:=14}" "${RUNS:=3}" "${DURATION:=3}" "${ADMIN_DURATION:=2}"
  : "${BENCH_DB:=signin_bench_quick}" "${BENCH_DB_SMALL:=signin_bench_quick_small}"
else
  : "${USERS:=100000}" "${DAYS:=90}" "${RUNS:=3}" "${DURATION:=15}" "${ADMIN_DURATION:=10}"
  : "${BENCH_DB:=signin_bench}" "${BENCH_DB_SMALL:=signin_bench_small}"
fi
: "${SMALL_DAYS:=2}" "${POOL:=8}" "${SIGNIN_CONNS:=16}" "${ME_CONNS:=32}" "${ADMIN_CONNS:=2}"
: "${WRK_THREADS:=2}" "${PORT:=18080}" "${BASELINE_PORT:=18081}" "${SCENARIOS:=a b c d f g h i j k}"
: "${MAKEUP_CONNS:=16}" "${LOGIN_CONNS:=4}" "${WS_CONNS:=32}"
: "${BENCH_TODAY:=2026-01-15}" "${REUSE_DATA:=0}" "${SKIP_BUILD:=0}"
# How long to wait, after each signIn run, for every sign-in to be credited.
if [ "$QUICK" = 1 ]; then : "${DRAIN_WAIT:=5}"; else : "${DRAIN_WAIT:=90}"; fi
: "${FOREIGN_MAX:=10}" "${MAX_RETRIES:=2}"
NS="${BENCH_REDIS_NAMESPACE:-bench}"
check_db_name "$BENCH_DB"; check_db_name "$BENCH_DB_SMALL"
[[ "$NS" =~ ^[A-Za-z0-9_]+$ ]] || die "bad Redis namespace '$NS'"

RESULTS="$OUT_DIR/results.jsonl"
RUN_TMP="$(mktemp -d /tmp/signin-bench.XXXXXX)"
SERVICE_PID="" BASELINE_PID="" LOG_STATEMENT_DB="" CPU_PID="" RECEIVER_PID=""
T_START=$(date +%s)
has() { [[ " $SCENARIOS " == *" $1 "* ]]; }

cleanup() {
  local rc=$?
  set +e
  [ -n "$SERVICE_PID" ] && stop_service
  [ -n "$BASELINE_PID" ] && stop_baseline
  [ -n "$RECEIVER_PID" ] && kill "$RECEIVER_PID" 2>/dev/null
  [ -n "$LOG_STATEMENT_DB" ] && psql_db postgres -c "ALTER DATABASE \"$LOG_STATEMENT_DB\" RESET log_statement" >/dev/null 2>&1
  rm -rf "$RUN_TMP"
  [ "$rc" = 0 ] || say "FAILED (exit $rc); logs in $OUT_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -----------------------------------------------------------------
need() { command -v "$1" >/dev/null || die "$1 not found${2:+ ($2)}"; }
if ! command -v wrk >/dev/null; then
  say "installing wrk (apt-get)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; fi
fi
need wrk "apt-get install wrk"; need pgbench "apt-get install postgresql-client"; need psql
need python3; need curl; need redis-cli "apt-get install redis-tools"; need cargo; need bc
psql_db postgres -Atc "SELECT 1" >/dev/null || die "PostgreSQL does not answer at $PG_SERVER (make services)"
redis-cli -u "$REDIS_URL" ping >/dev/null || die "Redis does not answer at $REDIS_URL"
for p in "$PORT" "$BASELINE_PORT"; do port_free "$p" || die "port $p is in use (set PORT / BASELINE_PORT)"; done

: > "$RESULTS"
: > "$OUT_DIR/service.log"; : > "$OUT_DIR/baseline.log"; : > "$OUT_DIR/wrk.log"; : > "$OUT_DIR/pgbench.log"
record() { # scenario target run json-object-with-metrics  (appended to results.jsonl)
  python3 - "$@" >>"$RESULTS" <<'PY'
import json, sys
scenario, target, run, metrics = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
print(json.dumps({"scenario": scenario, "target": target, "run": run, **metrics}))
PY
}
# A run is kept unless something outside the bench took more than FOREIGN_MAX %
# of the machine's CPU meanwhile (another build or test run on a shared machine):
# then it is recorded as discarded and the caller repeats it (MAX_RETRIES times).
RETRIES_LEFT=$MAX_RETRIES
accept() { # scenario target run metrics-json -> 0 kept, 1 discarded (repeat)
  local foreign
  foreign="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("foreign_pct") or 0)' "$4")"
  if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$foreign" "$FOREIGN_MAX" \
     && [ "$RETRIES_LEFT" -gt 0 ]; then
    RETRIES_LEFT=$((RETRIES_LEFT - 1))
    record "$1" "$2" "$3" "$(python3 -c 'import json,sys; m=json.loads(sys.argv[1]); m["discarded"]=True; print(json.dumps(m))' "$4")"
    say "$1/$2 run $3: DISCARDED, processes outside the bench used ${foreign}% of the CPU; repeating"
    return 1
  fi
  RETRIES_LEFT=$MAX_RETRIES
  record "$1" "$2" "$3" "$4"
  return 0
}
# CPU-seconds used so far by this shell's finished children (the load generator).
# `times` must run in this very shell (a $(...) would be a fresh process).
CHILDREN_CPU=0
children_cpu() {
  local f="$RUN_TMP/times.$BASHPID"
  times >"$f"
  CHILDREN_CPU="$(tail -n1 "$f" | awk '{ for (i = 1; i <= 2; i++) { split($i, t, "m"); s += t[1] * 60 + t[2] } } END { printf "%.2f", s }')"
}
note() { # key value: free-form facts for the report
  python3 -c 'import json,sys; print(json.dumps({"note": sys.argv[1], "value": sys.argv[2]}))' "$1" "$2" >>"$RESULTS"
}

# --- build -----------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  if has b || has k || has n; then build_release 1; else build_release 0; fi
fi
BASELINE_BIN="$BENCH_DIR/baseline/target/release/bench-baseline"
RECEIVER_BIN="$BENCH_DIR/baseline/target/release/hook-receiver"
WS_LOAD_BIN="$BENCH_DIR/baseline/target/release/ws-load"
if has k; then [ -x "$RECEIVER_BIN" ] || die "$RECEIVER_BIN missing"; fi
if has n; then [ -x "$WS_LOAD_BIN" ] || die "$WS_LOAD_BIN missing"; fi
[ -x "$SIGNIN_BIN" ] || die "$SIGNIN_BIN missing"
if has b; then [ -x "$BASELINE_BIN" ] || die "$BASELINE_BIN missing"; fi
note commit "$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT_DIR" diff --quiet HEAD -- src migrations Cargo.toml Cargo.lock 2>/dev/null || echo ' (+ uncommitted changes in src/migrations)')"
note load_before "$(cut -d' ' -f1-3 /proc/loadavg)"

# --- data ------------------------------------------------------------------
gen() { # db users days
  local db="$1" users="$2" days="$3" envf="$OUT_DIR/gen-$1.env"
  if [ "$REUSE_DATA" = 1 ] && [ -f "$envf" ] \
     && grep -qx "GEN_USERS=$users" "$envf" && grep -qx "GEN_DAYS=$days" "$envf" \
     && psql_db postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    say "data: reusing $db ($(grep GEN_ROWS_SIGN_INS "$envf"))"
    return
  fi
  BENCH_DB="$db" USERS="$users" DAYS="$days" BENCH_TODAY="$BENCH_TODAY" bash "$BENCH_DIR/gen_data.sh"
}
if has a || has b || has c || has d || has e || has g || has h || has i || has j || has k || has l || has m || has n; then
  gen "$BENCH_DB" "$USERS" "$DAYS"
fi
if has f; then gen "$BENCH_DB_SMALL" "$USERS" "$SMALL_DAYS"; fi

# Tokens: one per generated user (ids 1..USERS, ver 0), shuffled; iat = the
# first history day, so they are valid on every bench day after it.
FIRST_DAY="$(date -u -d "$BENCH_TODAY - $DAYS days" +%F)"
IAT="$(date -u -d "$FIRST_DAY - 1 day" +%s)"
TOKENS="$OUT_DIR/tokens-$USERS.txt"
python3 "$BENCH_DIR/lib/tokens.py" users --secret "$BENCH_JWT_SECRET" --users "$USERS" --iat "$IAT" --out "$TOKENS"
admin_token() { # db
  local id; id="$(psql_db "$1" -Atc "SELECT id FROM users WHERE username = '$BENCH_ADMIN_USER'")"
  python3 "$BENCH_DIR/lib/tokens.py" admin --secret "$BENCH_JWT_SECRET" --id "$id" --iat "$IAT"
}
next_day() { psql_db "$1" -Atc "SELECT /* bench */ max(day) + 1 FROM sign_ins"; }

# --- the service -----------------------------------------------------------
redis_clean() {
  redis-cli -u "$REDIS_URL" --scan --pattern "$NS:*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null
}
# Extra VAR=value settings for the next start_service (scenarios g, h), and
# for every one (SERVICE_ENV, space-separated: bench/ab.sh's builds with a
# setting).
SERVICE_EXTRA=()
read -r -a SERVICE_ENV_ARGS <<<"${SERVICE_ENV:-}"
start_service() { # db day [clock time, default 12:00:00]
  local db="$1" day="$2" at="${3:-12:00:00}"
  port_free "$PORT" || die "port $PORT is in use"
  redis_clean
  # env -i and a scratch working directory: nothing but these settings (no
  # .env file, no caller's SIGNIN_*) reaches the service.
  (cd "$RUN_TMP" && exec env -i PATH="$PATH" HOME="$HOME" \
      DATABASE_URL="$PG_SERVER/$db" REDIS_URL="$REDIS_URL" SIGNIN_BIND="127.0.0.1:$PORT" \
      SIGNIN_ENV=development SIGNIN_JWT_SECRET="$BENCH_JWT_SECRET" SIGNIN_NOW="${day}T${at}Z" \
      SIGNIN_REDIS_NAMESPACE="$NS" SIGNIN_DB_POOL_SIZE="$POOL" SIGNIN_TIMEZONE=UTC \
      SIGNIN_REWARDS=10,10,20,20,30,30,100 SIGNIN_LOG_FORMAT=json RUST_LOG=warn \
      "${SERVICE_ENV_ARGS[@]}" "${SERVICE_EXTRA[@]}" "$SIGNIN_BIN" serve) >>"$OUT_DIR/service.log" 2>&1 &
  SERVICE_PID=$!; CPU_PID=$SERVICE_PID
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && { seed_sessions "$db"; return 0; }
    kill -0 "$SERVICE_PID" 2>/dev/null || { SERVICE_PID=""; die "service exited at start (see $OUT_DIR/service.log)"; }
    sleep 0.2
  done
  die "service not ready after 30 s"
}
stop_pid() { # pid name: SIGTERM, then SIGKILL after 40 s (the service drains jobs up to 30 s)
  local rc=0
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 400); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && { say "$2 did not stop in 40 s; killing"; kill -KILL "$1" 2>/dev/null; }
  wait "$1" 2>/dev/null || rc=$?
  if [ "$rc" != 0 ]; then
    say "$2 (pid $1) exited with status $rc after SIGTERM (expected 0; see $OUT_DIR/$2.log)"
    note "exit_$2_$1" "exited with status $rc after SIGTERM"
  fi
}
stop_service() { stop_pid "$SERVICE_PID" service; SERVICE_PID=""; }
start_baseline() {
  port_free "$BASELINE_PORT" || die "port $BASELINE_PORT is in use"
  (cd "$RUN_TMP" && exec env -i PATH="$PATH" BASELINE_BIND="127.0.0.1:$BASELINE_PORT" "$BASELINE_BIN") \
    >>"$OUT_DIR/baseline.log" 2>&1 &
  BASELINE_PID=$!; CPU_PID=$BASELINE_PID
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$BASELINE_PORT/healthz" >/dev/null 2>&1 && return 0; sleep 0.1
  done
  die "baseline not ready"
}
stop_baseline() { stop_pid "$BASELINE_PID" baseline; BASELINE_PID=""; }

# wrk run: port conns threads duration bodies [tokens mode] -> prints the metrics JSON
# (CPU_PID: the process under test, for the CPU accounting)
run_wrk() {
  local port="$1" conns="$2" threads="$3" dur="$4" bodies="$5" tokens="${6:-}" mode="${7:-random}"
  local args=("bodies=$bodies" "threads=$threads" "mode=$mode")
  [ -n "$tokens" ] && args+=("tokens=$tokens")
  run_load wrk -t"$threads" -c"$conns" -d"${dur}s" --timeout 30s -s "$BENCH_DIR/wrk/graphql.lua" \
    "http://127.0.0.1:$port/graphql" -- "${args[@]}"
}
# Runs a load generator that prints "BENCHJSON {...}" (wrk with
# bench/wrk/graphql.lua, or ws-load) -> prints its metrics JSON with the CPU
# of each process and the Redis commands per request added.
run_load() {
  local cmd=("$@")
  echo "${cmd[*]}" >"$OUT_DIR/last-wrk-cmd.txt"
  local before after out
  local c0 c1 r0 r1
  r0="$(redis-cli -u "$REDIS_URL" info commandstats)"
  before="$(python3 "$BENCH_DIR/lib/cpu.py" snap "$CPU_PID")"
  children_cpu; c0=$CHILDREN_CPU
  out="$("${cmd[@]}")" || die "${cmd[0]} failed: $out"
  children_cpu; c1=$CHILDREN_CPU
  after="$(python3 "$BENCH_DIR/lib/cpu.py" snap "$CPU_PID")"
  r1="$(redis-cli -u "$REDIS_URL" info commandstats)"
  echo "$out" >>"$OUT_DIR/wrk.log"
  python3 - "$(grep '^BENCHJSON ' <<<"$out" | cut -d' ' -f2-)" \
    "$(python3 "$BENCH_DIR/lib/cpu.py" diff "$before" "$after" "$(echo "$c1 - $c0" | bc)")" "$r0" "$r1" <<'PY'
import json, re, sys
m = json.loads(sys.argv[1]); m.update(json.loads(sys.argv[2]))
# Redis commands per request (INFO commandstats is server-wide: anything else
# using this Redis meanwhile, and the worker's idle polling, count too).
calls = lambda text: {k: int(v) for k, v in re.findall(r"cmdstat_([\w|]+):calls=(\d+)", text)}
a, b = calls(sys.argv[3]), calls(sys.argv[4])
d = {k: b[k] - a.get(k, 0) for k in b if b[k] - a.get(k, 0) > 0 and k != "info"}
n = max(1, m.get("requests") or 1)
m["redis_cmds_per_req"] = round(sum(d.values()) / n, 2)
m["redis_top_cmds"] = {k: round(v / n, 2) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:8]}
print(json.dumps(m))
PY
}
# ws-load run: port sockets duration -> prints the metrics JSON (each socket
# signed in with its own user's token, one status read at a time)
run_ws() {
  run_load "$WS_LOAD_BIN" "ws://127.0.0.1:$1/graphql" "$TOKENS" "$2" "$3" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["query"])' "$ME_BODY")"
}
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$1" "$2"; }
wrk_runs() { # scenario target, then run_wrk's arguments: RUNS kept runs
  local scen="$1" target="$2"; shift 2
  load_runs "$scen" "$target" run_wrk "$@"
}
load_runs() { # scenario target runner, then the runner's arguments: RUNS kept runs
  local scen="$1" target="$2" runner="$3" r=1 m; shift 3
  while [ "$r" -le "$RUNS" ]; do
    m="$("$runner" "$@")"
    if accept "$scen" "$target" "$r" "$m"; then
      say "$scen/$target run $r: $(field "$m" rps) req/s, p50 $(field "$m" p50_ms) ms, p99 $(field "$m" p99_ms) ms, errors $(field "$m" graphql_errors)"
      r=$((r + 1))
    fi
  done
}
cmd_note() { # key command: the exact command of a scenario, once
  grep -q "\"note\": \"cmd_$1\"" "$RESULTS" || note "cmd_$1" "$2"
}

# The credit delay of the sign-ins of `day` (credited_at - created_at, ms:
# p50, p99, max) and, when webhook messages were written that day, waits
# (DRAIN_WAIT) until none is pending and adds how many were delivered and
# their delay (the event's commit to the end of the attempt that delivered
# it, ms). One JSON object.
run_delays() { # db day
  local pending
  if [ "$(psql_db "$1" -Atc "SELECT /* bench */ count(*) FROM webhook_events WHERE created_at::date = '$2'")" != 0 ]; then
    for _ in $(seq 1 $((DRAIN_WAIT * 5))); do
      pending="$(psql_db "$1" -Atc "SELECT /* bench */ count(*) FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.created_at::date = '$2' AND d.status = 'PENDING'")"
      [ "$pending" = 0 ] && break
      sleep 0.2
    done
  fi
  psql_db "$1" -Atc "
    WITH c AS (SELECT extract(epoch FROM credited_at - created_at) * 1000 AS ms FROM sign_ins WHERE day = '$2' AND credited_at IS NOT NULL),
         h AS (SELECT d.status, extract(epoch FROM a.attempted_at - e.created_at) * 1000 + a.duration_ms AS ms
                 FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
                 LEFT JOIN webhook_attempts a ON a.delivery_id = d.id AND a.status_code BETWEEN 200 AND 299
                WHERE e.created_at::date = '$2')
    SELECT /* bench */ json_build_object(
      'credit_ms_p50', (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) FROM c),
      'credit_ms_p99', (SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1) FROM c),
      'credit_ms_max', (SELECT round(max(ms)::numeric, 1) FROM c),
      'hooks_written', (SELECT count(*) FROM h),
      'hooks_delivered', (SELECT count(*) FROM h WHERE status = 'DELIVERED'),
      'hook_ms_p50', (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) FROM h WHERE ms IS NOT NULL),
      'hook_ms_p99', (SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1) FROM h WHERE ms IS NOT NULL))"
}

# Waits until every sign-in of `day` is credited; prints the seconds it took.
wait_credited() { # db day
  local t0 n; t0=$(date +%s.%N)
  for _ in $(seq 1 $((DRAIN_WAIT * 5))); do
    n="$(psql_db "$1" -Atc "SELECT /* bench */ count(*) FROM sign_ins WHERE credited_at IS NULL AND day = '$2'")"
    [ "$n" = 0 ] && { printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)"; return; }
    sleep 0.2
  done
  echo "not within ${DRAIN_WAIT}"
}

# signIn runs (scenarios a, e, f): each run on a fresh day, service restarted.
SIGNIN_BODY="$OUT_DIR/body-signin.jsonl"
echo '{"query":"mutation { signIn { record { cycleDay streak reward } } }"}' >"$SIGNIN_BODY"
redis_used() { redis-cli -u "$REDIS_URL" info memory | awk -F: '/^used_memory:/ {print $2+0}'; }
redis_keys() { redis-cli -u "$REDIS_URL" --scan --pattern "$NS:*" | wc -l; }
signin_runs() { # scenario-label db [target (service)] [first run (1)] [last run (RUNS)]
  local label="$1" db="$2" target="${3:-service}" r="${4:-1}" last="${5:-$RUNS}"
  local day m drain hwm uncredited_now mem0 mem1 keys delays
  while [ "$r" -le "$last" ]; do
    day="$(next_day "$db")"
    psql_db postgres -c CHECKPOINT  # no checkpoint of earlier writes during the run
    start_service "$db" "$day"
    mem0="$(redis_used)"
    m="$(run_wrk "$PORT" "$SIGNIN_CONNS" "$WRK_THREADS" "$DURATION" "$SIGNIN_BODY" "$TOKENS" seq)"
    uncredited_now="$(psql_db "$db" -Atc "SELECT /* bench */ count(*) FROM sign_ins WHERE credited_at IS NULL AND day = '$day'")"
    drain="$(wait_credited "$db" "$day")"
    delays="$(run_delays "$db" "$day")"
    hwm="$(awk '/VmHWM/ {print $2}' "/proc/$SERVICE_PID/status")"
    mem1="$(redis_used)"; keys="$(redis_keys)"
    stop_service
    m="$(python3 -c 'import json,sys; m=json.loads(sys.argv[1]); m.update(day=sys.argv[2], uncredited_at_end=int(sys.argv[3]), credit_drain_s=sys.argv[4], vmhwm_kb=int(sys.argv[5]), conns=int(sys.argv[6]), redis_keys=int(sys.argv[7]), redis_growth_bytes=int(sys.argv[8])); m.update(json.loads(sys.argv[9])); print(json.dumps(m))' \
         "$m" "$day" "$uncredited_now" "$drain" "$hwm" "$SIGNIN_CONNS" "$keys" "$((mem1 - mem0))" "$delays")"
    if accept "$label" "$target" "$r" "$m"; then
      say "$label/$target run $r ($day): $(field "$m" rps) req/s, p50 $(field "$m" p50_ms) ms, p99 $(field "$m" p99_ms) ms, errors $(field "$m" graphql_errors), uncredited when load stopped $uncredited_now (all credited: $drain${drain:+ s}), VmHWM ${hwm} kB"
      r=$((r + 1))
    fi
  done
  cmd_note "$label" "$(cat "$OUT_DIR/last-wrk-cmd.txt")"
}

# --- capture the SQL of each operation (log_statement = 'all', one request each)
capture_sql() {
  local db="$BENCH_DB" log="${BENCH_PG_LOG:-}"
  [ -n "$log" ] || log="$(ls -t /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -n1 || true)"
  if [ -z "$log" ] || [ ! -r "$log" ]; then
    note sql_capture "skipped: PostgreSQL server log not readable (set BENCH_PG_LOG)"; return
  fi
  local day admin tok off
  day="$(next_day "$db")"
  admin="$(admin_token "$db")"; tok="$(sed -n 7p "$TOKENS")"
  psql_db postgres -c "ALTER DATABASE \"$db\" SET log_statement = 'all'"; LOG_STATEMENT_DB="$db"
  off=$(stat -c %s "$log")
  start_service "$db" "$day"
  gq() { curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' -H "authorization: Bearer $1" -d "$2"; echo; }
  mark() { psql_db "$db" -Atc "SELECT 'BENCH-MARK $1'" >/dev/null; sleep 0.2; }
  {
    mark signIn;  gq "$tok" "$(cat "$SIGNIN_BODY")"; wait_credited "$db" "$day" >/dev/null; sleep 0.3
    mark me;      gq "$tok" "$(cat "$ME_BODY")"; sleep 0.3
    mark me_again; gq "$tok" "$(cat "$ME_BODY")"; sleep 0.3
    mark signInHistory; gq "$admin" "$(head -n1 "$OUT_DIR/body-history-10.jsonl")" | cut -c1-300; sleep 0.3
    mark searchUsers; gq "$admin" "$(head -n1 "$OUT_DIR/body-search.jsonl")" | cut -c1-300; sleep 0.3
    mark end
  } >"$OUT_DIR/capture-responses.txt"
  stop_service
  psql_db postgres -c "ALTER DATABASE \"$db\" RESET log_statement"; LOG_STATEMENT_DB=""
  tail -c +"$((off + 1))" "$log" | python3 "$BENCH_DIR/lib/sqllog.py" "$db" >"$OUT_DIR/statements.txt"
  say "captured the SQL of each operation: $OUT_DIR/statements.txt"
}

# --- request bodies ---------------------------------------------------------
TODAY0="$(next_day "$BENCH_DB")"
HIST_FROM="$(date -u -d "$BENCH_TODAY - 31 days" +%F)"; HIST_TO="$(date -u -d "$BENCH_TODAY - 1 day" +%F)"
python3 "$BENCH_DIR/lib/tokens.py" history --users "$USERS" --sizes 10,100,1000 --from "$HIST_FROM" --to "$HIST_TO" \
  --out-prefix "$OUT_DIR/body-history-" --bodies 40
python3 "$BENCH_DIR/lib/tokens.py" search --users "$USERS" --out "$OUT_DIR/body-search.jsonl" --bodies 60
python3 "$BENCH_DIR/lib/tokens.py" search-miss --out "$OUT_DIR/body-search-miss.jsonl" --bodies 20
ME_BODY="$OUT_DIR/body-me.jsonl"
echo '{"query":"{ me { signInStatus { today streak cycleDay todayReward signedInToday } } }"}' >"$ME_BODY"
LOGIN_BODY="$OUT_DIR/body-login.jsonl"
python3 "$BENCH_DIR/lib/tokens.py" login --users "$USERS" --password "$BENCH_ADMIN_PASSWORD" --bodies 200 --out "$LOGIN_BODY"
# The framework ceiling's request (bench/baseline): the smallest query, with
# the same wrk call otherwise (tokens included, which it ignores).
HELLO_BODY="$OUT_DIR/body-hello.jsonl"
echo '{"query":"{ hello }"}' >"$HELLO_BODY"
STATS_FROM="$(date -u -d "$BENCH_TODAY - 365 days" +%F)"
STATS_BODY="$OUT_DIR/body-stats.jsonl"
echo "{\"query\":\"query(\$f: Date!, \$t: Date!) { signInStats(from: \$f, to: \$t) { date signedIn byCycleDay rewardTotal makeUps frozen milestoneBonusTotal } }\",\"variables\":{\"f\":\"$STATS_FROM\",\"t\":\"$HIST_TO\"}}" >"$STATS_BODY"
note params "users=$USERS days=$DAYS small_days=$SMALL_DAYS runs=$RUNS duration=${DURATION}s admin_duration=${ADMIN_DURATION}s pool=$POOL signin_conns=$SIGNIN_CONNS me_conns=$ME_CONNS admin_conns=$ADMIN_CONNS makeup_conns=$MAKEUP_CONNS login_conns=$LOGIN_CONNS ws_conns=$WS_CONNS wrk_threads=$WRK_THREADS first_bench_day=$TODAY0 history=$HIST_FROM..$HIST_TO"

note foreign_max "$FOREIGN_MAX"; note max_retries "$MAX_RETRIES"
[ -z "${SERVICE_ENV:-}" ] || note service_env "$SERVICE_ENV"
capture_sql

# --- scenario a (+ e): signIn, and its pgbench baseline -----------------------
if has a; then
  say "scenario a: signIn, $SIGNIN_CONNS connections, ${DURATION}s x $RUNS, pool $POOL, worker in-process"
  signin_runs a "$BENCH_DB"
  psql_db "$BENCH_DB" -c "SET client_min_messages = warning" -c "CREATE SEQUENCE IF NOT EXISTS bench_uid_seq"
  r=1
  while [ "$r" -le "$RUNS" ]; do
    day="$(next_day "$BENCH_DB")"
    psql_db "$BENCH_DB" -c "ALTER SEQUENCE bench_uid_seq RESTART WITH 1" -c CHECKPOINT
    rm -f "$OUT_DIR"/pgbench_log.*
    pcmd=(pgbench -h 127.0.0.1 -U postgres -n -M prepared -c "$POOL" -j 2 -T "$DURATION"
          -D "today=$day" -D "nusers=$USERS" -f "$BENCH_DIR/pgbench/signin.sql"
          -l --log-prefix="$OUT_DIR/pgbench_log" "$BENCH_DB")
    before="$(python3 "$BENCH_DIR/lib/cpu.py" snap)"
    children_cpu; c0=$CHILDREN_CPU
    out="$("${pcmd[@]}" 2>&1)" || die "pgbench failed: $out"
    children_cpu; c1=$CHILDREN_CPU
    after="$(python3 "$BENCH_DIR/lib/cpu.py" snap)"
    echo "$out" >>"$OUT_DIR/pgbench.log"
    m="$(python3 "$BENCH_DIR/lib/pgbench_stats.py" "$out" "$(python3 "$BENCH_DIR/lib/cpu.py" diff "$before" "$after" "$(echo "$c1 - $c0" | bc)")" "$OUT_DIR"/pgbench_log.*)"
    if accept a pgbench "$r" "$m"; then
      say "a/pgbench run $r ($day): $(field "$m" rps) tps, p50 $(field "$m" p50_ms) ms, p99 $(field "$m" p99_ms) ms, failed $(field "$m" failed)"
      r=$((r + 1))
    fi
  done
  cmd_note a_pgbench "${pcmd[*]}"
fi

# --- scenario b: me { signInStatus } vs. the framework ceiling (bench/baseline answering { hello }) ----------------
# --- scenarios c, d: admin signInHistory and searchUsers (same service process)
# --- scenarios m, n: login (the login limiter's path), and status reads over
#     graphql-transport-ws (a token check per operation on an open socket)
if has b || has c || has d || has l || has m || has n; then
  day="$(next_day "$BENCH_DB")"
  start_service "$BENCH_DB" "$day"
  ADMIN_TOKEN_FILE="$OUT_DIR/token-admin.txt"; admin_token "$BENCH_DB" >"$ADMIN_TOKEN_FILE"
  if has b; then
    say "scenario b: me { signInStatus }, $ME_CONNS connections, ${DURATION}s x $RUNS"
    # One unrecorded-in-medians warm-up run first: a fresh process starts with
    # empty caches, and "warm" means every user's token and status are cached
    # (in Redis and in the process), so the warm-up asks for every user once
    # (seq mode, long enough at the cold rate; WARM_SECS overrides).
    warm_secs="${WARM_SECS:-$(( USERS / 2000 + 5 ))}"
    m="$(run_wrk "$PORT" "$ME_CONNS" "$WRK_THREADS" "$warm_secs" "$ME_BODY" "$TOKENS" seq)"
    record b warmup 1 "$m"
    say "b/service warm-up (cold cache, every user once, ${warm_secs}s): $(field "$m" rps) req/s, p50 $(field "$m" p50_ms) ms, p99 $(field "$m" p99_ms) ms, tokens wrapped $(field "$m" tokens_wrapped)"
    wrk_runs b service "$PORT" "$ME_CONNS" "$WRK_THREADS" "$DURATION" "$ME_BODY" "$TOKENS" random
    cmd_note b "$(cat "$OUT_DIR/last-wrk-cmd.txt")"
  fi
  if has c; then
    for size in 10 100 1000; do
      say "scenario c: signInHistory of $size users x 31 days, $ADMIN_CONNS connections, ${ADMIN_DURATION}s x $RUNS"
      wrk_runs "c$size" service "$PORT" "$ADMIN_CONNS" 1 "$ADMIN_DURATION" "$OUT_DIR/body-history-$size.jsonl" "$ADMIN_TOKEN_FILE"
    done
    # The same with one connection: each query's own latency, with no other
    # query competing for the two cores (at 2 connections the 1000-user
    # query keeps service, PostgreSQL and wrk busy on both).
    for size in 10 100 1000; do
      say "scenario c (1 connection): signInHistory of $size users x 31 days, ${ADMIN_DURATION}s x $RUNS"
      wrk_runs "c$size-1" service "$PORT" 1 1 "$ADMIN_DURATION" "$OUT_DIR/body-history-$size.jsonl" "$ADMIN_TOKEN_FILE"
    done
    cmd_note c "$(cat "$OUT_DIR/last-wrk-cmd.txt")"
  fi
  if has d; then
    say "scenario d: searchUsers (3-digit substrings), $ADMIN_CONNS connections, ${ADMIN_DURATION}s x $RUNS"
    wrk_runs d service "$PORT" "$ADMIN_CONNS" 1 "$ADMIN_DURATION" "$OUT_DIR/body-search.jsonl" "$ADMIN_TOKEN_FILE"
    cmd_note d "$(cat "$OUT_DIR/last-wrk-cmd.txt")"
    say "scenario d (no target): searchUsers for 3-letter strings no username contains"
    wrk_runs d-miss service "$PORT" "$ADMIN_CONNS" 1 "$ADMIN_DURATION" "$OUT_DIR/body-search-miss.jsonl" "$ADMIN_TOKEN_FILE"
  fi
  if has l; then
    # One request at a time, timed by curl: at tens of millions of rows one
    # request outlasts a short wrk run.
    say "scenario l: signInStats $STATS_FROM..$HIST_TO (one year), 1 client, $RUNS requests"
    for r in $(seq 1 "$RUNS"); do
      out="$(curl -s -o "$RUN_TMP/stats.json" -w '%{http_code} %{time_total}' -H 'content-type: application/json' \
        -H "authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")" --data-binary "@$STATS_BODY" "http://127.0.0.1:$PORT/graphql")"
      read -r code total <<<"$out"
      [ "$code" = 200 ] && grep -q '"signInStats"' "$RUN_TMP/stats.json" || die "signInStats answered $code: $(head -c 300 "$RUN_TMP/stats.json")"
      m="$(python3 -c 'import json,sys; t=float(sys.argv[1]); print(json.dumps({"p50_ms": t*1000, "p99_ms": t*1000, "rps": 1/t}))' "$total")"
      record l service "$r" "$m"
      say "l run $r: ${total}s"
    done
  fi
  if has m; then
    say "scenario m: login (successful, $LOGIN_CONNS connections), ${DURATION}s x $RUNS"
    wrk_runs m service "$PORT" "$LOGIN_CONNS" 1 "$DURATION" "$LOGIN_BODY"
    cmd_note m "$(cat "$OUT_DIR/last-wrk-cmd.txt")"
  fi
  if has n; then
    say "scenario n: me { signInStatus } over graphql-transport-ws, $WS_CONNS sockets, ${DURATION}s x $RUNS"
    run_ws "$PORT" "$WS_CONNS" 3 >/dev/null  # warm-up: these users' tokens and statuses cached
    load_runs n service run_ws "$PORT" "$WS_CONNS" "$DURATION"
    cmd_note n "$(cat "$OUT_DIR/last-wrk-cmd.txt")"
  fi
  stop_service
  if has b; then
    start_baseline
    run_wrk "$BASELINE_PORT" "$ME_CONNS" "$WRK_THREADS" 3 "$HELLO_BODY" "$TOKENS" random >/dev/null  # warm-up
    wrk_runs b baseline "$BASELINE_PORT" "$ME_CONNS" "$WRK_THREADS" "$DURATION" "$HELLO_BODY" "$TOKENS" random
    cmd_note b_baseline "$(cat "$OUT_DIR/last-wrk-cmd.txt")"
    stop_baseline
  fi
fi

# --- scenario f: signIn with ~100k existing sign-ins --------------------------
if has f; then
  say "scenario f: signIn on $BENCH_DB_SMALL ($USERS users, $SMALL_DAYS days of history)"
  signin_runs f "$BENCH_DB_SMALL"
fi

# --- scenario g: signIn with streak protection on vs off, in one run --------
# "protected": milestones configured and every second user holding a freeze
# (those who missed yesterday use it); "plain": no milestones, no freezes.
# Alternating runs, each on a fresh day with the service restarted.
if has g; then
  say "scenario g: signIn, plain vs milestones + freezes held by half the users, alternating, ${DURATION}s x $RUNS each"
  for r in $(seq 1 "$RUNS"); do
    psql_db "$BENCH_DB" -qc "UPDATE wallets SET freezes_held = 0 WHERE freezes_held <> 0"
    SERVICE_EXTRA=()
    signin_runs g "$BENCH_DB" plain "$r" "$r"
    psql_db "$BENCH_DB" -qc "UPDATE wallets SET freezes_held = CASE WHEN user_id % 2 = 0 THEN 1 ELSE 0 END"
    SERVICE_EXTRA=(SIGNIN_MILESTONES=7:50,30:300,100:1000)
    signin_runs g "$BENCH_DB" protected "$r" "$r"
  done
  SERVICE_EXTRA=()
  # The bench set freezes without buying them: back to none held.
  psql_db "$BENCH_DB" -qc "UPDATE wallets SET freezes_held = 0 WHERE freezes_held <> 0"
  note g_frozen_days "$(psql_db "$BENCH_DB" -Atc "SELECT count(*) FROM frozen_days")"
  note g_bonuses "$(psql_db "$BENCH_DB" -Atc "SELECT count(*) FROM sign_ins WHERE milestone_bonus IS NOT NULL")"
fi

# --- scenario h: makeUpSignIn of users with DAYS days of history ----------------
# The service's today is the day after next_day, so next_day is missed by
# everyone and inside the window; each request makes up that date for the
# next user (tokens in sequence, one make-up each). Each run has its own
# idempotency key: keys are per user, and a later run reaches the same users
# for another date (the same key would be IDEMPOTENCY_CONFLICT).
if has h; then
  say "scenario h: makeUpSignIn, $MAKEUP_CONNS connections, ${DURATION}s x $RUNS"
  for r in $(seq 1 "$RUNS"); do
    missed="$(next_day "$BENCH_DB")"
    today="$(date -u -d "$missed + 1 day" +%F)"
    body="$OUT_DIR/body-makeup-$r.jsonl"
    python3 -c 'import json,sys; print(json.dumps({"query": "mutation($d: Date!) { makeUpSignIn(date: $d, idempotencyKey: \"bench-makeup-" + sys.argv[2] + "\") { record { cycleDay streak } } }", "variables": {"d": sys.argv[1]}}))' "$missed" "$r" >"$body"
    # next_day moves on only once a run filled the date: start the day after.
    start_service "$BENCH_DB" "$today"
    while true; do
      m="$(run_wrk "$PORT" "$MAKEUP_CONNS" "$WRK_THREADS" "$DURATION" "$body" "$TOKENS" seq)"
      accept h service "$r" "$m" && break
    done
    say "h/service run $r ($missed made up on $today): $(field "$m" rps) req/s, p50 $(field "$m" p50_ms) ms, p99 $(field "$m" p99_ms) ms, errors $(field "$m" graphql_errors)"
    stop_service
  done
  cmd_note h "$(cat "$OUT_DIR/last-wrk-cmd.txt")"
fi

# --- scenario i: reward schedules on the hot path -----------------------------
# The same data twice: $BENCH_DB (one schedule, SIGNIN_REWARDS) and a copy with
# bench/schedules.sql applied (10 base schedules + 3 campaigns, all paying the
# same rewards, so only the lookups differ). Alternating runs: signIn (each on
# a fresh day), then the warm status read.
if has i; then
  SCHED_DB="${BENCH_DB}_sched"; check_db_name "$SCHED_DB"
  say "scenario i: copying $BENCH_DB to $SCHED_DB and publishing 13 schedules there"
  psql_db postgres -c "DROP DATABASE IF EXISTS \"$SCHED_DB\"" -c "CREATE DATABASE \"$SCHED_DB\" TEMPLATE \"$BENCH_DB\""
  psql_db "$SCHED_DB" -f "$BENCH_DIR/schedules.sql" >"$OUT_DIR/schedules-applied.txt"
  note i_schedules "$(tr -s ' \n' ' ' <"$OUT_DIR/schedules-applied.txt")"
  for r in $(seq 1 "$RUNS"); do
    signin_runs i-signin "$BENCH_DB" one "$r" "$r"
    signin_runs i-signin "$SCHED_DB" thirteen "$r" "$r"
  done
  for r in $(seq 1 "$RUNS"); do
    for target in one thirteen; do
      db="$BENCH_DB"; [ "$target" = thirteen ] && db="$SCHED_DB"
      start_service "$db" "$(next_day "$db")"
      run_wrk "$PORT" "$ME_CONNS" "$WRK_THREADS" "$DURATION" "$ME_BODY" "$TOKENS" random >/dev/null  # warm-up
      while true; do
        m="$(run_wrk "$PORT" "$ME_CONNS" "$WRK_THREADS" "$DURATION" "$ME_BODY" "$TOKENS" random)"
        accept i-status "$target" "$r" "$m" && break
      done
      say "i-status/$target run $r: $(field "$m" rps) req/s, p50 $(field "$m" p50_ms) ms, p99 $(field "$m" p99_ms) ms"
      stop_service
    done
  done
fi

# --- scenario k: signIn with two webhook endpoints vs none ---------------------
# Alternating runs on one database: no endpoint, then two endpoints
# subscribed to sign_in.recorded (issue 28: within 15 %), both pointing at
# hook-receiver on loopback (bench/baseline, answers 204 at once). Each run
# reports the credit delay, and the hooks runs the messages delivered and
# their delay (run_delays).
HOOK_PORT="${HOOK_PORT:-18091}"
if has k; then
  say "scenario k: signIn, no webhook endpoint vs two subscribed to sign_in.recorded, alternating, ${DURATION}s x $RUNS each"
  port_free "$HOOK_PORT" || die "port $HOOK_PORT is in use (set HOOK_PORT)"
  "$RECEIVER_BIN" "127.0.0.1:$HOOK_PORT" >>"$OUT_DIR/receiver.log" 2>&1 &
  RECEIVER_PID=$!
  no_endpoints() {
    psql_db "$BENCH_DB" -qc "UPDATE webhook_endpoints SET enabled = false, deleted_at = now() WHERE deleted_at IS NULL"
  }
  no_endpoints
  for r in $(seq 1 "$RUNS"); do
    signin_runs k "$BENCH_DB" none "$r" "$r"
    psql_db "$BENCH_DB" -q <<SQL
INSERT INTO webhook_endpoints (url, events, description, created_at)
  SELECT 'http://127.0.0.1:$HOOK_PORT/' || n, '{SIGN_IN_RECORDED}', 'bench ' || n, now()
    FROM unnest(ARRAY['crm', 'push']) n;
INSERT INTO webhook_secrets (endpoint_id, secret, created_at)
  SELECT id, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', now() FROM webhook_endpoints WHERE deleted_at IS NULL;
SQL
    signin_runs k "$BENCH_DB" hooks "$r" "$r"
    no_endpoints
  done
  kill "$RECEIVER_PID" 2>/dev/null; wait "$RECEIVER_PID" 2>/dev/null || true; RECEIVER_PID=""
fi

# --- scenario j: the sign-ins CSV export of the whole data set ------------------
if has j; then
  say "scenario j: GET /admin/export/sign-ins.csv of every sign-in, $RUNS runs"
  start_service "$BENCH_DB" "$(next_day "$BENCH_DB")"
  admin="$(admin_token "$BENCH_DB")"
  to="$(psql_db "$BENCH_DB" -Atc "SELECT max(day) FROM sign_ins")"
  if [ -n "${EXPORT_DAYS:-}" ]; then
    from="$(date -u -d "$to - $((EXPORT_DAYS - 1)) days" +%F)"
  else
    from="$(psql_db "$BENCH_DB" -Atc "SELECT min(day) FROM sign_ins")"
  fi
  note export_range "$from..$to"
  for r in $(seq 1 "$RUNS"); do
    hwm0="$(awk '/VmRSS/ {print $2}' "/proc/$SERVICE_PID/status")"
    out="$(curl -s -o "$RUN_TMP/export.csv" -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}' \
      -H "authorization: Bearer $admin" "http://127.0.0.1:$PORT/admin/export/sign-ins.csv?from=$from&to=$to")"
    read -r code ttfb total size <<<"$out"
    rows="$(($(wc -l <"$RUN_TMP/export.csv") - 1))"
    hwm="$(awk '/VmHWM/ {print $2}' "/proc/$SERVICE_PID/status")"
    rm -f "$RUN_TMP/export.csv"
    [ "$code" = 200 ] || die "export answered $code"
    m="$(python3 -c 'import json,sys; r,t,f,s,h,h0=map(float,sys.argv[1:7]); print(json.dumps({"rows": int(r), "seconds": t, "ttfb_ms": f*1000, "bytes": int(s), "rows_per_s": r/t, "vmhwm_kb": int(h), "rss_before_kb": int(h0), "rps": r/t}))' \
         "$rows" "$total" "$ttfb" "$size" "$hwm" "$hwm0")"
    record j service "$r" "$m"
    say "j run $r: $rows rows in ${total}s ($(field "$m" rows_per_s) rows/s), first byte after ${ttfb}s, VmHWM ${hwm} kB"
  done
  stop_service
fi

# --- query plans (EXPLAIN ANALYZE) of the statements behind the targets -------
{
  day="$(next_day "$BENCH_DB")"
  ids="$(python3 -c 'import json,sys; print("{"+",".join(json.loads(open(sys.argv[1]).readline())["variables"]["ids"])+"}")' "$OUT_DIR/body-history-1000.jsonl")"
  echo "### signInHistory, 1000 users x 31 days (the shape of the service's query; the captured statement is authoritative)"
  psql_db "$BENCH_DB" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT user_id, day, cycle_day, streak, reward FROM sign_ins WHERE user_id = ANY('$ids'::bigint[]) AND day BETWEEN '$HIST_FROM' AND '$HIST_TO' ORDER BY user_id, day"
  echo "### searchUsers(query: \"123\") (the service's query)"
  psql_db "$BENCH_DB" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id, username, role, token_version, created_at, deleted_at FROM users WHERE lower(username) LIKE '%123%' AND deleted_at IS NULL ORDER BY id LIMIT 21"
  echo "### searchUsers(query: \"xqz\") (no username contains it)"
  psql_db "$BENCH_DB" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id, username, role, token_version, created_at, deleted_at FROM users WHERE lower(username) LIKE '%xqz%' AND deleted_at IS NULL ORDER BY id LIMIT 21"
  echo "### me { signInStatus }: latest sign-in per user (DISTINCT ON), one user"
  psql_db "$BENCH_DB" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT DISTINCT ON (user_id) id, user_id, day, cycle_day, streak, reward, created_at, credited_at FROM sign_ins WHERE user_id = ANY('{4242}'::bigint[]) AND day <= '$day' ORDER BY user_id, day DESC"
  echo "### signIn: latest sign-in on or before today"
  psql_db "$BENCH_DB" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT id, user_id, day, cycle_day, streak, reward, created_at, credited_at FROM sign_ins WHERE user_id = 4242 AND day <= '$day' ORDER BY day DESC LIMIT 1"
} >"$OUT_DIR/explain.txt" 2>&1 || say "EXPLAIN step failed (see $OUT_DIR/explain.txt)"

# --- report ----------------------------------------------------------------
T_END=$(date +%s)
note total_seconds "$((T_END - T_START))"
mkdir -p "$BENCH_DIR/results"
REPORT="$BENCH_DIR/results/latest.md"
[ "$QUICK" = 1 ] && REPORT="$OUT_DIR/latest-quick.md"
[ -n "${BENCH_REPORT:-}" ] && REPORT="$BENCH_REPORT"
python3 "$BENCH_DIR/lib/report.py" --results "$RESULTS" --out-dir "$OUT_DIR" --report "$REPORT" \
  --gen "$OUT_DIR/gen-$BENCH_DB.env" --gen-small "$OUT_DIR/gen-$BENCH_DB_SMALL.env" \
  --quick "$QUICK" --command "${BENCH_COMMAND:-bash bench/run.sh}"
say "report written to $REPORT (total $((T_END - T_START)) s)"
