#!/usr/bin/env bash
# Prints what the limits cost when nodes count them together in
# PostgreSQL, against one node counting in memory: a failed login's check
# and record for one limiter (a web login does it for the account and for
# the client address), and the token endpoint's bucket at 20 requests a
# second (a database round trip each) and at 1,000 (a batch of 50 tokens
# per round trip).
# Uses $PELOTE_TEST_POSTGRES when set; otherwise starts a throwaway
# PostgreSQL on a free loopback port (Debian's postgresql, installed when
# missing) and stops it afterwards.
# Usage: bench/ratelimit.sh [benchtime, default 2s]
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-2s}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ -z "${PELOTE_TEST_POSTGRES:-}" ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  pg_dir=$(mktemp -d)
  pg_port=
  for p in $(seq 55700 55900); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then pg_port=$p; break; fi
  done
  [ -n "$pg_port" ] || { echo "no free port for PostgreSQL"; exit 1; }
  run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
  stop_pg() { run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
  trap stop_pg EXIT
  run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust >/dev/null
  run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -w -l "$pg_dir/log" \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir" start >/dev/null
  export PELOTE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
fi
go test -run XXX -bench 'LoginCheck|TokenBucket' -benchtime "$benchtime" ./internal/ratelimit | grep Benchmark
