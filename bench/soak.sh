#!/usr/bin/env bash
# The soak: the release service under a long mixed load, its memory sampled
# throughout. Fails (exit 1) when the resident set at the end is more than
# SOAK_MAX_GROWTH x the one at 20 % of the run, when any request failed, or
# when the books do not balance (`signin-rewards audit`). See
# docs/performance.md, "Memory under a long mixed load".
#
#   make soak                       10 minutes (SOAK_DURATION=600)
#   SOAK_DURATION=120 make soak     shorter
#   bash bench/soak.sh              the same without make
#
# The load (bench/wrk/soak.lua), SOAK_CONNS requests in flight:
#   50 % me { signInStatus }, 20 % a ledger page (me { wallet { transactions(first: 20) } }),
#   17 % spend(amount: 1) with a fresh idempotency key, 8 % the admin's signInHistory
#   of 50 users x 7 days, 5 % signIn; SOAK_USERS users, each with SOAK_DAYS days of
#   history and 1,000,000 points added (adjustWallet) so that spends succeed.
# Expected GraphQL errors (answers, not failures): ALREADY_SIGNED_IN (every sign-in
#   after a user's first of the day) and INSUFFICIENT_FUNDS. Failed: a status other
#   than 200, a socket error or timeout, or any other GraphQL error.
#
# Knobs (environment): SOAK_DURATION (600 s), SOAK_CONNS (4), SOAK_THREADS (2),
#   SOAK_USERS (200), SOAK_DAYS (28), SOAK_MIX (50,20,17,8,5), SOAK_RSS_EVERY (5 s),
#   SOAK_MAX_GROWTH (1.25), SOAK_DB (signin_bench_soak), SOAK_NS (soak: Redis namespace),
#   SOAK_PORT (18090), SOAK_POOL (8), SOAK_TODAY (2026-01-15), SKIP_BUILD=1,
#   SIGNIN_BIN (target/release/signin-rewards), SOAK_KEEP_DB=1 (keep the database),
#   SOAK_WRAPPER (a command the service runs under, e.g. "heaptrack -o /tmp/soak-heap";
#   see docs/performance.md), SOAK_LABEL (a word in the output file names).
# Writes bench/out/soak-<time>[-label].{json,md} and the RSS samples (.tsv).
# On this shared machine a run longer than 60 s waits while /tmp/bench.lock exists
# (someone's CPU-sensitive benchmark) and holds /tmp/soak.lock while it runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

: "${SOAK_DURATION:=600}" "${SOAK_CONNS:=4}" "${SOAK_THREADS:=2}" "${SOAK_USERS:=200}"
: "${SOAK_DAYS:=28}" "${SOAK_MIX:=50,20,17,8,5}" "${SOAK_RSS_EVERY:=5}" "${SOAK_MAX_GROWTH:=1.25}"
: "${SOAK_DB:=signin_bench_soak}" "${SOAK_NS:=soak}" "${SOAK_PORT:=18090}" "${SOAK_POOL:=8}"
: "${SOAK_TODAY:=2026-01-15}" "${SKIP_BUILD:=0}" "${SOAK_KEEP_DB:=0}" "${SOAK_WRAPPER:=}"
: "${SOAK_LABEL:=}"
check_db_name "$SOAK_DB"
[[ "$SOAK_DB" == *soak* ]] || die "SOAK_DB must contain 'soak'"
[[ "$SOAK_NS" =~ ^soak[A-Za-z0-9_]*$ ]] || die "SOAK_NS must start with 'soak' (letters, digits, _)"
for v in SOAK_DURATION SOAK_CONNS SOAK_THREADS SOAK_USERS SOAK_DAYS SOAK_RSS_EVERY; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[ "$SOAK_DAYS" -ge 8 ] || die "SOAK_DAYS must be at least 8 (the history window is 7 days)"
[ "$SOAK_USERS" -ge 50 ] || die "SOAK_USERS must be at least 50 (history asks for 50 users)"

STAMP="$(date -u +%Y%m%d-%H%M%S)${SOAK_LABEL:+-$SOAK_LABEL}"
OUT_BASE="$OUT_DIR/soak-$STAMP"
RUN_TMP="$(mktemp -d /tmp/signin-soak.XXXXXX)"
SERVICE_PID="" WRAPPER_PID="" SAMPLER_PID="" DB_MADE=0 LOCKED=0
LOCK=/tmp/soak.lock FOREIGN_LOCK=/tmp/bench.lock

redis_clean() {
  redis-cli -u "$REDIS_URL" --scan --pattern "$SOAK_NS:*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null
}
stop_service() { # SIGTERM to the service itself (under a wrapper too), then wait
  local pid="$SERVICE_PID" rc=0
  [ -n "$pid" ] || return 0
  SERVICE_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { say "service did not stop in 40 s; killing"; kill -KILL "$pid" 2>/dev/null; }
  if [ -n "$WRAPPER_PID" ]; then
    wait "$WRAPPER_PID" 2>/dev/null || rc=$?
    WRAPPER_PID=""
  fi
  return "$rc"
}
cleanup() {
  local rc=$?
  set +e
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null && wait "$SAMPLER_PID" 2>/dev/null
  stop_service
  if [ "$DB_MADE" = 1 ] && [ "$SOAK_KEEP_DB" != 1 ]; then
    psql_db postgres -c "DROP DATABASE IF EXISTS \"$SOAK_DB\" WITH (FORCE)" >/dev/null 2>&1
  fi
  redis_clean
  rm -rf "$RUN_TMP"
  [ "$LOCKED" = 1 ] && rm -f "$LOCK"
  [ "$rc" = 0 ] || say "soak FAILED (exit $rc); service log: $OUT_BASE.service.log"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() { command -v "$1" >/dev/null || die "$1 not found${2:+ ($2)}"; }
need wrk "apt-get install wrk"; need psql; need python3; need curl; need redis-cli
psql_db postgres -Atc "SELECT 1" >/dev/null || die "PostgreSQL does not answer at $PG_SERVER (make services)"
redis-cli -u "$REDIS_URL" ping >/dev/null || die "Redis does not answer at $REDIS_URL"
port_free "$SOAK_PORT" || die "port $SOAK_PORT is in use (set SOAK_PORT)"

if [ "$SOAK_DURATION" -gt 60 ]; then
  while [ -e "$FOREIGN_LOCK" ]; do say "waiting: $FOREIGN_LOCK exists"; sleep 30; done
  : >"$LOCK"; LOCKED=1
fi

if [ "$SKIP_BUILD" != 1 ]; then
  say "build: cargo build --release"
  (cd "$ROOT_DIR" && cargo build --release --quiet)
fi
[ -x "$SIGNIN_BIN" ] || die "$SIGNIN_BIN missing (cargo build --release)"

# --- data: SOAK_USERS users with SOAK_DAYS days of history (bench/gen_data.sql)
FIRST_DAY="$(date -u -d "$SOAK_TODAY - $SOAK_DAYS days" +%F)"
IAT="$(date -u -d "$FIRST_DAY - 1 day" +%s)"
say "data: $SOAK_DB, $SOAK_USERS users x $SOAK_DAYS days; Redis namespace $SOAK_NS"
redis_clean
psql_db postgres -c "DROP DATABASE IF EXISTS \"$SOAK_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$SOAK_DB\"" >/dev/null
DB_MADE=1
SERVICE_ENV=(PATH="$PATH" HOME="$HOME" DATABASE_URL="$PG_SERVER/$SOAK_DB" REDIS_URL="$REDIS_URL"
  SIGNIN_BIND="127.0.0.1:$SOAK_PORT" SIGNIN_ENV=development SIGNIN_JWT_SECRET="$BENCH_JWT_SECRET"
  SIGNIN_REDIS_NAMESPACE="$SOAK_NS" SIGNIN_DB_POOL_SIZE="$SOAK_POOL" SIGNIN_TIMEZONE=UTC
  SIGNIN_REWARDS=10,10,20,20,30,30,100 SIGNIN_LOG_FORMAT=json RUST_LOG=warn)
# env -i and a scratch working directory: no .env file, no caller's SIGNIN_*.
signin() { (cd "$RUN_TMP" && env -i "${SERVICE_ENV[@]}" "$@"); }
signin "$SIGNIN_BIN" migrate >/dev/null
psql_db "$SOAK_DB" -c "ALTER TABLE users ALTER COLUMN id RESTART WITH $((SOAK_USERS + 1))"
signin SIGNIN_ADMIN_PASSWORD="$BENCH_ADMIN_PASSWORD" "$SIGNIN_BIN" create-admin --username "$BENCH_ADMIN_USER" >/dev/null
psql_db "$SOAK_DB" -v users="$SOAK_USERS" -v days="$SOAK_DAYS" -v first_day="$FIRST_DAY" -v seed=0.42 \
  -f "$BENCH_DIR/gen_data.sql" >"$RUN_TMP/gen.log"
ADMIN_ID="$(psql_db "$SOAK_DB" -Atc "SELECT id FROM users WHERE username = '$BENCH_ADMIN_USER'")"

TOKENS="$RUN_TMP/tokens.txt" ADMIN_TOKEN="$RUN_TMP/admin.txt"
python3 "$BENCH_DIR/lib/tokens.py" users --secret "$BENCH_JWT_SECRET" --users "$SOAK_USERS" --iat "$IAT" --out "$TOKENS"
python3 "$BENCH_DIR/lib/tokens.py" admin --secret "$BENCH_JWT_SECRET" --id "$ADMIN_ID" --iat "$IAT" >"$ADMIN_TOKEN"
python3 "$BENCH_DIR/lib/tokens.py" history --users "$SOAK_USERS" --sizes 50 \
  --from "$(date -u -d "$SOAK_TODAY - 7 days" +%F)" --to "$(date -u -d "$SOAK_TODAY - 1 day" +%F)" \
  --out-prefix "$RUN_TMP/body-history-" --bodies 40

# --- the service --------------------------------------------------------------
: >"$OUT_BASE.service.log"
# shellcheck disable=SC2086 # SOAK_WRAPPER is a command line
(cd "$RUN_TMP" && exec env -i "${SERVICE_ENV[@]}" SIGNIN_NOW="${SOAK_TODAY}T12:00:00Z" \
   $SOAK_WRAPPER "$SIGNIN_BIN" serve) >>"$OUT_BASE.service.log" 2>&1 &
WRAPPER_PID=$!
# Under a wrapper the service is a descendant of $!: find the process running the binary.
find_service() {
  local pid queue=("$WRAPPER_PID")
  while [ "${#queue[@]}" -gt 0 ]; do
    pid="${queue[0]}"; queue=("${queue[@]:1}")
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$SIGNIN_BIN")" ] && { echo "$pid"; return 0; }
    # shellcheck disable=SC2207
    queue+=($(cat /proc/"$pid"/task/*/children 2>/dev/null))
  done
  return 1
}
for _ in $(seq 1 300); do
  [ -z "$SERVICE_PID" ] && SERVICE_PID="$(find_service || true)"
  [ -n "$SERVICE_PID" ] && curl -sf "http://127.0.0.1:$SOAK_PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$WRAPPER_PID" 2>/dev/null || die "service exited at start (see $OUT_BASE.service.log)"
  sleep 0.2
done
curl -sf "http://127.0.0.1:$SOAK_PORT/readyz" >/dev/null || die "service not ready after 60 s"
[ -n "$SERVICE_PID" ] || die "cannot find the service's process"
say "service: pid $SERVICE_PID on 127.0.0.1:$SOAK_PORT${SOAK_WRAPPER:+ (under: $SOAK_WRAPPER)}"

say "data: adding 1,000,000 points to each of the $SOAK_USERS wallets (adjustWallet)"
ADMIN_TOK="$(cat "$ADMIN_TOKEN")"
for uid in $(seq 1 "$SOAK_USERS"); do
  printf '{"query":"mutation { adjustWallet(userId: \\"%s\\", amount: 1000000, idempotencyKey: \\"soak-topup-%s\\", note: \\"soak\\") { id } }"}\n' "$uid" "$uid"
done >"$RUN_TMP/topup.jsonl"
while read -r body; do
  out="$(curl -s "http://127.0.0.1:$SOAK_PORT/graphql" -H 'content-type: application/json' \
         -H "authorization: Bearer $ADMIN_TOK" -d "$body")"
  [[ "$out" == *'"errors"'* ]] && die "adjustWallet failed: $out"
done <"$RUN_TMP/topup.jsonl"

# --- the load, and the resident set every SOAK_RSS_EVERY seconds ---------------
RSS="$OUT_BASE.rss.tsv"
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVICE_PID/status" 2>/dev/null || echo 0; }
printf 't_s\trss_kb\n' >"$RSS"
T0="$(date +%s.%N)"
(
  i=0
  while :; do
    printf '%d\t%s\n' "$((i * SOAK_RSS_EVERY))" "$(rss_kb)" >>"$RSS"
    i=$((i + 1))
    # Sleep until the next multiple of SOAK_RSS_EVERY since T0 (no drift).
    sleep "$(python3 -c 'import sys,time; print(max(0.0, float(sys.argv[1]) + int(sys.argv[2]) * int(sys.argv[3]) - time.time()))' "$T0" "$i" "$SOAK_RSS_EVERY")"
  done
) &
SAMPLER_PID=$!
say "load: ${SOAK_DURATION}s, $SOAK_CONNS connections, mix status,ledger,spend,history,signin = $SOAK_MIX"
WRK_CMD=(wrk -t"$SOAK_THREADS" -c"$SOAK_CONNS" -d"${SOAK_DURATION}s" --timeout 30s -s "$BENCH_DIR/wrk/soak.lua"
  "http://127.0.0.1:$SOAK_PORT/graphql" -- "tokens=$TOKENS" "admin=$ADMIN_TOKEN"
  "history=$RUN_TMP/body-history-50.jsonl" "mix=$SOAK_MIX" "run=$STAMP")
WRK_OUT="$("${WRK_CMD[@]}")" || die "wrk failed: $WRK_OUT"
T_LOAD="$(python3 -c 'import sys,time; print(round(time.time() - float(sys.argv[1]), 1))' "$T0")"
END_RSS="$(rss_kb)"
kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""
printf '%s\t%s\n' "$T_LOAD" "$END_RSS" >>"$RSS"
HWM="$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVICE_PID/status")"
echo "$WRK_OUT" >"$OUT_BASE.wrk.txt"

# Every sign-in credited (the worker runs in the service), then stop and audit.
# /metrics is never fetched: the service runs unscraped, as the issue's did.
for _ in $(seq 1 300); do
  n="$(psql_db "$SOAK_DB" -Atc "SELECT count(*) FROM sign_ins WHERE credited_at IS NULL")"
  [ "$n" = 0 ] && break; sleep 0.2
done
UNCREDITED="$n"
STOP_RC=0; stop_service || STOP_RC=$?
AUDIT_RC=0
NOW_AFTER="$(date -u -d "${SOAK_TODAY}T12:00:00Z + $(printf '%.0f' "$T_LOAD") seconds" +%FT%TZ)"
signin SIGNIN_NOW="$NOW_AFTER" "$SIGNIN_BIN" audit >"$OUT_BASE.audit.txt" 2>&1 || AUDIT_RC=$?

python3 "$BENCH_DIR/lib/soak_report.py" --rss "$RSS" --wrk "$OUT_BASE.wrk.txt" --out "$OUT_BASE" \
  --duration "$SOAK_DURATION" --max-growth "$SOAK_MAX_GROWTH" --audit-rc "$AUDIT_RC" \
  --audit "$OUT_BASE.audit.txt" --stop-rc "$STOP_RC" --uncredited "$UNCREDITED" --hwm-kb "$HWM" \
  --params "users=$SOAK_USERS days=$SOAK_DAYS conns=$SOAK_CONNS threads=$SOAK_THREADS mix=$SOAK_MIX pool=$SOAK_POOL" \
  --commit "$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT_DIR" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo '+changes')" \
  --binary "$SIGNIN_BIN" --wrapper "$SOAK_WRAPPER" --command "${WRK_CMD[*]}"
