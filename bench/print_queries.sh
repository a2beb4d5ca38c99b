#!/usr/bin/env bash
# Builds <program.cc> (which prints statements of queries.h) against the
# messaging queries.h of this checkout ("new") and of <old rev> ("old") and
# writes their output to <dir>/new.txt and <dir>/old.txt. For the benches
# that compare statements across revisions (stream_horizon, sync_plan).
#   bench/print_queries.sh <program.cc> <old rev> <dir>
set -euo pipefail
PROGRAM="$1" OLD_REV="$2" DIR="$3"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$DIR/old/messaging-service/src/storage"
git -C "$ROOT" show "$OLD_REV:messaging-service/src/storage/queries.h" \
  >"$DIR/old/messaging-service/src/storage/queries.h"
for v in old new; do
  inc="$ROOT"; [ $v = old ] && inc="$DIR/old -I$ROOT"
  # shellcheck disable=SC2086
  g++ -std=c++20 -I$inc "$PROGRAM" -o "$DIR/print_$v"
  "$DIR/print_$v" >"$DIR/$v.txt"
done
