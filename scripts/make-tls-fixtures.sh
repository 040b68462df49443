#!/usr/bin/env bash
# Makes the test certificates of fixtures/tls/ (see fixtures/tls/README.md)
# with OpenSSL: a CA, an intermediate CA, leaves signed by them, and the
# leaves that fail verification in each of the ways Node reports.
#
# Deterministic enough to review: fixed subjects, serials and validity
# dates (openssl ca -startdate/-enddate), so two runs differ only in the
# keys (EC P-256, fresh each run) and the signatures made with them.
#
#   scripts/make-tls-fixtures.sh            # rewrites fixtures/tls/*.pem
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/fixtures/tls"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# Valid from 2026-01-01 for a century; the expired leaf for one day of 2020.
from=20260101000000Z
until=21260101000000Z

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$1.key" 2>/dev/null; }

# `openssl ca` needs a database; one per signer.
signer() {
  local name=$1
  mkdir -p "$work/$name.db"
  : > "$work/$name.db/index.txt"
  cat > "$work/$name.cnf" <<CNF
[ ca ]
default_ca = this
[ this ]
database = $work/$name.db/index.txt
serial = $work/$name.db/serial
new_certs_dir = $work/$name.db
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
organizationName = optional
commonName = supplied
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ intermediate_ext ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ server_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ client_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
}

# make NAME SIGNER EXT SERIAL CN [SAN] [START END]: NAME.pem signed by
# SIGNER (or by itself when SIGNER is NAME).
make() {
  local name=$1 by=$2 ext=$3 serial=$4 cn=$5 san=${6:-DNS:localhost} start=${7:-$from} end=${8:-$until}
  key "$name"
  openssl req -new -key "$work/$name.key" -subj "/O=nodecompat/CN=$cn" -out "$work/$name.csr" 2>/dev/null
  signer "$name.$by"
  echo "$serial" > "$work/$name.$by.db/serial"
  local signkey="$work/$by.key" signcert=() self=()
  if [ "$by" = "$name" ]; then
    self=(-selfsign)
  else
    signcert=(-cert "$out/$by.pem")
  fi
  SAN="$san" openssl ca -batch -notext -config "$work/$name.$by.cnf" "${self[@]}" "${signcert[@]}" \
    -keyfile "$signkey" -in "$work/$name.csr" -out "$out/$name.pem" \
    -startdate "$start" -enddate "$end" -extensions "$ext" 2>/dev/null
  openssl pkey -in "$work/$name.key" -out "$out/$name.key"
}

make ca ca ca_ext 1000 "nodecompat test CA"
make intermediate ca intermediate_ext 1001 "nodecompat test intermediate CA"
make localhost ca server_ext 1002 localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
make chain-leaf intermediate server_ext 1003 localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
make self-signed self-signed server_ext 1004 localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
make expired ca server_ext 1005 localhost "DNS:localhost,IP:127.0.0.1,IP:::1" 20200101000000Z 20200102000000Z
make wrong-host ca server_ext 1006 example.com "DNS:example.com"
make client ca client_ext 1007 "nodecompat client"

# A leaf with its chain (the intermediate after it), as a server sends it.
cat "$out/chain-leaf.pem" "$out/intermediate.pem" > "$out/chain-leaf-fullchain.pem"
# The self-signed CA sent along with a leaf: SELF_SIGNED_CERT_IN_CHAIN for
# a client that does not trust it.
cat "$out/localhost.pem" "$out/ca.pem" > "$out/localhost-with-ca.pem"
echo "wrote $(ls "$out" | wc -l) files to $out"
