#!/usr/bin/env bash
# Builds of several commits against each other in one run, alternating, so
# every build sees the same machine: the "before and after, same run" of an
# issue whose change was made sessions ago (issues 24 and 25).
#
#   REVS="1ea1f9d 1147c40" NAME=issue25-ab bash bench/ab.sh
#
# Each commit of REVS is built in a worktree (this tree's target directory,
# so the dependencies are built once), then ROUNDS rounds each run every
# build once, the order rotating from round to round:
#   - SCRIPTS_REV's own bench (default the last of REVS; its scripts, data
#     and SQL are the ones those builds were measured with): run.sh with
#     SCENARIOS (a b) and peer.sh with PEER_WORKLOADS (all five), RUNS=1 each;
#   - this tree's run.sh with EXTRA_SCENARIOS (m n: login and WebSocket
#     operations, scenarios older scripts lack), RUNS=1, on the same data.
# A build may carry one setting for the service, COMMIT+VAR=value (e.g.
# cccb6e4+SIGNIN_MAX_CONCURRENT_HASHES=2): it reaches the extra scenarios
# only (this tree's run.sh passes SERVICE_ENV on; older scripts start the
# service with nothing but their own settings), so such a run has SCENARIOS
# and PEER_WORKLOADS empty.
# All builds share one database, made by SCRIPTS_REV's gen_data.sh with its
# build's migrations: a build never migrates it back, so SCRIPTS_REV must be
# the newest schema of REVS, and the older builds must run on it (checked
# by their first pass: a failing run stops the bench).
# Writes bench/results/<NAME>/<build>-<round>-{run,peer,extra}.md (each
# pass's own reports; raw outputs in bench/out/ab/<NAME>/) and
# bench/results/<NAME>/a-b.md: each figure's median per build and its ratio
# to the first build (bench/lib/ab_report.py).
#
# Knobs: REVS (required), NAME (required), SCRIPTS_REV, ROUNDS (3),
#   SCENARIOS ("a b"), PEER_WORKLOADS, EXTRA_SCENARIOS ("m n"): each may be
#   set empty to leave that part out, DURATION (10), SKIP_BUILD=1 (build
#   nothing; otherwise the builds missing from bench/out/ab/bin are made,
#   one per commit, kept for later runs),
#   REUSE_DATA=1 (the database of the last run, bench/out/ab-gen.env).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

: "${REVS:?REVS: the commits to compare, the before first}" "${NAME:?NAME: bench/results/NAME}"
read -r -a revs <<<"$REVS"
commit_of() { echo "${1%%+*}"; }
setting_of() { [[ "$1" == *+* ]] && echo "${1#*+}" || true; }
: "${SCRIPTS_REV:=$(commit_of "${revs[-1]}")}" "${ROUNDS:=3}" "${SCENARIOS=a b}" "${EXTRA_SCENARIOS=m n}"
: "${PEER_WORKLOADS=status-32 status-cold status-1 history-32 history-1}" "${DURATION:=10}"
: "${REUSE_DATA:=0}" "${SKIP_BUILD:=0}"
[[ "$NAME" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad NAME '$NAME'"
AB_DIR="$OUT_DIR/ab"; BINS="$AB_DIR/bin"; SCRIPTS="$AB_DIR/scripts"; PASSES="$AB_DIR/$NAME"
RESULTS_DIR="$BENCH_DIR/results/$NAME"
mkdir -p "$BINS" "$RESULTS_DIR" "$PASSES"
for build in "${revs[@]}"; do
  if [ -n "$(setting_of "$build")" ]; then
    [[ "$(setting_of "$build")" =~ ^[A-Z0-9_]+=[A-Za-z0-9_.:,-]*$ ]] || die "bad setting in '$build'"
    [ -z "$SCENARIOS$PEER_WORKLOADS" ] || die "'$build' carries a setting: only EXTRA_SCENARIOS can pass it on"
  fi
done

# The commits to build: the builds', and SCRIPTS_REV's when it makes the data.
commits=()
for b in "${revs[@]}"; do commits+=("$(commit_of "$b")"); done
MAKE_DATA=1; [ "$REUSE_DATA" = 1 ] && [ -f "$OUT_DIR/ab-gen.env" ] && MAKE_DATA=0
[ "$MAKE_DATA" = 0 ] || commits+=("$SCRIPTS_REV")
read -r -a commits <<<"$(printf '%s\n' "${commits[@]}" | sort -u | tr '\n' ' ')"
if [ "$SKIP_BUILD" != 1 ]; then
  for rev in "${commits[@]}"; do
    # A commit's build never changes: one made by an earlier run is kept.
    [ -x "$BINS/$rev" ] || build_commit "$rev" "$BINS/$rev"
  done
  build_baseline
fi
for rev in "${commits[@]}"; do
  [ -x "$BINS/$rev" ] || die "$BINS/$rev missing (run without SKIP_BUILD)"
done

# SCRIPTS_REV's bench, with this tree's baseline builds (the same crate);
# its peer.sh installs the peer's packages in the worktree.
worktree_at "$SCRIPTS_REV" "$SCRIPTS"
trap 'git -C "$ROOT_DIR" worktree remove --force "$SCRIPTS" 2>/dev/null || true' EXIT
ln -s "$BENCH_DIR/baseline/target" "$SCRIPTS/bench/baseline/target"
mkdir -p "$SCRIPTS/bench/out"
if [ "$MAKE_DATA" = 0 ]; then
  cp "$OUT_DIR/ab-gen.env" "$SCRIPTS/bench/out/gen-signin_bench.env"
else
  # The data and its schema: SCRIPTS_REV's, migrated by its build.
  (cd "$SCRIPTS" && SIGNIN_BIN="$BINS/$SCRIPTS_REV" bash bench/gen_data.sh)
  cp "$SCRIPTS/bench/out/gen-signin_bench.env" "$OUT_DIR/ab-gen.env"
fi

pass() { # build round
  local rev="$1" round="$2" bin dir="$PASSES/$1-$2"
  bin="$BINS/$(commit_of "$1")"
  rm -rf "$dir"; mkdir -p "$dir"
  say "round $round: $rev"
  if [ -n "$SCENARIOS" ]; then
    (cd "$SCRIPTS" && SIGNIN_BIN="$bin" SKIP_BUILD=1 REUSE_DATA=1 RUNS=1 DURATION="$DURATION" \
       SCENARIOS="$SCENARIOS" BENCH_REPORT="$RESULTS_DIR/$rev-$round-run.md" bash bench/run.sh) \
       >"$dir/run.log" 2>&1 || die "$rev round $round: run.sh failed (see $dir/run.log)"
    cp "$SCRIPTS/bench/out/results.jsonl" "$dir/results.jsonl"
  fi
  if [ -n "$PEER_WORKLOADS" ]; then
    (cd "$SCRIPTS" && SIGNIN_BIN="$bin" SKIP_BUILD=1 REUSE_DATA=1 RUNS=1 DURATION="$DURATION" \
       PEER_WORKLOADS="$PEER_WORKLOADS" PEER_REPORT="$RESULTS_DIR/$rev-$round-peer.md" bash bench/peer.sh) \
       >"$dir/peer.log" 2>&1 || die "$rev round $round: peer.sh failed (see $dir/peer.log)"
    cp "$SCRIPTS/bench/out/peer.jsonl" "$dir/peer.jsonl"
  fi
  if [ -n "$EXTRA_SCENARIOS" ]; then
    BENCH_OUT="$SCRIPTS/bench/out" SIGNIN_BIN="$bin" SERVICE_ENV="$(setting_of "$rev")" \
      SKIP_BUILD=1 REUSE_DATA=1 RUNS=1 DURATION="$DURATION" \
      SCENARIOS="$EXTRA_SCENARIOS" BENCH_REPORT="$RESULTS_DIR/$rev-$round-extra.md" bash "$BENCH_DIR/run.sh" \
      >"$dir/extra.log" 2>&1 || die "$rev round $round: run.sh ($EXTRA_SCENARIOS) failed (see $dir/extra.log)"
    cp "$SCRIPTS/bench/out/results.jsonl" "$dir/extra.jsonl"
  fi
}

n=${#revs[@]}
for round in $(seq 1 "$ROUNDS"); do
  for ((i = 0; i < n; i++)); do
    pass "${revs[$(( (round - 1 + i) % n ))]}" "$round"
  done
done

python3 "$BENCH_DIR/lib/ab_report.py" --dir "$PASSES" --revs "${revs[@]}" --rounds "$ROUNDS" \
  --scripts-rev "$SCRIPTS_REV" --command "REVS=\"$REVS\" NAME=$NAME ROUNDS=$ROUNDS DURATION=$DURATION bash bench/ab.sh" \
  --out "$RESULTS_DIR/a-b.md"
