#!/bin/bash
# One connection (and cold status at 32), binaries alternating, 3 rounds. Each round, per binary:
#  cold status: `me { signInStatus }` each user once (wrk mode=seq), fresh process, Redis
#    namespace emptied, at 1 connection 3 s, then again fresh at 32 connections 3 s;
#  history: admin `signInHistory` of 10 and of 100 users x 31 days at 1 connection, 3 s each,
#    after a 1 s warm-up.
# Data and request files: bench/run.sh QUICK (20000 users x 14 days) in /tmp/loader-bench-out.
cd /work/wt-loader
OUT=/tmp/loader-bench-out; DB=signin_bench_loader; NS=benchloader; PORT=18380
day=$(psql postgres://postgres@127.0.0.1:5432/$DB -Atc "SELECT max(day) + 1 FROM sign_ins")
start() {
  redis-cli --scan --pattern "$NS:*" | xargs -r -n 500 redis-cli del >/dev/null
  (cd /tmp && exec env -i PATH="$PATH" HOME="$HOME" DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB \
    REDIS_URL=redis://127.0.0.1:6379 SIGNIN_BIND=127.0.0.1:$PORT SIGNIN_ENV=development \
    SIGNIN_JWT_SECRET=bench-secret-0123456789-abcdefghijklmnop SIGNIN_NOW=${day}T12:00:00Z \
    SIGNIN_REDIS_NAMESPACE=$NS SIGNIN_DB_POOL_SIZE=8 SIGNIN_TIMEZONE=UTC \
    SIGNIN_REWARDS=10,10,20,20,30,30,100 RUST_LOG=warn "$1" serve) >>/tmp/loader-svc.log 2>&1 &
  PID=$!
  for _ in $(seq 1 150); do curl -sf http://127.0.0.1:$PORT/readyz >/dev/null 2>&1 && return; sleep 0.2; done
  echo "not ready"; exit 1
}
stop() { kill -TERM $PID; wait $PID; }
w() { # conns secs bodies tokens mode
  local t=$([ $1 = 1 ] && echo 1 || echo 2)
  wrk -t$t -c$1 -d$2s --timeout 30s -s bench/wrk/graphql.lua http://127.0.0.1:$PORT/graphql -- \
    bodies=$3 tokens=$4 threads=$t mode=$5 | grep BENCHJSON | cut -d' ' -f2-
}
for r in 1 2 3; do
  for bin in "$@"; do
    b=/tmp/bin-$bin
    start $b; echo "R $bin $r cold1 $(w 1 3 $OUT/body-me.jsonl $OUT/tokens-20000.txt seq)"; stop
    start $b; echo "R $bin $r cold32 $(w 32 3 $OUT/body-me.jsonl $OUT/tokens-20000.txt seq)"; stop
    start $b
    w 1 1 $OUT/body-history-10.jsonl $OUT/token-admin.txt random >/dev/null
    echo "R $bin $r hist10 $(w 1 3 $OUT/body-history-10.jsonl $OUT/token-admin.txt random)"
    echo "R $bin $r hist100 $(w 1 3 $OUT/body-history-100.jsonl $OUT/token-admin.txt random)"
    stop
    echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
