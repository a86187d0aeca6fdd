#!/bin/sh
# Makes the databases of an older release that TestUpgradeFromOlderRelease
# migrates: pelote built from commit 7904b64 (before the notify, monitor,
# heartbeat, releases, ratelimit, held-names and bound-request migrations)
# fills a SQLite database and, when PELOTE_TEST_POSTGRES names a server, a
# PostgreSQL one, with the same rows; then writes
#   sqlite.sql    sqlite3's .dump of the SQLite database
#   postgres.sql  pg_dump's plain SQL of the PostgreSQL database
# It needs sqlite3, and pg_dump and psql for PostgreSQL.
# Run from the repository's root: sh cmd/pelote/testdata/upgrade/generate.sh
set -eu
rev=7904b64
out=cmd/pelote/testdata/upgrade
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git archive "$rev" | tar -x -C "$work/"
(cd "$work" && go build -o "$work/pelote-old" ./cmd/pelote)

fill() {
	p() { "$work/pelote-old" "$@"; }
	pw='correct horse battery'
	printf '%s\n' "$pw" | p user add root --email root@example.org --admin --name 'Root' --password-stdin >/dev/null
	printf '%s\n' "$pw" | p user add alice --email alice@example.org --name 'Alice Ä' --locale fr --password-stdin >/dev/null
	printf '%s\n' "$pw" | p user add bob --email bob@example.org --password-stdin >/dev/null
	p user disable bob >/dev/null
	p group add staff --description 'The staff' >/dev/null
	p group member add staff alice >/dev/null
	p service add wiki --quota 2 --extra approval >/dev/null
	p profile add alice wiki alice-wiki >/dev/null
	p client add pad --redirect-uri https://pad.example.org/cb --group staff >/dev/null
	p apppass add alice thunderbird >/dev/null
	printf '%s\n' 'a long service password' | p ldap bind-user add nextcloud --description 'Nextcloud' --password-stdin >/dev/null
	p host add pica01 --group staff >/dev/null
	p access grant alice pica01 >/dev/null
	p invite create --group staff --note 'for carol' >/dev/null
}

rm -f "$out/sqlite.sql" "$out/postgres.sql"
data="$work/data"
mkdir -p "$data"
(export PELOTE_DATA="$data" PELOTE_DATABASE= PELOTE_PASSWORD_MEMORY_KIB=19456; fill)
sqlite3 "$data/pelote.db" .dump >"$out/sqlite.sql"

if [ -n "${PELOTE_TEST_POSTGRES:-}" ]; then
	db=pelote_upgrade_$$
	url=$(printf '%s' "$PELOTE_TEST_POSTGRES" | sed -E "s#^([a-z]+://[^/]*)/[^?]*#\1/$db#")
	case $url in *"/$db"*) ;; *) echo "cannot name a database in $PELOTE_TEST_POSTGRES" >&2; exit 1 ;; esac
	psql -q "$PELOTE_TEST_POSTGRES" -c "CREATE DATABASE $db"
	trap 'psql -q "$PELOTE_TEST_POSTGRES" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$work"' EXIT
	(export PELOTE_DATA="$work/pgdata" PELOTE_DATABASE="$url" PELOTE_PASSWORD_MEMORY_KIB=19456; mkdir -p "$work/pgdata"; fill)
	# Meta-commands (\restrict) are psql's: the test runs plain SQL.
	pg_dump --no-owner --no-privileges --inserts "$url" | grep -v '^\\' >"$out/postgres.sql"
fi
ls -l "$out"
