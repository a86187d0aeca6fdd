package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLDAPRequireTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for _, p := range []string{cert, key} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	withCert := []string{"PELOTE_TLS_CERT=" + cert, "PELOTE_TLS_KEY=" + key}
	for _, tc := range []struct {
		name  string
		env   []string
		flags []string
		want  bool
	}{
		{"no certificate", []string{"PELOTE_LDAP_LISTEN=0.0.0.0:636"}, nil, false},
		{"certificate, network listener", append(withCert, "PELOTE_LDAP_LISTEN=0.0.0.0:389"), nil, true},
		{"certificate, no LDAP", withCert, nil, true},
		{"certificate, loopback listener", append(withCert, "PELOTE_LDAP_LISTEN=127.0.0.1:3389"), nil, false},
		{"certificate, localhost", append(withCert, "PELOTE_LDAP_LISTEN=localhost:3389"), nil, false},
		{"certificate, IPv6 loopback", append(withCert, "PELOTE_LDAP_LISTEN=[::1]:3389"), nil, false},
		{"turned off", append(withCert, "PELOTE_LDAP_LISTEN=0.0.0.0:389", "PELOTE_LDAP_REQUIRE_TLS=false"), nil, false},
		{"turned on for loopback", append(withCert, "PELOTE_LDAP_LISTEN=127.0.0.1:3389"), []string{"--ldap-require-tls=true"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			f := BindFlags(fs, AllKeys()...)
			if err := fs.Parse(tc.flags); err != nil {
				t.Fatal(err)
			}
			c, err := f.Load(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.LDAPRequireTLS(); got != tc.want {
				t.Errorf("require TLS = %v, want %v", got, tc.want)
			}
		})
	}
	c, err := load(write(t, "ldap:\n  require_tls: true\n"), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "ldap.require_tls") || !strings.Contains(err.Error(), "tls_cert") {
		t.Fatalf("require_tls without a certificate: %v %v", c.LDAPRequireTLS(), err)
	}
}
