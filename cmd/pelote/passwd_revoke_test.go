package main

import (
	"strings"
	"testing"

	"pelote/internal/store"
)

// TestUserPasswdRevokesGrants: `pelote user passwd` ends the applications'
// grants and app passwords, as every password change does.
func TestUserPasswdRevokesGrants(t *testing.T) {
	p := newPelote(t)
	p.ok("correct horse battery\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	p.ok("", "service", "add", "cloud")
	p.ok("", "profile", "add", "alice", "cloud", "alice")
	p.ok("", "client", "add", "notes", "--service", "cloud", "--redirect-uri", "https://notes.example.org/cb")
	p.ok("", "apppass", "add", "alice", "phone")
	p.sql(`INSERT INTO oidc_grants (client_id, account_id, profile_id, scopes, auth_time, created_at, last_used_at, expires_at)
		SELECT 'notes', a.id, p.id, 'openid', 1, 1, 1, 4000000000 FROM accounts a JOIN profiles p ON p.account_id = a.id`)
	for _, args := range [][]string{{"--password-stdin"}, {"--hash-stdin"}} {
		stdin := "another long secret\n"
		if args[0] == "--hash-stdin" {
			stdin = "{SSHA}RWvgNPadsl2QqgEGUx2/1bF1zeFmoKOb\n"
		}
		p.ok(stdin, append([]string{"user", "passwd", "alice"}, args...)...)
		if n := p.count(`SELECT COUNT(*) FROM oidc_grants WHERE revoked_at = 0`); n != 0 {
			t.Errorf("user passwd %s: %d live grants", args[0], n)
		}
		if out := p.ok("", "apppass", "list", "alice"); strings.Contains(out, "phone") {
			t.Errorf("user passwd %s: app password left: %q", args[0], out)
		}
		p.sql(`UPDATE oidc_grants SET revoked_at = 0`)
		p.ok("", "apppass", "add", "alice", "phone")
	}
}

// count runs a COUNT query on the CLI's database.
func (p *pelote) count(query string, args ...any) int {
	p.t.Helper()
	db, err := store.Open(p.t.Context(), p.dsn, p.data)
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(p.t.Context(), query, args...).Scan(&n); err != nil {
		p.t.Fatalf("%s: %v", query, err)
	}
	return n
}
