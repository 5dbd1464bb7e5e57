#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on loopback, installing and starting
# them (Debian/Ubuntu packages) when they do not, then creates the database
# named in DATABASE_URL and makes sure the server has pg_partman. Used by `make run` and `make test`; idempotent.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379
DATABASE_URL="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/signin_rewards}"

say() { echo "services: $*" >&2; }
open_port() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  say "installing $* (apt-get)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() { # port name
  for _ in $(seq 1 60); do open_port "$1" && return 0; sleep 0.5; done
  say "$2 did not come up on port $1"; exit 1
}

ensure_postgres() {
  if open_port "$PG_PORT"; then return; fi
  command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-contrib
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n1)"
  say "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || as_root pg_ctlcluster "$version" main start
  wait_for "$PG_PORT" PostgreSQL
  # A freshly installed server asks for a password over TCP: give the
  # postgres role the one in the default DATABASE_URL.
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
}

ensure_redis() {
  if open_port "$REDIS_PORT"; then return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
  wait_for "$REDIS_PORT" Redis
}

ensure_database() {
  command -v psql >/dev/null || apt_install postgresql-client
  local name="${DATABASE_URL##*/}" server="${DATABASE_URL%/*}"
  name="${name%%\?*}"
  if ! psql "$server/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    say "creating database $name"
    psql "$server/postgres" -qc "CREATE DATABASE \"$name\""
  fi
}

# pg_partman keeps the partitioned history (docs/operations.md,
# "Partitioned history"): a package of the server's own major version.
ensure_partman() {
  local server="${DATABASE_URL%/*}" major
  if psql "$server/postgres" -Atqc "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman'" | grep -q 1; then
    return
  fi
  major="$(psql "$server/postgres" -Atqc "SELECT current_setting('server_version_num')::int / 10000")"
  case "$server" in
    *@127.0.0.1:*|*@localhost:*|*@127.0.0.1|*@localhost|*@\[::1\]*) apt_install "postgresql-$major-partman" ;;
    *) say "pg_partman is not installed on the PostgreSQL server of DATABASE_URL: install postgresql-$major-partman there"; exit 1 ;;
  esac
}

ensure_postgres
ensure_redis
ensure_database
ensure_partman
say "PostgreSQL and Redis are up"
