#!/usr/bin/env bash
# Prints the cost of the anti-robot check of the sign-up and reset forms:
# on the server (checking an answer, and checking plus spending it in the
# database), and for a person (finding the answer at the default
# difficulty: in Go, and in a real browser, Debian's chromium, timed
# against the same page without the computation).
# Usage: bench/signup.sh [browser runs, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
pid=
go test -run XXX -bench 'Check|Redeem|Solve' -benchtime 2s ./internal/pow | grep Benchmark

command -v chromium >/dev/null || { echo "chromium is not installed: no browser figure"; exit 0; }
go build -o "$tmp/pelote" ./cmd/pelote
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Sign-up needs a mail server in the configuration; none is contacted here.
PELOTE_DATA="$tmp/data" PELOTE_REGISTRATION_MODE=open PELOTE_MAIL_HOST=127.0.0.1 PELOTE_MAIL_TLS=none \
  PELOTE_MAIL_FROM="Pelote <id@example.org>" "$tmp/pelote" serve --listen "127.0.0.1:$port" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
browse() {
  local start end
  start=$(date +%s.%N)
  chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/profile" \
    --virtual-time-budget=120000 --dump-dom "http://127.0.0.1:$port$1" >"$tmp/dom" 2>/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
total=0 base=0
for _ in $(seq "$runs"); do
  base=$(echo "$base + $(browse /login)" | bc -l)
  total=$(echo "$total + $(browse /signup)" | bc -l)
  grep -q 'name="pow_solution" value="[0-9]' "$tmp/dom" || { echo "the browser found no answer"; exit 1; }
done
bits=$(grep -o 'data-bits="[0-9]*"' "$tmp/dom" | grep -o '[0-9]*')
printf 'browser (chromium, headless): %.2f s on average to answer a %s-bit challenge (page alone %.2f s, %d runs)\n' \
  "$(echo "($total - $base) / $runs" | bc -l)" "$bits" "$(echo "$base / $runs" | bc -l)" "$runs"
