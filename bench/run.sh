#!/usr/bin/env bash
# Runs the benchmark suite against a freshly started system with a durable
# PostgreSQL (default fsync/synchronous_commit) and writes the report to
# bench/results/<date>[-<tag>].{md,json}. Usage: bench/run.sh [bench_messenger flags]
#
#   MESSENGER_BENCH_REPLICAS=N   split mode (each service its own process) with
#                                N messaging-service processes, each under a
#                                shell that restarts it (the scale-out scenario
#                                kills one); unset: the all-in-one process.
#                                The gateway goes round all replicas.
#   MESSENGER_BENCH_TAG=name     suffix of the report's file name
#   MESSENGER_BENCH_NO_BUILD=1   use the binaries already in the build directory
#   MESSENGER_BENCH_BUILD_DIR    build directory (default build-bench)
#   MESSENGER_BENCH_PG_SETTINGS  more PostgreSQL name=value settings
#   MESSENGER_BENCH_AFTER        a command run against the system before it
#                                stops (e.g. reading pg_stat_statements);
#                                PG_PORT is exported for it
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
PORT_BASE="${MESSENGER_BENCH_PORT_BASE:-31510}"  # split mode: services from here on
REPLICAS="${MESSENGER_BENCH_REPLICAS:-}"
POOL=16

if [ "${MESSENGER_BENCH_NO_BUILD:-0}" != 1 ]; then
  install_deps
  mkdir -p "$BUILD_DIR"
  build "$BUILD_DIR" -DMESSENGER_BUILD_TESTS=OFF -DMESSENGER_BUILD_BENCH=ON
fi

SERVER_PIDS=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${SERVER_PIDS[@]}"; do
    pkill -TERM -P "$pid" 2>/dev/null || true  # a replica under its restarting shell
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_nats || true
  stop_pg || true
}
trap cleanup INT TERM EXIT

rm -rf "$VAR"
mkdir -p "$VAR" bench/results
# shellcheck disable=SC2086  # a list of name=value settings
start_pg "$VAR/pg" "$PG_PORT" max_connections=500 shared_buffers=256MB ${MESSENGER_BENCH_PG_SETTINGS:-}
ensure_db "$PG_PORT" messenger
start_nats "$VAR/nats" "$NATS_PORT"
PG_PID="$(head -1 "$PG_DATA_DIR/postmaster.pid")"

# 10,000 idle connections need descriptors on both ends.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
DSN="host=127.0.0.1 port=$PG_PORT dbname=messenger user=postgres"
# Cheap argon2id: the bench registers ~1,500 users; login cost is not measured here.
export MESSENGER_PG_DSN="$DSN" MESSENGER_NATS_URL="nats://127.0.0.1:$NATS_PORT" \
  MESSENGER_HTTP_ADDR="$HTTP" MESSENGER_MAIL_DIR="$VAR/mail" MESSENGER_DATA_DIR="$VAR" \
  MESSENGER_LOG_LEVEL=warn MESSENGER_PG_POOL_SIZE=$POOL \
  MESSENGER_SEND_RATE_PER_S=1000000 MESSENGER_SEND_BURST=1000000 \
  MESSENGER_AUTH_IP_RATE_PER_MIN=6000000 MESSENGER_AUTH_IP_BURST=1000000 \
  MESSENGER_ARGON2_MAX_WAITING=10000 MESSENGER_ARGON2_OPSLIMIT=1 MESSENGER_ARGON2_MEMLIMIT_KIB=64 \
  MESSENGER_ACCESS_TOKEN_TTL_S=86400 MESSENGER_MAX_GROUP_MEMBERS=20000
# (a day: the 10,000-member run outlived the default 15 minutes and its
# later rows were answered 401; the cap above the default 10,000: the
# large group scenario adds one member past its group of 10,000)

METRICS="$HTTP/metrics"
KILL_FLAG=()
if [ -z "$REPLICAS" ]; then
  MODE="all-in-one process"
  MESSENGER_GRPC_ADDR="$GRPC" "$BUILD_DIR/all-in-one/messenger" >"$VAR/messenger.log" 2>&1 &
  SERVER_PIDS+=($!)
  wait_http_ok "${HTTP%:*}" "${HTTP##*:}" /readyz || die "messenger did not become ready (see $VAR/messenger.log)"
else
  MODE="split mode, $REPLICAS messaging replica(s)"
  port=$PORT_BASE
  addr() { echo "127.0.0.1:$1"; }
  for svc in session auth profile contact; do
    upper="${svc^^}"
    export "MESSENGER_${upper}_ADDR=$(addr $port)" "MESSENGER_${upper}_ADMIN_ADDR=$(addr $((port + 1)))"
    port=$((port + 2))
  done
  for svc in session auth profile contact; do
    "$BUILD_DIR/$svc-service/$svc-service" >"$VAR/$svc.log" 2>&1 &
    SERVER_PIDS+=($!)
  done
  MESSAGING_ADDRS=()
  for r in $(seq 1 "$REPLICAS"); do
    grpc_port=$port admin_port=$((port + 1))
    port=$((port + 2))
    MESSAGING_ADDRS+=("$(addr $grpc_port)")
    # A shell that restarts its replica, as an orchestrator would.
    (
      export MESSENGER_MESSAGING_ADDR="$(addr $grpc_port)" MESSENGER_MESSAGING_ADMIN_ADDR="$(addr $admin_port)"
      while :; do
        "$BUILD_DIR/messaging-service/messaging-service" >>"$VAR/messaging-$r.log" 2>&1 || true
        sleep 0.2
      done
    ) &
    SERVER_PIDS+=($!)
    [ "$r" != 1 ] || KILL_FLAG=(--kill-replica-under=$!)
    METRICS="$METRICS,$(addr $admin_port)/metrics"
    # One at a time: the first one runs the migrations.
    wait_http_ok 127.0.0.1 "$admin_port" /readyz || die "messaging replica $r did not become ready (see $VAR)"
  done
  # The gateway goes round every replica; each forwards writes to the room's owner.
  export MESSENGER_MESSAGING_ADDR="$(IFS=,; echo "${MESSAGING_ADDRS[*]}")"
  GATEWAY_ADMIN="$(addr $port)"
  MESSENGER_GATEWAY_ADMIN_ADDR="$GATEWAY_ADMIN" "$BUILD_DIR/gateway/gateway" >"$VAR/gateway.log" 2>&1 &
  SERVER_PIDS+=($!)
  GRPC="${MESSAGING_ADDRS[0]}"
  for svc in SESSION AUTH PROFILE CONTACT; do
    a="MESSENGER_${svc}_ADMIN_ADDR"
    wait_http_ok "${!a%:*}" "${!a##*:}" /readyz || die "$svc did not become ready (see $VAR)"
  done
  wait_http_ok 127.0.0.1 "${GATEWAY_ADMIN##*:}" /readyz || die "gateway did not become ready (see $VAR/gateway.log)"
fi

WATCH="postgres:$PG_PID,nats:$NATS_PID"
for pid in "${SERVER_PIDS[@]}"; do WATCH="$WATCH,server:$pid"; done
STAMP="$(date -u +%Y-%m-%dT%H%M)"
OUT="bench/results/$STAMP${MESSENGER_BENCH_TAG:+-$MESSENGER_BENCH_TAG}"
MACHINE="Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), \
$(free -g | awk '/Mem:/ {print $2}') GiB RAM, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, \
$(. /etc/os-release; echo "$PRETTY_NAME"), PostgreSQL $(psql --version | awk '{print $3}') (durable defaults), \
nats-server $(nats-server --version | awk '{print $2}'), everything on one box; $MODE, pool $POOL; \
argon2id lowered for setup speed; run $STAMP UTC."
say "benchmarking ($MODE)"
set +e
"$BUILD_DIR/bench/bench_messenger" --http="$HTTP" --grpc="$GRPC" --pg-dsn="$DSN" \
  --watch="$WATCH" --metrics="$METRICS" --server-pool=$POOL --replicas="${REPLICAS:-1}" \
  "${KILL_FLAG[@]}" --machine="$MACHINE" --out="$OUT" "$@"
rc=$?
if [ -n "${MESSENGER_BENCH_AFTER:-}" ]; then PG_PORT=$PG_PORT bash -c "$MESSENGER_BENCH_AFTER" || true; fi
set -e
say "report: $OUT.md (exit $rc)"
exit $rc
