#!/usr/bin/env bash
# Runs matrix_group_wake.py against each given all-in-one messenger binary in
# turn, each on a fresh PostgreSQL and NATS started as bench/run.sh starts
# them (durable PostgreSQL, pool 16, cheap argon2id for the setup), so that
# two builds can be compared on the same machine in one sitting:
#
#   bench/matrix/run_group_wake.sh OLD/all-in-one/messenger NEW/all-in-one/messenger \
#       -- --members 100 --rate 2 --seconds 10
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"

BINARIES=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do BINARIES+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#BINARIES[@]} -gt 0 ] || die "usage: $0 BINARY... [-- matrix_group_wake.py flags]"

PG_PORT=31600 NATS_PORT=31601 HTTP_PORT=31602 GRPC_PORT=31603
VAR="$ROOT/var/group-wake"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && { kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
  SERVER_PID=""
  stop_nats || true
  stop_pg || true
}
trap cleanup INT TERM EXIT
ulimit -n 65536 2>/dev/null || true

status=0
for binary in "${BINARIES[@]}"; do
  rm -rf "$VAR"
  mkdir -p "$VAR"
  # shellcheck disable=SC2086  # MESSENGER_BENCH_PG_SETTINGS: more name=value settings
  start_pg "$VAR/pg" "$PG_PORT" max_connections=500 shared_buffers=256MB ${MESSENGER_BENCH_PG_SETTINGS:-}
  ensure_db "$PG_PORT" messenger
  start_nats "$VAR/nats" "$NATS_PORT"
  MESSENGER_PG_DSN="host=127.0.0.1 port=$PG_PORT dbname=messenger user=postgres" \
    MESSENGER_NATS_URL="nats://127.0.0.1:$NATS_PORT" MESSENGER_HTTP_ADDR="127.0.0.1:$HTTP_PORT" \
    MESSENGER_GRPC_ADDR="127.0.0.1:$GRPC_PORT" MESSENGER_MAIL_DIR="$VAR/mail" \
    MESSENGER_DATA_DIR="$VAR" MESSENGER_LOG_LEVEL=warn MESSENGER_PG_POOL_SIZE=16 \
    MESSENGER_SEND_RATE_PER_S=1000000 MESSENGER_SEND_BURST=1000000 \
    MESSENGER_AUTH_IP_RATE_PER_MIN=6000000 MESSENGER_AUTH_IP_BURST=1000000 \
    MESSENGER_ARGON2_MAX_WAITING=10000 MESSENGER_ARGON2_OPSLIMIT=1 \
    MESSENGER_ARGON2_MEMLIMIT_KIB=64 MESSENGER_ACCESS_TOKEN_TTL_S=86400 \
    "$binary" >"$VAR/messenger.log" 2>&1 &
  SERVER_PID=$!
  wait_http_ok 127.0.0.1 "$HTTP_PORT" /readyz || die "messenger did not become ready ($VAR/messenger.log)"
  say "$binary"
  /usr/bin/python3 bench/matrix/matrix_group_wake.py --base "http://127.0.0.1:$HTTP_PORT" \
    --pg-port "$PG_PORT" "$@" || status=1
  # MESSENGER_BENCH_AFTER: a command run against the system before it stops
  # (e.g. reading pg_stat_statements); PG_PORT is exported for it.
  if [ -n "${MESSENGER_BENCH_AFTER:-}" ]; then PG_PORT=$PG_PORT bash -c "$MESSENGER_BENCH_AFTER" || true; fi
  cleanup
done
exit $status
