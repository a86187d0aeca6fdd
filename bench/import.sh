#!/usr/bin/env bash
# Prints how fast `pelote import` brings in an OpenLDAP-style LDIF of
# 10,000 accounts in 500 groups into a fresh SQLite Pelote (goal: >= 5,000
# accounts/s: hashes are kept, none is computed), then the cost of a first
# login against an imported {SSHA} hash (check and argon2id re-hash)
# against a login once re-hashed.
# Usage: bench/import.sh [accounts, default 10000] [groups, default 500]
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-10000}
groups=${2:-500}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/pelote" ./cmd/pelote
go build -o "$tmp/ldapload" ./bench/ldapload
"$tmp/ldapload" -mode ldif -ldif "$tmp/data.ldif" -w "bench password 1" -accounts "$accounts" -groups "$groups"
export PELOTE_DATA="$tmp/data"
"$tmp/pelote" user list >/dev/null # creates and migrates the database first
start=$(date +%s.%N)
out=$("$tmp/pelote" import "$tmp/data.ldif")
end=$(date +%s.%N)
echo "$out"
printf 'import: %.2f s, %.0f accounts/s (goal >= 5000)\n' "$(echo "$end - $start" | bc -l)" "$(echo "($accounts + 1) / ($end - $start)" | bc -l)"
go test -run XXX -bench 'ImportedLogin' -benchtime 50x ./internal/identity | grep Benchmark
