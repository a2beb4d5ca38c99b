#!/usr/bin/env bash
# Installs the npm tools of api/ (lint, validation, TypeScript generation) into
# api/node_modules from the committed lockfile, unless they are already there.
set -euo pipefail
cd "$(dirname "$0")"
if [ node_modules/.package-lock.json -nt package-lock.json ]; then exit 0; fi
echo "[messenger] installing the npm tools of api/ (npm ci)" >&2
npm ci --no-audit --no-fund --loglevel=error
