#!/usr/bin/env bash
# Prints logins per second on the web login form with the default argon2id
# parameters, the raw argon2id rate measured right after in the same process
# (the physical limit of a login on this machine) and their ratio; then the
# idle RSS of `pelote serve` after start.
# Usage: bench/login.sh [benchtime, default 5s]
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-5s}
out=$(go test -run '^$' -bench '^(BenchmarkLoginForm|BenchmarkLoginHandler)$' -benchtime "$benchtime" -count 3 ./internal/web)
echo "$out" | grep -E '^Benchmark'
# The median of three runs: this machine is shared and noisy.
median() { echo "$out" | awk -v b="^$1" -v m="$2" '$0 ~ b { for (i = 1; i < NF; i++) if ($(i+1) == m) print $i }' | sort -g | sed -n 2p; }
printf 'login form over loopback HTTP: %.1f logins/s, raw argon2id %.1f hashes/s, ratio %.2f (goal >= 0.90)\n' \
  "$(median BenchmarkLoginForm- logins/s)" "$(median BenchmarkLoginForm- raw-hashes/s)" "$(median BenchmarkLoginForm- ratio)"
printf 'login handler, no socket:      %.1f logins/s, raw argon2id %.1f hashes/s, ratio %.2f\n' \
  "$(median BenchmarkLoginHandler- logins/s)" "$(median BenchmarkLoginHandler- raw-hashes/s)" "$(median BenchmarkLoginHandler- ratio)"
bench/idle_rss.sh
