#!/usr/bin/env bash
# Planning against execution of the sync feed statements (kSyncRows,
# kSyncRowsMany of messaging-service/src/storage/queries.h; issues 14/16):
# a private PostgreSQL with pg_stat_statements, the seed of
# bench/stream_horizon (1,000 users, 500 groups, 100k messages), caught-up
# readers, and drive.py: the statements of OLD_REV ("old") in PostgreSQL's
# choice (auto: the store there), at a custom plan every call (as the
# federation bench saw) and forced generic; those of this checkout ("new")
# as the store runs them (generic).
#   bench/sync_plan/run.sh [calls per statement and mode, default 500] [OLD_REV] [SEED]
# SEED: a seed file (default bench/stream_horizon/seed.sql; one_room_seed.sql
# here is the other shape, one large group).
#   MESSENGER_SYNCPLAN_PG_PORT   PostgreSQL port (default 31900)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
CALLS="${1:-500}"
OLD_REV="${2:-b5b244b}"
SEED="${3:-$ROOT/bench/stream_horizon/seed.sql}"
HERE="$ROOT/bench/sync_plan"
VAR="$ROOT/var/syncplan"
PORT="${MESSENGER_SYNCPLAN_PG_PORT:-31900}"
cleanup() {
  trap - INT TERM EXIT
  stop_pg || true
}
trap cleanup INT TERM EXIT
clear_pg_dir "$VAR/pg"
mkdir -p "$VAR"
start_pg "$VAR/pg" "$PORT" shared_preload_libraries=pg_stat_statements \
  pg_stat_statements.track=all pg_stat_statements.track_planning=on
DSN="host=127.0.0.1 port=$PORT user=postgres dbname=syncplan"
psql "host=127.0.0.1 port=$PORT user=postgres dbname=postgres" -X -q -c "CREATE DATABASE syncplan"
psql "$DSN" -X -q -c "CREATE EXTENSION pg_stat_statements" -c "CREATE SCHEMA messaging"
for f in $(ls "$ROOT"/messaging-service/migrations/*.sql | sort -V); do
  PGOPTIONS="-c search_path=messaging" psql "$DSN" -X -q -v ON_ERROR_STOP=1 -f "$f" >/dev/null
done
psql "$DSN" -X -q -v ON_ERROR_STOP=1 -f "$SEED"
SINCE=$(( $(psql "$DSN" -X -qAt -c "SELECT max(xid)::text FROM messaging.events") - 30 ))
"$ROOT/bench/print_queries.sh" "$HERE/print_queries.cc" "$OLD_REV" "$VAR"
drive() { /usr/bin/python3 "$HERE/drive.py" "$DSN" "$SINCE" "$VAR/$1.txt" "$1" "$2" "$CALLS"; }
drive old auto
drive old custom
drive old generic
drive new generic
