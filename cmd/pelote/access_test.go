package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"pelote/internal/access"
	"pelote/internal/store"
)

func newKeyLine(t *testing.T, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment
}

// TestMachineAccess walks Picasoft's model: hosts with tokens, grants to a
// group and to a member, and the AuthorizedKeysCommand client asking a
// running Pelote for each member's keys on each host.
func TestMachineAccess(t *testing.T) {
	p := newPelote(t)
	for _, u := range []string{"alice", "bob"} {
		p.ok("correct horse battery\n", "user", "add", u, "--email", u+"@example.org", "--password-stdin")
	}
	p.ok("", "group", "add", "staff")
	p.ok("", "group", "member", "add", "staff", "alice")
	webToken := strings.TrimSpace(p.ok("", "host", "add", "web1", "--group", "staff"))
	dbToken := strings.TrimSpace(p.ok("", "host", "add", "db1"))
	if !strings.HasPrefix(webToken, "ph_") || webToken == dbToken {
		t.Fatalf("host tokens %q %q", webToken, dbToken)
	}
	p.fails(exitFail, "exists already", "", "host", "add", "web1")
	p.ok("", "access", "grant", "bob", "db1")
	p.fails(exitFail, "may already reach", "", "access", "grant", "bob", "db1")
	p.fails(exitFail, "not found", "", "access", "grant", "nobody", "db1")
	p.fails(exitFail, "not found", "", "access", "grant", "bob", "mars")
	if out := p.ok("", "access", "list"); !strings.Contains(out, "db1   bob") || !strings.Contains(out, "web1           staff") {
		t.Fatalf("access list:\n%s", out)
	}

	// Keys as members add them on their account page.
	ctx := context.Background()
	db, err := store.Open(ctx, p.dsn, p.data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := access.NewStore(db)
	aliceKey, bobKey := newKeyLine(t, "alice@laptop"), newKeyLine(t, "bob@phone")
	for who, line := range map[int64]string{1: aliceKey, 2: bobKey} {
		if _, err := keys.AddKey(ctx, who, line); err != nil {
			t.Fatal(err)
		}
	}

	p.ok("a long service password\n", "ldap", "bind-user", "add", "sssd", "--password-stdin")
	addr, ldapAddr := freePort(t), freePort(t)
	env := append(os.Environ(), "PELOTE_DATA="+p.data, "PELOTE_DATABASE="+p.dsn, fastHash[0], "PELOTE_LDAP_LISTEN="+ldapAddr)
	startServe(t, buildPelote(t), t.TempDir(), env, "--listen", addr)

	// The same answer over LDAP, for SSSD or nslcd setups.
	out, err := exec.Command("ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", "ldap://"+ldapAddr, "-D", "uid=sssd,ou=services,dc=example,dc=org",
		"-w", "a long service password", "-b", "ou=people,dc=example,dc=org", "(&(objectClass=posixAccount)(host=web1))", "uid", "sshPublicKey", "host").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "uid: alice") || strings.Contains(string(out), "uid: bob") ||
		!strings.Contains(string(out), "sshPublicKey: "+aliceKey) || !strings.Contains(string(out), "host: web1") {
		t.Fatalf("ldapsearch by host: %v\n%s", err, out)
	}
	tokenFile := filepath.Join(t.TempDir(), "host.token")
	os.WriteFile(tokenFile, []byte(webToken+"\n"), 0o600)
	ask := func(user string, tokenArgs ...string) string {
		t.Helper()
		return p.ok("", append([]string{"ssh-keys", "--server", "http://" + addr, user}, tokenArgs...)...)
	}
	tests := []struct {
		name, user string
		token      []string
		want       string
	}{
		{"a staff member on web1", "alice", []string{"--token-file", tokenFile}, aliceKey + "\n"},
		{"case of the username", "Alice", []string{"--token", webToken}, aliceKey + "\n"},
		{"not staff on web1", "bob", []string{"--token", webToken}, ""},
		{"granted by name on db1", "bob", []string{"--token", dbToken}, bobKey + "\n"},
		{"not granted on db1", "alice", []string{"--token", dbToken}, ""},
		{"unknown member", "mallory", []string{"--token", webToken}, ""},
	}
	for _, tt := range tests {
		if got := ask(tt.user, tt.token...); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	p.fails(exitFail, "401", "", "ssh-keys", "--server", "http://"+addr, "--token", "ph_forged", "alice")
	p.fails(exitUsage, "needs --server", "", "ssh-keys", "alice")

	// Revoked, removed from the group, disabled: no keys any more.
	p.ok("", "access", "revoke", "bob", "db1")
	if got := ask("bob", "--token", dbToken); got != "" {
		t.Errorf("after revoke: %q", got)
	}
	p.ok("", "user", "disable", "alice")
	if got := ask("alice", "--token", webToken); got != "" {
		t.Errorf("disabled account: %q", got)
	}
	p.ok("", "host", "rm", "web1")
	p.fails(exitFail, "401", "", "ssh-keys", "--server", "http://"+addr, "--token", webToken, "alice")
}
