# Shared settings and helpers for bench/*.sh (sourced, not run).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="${BENCH_OUT:-$BENCH_DIR/out}"
mkdir -p "$OUT_DIR"

PG_SERVER="${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}"
REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
SIGNIN_BIN="${SIGNIN_BIN:-$ROOT_DIR/target/release/signin-rewards}"
# Tokens are minted by the bench with this secret, so it must be the service's.
BENCH_JWT_SECRET="${BENCH_JWT_SECRET:-bench-secret-0123456789-abcdefghijklmnop}"
BENCH_ADMIN_USER="${BENCH_ADMIN_USER:-benchadmin}"
BENCH_ADMIN_PASSWORD="${BENCH_ADMIN_PASSWORD:-bench-password-123}"

say() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# Only databases whose name contains "bench" are ever created or dropped;
# signin_rewards, signin_test_* and signin_e2e_* are refused outright.
check_db_name() {
  local name="$1"
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name '$name'"
  [[ "$name" == *bench* ]] || die "database name '$name' must contain 'bench'"
  case "$name" in
    signin_rewards|signin_test_*|signin_e2e_*|postgres|template0|template1)
      die "refusing to touch database '$name'" ;;
  esac
}

psql_db() { # db, psql args...
  local db="$1"; shift
  psql "$PG_SERVER/$db" -X -v ON_ERROR_STOP=1 -q "$@"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Builds the release service, and bench/baseline when $1 is 1 (its own target
# dir, bench/baseline/target).
build_release() {
  say "build: cargo build --release (main crate)"
  (cd "$ROOT_DIR" && cargo build --release --quiet)
  [ "${1:-0}" != 1 ] || build_baseline
}

# Builds bench/baseline (bench-baseline, hook-receiver, ws-load) into its own
# target dir, bench/baseline/target.
build_baseline() {
  say "build: bench/baseline (cargo build --release, target dir bench/baseline/target)"
  CARGO_TARGET_DIR="$BENCH_DIR/baseline/target" \
    cargo build --release --quiet --manifest-path "$BENCH_DIR/baseline/Cargo.toml"
}

# A detached worktree of commit $1 at $2 (anything there before is removed).
worktree_at() {
  rm -rf "$2"; git -C "$ROOT_DIR" worktree prune
  git -C "$ROOT_DIR" worktree add --detach "$2" "$1" >/dev/null
}

# Builds the service of commit $1 in a worktree, in this tree's target
# directory (the dependencies are built once for every commit), and copies
# the binary to $2. Cargo judges this tree's build by its files' times
# against the last build's output, now another commit's: the sources are
# touched so this tree's next build is made afresh.
build_commit() {
  local src; src="$(dirname "$2")/src-$1"
  say "build: $1"
  worktree_at "$1" "$src"
  (cd "$src" && CARGO_TARGET_DIR="$ROOT_DIR/target" cargo build --release --quiet)
  cp "$ROOT_DIR/target/release/signin-rewards" "$2"
  git -C "$ROOT_DIR" worktree remove --force "$src"
  find "$ROOT_DIR/src" "$ROOT_DIR/migrations" -type f -exec touch {} +
}

# Gives each of the bench's users one live session (session id = user id), as
# a login would, once the service has created the sessions table (it migrates
# at start): the tokens bench/lib/tokens.py mints name that session.
# Idempotent; nothing on a database of a build before sessions.
seed_sessions() { # db
  psql "$PG_SERVER/$1" -qAt -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
DO $$ BEGIN
  IF to_regclass('public.sessions') IS NOT NULL THEN
    INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at)
      SELECT id, id, now(), now(), now() + interval '3650 days' FROM users
      ON CONFLICT (id) DO NOTHING;
    UPDATE users SET live_sessions = ARRAY[id] WHERE NOT (id = ANY (live_sessions));
    PERFORM setval('sessions_id_seq', greatest((SELECT max(id) FROM sessions), 1));
  END IF;
END $$;
SQL
}

# Starts `<binary> serve` on $BENCH_DB as the peer bench runs it: its Redis
# namespace $NS emptied first, on $PORT with a pool of $POOL, the clock at
# noon of $DAY, working directory $TMP, output appended to <log>; then waits
# until it is ready and seeds the sessions. Sets SERVICE_PID. <settings>:
# more VAR=value words for the service's environment.
start_bench_service() { # binary log [settings]
  redis-cli -u "$REDIS_URL" --scan --pattern "$NS:*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null
  # shellcheck disable=SC2086 # the settings are words
  (cd "$TMP" && exec env -i PATH="$PATH" HOME="$HOME" \
      DATABASE_URL="$PG_SERVER/$BENCH_DB" REDIS_URL="$REDIS_URL" SIGNIN_BIND="127.0.0.1:$PORT" \
      SIGNIN_ENV=development SIGNIN_JWT_SECRET="$BENCH_JWT_SECRET" SIGNIN_NOW="${DAY}T12:00:00Z" \
      SIGNIN_REDIS_NAMESPACE="$NS" SIGNIN_DB_POOL_SIZE="$POOL" SIGNIN_TIMEZONE=UTC \
      SIGNIN_REWARDS=10,10,20,20,30,30,100 SIGNIN_LOG_FORMAT=json RUST_LOG=warn \
      ${3:-} "$1" serve) >>"$2" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && { seed_sessions "$BENCH_DB"; return 0; }
    kill -0 "$SERVICE_PID" 2>/dev/null || die "service exited at start (see $2)"
    sleep 0.2
  done
  die "service not ready"
}

# Stops the service start_bench_service started (and forgets its pid).
stop_bench_service() {
  kill -TERM "$SERVICE_PID"; wait "$SERVICE_PID" || true; SERVICE_PID=""
}
