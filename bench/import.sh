#!/usr/bin/env bash
# Prints how fast `pelote import` brings in an OpenLDAP-style LDIF of
# 10,000 accounts in 500 groups into a fresh SQLite Pelote (hashes are
# kept, none is computed), beside Debian's `slapadd -q` loading the same
# file into a fresh mdb database (installed when missing): accounts per
# second for each, the whole command's time and CPU, and their ratio (goal:
# >= 0.5 of slapadd); then the cost of a first login against an imported
# {SSHA} hash (check and argon2id re-hash) against a login once re-hashed.
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
# Wall and CPU time (user + system) of a whole command: "wall cpu", seconds.
timed() {
  local TIMEFORMAT='%R %U %S' t
  t=$( { time "$@" >"$tmp/out" 2>"$tmp/err"; } 2>&1 ) || { cat "$tmp/out" "$tmp/err"; exit 1; }
  echo "$t" | awk '{ print $1, $2 + $3 }'
}
read -r pw pc < <(timed "$tmp/pelote" import "$tmp/data.ldif")
cat "$tmp/out"
printf 'pelote import: %.2f s (%.2f s CPU), %.0f accounts/s\n' "$pw" "$pc" "$(echo "($accounts + 1) / $pw" | bc -l)"

# slapadd, mdb with the same equality indexes as bench/ldap.sh, quick mode.
export PATH="$PATH:/usr/sbin"
if ! command -v slapadd >/dev/null; then
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slapd >/dev/null
fi
mkdir -p "$tmp/mdb"
cat >"$tmp/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
database mdb
maxsize 1073741824
suffix "dc=example,dc=org"
directory $tmp/mdb
index objectClass,uid,cn,memberOf,member eq
overlay memberof
CONF
read -r sw sc < <(timed slapadd -q -f "$tmp/slapd.conf" -l "$tmp/data.ldif")
printf 'slapadd -q:    %.2f s (%.2f s CPU), %.0f accounts/s\n' "$sw" "$sc" "$(echo "($accounts + 1) / $sw" | bc -l)"
printf 'ratio to slapadd: %.2f by wall time, %.2f by CPU time (goal >= 0.50)\n' "$(echo "$sw / $pw" | bc -l)" "$(echo "$sc / $pc" | bc -l)"
go test -run XXX -bench 'ImportedLogin' -benchtime 50x ./internal/identity | grep Benchmark
