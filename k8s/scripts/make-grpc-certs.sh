#!/usr/bin/env bash
# Makes the certificates of the internal gRPC calls (mutual TLS): a CA and,
# for each name, a key and a certificate whose SAN DNS name
# "<name>.messenger.svc" is the identity the services check
# (common/grpc/caller_policy.h).
#   k8s/scripts/make-grpc-certs.sh <dir> [name...]
# Names default to the gateway and the five services. An existing
# <dir>/ca.crt and ca.key are reused (new service certificates under the same
# CA: a rotation without downtime); delete them to make a new CA.
# MESSENGER_CERT_DAYS (default 365) is the services' validity; the CA's is ten
# years. Needs openssl (Debian package openssl).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 <dir> [name...]" >&2; exit 2; }
dir="$1"
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gateway auth session profile contact messaging)
days="${MESSENGER_CERT_DAYS:-365}"
command -v openssl >/dev/null || { echo "$0 needs openssl" >&2; exit 1; }
mkdir -p "$dir"
umask 077  # private keys readable by their owner only

# P-256 keys: small and fast to verify on every new connection.
key_args=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
if [ ! -f "$dir/ca.crt" ] || [ ! -f "$dir/ca.key" ]; then
  openssl req -x509 "${key_args[@]}" -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 3650 \
    -subj "/O=messenger/CN=messenger internal gRPC CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

for name in "${names[@]}"; do
  [[ "$name" =~ ^[a-z][a-z0-9-]*$ ]] || { echo "$0: bad name: $name" >&2; exit 2; }
  identity="$name.messenger.svc"
  ext="$(mktemp)"
  printf '%s\n' "subjectAltName=DNS:$identity" \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" >"$ext"
  openssl req "${key_args[@]}" -keyout "$dir/$name.key" -out "$dir/$name.csr" \
    -subj "/O=messenger/CN=$identity" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -extfile "$ext" \
    -out "$dir/$name.crt" 2>/dev/null
  rm -f "$ext" "$dir/$name.csr"
done
chmod 644 "$dir"/*.crt
echo "made $dir/ca.crt and a certificate for: ${names[*]}"
