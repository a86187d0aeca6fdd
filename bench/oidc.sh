#!/usr/bin/env bash
# Prints the token endpoint's grants per second against a running Pelote on
# SQLite: client credentials (JWT access token signed RS256, then EdDSA),
# refresh (ID token signed RS256, then EdDSA; the refresh token rotates in
# the database) and code exchange (codes prepared beforehand), with N
# concurrent HTTP clients; and each one's ratio to the raw signing rate of
# its algorithm measured in the same run on the same CPU (before and after
# the load, averaged): the limit of an endpoint that signs one token per
# grant. Goal: >= 0.7 for RS256.
#
# With two CPUs or more, Pelote runs on CPU 1 (GOMAXPROCS=1) and the load
# generator on CPU 0, so the server's limit is one CPU's signing rate.
# Usage: bench/oidc.sh [duration, default 5s] [concurrency, default 8]
#        [only: run the measures whose name contains this, e.g. "refresh"]
#        [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-5s}
conc=${2:-8}
only=${3:-}
rounds=${4:-3}
tmp=$(mktemp -d)
cleanup() { [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/pelote" ./cmd/pelote
go build -o "$tmp/oidcload" ./bench/oidcload

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PELOTE_DATA="$tmp/data" PELOTE_URL="http://127.0.0.1:$port" PELOTE_OIDC_TOKEN_RATE=1000000 PELOTE_OIDC_AUTHORIZE_RATE=1000000 PELOTE_PASSWORD_MEMORY_KIB=19456
unset PELOTE_DATABASE
pin_srv=() pin_load=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  pin_srv=(taskset -c 1 env GOMAXPROCS=1) pin_load=(taskset -c 0)
fi

p() { "$tmp/pelote" "$@"; }
echo "bench password 1" | p user add bench --email bench@example.org --password-stdin >/dev/null
p service add bench --quota 1 >/dev/null
p profile add bench bench bench >/dev/null
mkdir "$tmp/creds"
for alg in RS256 EdDSA; do
  p client add "machine-$alg" --machine --service bench --signing-alg "$alg" --json >"$tmp/creds/machine-$alg.json"
  p client add "app-$alg" --service bench --first-party --signing-alg "$alg" --redirect-uri http://127.0.0.1:9/callback --json >"$tmp/creds/app-$alg.json"
done

# The raw rates are measured before and after the load and averaged: this
# kind of machine drifts by a fifth within a minute. The whole comparison
# runs in rounds, and the medians of each round's ratios are printed.
raw() { "${pin_srv[@]}" "$tmp/oidcload" -sign "$1" -d "$dur"; }
declare -A all
keep() { all[$1]+="$2 "; }
median() { printf '%s\n' ${all[$1]} | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
measures=("client_credentials RS256" "refresh RS256" "code exchange RS256" "client_credentials EdDSA" "refresh EdDSA")
for round in $(seq "$rounds"); do
  echo "== round $round"
  rs1=$(raw RS256) ed1=$(raw EdDSA)
  "${pin_srv[@]}" "$tmp/pelote" serve --listen "127.0.0.1:$port" 2>"$tmp/serve.log" &
  srv=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  out=$("${pin_load[@]}" "$tmp/oidcload" -creds "$tmp/creds" -issuer "http://127.0.0.1:$port" -c "$conc" -d "$dur" -password "bench password 1" -only "$only")
  echo "$out"
  kill "$srv"; wait "$srv" 2>/dev/null || true; srv=
  rs2=$(raw RS256) ed2=$(raw EdDSA)
  rs=$(echo "($rs1 + $rs2) / 2" | bc -l) ed=$(echo "($ed1 + $ed2) / 2" | bc -l)
  printf 'raw signing on the server CPU, before and after: RS256 %.1f and %.1f/s, EdDSA %.1f and %.1f/s\n' "$rs1" "$rs2" "$ed1" "$ed2"
  for k in "${measures[@]}"; do
    r=$(echo "$out" | sed -n "s/^$k: \([0-9.]*\) grants.*/\1/p")
    [ -n "$r" ] || continue
    case $k in *RS256) limit=$rs ;; *) limit=$ed ;; esac
    keep "$k" "$(echo "$r / $limit" | bc -l)"
  done
done
echo "== medians of $rounds rounds: each grant's rate over the raw signing rate of its algorithm"
for k in "${measures[@]}"; do
  [ -n "${all[$k]:-}" ] || continue
  case $k in
  *RS256) printf '%-26s %.2f (goal >= 0.70; rounds: %s)\n' "$k" "$(median "$k")" "$(printf '%.2f ' ${all[$k]})" ;;
  *) printf '%-26s %.2f (rounds: %s)\n' "$k" "$(median "$k")" "$(printf '%.2f ' ${all[$k]})" ;;
  esac
done
