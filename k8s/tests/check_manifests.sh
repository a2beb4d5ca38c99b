#!/usr/bin/env bash
# ctest k8s_manifests: installs the validator's npm packages when the lock
# file changed (npm ci; about 30 MB, once per checkout), then runs it.
#   k8s/tests/check_manifests.sh <scratch dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for tool in kubectl node npm; do
  command -v "$tool" >/dev/null || { echo "k8s_manifests needs $tool on PATH" >&2; exit 1; }
done
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$here/check_manifests.mjs" "$here/.." "${1:-${TMPDIR:-/tmp}/messenger-k8s-check}"
