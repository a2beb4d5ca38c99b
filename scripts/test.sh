#!/usr/bin/env bash
# Installs what is missing, builds with the tests, starts a throwaway
# PostgreSQL (nats-servers are started by the tests themselves, one per test
# fixture), and runs every test with ctest.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

BUILD_DIR="${MESSENGER_BUILD_DIR:-$ROOT/build}"
TEST_VAR="$ROOT/var/test"
PG_PORT="${MESSENGER_TEST_PG_PORT:-55433}"

install_deps
mkdir -p "$BUILD_DIR"
build "$BUILD_DIR" -DMESSENGER_BUILD_TESTS=ON

cleanup() { trap - INT TERM EXIT; stop_pg; }
trap cleanup INT TERM EXIT

# Fresh and fast: test data need not survive a crash.
rm -rf "$TEST_VAR/pg"
start_pg "$TEST_VAR/pg" "$PG_PORT" fsync=off synchronous_commit=off full_page_writes=off
export MESSENGER_TEST_PG_DSN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres"
export MESSENGER_BUILD_DIR="$BUILD_DIR"

say "running the tests"
start=$(date +%s)
set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 600 "$@"
rc=$?
set -e
say "tests finished in $(( $(date +%s) - start )) s (exit $rc)"
exit $rc
