#!/usr/bin/env bash
# Cost of the sync stream's horizon (messaging-service/src/storage/
# stream_horizon_sql.h): kSyncRows and kStreamHorizon of this checkout
# ("new") against those of OLD_REV ("old"), idle and with writers in the
# messaging database and xid-holding sessions in another database.
#   bench/stream_horizon/run.sh "<superuser dsn of a scratch cluster>" [OLD_REV]
# Creates (and recreates) the roles sh_plain, sh_other and the databases
# sh_mine, sh_other there; run it on a throwaway cluster only.
set -euo pipefail
ADMIN="$1"
OLD_REV="${2:-afbd0e8~1}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

"$ROOT/bench/print_queries.sh" "$HERE/print_queries.cc" "$OLD_REV" "$TMP"

psql "$ADMIN" -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
DROP DATABASE IF EXISTS sh_mine WITH (FORCE);
DROP DATABASE IF EXISTS sh_other WITH (FORCE);
DROP ROLE IF EXISTS sh_plain;
DROP ROLE IF EXISTS sh_other;
CREATE ROLE sh_plain LOGIN;
CREATE ROLE sh_other LOGIN;
CREATE DATABASE sh_mine OWNER sh_plain;
CREATE DATABASE sh_other OWNER sh_other;
SQL
MINE="$ADMIN user=sh_plain dbname=sh_mine"
OTHER="$ADMIN user=sh_other dbname=sh_other"
psql "$MINE" -X -q -c "CREATE SCHEMA messaging"
for f in "$ROOT"/messaging-service/migrations/*.sql; do
  PGOPTIONS="-c search_path=messaging" psql "$MINE" -X -q -v ON_ERROR_STOP=1 -f "$f" >/dev/null
done
psql "$MINE" -X -q -v ON_ERROR_STOP=1 -f "$HERE/seed.sql"
SINCE=$(( $(psql "$MINE" -X -qAt -c "SELECT max(xid)::text FROM messaging.events") - 30 ))

python3 "$HERE/explain.py" idle "$MINE" "$SINCE" "$TMP/old.txt" "$TMP/new.txt"
pgbench "$MINE" -n -c 4 -T 70 -f "$HERE/writer.pgb" >"$TMP/w1.log" 2>&1 &
pgbench "$OTHER" -n -c 8 -T 70 -f "$HERE/other_writer.pgb" >"$TMP/w2.log" 2>&1 &
sleep 3
python3 "$HERE/explain.py" writers "$MINE" "$SINCE" "$TMP/old.txt" "$TMP/new.txt"
wait
grep -h '^tps' "$TMP/w1.log" "$TMP/w2.log"
