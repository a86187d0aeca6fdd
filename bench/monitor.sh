#!/usr/bin/env bash
# Prints what supervision costs (issue 11): 10,000 HTTP checks at a 60 s
# interval against a local nginx for 3 minutes on SQLite, with CPU seconds
# per 1,000 checks, resident memory (total, and per check over an idle
# serve), the p99 lateness of checks against their schedule and the time
# until every check has run once; then heartbeat pings per second on
# SQLite with wrk and concurrent connections over 1,000 heartbeats.
# Goals: <= 0.35 ms CPU and <= 10 KB per check, p99 lateness <= 1 s, all
# checks running within one interval, >= 5,000 pings/s.
# Installs nginx-light and wrk when missing.
# Usage: bench/monitor.sh [checks, default 10000] [seconds, default 180] [ping seconds, default 10] [connections, default 64]
set -euo pipefail
cd "$(dirname "$0")/.."
checks=${1:-10000}
secs=${2:-180}
pingsecs=${3:-10}
conns=${4:-64}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for pkg in nginx:nginx-light wrk:wrk; do
  command -v "${pkg%%:*}" >/dev/null || [ -x "/usr/sbin/${pkg%%:*}" ] ||
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkg#*:}" >/dev/null
done
export PATH="$PATH:/usr/sbin"
tmp=$(mktemp -d)
cleanup() {
  [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
  [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/pelote" ./cmd/pelote
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
target=$(free)
mkdir -p "$tmp/www"
chmod 755 "$tmp" "$tmp/www"
echo ok >"$tmp/www/index.html"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$target; root $tmp/www; }
}
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp"
token=benchmark-metrics-token-0123456789
metrics() { curl -s -H "Authorization: Bearer $token" "http://$addr/metrics"; }
metric() { metrics | awk -v m="$1" '$1 == m { print $2; exit }'; }
cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; } # utime+stime, clock ticks of 1/100 s
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }     # KiB
start() {
  local data=$1 config=$2
  listen=$(free)
  PELOTE_DATA=$data PELOTE_CONFIG=$config "$tmp/pelote" serve --listen "127.0.0.1:$listen" 2>"$data.log" &
  srv=$!
  addr="127.0.0.1:$listen"
  until curl -sf "http://$addr/readyz" >/dev/null; do sleep 0.2; done
}
stop() { kill "$srv"; wait "$srv" 2>/dev/null || true; srv=; }

# Idle serve with the metrics on and no check, for the memory baseline.
printf 'monitor:\n  metrics_token: %s\n' "$token" >"$tmp/idle.yaml"
start "$tmp/idle" "$tmp/idle.yaml"
sleep 5
idle_rss=$(rss "$srv")
stop

# The checks, spread by Pelote over the interval.
{
  printf 'monitor:\n  metrics_token: %s\n  concurrency: 256\nchecks:\n' "$token"
  for i in $(seq 1 "$checks"); do
    printf '  - {name: web-%05d, kind: http, interval: 60s, timeout: 10s, http: {url: "http://127.0.0.1:%s/"}}\n' "$i" "$target"
  done
} >"$tmp/checks.yaml"
start "$tmp/run" "$tmp/checks.yaml"
cpu0=$(cpu "$srv")
# Nothing polls /metrics during the run: collecting 10,000 checks costs
# CPU the figure must not include. serve logs when every check has run.
sleep "$secs"
all_ran=$(sed -n 's/.*msg="monitor: every check has run".* after=\([0-9.a-z]*\).*/\1/p' "$tmp/run.log")
cpu1=$(cpu "$srv")
runs=$(metrics | awk '/^pelote_check_runs_total/ { n += $2 } END { print n }')
p99=$(metrics | awk '/^pelote_check_lateness_seconds\{quantile="0.99"\}/ { print $2 }')
fails=$(metrics | awk '/^pelote_check_runs_total\{result="failure"\}/ { print $2 }')
peak=$(rss "$srv")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$srv/status")
db=$(du -sk "$tmp/run" | cut -f1)
stop
python3 - "$checks" "$secs" "$cpu0" "$cpu1" "${runs:-0}" "${fails:-0}" "${p99:-0}" "$peak" "$hwm" "$idle_rss" "${all_ran:-not within the run}" "$db" <<'PY'
import sys
checks, secs, cpu0, cpu1, runs, fails, p99, rss, hwm, idle, allran, db = sys.argv[1:]
cpu = float(cpu1) - float(cpu0); runs = max(1.0, float(runs or 0))
print(f"checks: {checks} http checks at 60 s for {secs} s, {runs:.0f} runs ({float(fails):.0f} failed)")
print(f"cpu: {cpu:.1f} s, {cpu / runs * 1000:.3f} s per 1,000 checks ({cpu / runs * 1000:.3f} ms per check; goal <= 0.35)")
print(f"rss: {int(rss) / 1024:.1f} MiB now, {int(hwm) / 1024:.1f} MiB peak, idle serve {int(idle) / 1024:.1f} MiB: "
      f"{(int(rss) - int(idle)) / int(checks):.1f} KiB per check (goal <= 10)")
print(f"lateness p99: {float(p99) * 1000:.1f} ms (goal <= 1000)")
print(f"all checks ran once: {allran} after the scheduler started (goal <= 60 s)")
print(f"database after the run: {int(db) / 1024:.1f} MiB")
PY

# Heartbeat pings on SQLite: 1,000 heartbeats, wrk cycling through them.
{
  printf 'monitor:\n  metrics_token: %s\n  ping_rate: 100000\nchecks:\n' "$token"
  for i in $(seq 1 1000); do
    printf '  - {name: job-%04d, kind: heartbeat, heartbeat: {uuid: "%08d-0000-4000-8000-000000000000", period: 24h}}\n' "$i" "$i"
  done
} >"$tmp/hb.yaml"
start "$tmp/hb" "$tmp/hb.yaml"
cat >"$tmp/ping.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local path = string.format("/ping/%08d-0000-4000-8000-000000000000", (n % 1000) + 1)
  return wrk.format("POST", path, {["Content-Type"] = "text/plain"}, "backup done: 1234 files, 56 MB\n")
end
LUA
pin=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then pin=(taskset -c 0); fi
pcpu0=$(cpu "$srv")
out=$("${pin[@]}" wrk -t 2 -c "$conns" -d "${pingsecs}s" -s "$tmp/ping.lua" "http://$addr")
pcpu1=$(cpu "$srv")
rps=$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')
non2xx=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
stored=$(PELOTE_DATA=$tmp/hb PELOTE_CONFIG=$tmp/hb.yaml "$tmp/pelote" heartbeat list --json | python3 -c 'import json,sys; print(sum(1 for h in json.load(sys.stdin) if h.get("last_ping")))')
stop
echo "pings: ${rps} per second on SQLite ($conns connections, ${pingsecs} s, ${non2xx:-0} non-2xx answers; $stored of 1000 heartbeats pinged) (goal >= 5000)"
python3 -c "c = $pcpu1 - $pcpu0; n = $rps * $pingsecs; print(f'pings: serve used {c:.1f} CPU seconds, {c / n * 1e6:.0f} µs a ping: {n / c:.0f} pings/s per core it gets')"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (others' work on this machine counts against the figures)"
