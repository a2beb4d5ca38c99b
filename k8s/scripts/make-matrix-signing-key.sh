#!/usr/bin/env bash
# Makes the Matrix server's ed25519 signing key in Synapse's format,
# "ed25519 <version> <unpadded base64 seed>", for
# MESSENGER_MATRIX_SIGNING_KEY_FILE (k8s/README.md, "Matrix signing key").
#   k8s/scripts/make-matrix-signing-key.sh <file> [version]
# The version (default k<today>) names the key in /_matrix/key/v2/server; a
# new key needs a new version. Needs openssl.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 <file> [version]" >&2; exit 2; }
file="$1"
version="${2:-k$(date -u +%Y%m%d)}"
[[ "$version" =~ ^[A-Za-z0-9_]+$ ]] || { echo "$0: the version is letters, digits, _" >&2; exit 2; }
mkdir -p "$(dirname "$file")"
umask 077
seed="$(openssl rand -base64 32 | tr -d '=\n')"
printf 'ed25519 %s %s\n' "$version" "$seed" >"$file"
echo "made $file (key ed25519:$version)"
