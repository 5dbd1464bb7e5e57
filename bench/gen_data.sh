#!/usr/bin/env bash
# Creates a fresh benchmark database and fills it (see gen_data.sql).
#   BENCH_DB (default signin_bench)  USERS (100000)  DAYS (90)
#   BENCH_TODAY (2026-01-15): the history ends the day before; the bench's
#   "today" starts there.  SEED (0.42): random seed, so data is reproducible.
# Writes $BENCH_OUT/gen-$BENCH_DB.env with the counts and timings.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

DB="${BENCH_DB:-signin_bench}"
USERS="${USERS:-100000}"
DAYS="${DAYS:-90}"
TODAY="${BENCH_TODAY:-2026-01-15}"
SEED="${SEED:-0.42}"
check_db_name "$DB"
[[ "$USERS" =~ ^[0-9]+$ && "$USERS" -ge 1 ]] || die "USERS must be a positive integer"
[[ "$DAYS" =~ ^[0-9]+$ && "$DAYS" -ge 1 ]] || die "DAYS must be a positive integer"
[ -x "$SIGNIN_BIN" ] || die "$SIGNIN_BIN missing (cargo build --release)"
FIRST_DAY="$(date -u -d "$TODAY - $DAYS days" +%F)"

start=$(date +%s.%N)
say "gen: database $DB: $USERS users, $DAYS days ($FIRST_DAY .. $(date -u -d "$TODAY - 1 day" +%F))"
psql_db postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" -c "CREATE DATABASE \"$DB\""

export DATABASE_URL="$PG_SERVER/$DB" REDIS_URL SIGNIN_ENV=development RUST_LOG=warn \
  SIGNIN_LOG_FORMAT=json SIGNIN_REDIS_NAMESPACE=bench_gen SIGNIN_JWT_SECRET="$BENCH_JWT_SECRET"
"$SIGNIN_BIN" migrate
# Generated users get ids 1..USERS; the admin (and anyone registered later)
# comes after them. create-admin computes the one Argon2id hash every
# generated user reuses (their password is BENCH_ADMIN_PASSWORD too).
psql_db "$DB" -c "ALTER TABLE users ALTER COLUMN id RESTART WITH $((USERS + 1))"
SIGNIN_ADMIN_PASSWORD="$BENCH_ADMIN_PASSWORD" "$SIGNIN_BIN" create-admin --username "$BENCH_ADMIN_USER" >/dev/null

psql_db "$DB" -v users="$USERS" -v days="$DAYS" -v first_day="$FIRST_DAY" -v seed="$SEED" \
  -f "$BENCH_DIR/gen_data.sql" > "$OUT_DIR/gen-$DB.log"
end=$(date +%s.%N)

read -r n_users n_sign_ins n_ledger admin_id < <(psql_db "$DB" -At -F ' ' -c \
  "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sign_ins),
          (SELECT count(*) FROM wallet_transactions),
          (SELECT id FROM users WHERE username = '$BENCH_ADMIN_USER')")
size="$(psql_db "$DB" -At -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
secs="$(printf '%.1f' "$(echo "$end - $start" | bc)")"
cat > "$OUT_DIR/gen-$DB.env" <<ENV
GEN_DB=$DB
GEN_USERS=$USERS
GEN_DAYS=$DAYS
GEN_TODAY=$TODAY
GEN_FIRST_DAY=$FIRST_DAY
GEN_SECONDS=$secs
GEN_ROWS_USERS=$n_users
GEN_ROWS_SIGN_INS=$n_sign_ins
GEN_ROWS_LEDGER=$n_ledger
GEN_ADMIN_ID=$admin_id
GEN_DB_SIZE="$size"
ENV
say "gen: $DB done in ${secs}s: $n_users users, $n_sign_ins sign_ins, $n_ledger ledger rows, $size"
grep -E '^(Time|users|sign_ins|wallets|wallet_transactions|vacuum)' "$OUT_DIR/gen-$DB.log" | paste - - >&2 || true
