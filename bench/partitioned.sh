#!/usr/bin/env bash
# Issue 29, item 4: the same scenarios on the unpartitioned schema (a build
# of UNPARTITIONED_REV, the last commit before the partitioned history) and
# on the partitioned one (this tree), in one run: each on a data set of its
# own of the same size and seed, the two alternating ROUNDS times, so both
# see the same machine. Writes
#   bench/results/issue29-scale/<PREFIX>-unpartitioned-<round>.md,
#   <PREFIX>-partitioned-<round>.md and <PREFIX>-a-b.md (medians and ratios).
#
#   bash bench/partitioned.sh     (5 M sign-ins: about 50 minutes on 2 cores)
#
# Knobs: UNPARTITIONED_REV (3ea7db0), USERS (100000), DAYS (90), PREFIX
# (5m), ROUNDS (2), SCENARIOS ("a b c l j"), RUNS (3 per round), DURATION
# (10), ADMIN_DURATION (5), EXPORT_DAYS (30), REUSE_DATA=1 (keep both data
# sets), SKIP_BUILD=1 (both binaries already built).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

: "${UNPARTITIONED_REV:=3ea7db0}" "${USERS:=100000}" "${DAYS:=90}" "${PREFIX:=5m}" "${ROUNDS:=2}"
: "${SCENARIOS:=a b c l j}" "${EXPORT_DAYS:=30}" "${RUNS:=3}" "${DURATION:=10}" "${ADMIN_DURATION:=5}"
: "${REUSE_DATA:=0}"
export SCENARIOS EXPORT_DAYS RUNS DURATION ADMIN_DURATION USERS DAYS
RESULTS_DIR="$BENCH_DIR/results/issue29-scale"
BINS="$OUT_DIR/partitioned-ab"
mkdir -p "$RESULTS_DIR" "$BINS"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  # The unpartitioned build from a worktree of its commit, in this tree's
  # target directory (the dependencies are built once for both).
  worktree="$BINS/unpartitioned-src"
  rm -rf "$worktree"; git -C "$ROOT_DIR" worktree prune
  git -C "$ROOT_DIR" worktree add --detach "$worktree" "$UNPARTITIONED_REV" >/dev/null
  say "build: $UNPARTITIONED_REV (unpartitioned)"
  (cd "$worktree" && CARGO_TARGET_DIR="$ROOT_DIR/target" cargo build --release --quiet)
  cp "$ROOT_DIR/target/release/signin-rewards" "$BINS/signin-rewards-unpartitioned"
  git -C "$ROOT_DIR" worktree remove --force "$worktree"
  # Cargo judges the crate fresh by its files' times against the last
  # build's output, which is now the other revision's: touch this tree's
  # sources so it is built again.
  find "$ROOT_DIR/src" "$ROOT_DIR/migrations" -type f -exec touch {} +
  build_release 1
  cp "$ROOT_DIR/target/release/signin-rewards" "$BINS/signin-rewards-partitioned"
fi
# Each binary must be the schema it is named for.
grep -aq partitioned_history "$BINS/signin-rewards-partitioned" \
  || die "signin-rewards-partitioned does not hold the partitioned-history migration"
if grep -aq partitioned_history "$BINS/signin-rewards-unpartitioned"; then
  die "signin-rewards-unpartitioned holds the partitioned-history migration"
fi

run_variant() { # variant round
  local variant="$1" round="$2" reuse=1
  [ "$round" = 1 ] && reuse="$REUSE_DATA"
  say "partitioned A/B: $variant, round $round"
  SIGNIN_BIN="$BINS/signin-rewards-$variant" BENCH_OUT="$OUT_DIR/partitioned-ab/$variant-$round" \
    BENCH_DB="signin_bench_$variant" BENCH_DB_SMALL="signin_bench_${variant}_small" \
    REUSE_DATA="$reuse" SKIP_BUILD=1 \
    BENCH_REPORT="$RESULTS_DIR/$PREFIX-$variant-$round.md" \
    BENCH_COMMAND="bash bench/partitioned.sh ($variant, round $round)" \
    bash "$BENCH_DIR/run.sh"
}

for round in $(seq 1 "$ROUNDS"); do
  run_variant unpartitioned "$round"
  run_variant partitioned "$round"
done

: >"$BINS/sizes.txt"
for variant in unpartitioned partitioned; do
  # A partitioned table's own size is 0: sum its partitions.
  psql_db "signin_bench_$variant" -Atc "SELECT '$variant',
      pg_size_pretty(coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('sign_ins')),
                              pg_total_relation_size('sign_ins'))),
      pg_size_pretty(coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('wallet_transactions')),
                              pg_total_relation_size('wallet_transactions'))),
      pg_size_pretty(coalesce(pg_total_relation_size(to_regclass('wallet_transaction_sign_in_keys')), 0)),
      (SELECT count(*) FROM pg_inherits WHERE inhparent = 'sign_ins'::regclass)" \
    >>"$BINS/sizes.txt" 2>/dev/null || true
done

python3 - "$OUT_DIR/partitioned-ab" "$ROUNDS" "$RESULTS_DIR/$PREFIX-a-b.md" "$USERS" "$DAYS" <<'PY'
import json, statistics, sys, pathlib
out, rounds, report, users, days = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
runs = {"unpartitioned": [], "partitioned": []}
for variant in runs:
    for r in range(1, rounds + 1):
        f = out / f"{variant}-{r}" / "results.jsonl"
        if f.exists():
            runs[variant] += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
rows = [
    ("a", "service", "rps", "signIn req/s (service, worker in-process)", True),
    ("a", "pgbench", "rps", "signIn SQL + credit txn, pgbench tps", True),
    ("b", "service", "rps", "warm status read req/s", True),
    ("c100", "service", "p50_ms", "signInHistory 100 users x 31 days, p50 ms", False),
    ("c100-1", "service", "p50_ms", "signInHistory 100 users x 31 days (1 conn), p50 ms", False),
    ("l", "service", "p50_ms", "signInStats one year, ms", False),
    ("j", "service", "rows_per_s", "sign-ins export rows/s", True),
    ("j", "service", "vmhwm_kb", "export: peak RSS kB", False),
]
def med(variant, scen, target, field):
    vals = [r[field] for r in runs[variant] if r.get("scenario") == scen and r.get("target") == target and r.get(field) is not None]
    return (statistics.median(vals), len(vals)) if vals else (None, 0)
sizes = (out / "sizes.txt").read_text() if (out / "sizes.txt").exists() else ""
with open(report, "w") as w:
    w.write(f"# Partitioned history against unpartitioned: {users} users x {days} days\n\n")
    w.write("Generated by `bash bench/partitioned.sh`: the two schemas alternated "
            f"{rounds} times in one run, each on its own data set of the same size and seed; "
            "medians over every kept run of both rounds. Per-round reports beside this file.\n\n")
    w.write("| measure | unpartitioned | partitioned | partitioned / unpartitioned | better when |\n|---|---|---|---|---|\n")
    for scen, target, field, name, higher in rows:
        (u, nu), (p, np_) = med("unpartitioned", scen, target, field), med("partitioned", scen, target, field)
        ratio = f"{p / u:.3f}" if u and p else "n/a"
        fmt = lambda v: "n/a" if v is None else f"{v:,.1f}"
        w.write(f"| {name} | {fmt(u)} (n={nu}) | {fmt(p)} (n={np_}) | {ratio} | {'higher' if higher else 'lower'} |\n")
    if sizes:
        w.write("\nSizes (variant | sign_ins | wallet_transactions | credit keys | sign_ins partitions; partitions summed):\n\n```\n" + sizes + "```\n")
print(open(report).read())
PY
say "partitioned A/B: $RESULTS_DIR/$PREFIX-a-b.md"
