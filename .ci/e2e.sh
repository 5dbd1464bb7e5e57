#!/usr/bin/env bash
# The browser test and the HTTP conformance audit: starts the built service
# on a free port against its own database and Redis namespace, drives the
# check-in page and the playground in Debian's Chromium
# (web-playground/tests/e2e.mjs), runs the graphql-http server audit and the
# real clients (tests/clients: Apollo Client with automatic persisted queries,
# urql with graphql-ws), and stops the service.
#
# Staying signed in (web-playground/tests/sessions-e2e.mjs) needs access tokens
# that expire during the test, while the first service's tokens must outlive
# its clock jumps: a second service runs for it, on the real clock, with
# SIGNIN_TOKEN_TTL_SECS=$E2E_SESSIONS_TTL_SECS (20), its own port, database and
# Redis namespace.
#
# The service runs on a test clock (SIGNIN_NOW, noon UTC today). To miss a day
# for real, the browser test calls this script back as
# `.ci/e2e.sh --advance-clock N` (E2E_ADVANCE_CLOCK_CMD): it stops the service
# and starts it again on the same database and Redis namespace with its clock
# N days after the first start, so the days in between were never signed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Starts the service with its clock at the epoch second $1 (pid in $E2E_PIDFILE).
start_server() {
  SIGNIN_NOW="$(date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ)" "$BIN" serve \
    </dev/null >>"$E2E_SERVER_LOG" 2>&1 &
  echo $! >"$E2E_PIDFILE"
  for _ in $(seq 1 100); do curl -fs "http://$SIGNIN_BIND/readyz" >/dev/null && return 0; sleep 0.2; done
  cat "$E2E_SERVER_LOG" >&2
  return 1
}

# SIGTERM (the service finishes in-flight work and exits), then wait for it.
stop_server() {
  local p
  p="$(cat "$E2E_PIDFILE" 2>/dev/null || true)"
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$p" 2>/dev/null || true
}

if [ "${1:-}" = "--advance-clock" ]; then
  days="${2:?usage: .ci/e2e.sh --advance-clock DAYS}"
  : "${E2E_CLOCK_START:?--advance-clock is for the browser test that .ci/e2e.sh runs}"
  stop_server
  start_server $((E2E_CLOCK_START + days * 86400))
  echo "e2e: service restarted with its clock $days day(s) after the first start" >&2
  exit 0
fi

BIN="${BIN:-target/debug/signin-rewards}"
SERVER_URL="${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432}"
name="signin_e2e_$$"
# Two free ports in a row, below Linux's ephemeral range (32768 up), which
# the machine's own outgoing connections take from: a random port up to
# 39999 once collided with one of them ("Address already in use").
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 50); do
  port=$((20000 + RANDOM % 12000))
  port_free "$port" && port_free $((port + 1)) && break
done
export DATABASE_URL="$SERVER_URL/$name" REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export SIGNIN_BIND="127.0.0.1:$port" SIGNIN_REDIS_NAMESPACE="$name" SIGNIN_RELAY_GRACE_SECS=5
# Tokens issued on the first day must still work after the clock moved on.
export SIGNIN_TOKEN_TTL_SECS=864000
# A milestone the browser test reaches (a 3-day streak) and one it shows next.
export SIGNIN_MILESTONES="3:20,30:300"
mkdir -p build
export BIN E2E_PIDFILE="$PWD/build/e2e-server-$$.pid" E2E_SERVER_LOG="$PWD/build/e2e-server.log"
E2E_CLOCK_START=$(date -u -d "$(date -u +%F) 12:00:00" +%s)
export E2E_CLOCK_START E2E_ADVANCE_CLOCK_CMD="bash $PWD/.ci/e2e.sh --advance-clock"
export E2E_ADMIN_USERNAME=e2e_admin E2E_ADMIN_PASSWORD="e2e-admin-$$-$RANDOM$RANDOM"
: >"$E2E_SERVER_LOG"

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing chromium (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -d web-playground/node_modules/playwright-core ] || (cd web-playground && npm ci --no-audit --no-fund --loglevel=error)

# The second service (sessions-e2e.mjs): short-lived access tokens.
s_name="${name}_sessions"
s_port=$((port + 1))
s_pidfile="$PWD/build/e2e-sessions-server-$$.pid"
E2E_SESSIONS_TTL_SECS="${E2E_SESSIONS_TTL_SECS:-20}"
E2E_SESSIONS_SERVER_LOG="$PWD/build/e2e-sessions-server.log"
: >"$E2E_SESSIONS_SERVER_LOG"

psql "$SERVER_URL/postgres" -qc "CREATE DATABASE $name"
cleanup() {
  stop_server || true
  E2E_PIDFILE="$s_pidfile" stop_server || true
  rm -f "$E2E_PIDFILE" "$s_pidfile"
  psql "$SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" || true
  psql "$SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS $s_name WITH (FORCE)" || true
  redis-cli -u "$REDIS_URL" --scan --pattern "$name*" | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null || true
}
trap cleanup EXIT

start_server "$E2E_CLOCK_START"
# An admin for the browser test (it grants the test user points with adjustWallet).
SIGNIN_ADMIN_PASSWORD="$E2E_ADMIN_PASSWORD" "$BIN" create-admin --username "$E2E_ADMIN_USERNAME" \
  >>"$E2E_SERVER_LOG" 2>&1

BASE_URL="http://127.0.0.1:$port" SCREENSHOT_DIR="$PWD/build/screenshots" node web-playground/tests/e2e.mjs
BIN="$BIN" BASE_URL="http://127.0.0.1:$port" SCREENSHOT_DIR="$PWD/build/screenshots" node web-playground/tests/admin-e2e.mjs

# Staying signed in, against the second service (real clock, short-lived access tokens).
psql "$SERVER_URL/postgres" -qc "CREATE DATABASE $s_name"
env -u SIGNIN_NOW DATABASE_URL="$SERVER_URL/$s_name" SIGNIN_BIND="127.0.0.1:$s_port" \
  SIGNIN_REDIS_NAMESPACE="$s_name" SIGNIN_TOKEN_TTL_SECS="$E2E_SESSIONS_TTL_SECS" \
  "$BIN" serve </dev/null >>"$E2E_SESSIONS_SERVER_LOG" 2>&1 &
echo $! >"$s_pidfile"
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$s_port/readyz" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$s_port/readyz" >/dev/null || { cat "$E2E_SESSIONS_SERVER_LOG" >&2; exit 1; }
BASE_URL="http://127.0.0.1:$s_port" E2E_TOKEN_TTL_SECS="$E2E_SESSIONS_TTL_SECS" SCREENSHOT_DIR="$PWD/build/screenshots" \
  node web-playground/tests/sessions-e2e.mjs
E2E_PIDFILE="$s_pidfile" stop_server

# GraphQL-over-HTTP conformance (the graphql-http package's server audit).
[ -d tests/graphql-http/node_modules/graphql-http ] || (cd tests/graphql-http && npm ci --no-audit --no-fund --loglevel=error)
URL="http://127.0.0.1:$port/graphql" node tests/graphql-http/audit.mjs

# Real clients from npm: Apollo Client's persisted-queries link and urql with
# graphql-ws (tests/clients/clients.mjs); any error a client sees fails.
[ -d tests/clients/node_modules/@apollo/client ] || (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
BASE_URL="http://127.0.0.1:$port" node tests/clients/clients.mjs
