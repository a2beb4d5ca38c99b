#!/usr/bin/env bash
# Installs what is missing, builds, and runs the checks in phases:
#   main build     every target with the tests (build/)
#   asan build     the unit and storage tests with ASan + UBSan, GCC (build-asan/)
#   fuzz build     the libFuzzer targets of fuzz/, clang (build-fuzz/)
#   fuzz run       each fuzzer for MESSENGER_FUZZ_SECONDS from a copy of its seeds
#   asan tests     ctest -L 'unit|storage' in build-asan/
#   main tests     ctest in build/ (last, so its summary ends the output)
# A build failure stops at once; any other failure is reported in the
# summary and makes the exit status non-zero. MESSENGER_SKIP_ASAN=1 and
# MESSENGER_FUZZ_SECONDS=0 skip phases; extra arguments go to the main ctest
# and, being a targeted run, skip the asan and fuzz phases unless those
# variables are set. The whole run is bounded by MESSENGER_TEST_TIME_LIMIT.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# A hung build or test must not hold CI forever: the whole script runs again
# under timeout, which sends SIGTERM to its process group (the trap below
# still stops PostgreSQL) and SIGKILL a minute later.
TIME_LIMIT="${MESSENGER_TEST_TIME_LIMIT:-5400}"
[[ "$TIME_LIMIT" =~ ^[0-9]+$ ]] || die "MESSENGER_TEST_TIME_LIMIT must be a number of seconds"
if [ "$TIME_LIMIT" -gt 0 ] && [ -z "${MESSENGER_TEST_LIMITED:-}" ]; then
  set +e
  MESSENGER_TEST_LIMITED=1 timeout --kill-after=60 "$TIME_LIMIT" "$ROOT/scripts/test.sh" "$@"
  rc=$?
  set -e
  [ $rc -ne 124 ] && [ $rc -ne 137 ] || say "FAILED: the run took longer than $TIME_LIMIT s (MESSENGER_TEST_TIME_LIMIT)"
  exit $rc
fi

BUILD_DIR="${MESSENGER_BUILD_DIR:-$ROOT/build}"
ASAN_DIR="$ROOT/build-asan"
FUZZ_DIR="$ROOT/build-fuzz"
TEST_VAR="$ROOT/var/test"
if [ $# -gt 0 ]; then
  SKIP_ASAN="${MESSENGER_SKIP_ASAN:-1}"
  FUZZ_SECONDS="${MESSENGER_FUZZ_SECONDS:-0}"
else
  SKIP_ASAN="${MESSENGER_SKIP_ASAN:-0}"
  FUZZ_SECONDS="${MESSENGER_FUZZ_SECONDS:-30}"
fi
[[ "$FUZZ_SECONDS" =~ ^[0-9]+$ ]] || die "MESSENGER_FUZZ_SECONDS must be a number of seconds"

PHASES=()    # "name seconds status"
FAILED=()
phase_start() { PHASE_T0=$SECONDS; }
phase_end() {  # <name> <status: ok|failed|skipped>
  PHASES+=("$1: $((SECONDS - PHASE_T0)) s ($2)")
  [ "$2" != failed ] || FAILED+=("$1")
}

install_deps
"$ROOT/api/install.sh"  # npm tools of the contract tests (api/)

phase_start
mkdir -p "$BUILD_DIR"
build "$BUILD_DIR" -DMESSENGER_BUILD_TESTS=ON
phase_end "main build" ok

phase_start
if [ "$SKIP_ASAN" = 1 ]; then
  phase_end "asan build" skipped
else
  # Warnings stay errors in the main build; under the sanitizers GCC 12 reports
  # false "maybe uninitialized" inside Boost.Beast's headers.
  configure "$ASAN_DIR" -DMESSENGER_SANITIZE=ON -DMESSENGER_BUILD_TESTS=ON -DMESSENGER_BUILD_BENCH=OFF \
    -DMESSENGER_WERROR=OFF
  compile "$ASAN_DIR" unit_storage_tests
  phase_end "asan build" ok
fi

phase_start
if [ "$FUZZ_SECONDS" = 0 ]; then
  phase_end "fuzz build" skipped
else
  configure "$FUZZ_DIR" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DMESSENGER_BUILD_FUZZ=ON -DMESSENGER_BUILD_TESTS=OFF -DMESSENGER_BUILD_BENCH=OFF \
    -DMESSENGER_WERROR=OFF
  compile "$FUZZ_DIR" fuzzers
  phase_end "fuzz build" ok
fi

# Sanitizer findings stop the process with a stack trace.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

phase_start
if [ "$FUZZ_SECONDS" = 0 ]; then
  phase_end "fuzz run" skipped
else
  say "fuzzing each target for $FUZZ_SECONDS s"
  fuzz_status=ok
  FUZZ_SUMMARY=()
  while read -r name dict flags; do
    [ -n "$name" ] || continue
    scratch="$FUZZ_DIR/run/$name"
    rm -rf "$scratch" && mkdir -p "$scratch/corpus" "$scratch/artifacts"
    cp "$ROOT/fuzz/corpus/$name/"* "$scratch/corpus/"
    args=(-max_total_time="$FUZZ_SECONDS" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$scratch/artifacts/")
    [ "$dict" = "-" ] || args+=(-dict="$ROOT/fuzz/dict/$dict")
    read -r -a extra <<<"${flags:-}"
    args+=("${extra[@]}")
    set +e
    "$FUZZ_DIR/fuzz/$name" "${args[@]}" "$scratch/corpus" >"$scratch/log" 2>&1
    rc=$?
    set -e
    runs=$(grep -oP 'stat::number_of_executed_units:\s*\K[0-9]+' "$scratch/log" | tail -1 || true)
    [ -n "$runs" ] || runs=$(grep -oP 'Done \K[0-9]+(?= runs)' "$scratch/log" | tail -1 || true)
    if [ $rc -eq 0 ]; then
      FUZZ_SUMMARY+=("$name ${runs:-?} runs")
    else
      fuzz_status=failed
      FUZZ_SUMMARY+=("$name CRASHED after ${runs:-?} runs")
      grep -E -A40 "ERROR: |runtime error|deadly signal|Test unit written" "$scratch/log" | head -80 >&2 || true
      say "fuzzer $name failed (exit $rc): log $scratch/log, input in $scratch/artifacts/"
    fi
  done <"$FUZZ_DIR/fuzz/fuzzers.txt"
  say "fuzz executions: $(IFS=';'; echo "${FUZZ_SUMMARY[*]}" | sed 's/;/, /g')"
  phase_end "fuzz run" "$fuzz_status"
fi

# Scratch space of the tests (nats-server stores, private PostgreSQL clusters,
# maildirs): one directory per checkout, emptied before and after the run.
CHECKOUT_HASH="$(echo -n "$ROOT" | sha256sum | cut -c1-12)"
export TMPDIR="/tmp/messenger-test-$CHECKOUT_HASH"
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR" && chmod 755 "$TMPDIR"

cleanup() {
  trap - INT TERM EXIT
  reap_leftovers "$TMPDIR" || true
  stop_pg
  rm -rf "$TMPDIR"
}
trap cleanup INT TERM EXIT

# Fresh and fast: test data need not survive a crash.
clear_pg_dir "$TEST_VAR/pg"
# Each checkout gets its own port below the kernel's ephemeral range
# (32768+), so an outgoing connection can never hold it and two checkouts
# testing at once do not collide; a port something already listens on is
# skipped.
PG_PORT="${MESSENGER_TEST_PG_PORT:-}"
if [ -z "$PG_PORT" ]; then
  PG_PORT=$((20000 + 16#${CHECKOUT_HASH:0:6} % 10000))
  while ss -Htln "sport = :$PG_PORT" | grep -q .; do PG_PORT=$((PG_PORT + 1)); done
fi
start_pg "$TEST_VAR/pg" "$PG_PORT" fsync=off synchronous_commit=off full_page_writes=off
export MESSENGER_TEST_PG_DSN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres"

phase_start
if [ "$SKIP_ASAN" = 1 ]; then
  phase_end "asan tests" skipped
else
  say "running the unit and storage tests under ASan + UBSan"
  # Leak checking off: gRPC, protobuf and cnats keep process-wide state
  # that is never freed.
  set +e
  MESSENGER_BUILD_DIR="$ASAN_DIR" ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" \
    ctest --test-dir "$ASAN_DIR" --output-on-failure --no-tests=error -j2 --timeout 900 \
    -L 'unit|storage'
  rc=$?
  set -e
  phase_end "asan tests" "$([ $rc -eq 0 ] && echo ok || echo failed)"
fi

phase_start
export MESSENGER_BUILD_DIR="$BUILD_DIR"
say "running the tests"
set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j2 --timeout 600 "$@"
rc=$?
set -e
# Every test reaps its children; anything still running from our scratch
# directory is a defect of the tests.
reap_leftovers "$TMPDIR" || rc=1
# Every test drops the databases it made (the ASan phase's included).
leftover_dbs="$("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atc \
  "SELECT string_agg(datname, ' ') FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')")"
if [ -n "$leftover_dbs" ]; then
  say "databases left behind by the tests: $leftover_dbs"
  rc=1
fi
phase_end "main tests" "$([ $rc -eq 0 ] && echo ok || echo failed)"

say "phases: $(IFS=';'; echo "${PHASES[*]}" | sed 's/;/, /g')"
if [ ${#FAILED[@]} -gt 0 ]; then
  say "FAILED: ${FAILED[*]}"
  exit 1
fi
say "all phases passed"
