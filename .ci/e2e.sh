#!/usr/bin/env bash
# The browser test and the HTTP conformance audit: starts the built service
# on a free port against its own database and Redis namespace, drives the
# check-in page and the playground in Debian's Chromium
# (web-playground/tests/e2e.mjs), runs the graphql-http server audit and the
# real clients (tests/clients: Apollo Client with automatic persisted queries,
# urql with graphql-ws), and stops the service.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${BIN:-target/debug/signin-rewards}"
SERVER_URL="${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432}"
name="signin_e2e_$$"
port=$((20000 + RANDOM % 20000))
export DATABASE_URL="$SERVER_URL/$name" REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export SIGNIN_BIND="127.0.0.1:$port" SIGNIN_REDIS_NAMESPACE="$name" SIGNIN_RELAY_GRACE_SECS=5

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing chromium (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -d web-playground/node_modules/playwright-core ] || (cd web-playground && npm ci --no-audit --no-fund --loglevel=error)

psql "$SERVER_URL/postgres" -qc "CREATE DATABASE $name"
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql "$SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" || true
  redis-cli -u "$REDIS_URL" --scan --pattern "$name*" | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null || true
}
trap cleanup EXIT

"$BIN" serve >"build/e2e-server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { cat build/e2e-server.log; exit 1; }

BASE_URL="http://127.0.0.1:$port" SCREENSHOT_DIR="$PWD/build/screenshots" node web-playground/tests/e2e.mjs

# GraphQL-over-HTTP conformance (the graphql-http package's server audit).
[ -d tests/graphql-http/node_modules/graphql-http ] || (cd tests/graphql-http && npm ci --no-audit --no-fund --loglevel=error)
URL="http://127.0.0.1:$port/graphql" node tests/graphql-http/audit.mjs

# Real clients from npm: Apollo Client's persisted-queries link and urql with
# graphql-ws (tests/clients/clients.mjs); any error a client sees fails.
[ -d tests/clients/node_modules/@apollo/client ] || (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
BASE_URL="http://127.0.0.1:$port" node tests/clients/clients.mjs
