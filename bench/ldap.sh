#!/usr/bin/env bash
# Pelote's LDAP directory beside Debian's slapd (mdb backend, equality
# indexes, the memberof overlay), both holding the same 10,000 accounts in
# 500 groups and driven in the same run by the same Go load generator.
#
# - Searches: N connections bound as a service account, each searching a
#   person by uid, the members of a group by memberOf, a group by name.
#   Both servers apply the same access rule: the service account reads
#   everything, a member reads its own entry, anonymous reads nothing.
#   Printed: searches per second and CPU time per 1,000 searches of each,
#   and the ratios (goal: Pelote >= 1.0x slapd per second and per CPU);
#   the share of its CPU each server and the load generator used.
# - Binds: members binding with their password, with the argon2id
#   parameters a hoster deploys (Pelote's defaults), against the raw
#   argon2id rate of the same CPU, and their CPU time per bind against
#   one raw verification's (goal >= 0.9 for both).
# - Memory: each server's resident memory after start, after the searches,
#   after the binds and after IDLE seconds without traffic (goal: Pelote
#   <= 100 MB after the binds).
#
# With two CPUs or more, each server runs alone on CPU 1 and the load
# generator on CPU 0; Go then takes GOMAXPROCS=1 from the CPU affinity, as
# it would on a one-CPU machine, and Pelote hashes one password at a time.
# The machine's speed drifts between measures (another tenant's load, the
# CPU's clock), so the whole comparison runs ROUNDS times, slapd, Pelote
# and raw argon2id back to back in each; each round's ratios are printed,
# then the medians of every figure and ratio.
# Installs slapd when missing.
# Usage: bench/ldap.sh [duration, default 10s] [connections, default 16] [idle seconds, default 15] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}
conc=${2:-16}
idle=${3:-15}
rounds=${4:-3}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v slapd >/dev/null && [ ! -x /usr/sbin/slapd ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slapd ldap-utils >/dev/null
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
pin_srv=() pin_load=() placement="unpinned, GOMAXPROCS = $(nproc) CPUs"
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  pin_srv=(taskset -c 1) pin_load=(taskset -c 0)
  placement="servers pinned to CPU 1 (GOMAXPROCS 1, from the affinity), load on CPU 0"
fi
tick=$(getconf CLK_TCK)
# cpu PID: user + system CPU time of the process so far, in ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# rss PID: resident memory in MB.
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
pw="bench password 1"
base="dc=example,dc=org"
"$tmp/ldapload" -mode ldif -ldif "$tmp/data.ldif" -w "$pw" -base "$base"
# Pelote loads the same LDIF through its import, then gets a service account.
export PELOTE_DATA="$tmp/data" PELOTE_LDAP_BASE_DN="$base"
"$tmp/pelote" import "$tmp/data.ldif" >/dev/null
echo "$pw" | "$tmp/pelote" ldap bind-user add bench --password-stdin >/dev/null

# measure NAME PID URL BINDDN: searches, then binds, then idle; sets
# NAME_rate, NAME_cpu (ms per 1,000 searches), NAME_busy and NAME_load
# (CPU shares of the server and of the generator), NAME_bind and NAME_rss_*.
measure() {
  local name=$1 pid=$2 url=$3 dn=$4 c0 c1 out
  printf -v "${name}_rss_start" %s "$(rss "$pid")"
  local rate n load t0 t1
  c0=$(cpu "$pid") t0=$(date +%s.%N)
  out=$("${pin_load[@]}" "$tmp/ldapload" -mode search -url "$url" -D "$dn" -w "$pw" -c "$conc" -d "$dur" -base "$base")
  c1=$(cpu "$pid") t1=$(date +%s.%N)
  read -r rate n load <<<"$out"
  printf -v "${name}_rate" %s "$rate"
  printf -v "${name}_cpu" %s "$(echo "($c1 - $c0) * 1000 / $tick * 1000 / $n" | bc -l)"
  # Shares of a CPU used during the searches: the server's, and the load
  # generator's (near 1 means the generator limits the rate).
  printf -v "${name}_busy" %s "$(echo "($c1 - $c0) / $tick / ($t1 - $t0)" | bc -l)"
  printf -v "${name}_load" %s "$load"
  printf -v "${name}_rss_search" %s "$(rss "$pid")"
  # Pelote turns the imported {SSHA} hashes into argon2id at each account's
  # first bind: one bind per account first, then the measure.
  "${pin_load[@]}" "$tmp/ldapload" -mode warm -url "$url" -w "$pw" -c "$conc" -base "$base"
  c0=$(cpu "$pid")
  out=$("${pin_load[@]}" "$tmp/ldapload" -mode bind -url "$url" -w "$pw" -c "$conc" -d "$dur" -base "$base")
  c1=$(cpu "$pid")
  printf -v "${name}_bind" %s "${out% *}"
  printf -v "${name}_bind_cpu" %s "$(echo "($c1 - $c0) * 1000 / $tick / ${out#* }" | bc -l)"
  printf -v "${name}_rss_bind" %s "$(rss "$pid")"
  sleep "$idle"
  printf -v "${name}_rss_idle" %s "$(rss "$pid")"
}

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
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="uid=bench,$base" read by self read by * none
CONF
slapadd -q -f "$tmp/slapd.conf" -l "$tmp/data.ldif" 2>"$tmp/slapadd.log" || { cat "$tmp/slapadd.log"; exit 1; }
# Figures of every round, by name; median NAME prints the median of NAME's.
declare -A all
keep() { all[$1]+="$2 "; }
median() { printf '%s\n' ${all[$1]} | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { echo "$1 / $2" | bc -l; }
for round in $(seq "$rounds"); do
  sport=$(free)
  "${pin_srv[@]}" slapd -f "$tmp/slapd.conf" -h "ldap://127.0.0.1:$sport/" -s 0
  for _ in $(seq 100); do ldapsearch -x -H "ldap://127.0.0.1:$sport" -b "" -s base >/dev/null 2>&1 && break; sleep 0.1; done
  measure slapd "$(cat "$tmp/slapd.pid")" "ldap://127.0.0.1:$sport" "uid=bench,$base"
  kill "$(cat "$tmp/slapd.pid")"; rm -f "$tmp/slapd.pid"

  port=$(free)
  PELOTE_LDAP_LISTEN="127.0.0.1:$port" PELOTE_LOGIN_PER_ACCOUNT=1000000 "${pin_srv[@]}" "$tmp/pelote" serve --listen "127.0.0.1:$(free)" 2>"$tmp/serve.log" &
  srv=$!
  for _ in $(seq 100); do ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base >/dev/null 2>&1 && break; sleep 0.1; done
  measure pelote "$srv" "ldap://127.0.0.1:$port" "uid=bench,ou=services,$base"
  kill "$srv"; wait "$srv" 2>/dev/null || true; srv=
  out=$("${pin_srv[@]}" "$tmp/ldapload" -mode argon2 -w "$pw" -d "$dur")
  read -r argon kib argon_cpu <<<"$out"
  for v in slapd_rate pelote_rate slapd_cpu pelote_cpu slapd_busy pelote_busy slapd_load pelote_load pelote_bind pelote_bind_cpu argon argon_cpu \
    slapd_rss_start slapd_rss_search slapd_rss_bind slapd_rss_idle pelote_rss_start pelote_rss_search pelote_rss_bind pelote_rss_idle; do
    keep "$v" "${!v}"
  done
  keep r_search "$(ratio "$pelote_rate" "$slapd_rate")"
  keep r_search_cpu "$(ratio "$slapd_cpu" "$pelote_cpu")"
  keep r_bind "$(ratio "$pelote_bind" "$argon")"
  keep r_bind_cpu "$(ratio "$argon_cpu" "$pelote_bind_cpu")"
  printf 'round %d: searches/s slapd %.0f Pelote %.0f (%.2f, per CPU %.2f); binds/s %.1f of raw %.1f (%.2f, per CPU %.2f); RSS after binds %.1f MB\n' \
    "$round" "$slapd_rate" "$pelote_rate" "$(ratio "$pelote_rate" "$slapd_rate")" "$(ratio "$slapd_cpu" "$pelote_cpu")" \
    "$pelote_bind" "$argon" "$(ratio "$pelote_bind" "$argon")" "$(ratio "$argon_cpu" "$pelote_bind_cpu")" "$pelote_rss_bind"
done
for v in "${!all[@]}"; do printf -v "$v" %s "$(median "$v")"; done

echo "$placement; $conc connections, ${dur} per measure; medians of $rounds rounds (ratios: the median of each round's)"
printf 'searches/s: slapd %.0f, Pelote %.0f, ratio %.2f (goal >= 1.0)\n' "$slapd_rate" "$pelote_rate" "$r_search"
printf 'CPU per 1,000 searches: slapd %.0f ms, Pelote %.0f ms, ratio per CPU %.2f (goal >= 1.0)\n' "$slapd_cpu" "$pelote_cpu" "$r_search_cpu"
printf 'CPU share during the searches: slapd %.0f%% (load generator %.0f%%), Pelote %.0f%% (load generator %.0f%%)\n' \
  "$(echo "$slapd_busy * 100" | bc -l)" "$(echo "$slapd_load * 100" | bc -l)" "$(echo "$pelote_busy * 100" | bc -l)" "$(echo "$pelote_load * 100" | bc -l)"
printf 'member binds/s (argon2id %d KiB, 1 pass, 1 lane): Pelote %.1f, raw argon2id %.1f on the same CPU, ratio %.2f (goal >= 0.9)\n' \
  "$kib" "$pelote_bind" "$argon" "$r_bind"
printf 'CPU per member bind: Pelote %.1f ms, one raw argon2id %.1f ms, ratio per CPU %.2f (goal >= 0.9)\n' \
  "$pelote_bind_cpu" "$argon_cpu" "$r_bind_cpu"
printf 'RSS MB:  start  after searches  after binds  after %ss idle\n' "$idle"
printf '  slapd  %5.1f  %14.1f  %11.1f  %13.1f\n' "$slapd_rss_start" "$slapd_rss_search" "$slapd_rss_bind" "$slapd_rss_idle"
printf '  Pelote %5.1f  %14.1f  %11.1f  %13.1f\n' "$pelote_rss_start" "$pelote_rss_search" "$pelote_rss_bind" "$pelote_rss_idle"
printf 'RSS after binds: Pelote %.1f MB (goal <= 100 MB), %.1fx slapd; after idle: Pelote %.1f MB, %.1fx slapd\n' \
  "$pelote_rss_bind" "$(echo "$pelote_rss_bind / $slapd_rss_bind" | bc -l)" "$pelote_rss_idle" "$(echo "$pelote_rss_idle / $slapd_rss_idle" | bc -l)"
