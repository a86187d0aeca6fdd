package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"pelote/internal/testkit"
)

// TestLDAPRequireTLS: with ldap.require_tls, serve refuses a password
// sent in clear and takes it after StartTLS, as OpenLDAP's clients see it.
func TestLDAPRequireTLS(t *testing.T) {
	p := newPelote(t)
	p.ok("a long service password\n", "ldap", "bind-user", "add", "nextcloud", "--password-stdin")
	dir := t.TempDir()
	certFile, keyFile := testkit.NewCA(t).LeafFiles(t, dir)
	addr := freePort(t)
	env := append(os.Environ(), "PELOTE_DATA="+p.data, "PELOTE_DATABASE="+p.dsn, fastHash[0], "PELOTE_LDAP_LISTEN="+addr,
		"PELOTE_TLS_CERT="+certFile, "PELOTE_TLS_KEY="+keyFile, "PELOTE_LDAP_REQUIRE_TLS=true")
	startServe(t, buildPelote(t), dir, env, "--listen", freePort(t), "--url", "https://127.0.0.1")

	search := func(extra ...string) (string, error) {
		args := append([]string{"-x", "-LLL", "-H", "ldap://" + addr}, extra...)
		args = append(args, "-D", "uid=nextcloud,ou=services,dc=example,dc=org", "-w", "a long service password", "-b", "dc=example,dc=org", "(objectClass=organizationalUnit)", "ou")
		cmd := exec.Command("ldapsearch", args...)
		cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+certFile, "LDAPTLS_REQCERT=demand")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := search(); err == nil || !strings.Contains(out, "Confidentiality required (13)") || !strings.Contains(out, "StartTLS") {
		t.Fatalf("password in clear: %v\n%s", err, out)
	}
	if out, err := search("-ZZ"); err != nil || !strings.Contains(out, "ou: people") {
		t.Fatalf("password after StartTLS: %v\n%s", err, out)
	}
}
