#!/usr/bin/env bash
# Installs what is missing, builds, starts a private PostgreSQL and nats-server,
# and runs the all-in-one messenger in the foreground. Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

VAR="${MESSENGER_DATA_DIR:-$ROOT/var}"
PG_PORT="${MESSENGER_PG_PORT:-5433}"
NATS_URL="${MESSENGER_NATS_URL:-nats://127.0.0.1:4222}"
NATS_PORT="${NATS_URL##*:}"
BUILD_DIR="${MESSENGER_BUILD_DIR:-$ROOT/build}"

install_deps
mkdir -p "$VAR" "$BUILD_DIR"
build "$BUILD_DIR" -DMESSENGER_BUILD_TESTS=OFF -DMESSENGER_BUILD_BENCH=OFF

MESSENGER_PID=""
cleanup() {
  trap - INT TERM EXIT
  if [ -n "$MESSENGER_PID" ] && kill -0 "$MESSENGER_PID" 2>/dev/null; then
    kill -TERM "$MESSENGER_PID" 2>/dev/null || true
    wait "$MESSENGER_PID" 2>/dev/null || true
  fi
  stop_nats || true
  stop_pg || true
}
trap cleanup INT TERM EXIT

# Passwords of the database roles and NATS users, made on first use.
SECRETS="$VAR/secrets"

start_pg "$VAR/pg" "$PG_PORT"
ensure_db "$PG_PORT" messenger
if [ -z "${MESSENGER_PG_DSN:-}" ]; then
  # Each service connects as its own role, owner of its schema only.
  bootstrap_pg_roles "$PG_PORT" messenger "$SECRETS"
  export_service_dsns "$PG_PORT" messenger "$SECRETS"
fi
start_nats "$VAR/nats" "$NATS_PORT" "$SECRETS"

export MESSENGER_DATA_DIR="$VAR"
export MESSENGER_NATS_URL="$NATS_URL"
# The all-in-one is one NATS client: the user "messenger" (nats-users.conf).
export MESSENGER_NATS_USER="${MESSENGER_NATS_USER:-messenger}"
export MESSENGER_NATS_PASSWORD="${MESSENGER_NATS_PASSWORD:-$(random_secret "$SECRETS/nats-messenger")}"
export MESSENGER_MAIL_DIR="${MESSENGER_MAIL_DIR:-$VAR/mail}"
# The reference web client at http://127.0.0.1:8080/app/.
export MESSENGER_WEB_DIR="${MESSENGER_WEB_DIR:-$ROOT/examples/web}"
say "starting messenger on ${MESSENGER_HTTP_ADDR:-127.0.0.1:8080} (Ctrl-C stops it)"
"$BUILD_DIR/all-in-one/messenger" &
MESSENGER_PID=$!
set +e
wait "$MESSENGER_PID"
rc=$?
MESSENGER_PID=""
exit $rc
