#!/usr/bin/env bash
# Issue 29's scale figures: the same scenarios of bench/run.sh on the 5 M
# data set (100,000 users x 90 days: about 5 M sign-ins) and on the large one
# (500,000 users x 100 days: 50 M user-days, about 28 M sign-ins and as many
# ledger rows), one after the other with the same binary and knobs, so the
# two reports can be read side by side:
#   bench/results/issue29-scale/5m.md and 50m.md.
#
#   bash bench/scale.sh       (about 40 minutes on 2 cores, 30 GB of disk)
#
# Scenarios (SCENARIOS, default "a b c l j"): a signIn and its pgbench
# baseline, b the warm status read, c signInHistory (10/100/1000 users x 31
# days), l signInStats over one year, j the sign-ins CSV export of the last
# EXPORT_DAYS (30) days, with the service's peak RSS. Other knobs as
# bench/run.sh (RUNS, DURATION, ADMIN_DURATION, REUSE_DATA=1 keeps data sets
# of the same size).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

: "${SCENARIOS:=a b c l j}" "${EXPORT_DAYS:=30}" "${RUNS:=3}" "${DURATION:=10}" "${ADMIN_DURATION:=5}"
: "${LARGE_USERS:=500000}" "${LARGE_DAYS:=100}"
export SCENARIOS EXPORT_DAYS RUNS DURATION ADMIN_DURATION
RESULTS_DIR="$BENCH_DIR/results/issue29-scale"
mkdir -p "$RESULTS_DIR"
[ "${SKIP_BUILD:-0}" = 1 ] || build_release 1

say "scale: 5 M (100,000 users x 90 days)"
USERS=100000 DAYS=90 BENCH_DB=signin_bench BENCH_DB_SMALL=signin_bench_small SKIP_BUILD=1 \
  BENCH_REPORT="$RESULTS_DIR/5m.md" BENCH_COMMAND="bash bench/scale.sh (5 M)" \
  bash "$BENCH_DIR/run.sh"
cp "$OUT_DIR/gen-signin_bench.env" "$RESULTS_DIR/gen-5m.env" 2>/dev/null || true

say "scale: large ($LARGE_USERS users x $LARGE_DAYS days)"
USERS="$LARGE_USERS" DAYS="$LARGE_DAYS" BENCH_DB=signin_bench_large BENCH_DB_SMALL=signin_bench_large_small \
  SKIP_BUILD=1 BENCH_REPORT="$RESULTS_DIR/50m.md" BENCH_COMMAND="bash bench/scale.sh (large)" \
  bash "$BENCH_DIR/run.sh"
cp "$OUT_DIR/gen-signin_bench_large.env" "$RESULTS_DIR/gen-50m.env" 2>/dev/null || true
psql_db signin_bench_large -Atc "SELECT relname, pg_size_pretty(pg_total_relation_size(oid))
  FROM pg_class WHERE relname IN ('sign_ins', 'wallet_transactions', 'users') ORDER BY 1" \
  >"$RESULTS_DIR/sizes-50m.txt"
say "scale: reports in $RESULTS_DIR"
