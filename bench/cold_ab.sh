#!/usr/bin/env bash
# One of peer.sh's workloads, the service alone, for several release
# binaries against each other, alternating, so every binary sees the same
# machine: for a change to that read, before the full `make bench-peer`.
#
#   BINS="head=/tmp/head lanes=target/release/signin-rewards" bash bench/cold_ab.sh
#   WORKLOAD=history-1 BINS="..." bash bench/cold_ab.sh
#
# WORKLOAD (status-cold):
#   status-cold  32 connections, each user asked once (peer.sh's bodies and
#                tokens), the service fresh with its Redis namespace emptied
#   history-1    1 connection, signInHistory of 100 users x 31 days as the
#                admin (peer.sh's bodies), after an unrecorded 3 s warm-up
#   history-32   the same with 32 connections
#   status-warm  32 connections, random users (bench/run.sh's scenario b),
#                after an unrecorded 15 s pass over the users in turn: every
#                token check and status from the process's own memory
# Each round runs every binary once, in BINS order: the service started
# afresh (its Redis namespace emptied), then wrk for DURATION seconds. A
# binary may carry settings for the service: name=path:VAR=value,VAR=value
# (VAR= for an empty value).
# PERF=<name> records `perf record -a -g` of that binary's first run
# (bench/out/cold-ab-<name>.perf.data).
# Needs the bench database (peer.sh or gen_data.sh made it) and the tokens
# file peer.sh writes (bench/out/tokens-$USERS.txt).
# Knobs: BINS (required), WORKLOAD, ROUNDS (3), DURATION (10), BENCH_DB
#   (signin_bench), USERS (100000), DAYS (90), PORT (18090), POOL (8).
# Prints one line a run: round, name, req/s, p50 ms, GraphQL errors, non-200s.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
: "${BINS:?BINS=\"name=path ...\"}" "${ROUNDS:=3}" "${DURATION:=10}" "${BENCH_DB:=signin_bench}"
: "${PORT:=18090}" "${POOL:=8}" "${USERS:=100000}"
check_db_name "$BENCH_DB"
NS=coldab
TMP="$(mktemp -d /tmp/signin-cold-ab.XXXXXX)"
TOKENS="$OUT_DIR/tokens-$USERS.txt"
[ -f "$TOKENS" ] || die "$TOKENS not found (bench/peer.sh writes it)"
: "${WORKLOAD:=status-cold}" "${DAYS:=90}" "${BENCH_TODAY:=2026-01-15}"
warm_load=()
case "$WORKLOAD" in
  status-cold)
    echo '{"query":"{ me { signInStatus { today streak cycleDay todayReward signedInToday } } }"}' >"$TMP/bodies.jsonl"
    wrk_args=(-t2 -c32) load=(threads=2 mode=seq "tokens=$TOKENS") warm_secs=0 ;;
  status-warm)
    echo '{"query":"{ me { signInStatus { today streak cycleDay todayReward signedInToday } } }"}' >"$TMP/bodies.jsonl"
    wrk_args=(-t2 -c32) load=(threads=2 mode=random "tokens=$TOKENS") warm_secs=15
    warm_load=(threads=2 mode=seq "tokens=$TOKENS") ;;
  history-1|history-32)
    # peer.sh's admin token and history bodies
    iat="$(date -u -d "$BENCH_TODAY - $DAYS days - 1 day" +%s)"
    admin_id="$(psql_db "$BENCH_DB" -Atc "SELECT id FROM users WHERE username = '$BENCH_ADMIN_USER'")"
    python3 "$BENCH_DIR/lib/tokens.py" admin --secret "$BENCH_JWT_SECRET" --id "$admin_id" --iat "$iat" >"$TMP/admin.txt"
    python3 "$BENCH_DIR/lib/tokens.py" history --users "$USERS" --sizes 100 \
      --from "$(date -u -d "$BENCH_TODAY - 31 days" +%F)" --to "$(date -u -d "$BENCH_TODAY - 1 day" +%F)" \
      --out-prefix "$TMP/history-" --bodies 40
    mv "$TMP/history-100.jsonl" "$TMP/bodies.jsonl"
    if [ "$WORKLOAD" = history-1 ]; then
      wrk_args=(-t1 -c1) load=(threads=1 mode=random "tokens=$TMP/admin.txt")
    else
      wrk_args=(-t2 -c32) load=(threads=2 mode=random "tokens=$TMP/admin.txt")
    fi
    warm_secs=3 ;;
  *) die "unknown WORKLOAD $WORKLOAD (status-cold, status-warm, history-1, history-32)" ;;
esac
drive() { # seconds [load] -> wrk's output
  local seconds="$1"; shift
  [ "$#" -gt 0 ] || set -- "${load[@]}"
  wrk "${wrk_args[@]}" -d"${seconds}s" --timeout 30s -s "$BENCH_DIR/wrk/graphql.lua" \
    "http://127.0.0.1:$PORT/graphql" -- "bodies=$TMP/bodies.jsonl" "$@"
}
DAY="$(psql_db "$BENCH_DB" -Atc "SELECT max(day) + 1 FROM sign_ins")"
SERVICE_PID=""
cleanup() { set +e; [ -n "$SERVICE_PID" ] && { kill -TERM "$SERVICE_PID"; wait "$SERVICE_PID"; }; rm -rf "$TMP"; }
trap cleanup EXIT

for r in $(seq 1 "$ROUNDS"); do
  for spec in $BINS; do
    name="${spec%%=*}" rest="${spec#*=}"
    bin="${rest%%:*}" settings=""
    [ "$rest" != "$bin" ] && settings="${rest#*:}"
    start_bench_service "$bin" "$OUT_DIR/cold-ab-service.log" "${settings//,/ }"
    if [ "${#warm_load[@]}" -gt 0 ]; then
      drive "$warm_secs" "${warm_load[@]}" >/dev/null
    elif [ "$warm_secs" -gt 0 ]; then
      drive "$warm_secs" >/dev/null
    fi
    perf_pid=""
    if [ "${PERF:-}" = "$name" ] && [ "$r" = 1 ]; then
      (sleep 2; perf record -F 499 -g -a -o "$OUT_DIR/cold-ab-$name.perf.data" -- sleep 6 >/dev/null 2>&1) &
      perf_pid=$!
    fi
    out="$(drive "$DURATION")"
    grep '^BENCHJSON ' <<<"$out" | cut -d' ' -f2- | python3 -c '
import json, sys
m = json.load(sys.stdin)
print("round", sys.argv[1], sys.argv[2], m["rps"], m["p50_ms"], m["graphql_errors"], m["non200"])' "$r" "$name"
    [ -n "$perf_pid" ] && wait "$perf_pid"
    stop_bench_service
  done
done
