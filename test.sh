#!/usr/bin/env bash
# Runs Pelote's whole test suite on a fresh Debian machine with Go: installs
# what the tests need, then go vet, staticcheck and go test -race, once on
# SQLite and once on a throwaway PostgreSQL started here.
set -euo pipefail
cd "$(dirname "$0")"

STATICCHECK_VERSION=v0.8.2
export PATH="$PATH:$(go env GOPATH)/bin:/usr/sbin"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_pkgs=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need_pkgs+=(postgresql)
command -v psql >/dev/null || need_pkgs+=(postgresql-client)
# OpenLDAP's clients talk to Pelote's directory in the LDAP tests.
command -v ldapsearch >/dev/null || need_pkgs+=(ldap-utils)
# nginx with auth_request sits in front of a test application for forward-auth.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx-light)
# Imported password hashes are made by OpenLDAP's slappasswd and OpenSSL.
[ -x /usr/sbin/slappasswd ] || need_pkgs+=(slapd)
command -v openssl >/dev/null || need_pkgs+=(openssl)
# A real browser runs the sign-up page's anti-robot script.
command -v chromium >/dev/null || need_pkgs+=(chromium)
# Prometheus's Alertmanager posts real webhooks to Pelote's endpoint.
command -v prometheus-alertmanager >/dev/null || need_pkgs+=(prometheus-alertmanager)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing ${need_pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
if ! command -v staticcheck >/dev/null; then
  echo "== installing staticcheck $STATICCHECK_VERSION"
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

echo "== gofmt, go vet, staticcheck, go mod tidy"
unformatted=$(gofmt -l cmd internal bench 2>/dev/null || true)
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi
go vet ./...
staticcheck ./...
go mod tidy -diff

echo "== go test -race on SQLite"
go test -race -count=1 ./...

echo "== go test -race on PostgreSQL"
# A throwaway server in a temporary directory, on a free port, as an
# unprivileged user (initdb refuses to run as root).
pg_dir=$(mktemp -d)
pg_port=
for p in $(seq 55432 55632); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then pg_port=$p; break; fi
done
[ -n "$pg_port" ] || { echo "no free port for PostgreSQL"; exit 1; }
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
stop_pg() { run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap stop_pg EXIT
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -w -l "$pg_dir/log" \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c max_connections=200" start >/dev/null
export PELOTE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
go test -race -count=1 ./...
