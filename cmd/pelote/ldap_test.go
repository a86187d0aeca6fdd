package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLDAPWithOpenLDAPClients is the README's LDAP walk-through: a service
// account from the shell, `pelote serve` with ldap.listen, and OpenLDAP's
// ldapsearch and ldapwhoami against it.
func TestLDAPWithOpenLDAPClients(t *testing.T) {
	p := newPelote(t)
	p.ok("correct horse battery\n", "user", "add", "alice", "--email", "alice@example.org", "--name", "Alice Martin", "--password-stdin")
	p.ok("correct horse battery\n", "user", "add", "bob", "--email", "bob@example.org", "--password-stdin")
	p.ok("", "group", "add", "staff")
	p.ok("", "group", "member", "add", "staff", "alice")
	p.fails(exitFail, "at least 16 characters", "short\n", "ldap", "bind-user", "add", "nextcloud", "--password-stdin")
	p.fails(exitUsage, "needs --password-stdin", "", "ldap", "bind-user", "add", "nextcloud")
	if out := p.ok("a long service password\n", "ldap", "bind-user", "add", "nextcloud", "--description", "Nextcloud", "--password-stdin"); !strings.Contains(out, "uid=nextcloud,ou=services,dc=example,dc=org") {
		t.Fatalf("bind-user add: %q", out)
	}
	p.fails(exitFail, "exists already", "a long service password\n", "ldap", "bind-user", "add", "nextcloud", "--password-stdin")
	if out := p.ok("", "ldap", "bind-user", "list"); !strings.Contains(out, "nextcloud") {
		t.Fatalf("bind-user list: %q", out)
	}

	addr := freePort(t)
	env := append(os.Environ(), "PELOTE_DATA="+p.data, "PELOTE_DATABASE="+p.dsn, fastHash[0], "PELOTE_LDAP_LISTEN="+addr)
	startServe(t, buildPelote(t), t.TempDir(), env, "--listen", freePort(t))

	run := func(name string, args ...string) (string, error) {
		bin, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("%s is missing: install Debian's ldap-utils (./test.sh does)", name)
		}
		out, err := exec.Command(bin, append([]string{"-x", "-H", "ldap://" + addr}, args...)...).CombinedOutput()
		return string(out), err
	}
	out, err := run("ldapsearch", "-LLL", "-D", "uid=nextcloud,ou=services,dc=example,dc=org", "-w", "a long service password",
		"-b", "dc=example,dc=org", "(memberOf=cn=staff,ou=groups,dc=example,dc=org)", "uid", "cn")
	if err != nil || !strings.Contains(out, "dn: uid=alice,ou=people,dc=example,dc=org") || !strings.Contains(out, "cn: Alice Martin") || strings.Contains(out, "bob") {
		t.Fatalf("ldapsearch as the service account: %v\n%s", err, out)
	}
	out, err = run("ldapwhoami", "-D", "uid=bob,ou=people,dc=example,dc=org", "-w", "correct horse battery")
	if err != nil || !strings.Contains(out, "dn:uid=bob,ou=people,dc=example,dc=org") {
		t.Fatalf("ldapwhoami as a member: %v\n%s", err, out)
	}
	out, err = run("ldapsearch", "-LLL", "-D", "uid=bob,ou=people,dc=example,dc=org", "-w", "correct horse battery", "-b", "dc=example,dc=org", "(objectClass=*)", "1.1")
	var dns []string
	for _, l := range strings.Split(out, "\n") {
		if d, ok := strings.CutPrefix(l, "dn: "); ok {
			dns = append(dns, d)
		}
	}
	if err != nil || !slices.Equal(dns, []string{"uid=bob,ou=people,dc=example,dc=org"}) {
		t.Fatalf("a member sees only itself: %v %v\n%s", dns, err, out)
	}
	if out, err := run("ldapsearch", "-D", "uid=bob,ou=people,dc=example,dc=org", "-w", "wrong", "-b", "dc=example,dc=org"); err == nil || !strings.Contains(out, "Invalid credentials (49)") {
		t.Fatalf("wrong password: %v\n%s", err, out)
	}
	p.ok("", "ldap", "bind-user", "rm", "nextcloud")
	if out, err := run("ldapsearch", "-D", "uid=nextcloud,ou=services,dc=example,dc=org", "-w", "a long service password", "-b", "dc=example,dc=org"); err == nil || !strings.Contains(out, "Invalid credentials (49)") {
		t.Fatalf("removed service account: %v\n%s", err, out)
	}
}
