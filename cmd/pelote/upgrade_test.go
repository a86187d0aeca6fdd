package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pelote/internal/identity"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// loadDump restores testdata/upgrade's database of an older release (see
// generate.sh there) into p's empty database, on the engine under test.
func loadDump(t *testing.T, p *pelote) {
	t.Helper()
	driver, dsn, file := "sqlite", "file:"+filepath.Join(p.data, "pelote.db"), "sqlite.sql"
	if storetest.Engine() == "postgres" {
		driver, dsn, file = "pgx", p.dsn, "postgres.sql"
	}
	dump, err := os.ReadFile(filepath.Join("testdata", "upgrade", file))
	if err != nil {
		t.Fatal(err)
	}
	// A connection of its own: the dump sets the session's search_path.
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), string(dump)); err != nil {
		t.Fatalf("restore %s: %v", file, err)
	}
}

// Today's binary migrates the database of an older release (commit
// 7904b64, before this month's migrations) and keeps its rows: accounts
// with their passwords, groups, services, profiles, clients, app
// passwords, bind users, hosts and invitations.
func TestUpgradeFromOlderRelease(t *testing.T) {
	p := newPelote(t)
	loadDump(t, p)

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"user", "list", "--json"}, []string{`"username": "root"`, `"display_name": "Alice Ä"`, `"locale": "fr"`, `"state": "disabled"`}},
		{[]string{"group", "show", "staff", "--json"}, []string{`"The staff"`, `"alice"`}},
		{[]string{"service", "list", "--json"}, []string{`"name": "wiki"`, `"profile_quota": 2`, `"extra_profiles": "approval"`, `"name": "pad"`}},
		{[]string{"profile", "list", "--json"}, []string{`"alice-wiki"`}},
		{[]string{"client", "show", "pad", "--json"}, []string{`"https://pad.example.org/cb"`, `"staff"`}},
		{[]string{"apppass", "list", "alice", "--json"}, []string{`"thunderbird"`}},
		{[]string{"ldap", "bind-user", "list", "--json"}, []string{`"nextcloud"`}},
		{[]string{"host", "list", "--json"}, []string{`"pica01"`, `"alice"`, `"staff"`}},
		{[]string{"invite", "list", "--json"}, []string{`"for carol"`}},
	} {
		out := p.ok("", tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("pelote %s after the upgrade lacks %s:\n%s", strings.Join(tc.args, " "), w, out)
			}
		}
	}
	// What the new migrations brought works on the old rows.
	p.ok("", "client", "add", "wiki-app", "--service", "wiki", "--redirect-uri", "https://wiki.example.org/cb")
	p.ok("", "notify", "list")

	db, err := store.Open(t.Context(), p.dsn, p.data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	if _, err := ids.Authenticate(t.Context(), "alice", "correct horse battery"); err != nil {
		t.Errorf("alice's password from the older release: %v", err)
	}
}
