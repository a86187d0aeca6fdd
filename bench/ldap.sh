#!/usr/bin/env bash
# Prints searches per second of Pelote's LDAP directory and of Debian's
# slapd (mdb backend, equality indexes) holding the same 10,000 accounts in
# 500 groups, driven in the same run by the same Go load generator (N
# connections, each searching a person by uid, the members of a group by
# memberOf, a group by name), and their ratio (goal: Pelote >= 1.0x slapd).
# Then Pelote's binds per second and their ratio to the raw argon2id rate of
# the same CPU (goal >= 0.9).
#
# With two CPUs or more, each server runs on CPU 1 (GOMAXPROCS=1 for Pelote)
# and the load generator on CPU 0. Installs slapd when missing.
# Usage: bench/ldap.sh [duration, default 5s] [connections, default 8]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-5s}
conc=${2:-8}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v slapd >/dev/null && [ ! -x /usr/sbin/slapd ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slapd >/dev/null
fi
export PATH="$PATH:/usr/sbin"
tmp=$(mktemp -d)
cleanup() {
  [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
  [ -f "$tmp/slapd.pid" ] && kill "$(cat "$tmp/slapd.pid")" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/pelote" ./cmd/pelote
go build -o "$tmp/ldapload" ./bench/ldapload
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pin_srv=() pin_load=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  pin_srv=(taskset -c 1) pin_load=(taskset -c 0)
fi
pw="bench password 1"
base="dc=example,dc=org"
"$tmp/ldapload" -mode ldif -ldif "$tmp/data.ldif" -w "$pw" -base "$base"
# Pelote loads the same LDIF through its import, then gets a service account.
export PELOTE_DATA="$tmp/data" PELOTE_PASSWORD_MEMORY_KIB=19456 PELOTE_LDAP_BASE_DN="$base"
"$tmp/pelote" import "$tmp/data.ldif"
echo "$pw" | "$tmp/pelote" ldap bind-user add bench --password-stdin >/dev/null

# slapd, configured in the old slapd.conf style, loaded with slapadd.
mkdir -p "$tmp/mdb"
cat >"$tmp/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile $tmp/slapd.pid
database mdb
maxsize 1073741824
suffix "$base"
rootdn "cn=admin,$base"
directory $tmp/mdb
index objectClass,uid,cn,memberOf,member eq
overlay memberof
access to * by * read
CONF
slapadd -q -f "$tmp/slapd.conf" -l "$tmp/data.ldif" 2>"$tmp/slapadd.log" || { cat "$tmp/slapadd.log"; exit 1; }
sport=$(free)
"${pin_srv[@]}" slapd -f "$tmp/slapd.conf" -h "ldap://127.0.0.1:$sport/" -s 0
for _ in $(seq 100); do ldapsearch -x -H "ldap://127.0.0.1:$sport" -b "$base" -s base >/dev/null 2>&1 && break; sleep 0.1; done
slapd_rate=$("${pin_load[@]}" "$tmp/ldapload" -mode search -url "ldap://127.0.0.1:$sport" -D "uid=bench,$base" -w "$pw" -c "$conc" -d "$dur" -base "$base")
kill "$(cat "$tmp/slapd.pid")"; rm -f "$tmp/slapd.pid"

port=$(free)
PELOTE_LDAP_LISTEN="127.0.0.1:$port" PELOTE_LOGIN_PER_ACCOUNT=1000000 "${pin_srv[@]}" env GOMAXPROCS=1 "$tmp/pelote" serve --listen "127.0.0.1:$(free)" 2>"$tmp/serve.log" &
srv=$!
for _ in $(seq 100); do ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base >/dev/null 2>&1 && break; sleep 0.1; done
pelote_rate=$("${pin_load[@]}" "$tmp/ldapload" -mode search -url "ldap://127.0.0.1:$port" -D "uid=bench,ou=services,$base" -w "$pw" -c "$conc" -d "$dur" -base "$base")
# The imported {SSHA} hashes become argon2id at each account's first bind:
# one pass over the accounts first, then the measure.
"${pin_load[@]}" "$tmp/ldapload" -mode bind -url "ldap://127.0.0.1:$port" -w "$pw" -c "$conc" -d 4s -base "$base" >/dev/null
bind_rate=$("${pin_load[@]}" "$tmp/ldapload" -mode bind -url "ldap://127.0.0.1:$port" -w "$pw" -c "$conc" -d "$dur" -base "$base")
kill "$srv"; wait "$srv" 2>/dev/null || true; srv=
argon=$("${pin_srv[@]}" env GOMAXPROCS=1 "$tmp/ldapload" -mode argon2 -w "$pw" -d "$dur")
printf 'searches/s: slapd %.1f, Pelote %.1f, ratio %.2f (goal >= 1.0)\n' "$slapd_rate" "$pelote_rate" "$(echo "$pelote_rate / $slapd_rate" | bc -l)"
printf 'binds/s: Pelote %.1f, raw argon2id %.1f on the same CPU, ratio %.2f (goal >= 0.9)\n' "$bind_rate" "$argon" "$(echo "$bind_rate / $argon" | bc -l)"
