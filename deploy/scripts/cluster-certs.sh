#!/usr/bin/env bash
# Makes the certificates for mutual TLS between Granary's processes (Granary:Tls): a cluster CA in DIR (made
# once, reused afterwards) and, for each NAME, NAME.pem and NAME.key issued by it, usable as server and client.
#   deploy/scripts/cluster-certs.sh DIR NAME...
# Then give every process Granary:Tls:CertificatePath=DIR/NAME.pem, Granary:Tls:KeyPath=DIR/NAME.key and
# Granary:Tls:CaPath=DIR/ca.pem. Keep DIR/ca.key off the nodes: whoever holds it can join the cluster.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 DIR NAME..." >&2; exit 2; }
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl >/dev/null; }
dir=$1; shift
mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=granary cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
fi
for name in "$@"; do
  [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || { echo "bad name '$name'" >&2; exit 2; }
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 825 \
    -extfile <(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n') \
    -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr"
  echo "$dir/$name.pem"
done
chmod 644 "$dir"/*.pem
