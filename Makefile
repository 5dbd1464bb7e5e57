# signin-rewards: `make run` serves on http://localhost:8000, `make test` runs
# the whole suite. Both bring up PostgreSQL and Redis on loopback first
# (installing them on Debian/Ubuntu if needed).

export DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/signin_rewards
export REDIS_URL ?= redis://127.0.0.1:6379
export TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432
export TEST_REDIS_URL ?= $(REDIS_URL)

.PHONY: run test services build release unit e2e lint schema playground bench bench-peer bench-hot bench-scale soak clean-test-dbs

run: services
	cargo build --release
	./target/release/signin-rewards serve

test: services
	cargo test --all-targets
	cd web-playground && npm ci --no-audit --no-fund --loglevel=error && npx vitest run
	mkdir -p build
	bash .ci/e2e.sh

services:
	@bash .ci/services.sh

build:
	cargo build

release:
	cargo build --release

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

# Regenerates the committed schema from the code.
schema:
	cargo run --quiet -- schema > schema.graphql

# Rebuilds the embedded front-end (web-playground/dist) from its sources.
playground:
	cd web-playground && npm ci && npm run build

bench: services
	bash bench/run.sh

# The service against PostGraphile 5 on the same bench database, side by
# side (bench/peer.sh; Node 22, PostGraphile and its connection-filter
# plugin from npm, in bench/peer). Each workload runs the peer in two forms
# (status: allSignIns(condition) and userByRowId { signInsByUserId };
# history: the bench_peer function and allUsers(filter) { signInsByUserId(filter) })
# and the ratio counts the faster.
bench-peer: services
	bash bench/peer.sh

# Issue 16's figures in one run (bench/hot.sh): Redis commands per sign-in
# (bench/redis_count.sh), scenarios a and b of bench/run.sh and the peer
# table (bench/peer.sh), medians of 3, against their targets in
# bench/results/hot.md. Knobs: bench/hot.sh (BEFORE_BIN=<binary> adds a
# before column; SKIP_BUILD=1, REUSE_DATA=1, QUICK=1).
# Issue 29's figures (bench/scale.sh): the same scenarios on the 5 M data set
# and on 500,000 users x 100 days, reports in bench/results/issue29-scale/.
bench-scale: services
	bash bench/scale.sh

bench-hot: services
	bash bench/hot.sh

# The memory soak: the release service under a mixed load for SOAK_DURATION
# seconds (`make soak SOAK_DURATION=120`); fails if its RSS keeps growing.
# Knobs: bench/soak.sh; figures: docs/performance.md.
export SOAK_DURATION ?= 600
soak: services
	bash bench/soak.sh

# Drops databases left behind by interrupted test runs.
clean-test-dbs:
	psql "$(TEST_DATABASE_URL)/postgres" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'signin_test_%' OR datname LIKE 'signin_e2e_%'" \
	  | xargs -r -I{} psql "$(TEST_DATABASE_URL)/postgres" -qc 'DROP DATABASE IF EXISTS "{}" WITH (FORCE)'
