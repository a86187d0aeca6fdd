#!/usr/bin/env bash
# Prints what logins cost a running `pelote serve` in memory, as a hoster
# deploys it (SQLite, the default argon2id parameters: 46 MiB, one hash per
# core; GOMAXPROCS as the machine gives, not pinned): resident memory after
# start, its peak during a burst of logins through the web form, right
# after, and 5, 15 and 120 seconds into the idle time that follows; and
# the burst's logins per second. Goal: <= 40 MB within 15 s of idle.
# Usage: bench/login_memory.sh [logins, default 40] [concurrency, default 4]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-40}
conc=${2:-4}
tmp=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/pelote" ./cmd/pelote
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PELOTE_DATA="$tmp/data" PELOTE_URL="http://127.0.0.1:$port"
unset PELOTE_DATABASE PELOTE_PASSWORD_MEMORY_KIB
echo "bench password 1" | "$tmp/pelote" user add bench --email bench@example.org --password-stdin >/dev/null
"$tmp/pelote" serve --listen "127.0.0.1:$port" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
mb() { awk '/^'"$1"':/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }
sleep 2
echo "after start:        $(mb VmRSS) MB"
start=$(date +%s.%N)
ok=$(seq "$n" | xargs -P "$conc" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
  --data-urlencode username=bench --data-urlencode 'password=bench password 1' "http://127.0.0.1:$port/login" | grep -c '^303$' || true)
end=$(date +%s.%N)
echo "after $n logins:    $(mb VmRSS) MB (peak during the burst $(mb VmHWM) MB; $ok signed in)"
awk -v n="$ok" -v s="$start" -v e="$end" 'BEGIN { printf "burst:              %.1f logins/s with %s clients\n", n / (e - s), '"$conc"' }'
sleep 5;   echo "idle  5 s:          $(mb VmRSS) MB"
sleep 10;  r15=$(mb VmRSS); echo "idle 15 s:          $r15 MB (goal <= 40 MB)"
sleep 105; echo "idle 120 s:         $(mb VmRSS) MB"
