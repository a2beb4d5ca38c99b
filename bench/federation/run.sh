#!/usr/bin/env bash
# The federation bench (issue 16): a durable PostgreSQL of its own (default
# fsync/synchronous_commit, as bench/run.sh), then the disabled gtest
# FederationTwoServersE2eTest.DISABLED_Bench, which starts hs1, hs2 and the
# Python signing peer and runs bench/federation/federation_bench.py. The
# report goes to bench/results/<date>-federation.{md,json}. Usage:
#   bench/federation/run.sh [federation_bench.py flags]
#   MESSENGER_BENCH_BUILD_DIR   build directory with the tests (default build)
#   MESSENGER_BENCH_PG_PORT     PostgreSQL port (default 31800)
#   MESSENGER_BENCH_TAG         suffix after "-federation" in the report's name
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"

BUILD_DIR="${MESSENGER_BENCH_BUILD_DIR:-$ROOT/build}"
VAR="$ROOT/var/fedbench"
PG_PORT="${MESSENGER_BENCH_PG_PORT:-31800}"
TEST="$BUILD_DIR/tests/e2e_federation_two_servers_test"
[ -x "$TEST" ] || die "$TEST missing: cmake --build $BUILD_DIR --target messenger e2e_federation_two_servers_test"

cleanup() {
  trap - INT TERM EXIT
  stop_pg || true
}
trap cleanup INT TERM EXIT

clear_pg_dir "$VAR/pg"
mkdir -p "$VAR" bench/results
start_pg "$VAR/pg" "$PG_PORT" max_connections=500 shared_buffers=256MB
OUT="bench/results/$(date -u +%Y-%m-%dT%H%M)-federation${MESSENGER_BENCH_TAG:+-$MESSENGER_BENCH_TAG}"
export MESSENGER_TEST_PG_DSN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres"
export MESSENGER_FEDERATION_BENCH_ARGS="--out $ROOT/$OUT $*"
export TMPDIR="$VAR/tmp"
mkdir -p "$TMPDIR" && chmod 755 "$TMPDIR"
set +e
"$TEST" --gtest_also_run_disabled_tests --gtest_filter='*DISABLED_Bench*'
rc=$?
set -e
say "report: $OUT.md (exit status $rc)"
exit $rc
