#!/usr/bin/env bash
# CPU profile of the release service under the status read and under signIn
# (perf, call graphs), summarised by where the time goes.
#
#   PROFILE_LABEL=after bash bench/profile.sh
#
# Needs the bench database (bash bench/gen_data.sh, or a bench run) and perf.
# For each workload: starts the service, drives it with wrk (status: 32
# connections, random users, after one warm-up pass; signIn: 16 connections,
# each user once, on a fresh day), records `perf record -F 499 -g` of the
# service for PROFILE_SECS (10), and writes
# bench/out/profile-<label>-<workload>.summary.md: a summary by area (bench/lib/profile_summary.py) with the CPU per request.
# Knobs: SIGNIN_BIN, BENCH_DB (signin_bench), USERS (100000), DAYS (90),
#   PORT (18086), PROFILE_SECS (10), PROFILE_LABEL (run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
: "${BENCH_DB:=signin_bench}" "${USERS:=100000}" "${DAYS:=90}" "${PORT:=18086}" "${PROFILE_SECS:=10}"
: "${PROFILE_LABEL:=run}" "${BENCH_TODAY:=2026-01-15}" "${POOL:=8}"
check_db_name "$BENCH_DB"
command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
NS=profile
TMP="$(mktemp -d /tmp/signin-profile.XXXXXX)"
SERVICE_PID=""
cleanup() { set +e; [ -n "$SERVICE_PID" ] && { kill -TERM "$SERVICE_PID"; wait "$SERVICE_PID"; }; rm -rf "$TMP"; }
trap cleanup EXIT

FIRST_DAY="$(date -u -d "$BENCH_TODAY - $DAYS days" +%F)"
IAT="$(date -u -d "$FIRST_DAY - 1 day" +%s)"
TOKENS="$OUT_DIR/tokens-$USERS.txt"
python3 "$BENCH_DIR/lib/tokens.py" users --secret "$BENCH_JWT_SECRET" --users "$USERS" --iat "$IAT" --out "$TOKENS"
echo '{"query":"{ me { signInStatus { today streak cycleDay todayReward signedInToday } } }"}' >"$TMP/me.jsonl"
echo '{"query":"mutation { signIn { record { cycleDay streak reward } } }"}' >"$TMP/signin.jsonl"

start_service() { DAY="$1" start_bench_service "$SIGNIN_BIN" "$OUT_DIR/profile-service.log"; }
stop_service() { stop_bench_service; }
wrk_run() { # conns dur bodies mode
  wrk -t2 -c"$1" -d"${2}s" --timeout 30s -s "$BENCH_DIR/wrk/graphql.lua" "http://127.0.0.1:$PORT/graphql" \
    -- "bodies=$3" "tokens=$TOKENS" threads=2 "mode=$4"
}
profile() { # workload conns bodies mode
  local out="$OUT_DIR/profile-$PROFILE_LABEL-$1" ticks0 ticks1
  ticks0="$(awk '{print $14 + $15}' "/proc/$SERVICE_PID/stat")"
  perf record -F 499 -g -o "$out.data" -p "$SERVICE_PID" -- sleep "$PROFILE_SECS" 2>/dev/null &
  local perf_pid=$!
  local res; res="$(wrk_run "$2" "$PROFILE_SECS" "$3" "$4" | grep '^BENCHJSON ' | cut -d' ' -f2-)"
  wait "$perf_pid" || true
  ticks1="$(awk '{print $14 + $15}' "/proc/$SERVICE_PID/stat")"
  python3 "$BENCH_DIR/lib/profile_summary.py" "$out.data" "$res" "$((ticks1 - ticks0))" "$(getconf CLK_TCK)" \
    "$PROFILE_LABEL $1" "$SIGNIN_BIN" | tee "$out.summary.md"
  rm -f "$out.data.old"
}

day="$(psql_db "$BENCH_DB" -Atc "SELECT max(day) + 1 FROM sign_ins")"
start_service "$day"
say "status: warm-up pass (each user once), then ${PROFILE_SECS}s profiled"
wrk_run 32 15 "$TMP/me.jsonl" seq >/dev/null
profile status 32 "$TMP/me.jsonl" random
stop_service
start_service "$day"
say "signIn: ${PROFILE_SECS}s profiled (each user once, day $day)"
profile signin 16 "$TMP/signin.jsonl" seq
stop_service
say "profiles in $OUT_DIR/profile-$PROFILE_LABEL-*.{txt,summary.md} (perf data: *.data)"
