#!/usr/bin/env bash
# The cold status read (peer.sh's status-cold, the service alone) of several
# release binaries against each other, alternating, so every binary sees the
# same machine: for a change to that read, before the full `make bench-peer`.
#
#   BINS="head=/tmp/head lanes=target/release/signin-rewards" bash bench/cold_ab.sh
#
# Each round runs every binary once, in BINS order: the service started
# afresh with its Redis namespace emptied, then wrk at 32 connections for
# DURATION seconds, each user asked once (peer.sh's bodies and tokens). A
# binary may carry settings for the service: name=path:VAR=value,VAR=value.
# PERF=<name> records `perf record -a -g` of that binary's first run
# (bench/out/cold-ab-<name>.perf.data).
# Needs the bench database (peer.sh or gen_data.sh made it) and the tokens
# file peer.sh writes (bench/out/tokens-$USERS.txt).
# Knobs: BINS (required), ROUNDS (3), DURATION (10), BENCH_DB (signin_bench),
#   USERS (100000), PORT (18090), POOL (8).
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
echo '{"query":"{ me { signInStatus { today streak cycleDay todayReward signedInToday } } }"}' >"$TMP/me.jsonl"
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
    perf_pid=""
    if [ "${PERF:-}" = "$name" ] && [ "$r" = 1 ]; then
      (sleep 2; perf record -F 499 -g -a -o "$OUT_DIR/cold-ab-$name.perf.data" -- sleep 6 >/dev/null 2>&1) &
      perf_pid=$!
    fi
    out="$(wrk -t2 -c32 -d"${DURATION}s" --timeout 30s -s "$BENCH_DIR/wrk/graphql.lua" \
           "http://127.0.0.1:$PORT/graphql" -- "bodies=$TMP/me.jsonl" threads=2 mode=seq "tokens=$TOKENS")"
    grep '^BENCHJSON ' <<<"$out" | cut -d' ' -f2- | python3 -c '
import json, sys
m = json.load(sys.stdin)
print("round", sys.argv[1], sys.argv[2], m["rps"], m["p50_ms"], m["graphql_errors"], m["non200"])' "$r" "$name"
    [ -n "$perf_pid" ] && wait "$perf_pid"
    stop_bench_service
  done
done
