#!/usr/bin/env bash
# Runs the benchmark suite against a freshly started all-in-one system with a
# durable PostgreSQL (default fsync/synchronous_commit) and writes the report
# to bench/results/<date>.{md,json}. Usage: bench/run.sh [bench_messenger flags]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

# Fixed ports below the ephemeral range (32768+), which the 10,000 client sockets use.
BUILD_DIR="${MESSENGER_BENCH_BUILD_DIR:-$ROOT/build-bench}"
VAR="$ROOT/var/bench"
PG_PORT="${MESSENGER_BENCH_PG_PORT:-31500}"
NATS_PORT="${MESSENGER_BENCH_NATS_PORT:-31501}"
HTTP="127.0.0.1:${MESSENGER_BENCH_HTTP_PORT:-31502}"
GRPC="127.0.0.1:${MESSENGER_BENCH_GRPC_PORT:-31503}"

install_deps
mkdir -p "$BUILD_DIR"
build "$BUILD_DIR" -DMESSENGER_BUILD_TESTS=OFF -DMESSENGER_BUILD_BENCH=ON

MESSENGER_PID=""
cleanup() {
  trap - INT TERM EXIT
  if [ -n "$MESSENGER_PID" ]; then kill -TERM "$MESSENGER_PID" 2>/dev/null; wait "$MESSENGER_PID" 2>/dev/null || true; fi
  stop_nats || true
  stop_pg || true
}
trap cleanup INT TERM EXIT

rm -rf "$VAR"
mkdir -p "$VAR" bench/results
start_pg "$VAR/pg" "$PG_PORT" max_connections=500 shared_buffers=256MB
ensure_db "$PG_PORT" messenger
start_nats "$VAR/nats" "$NATS_PORT"

# 10,000 idle connections need descriptors on both ends.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
DSN="host=127.0.0.1 port=$PG_PORT dbname=messenger user=postgres"
MESSENGER_PG_DSN="$DSN" MESSENGER_NATS_URL="nats://127.0.0.1:$NATS_PORT" \
MESSENGER_HTTP_ADDR="$HTTP" MESSENGER_GRPC_ADDR="$GRPC" MESSENGER_MAIL_DIR="$VAR/mail" \
MESSENGER_DATA_DIR="$VAR" MESSENGER_LOG_LEVEL=warn MESSENGER_PG_POOL_SIZE=16 \
MESSENGER_SEND_RATE_PER_S=1000000 MESSENGER_SEND_BURST=1000000 \
MESSENGER_AUTH_IP_RATE_PER_MIN=6000000 MESSENGER_AUTH_IP_BURST=1000000 MESSENGER_ARGON2_MAX_WAITING=10000 \
  "$BUILD_DIR/all-in-one/messenger" >"$VAR/messenger.log" 2>&1 &
MESSENGER_PID=$!
wait_http_ok "${HTTP%:*}" "${HTTP##*:}" /readyz || die "messenger did not become ready (see $VAR/messenger.log)"

STAMP="$(date -u +%Y-%m-%dT%H%M)"
MACHINE="Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), \
$(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), \
PostgreSQL $(psql --version | awk '{print $3}') (durable defaults), nats-server $(nats-server --version | awk '{print $2}'), \
everything on one box; run $STAMP UTC."
say "benchmarking (this takes a few minutes)"
"$BUILD_DIR/bench/bench_messenger" --http="$HTTP" --grpc="$GRPC" --pg-dsn="$DSN" \
  --pid="$MESSENGER_PID" --machine="$MACHINE" --out="bench/results/$STAMP" "$@"
say "report: bench/results/$STAMP.md"
