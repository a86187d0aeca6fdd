#!/usr/bin/env bash
# Prints the resident memory of `pelote serve` on its embedded default
# (SQLite, fresh data directory) a few seconds after start, with no traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/pelote" ./cmd/pelote
port=$((20000 + RANDOM % 20000))
(cd "$tmp" && exec ./pelote serve --listen "127.0.0.1:$port" 2>"$tmp/log") &
pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null
sleep 3
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
awk -v k="$rss" 'BEGIN { printf "idle RSS:     %.1f MB (goal <= 40 MB)\n", k / 1024 }'
