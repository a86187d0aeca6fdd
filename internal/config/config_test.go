package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pelote.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	file := write(t, "listen: 127.0.0.1:9000\nurl: https://id.example.org\nsession:\n  idle: 1h\n")
	secret := filepath.Join(t.TempDir(), "dsn")
	if err := os.WriteFile(secret, []byte("postgres://u:p@db:5432/pelote\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f := BindFlags(fs, AllKeys()...)
	if err := fs.Parse([]string{"--config", file, "--listen", "127.0.0.1:9100"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.Load([]string{"PELOTE_LISTEN=127.0.0.1:9050", "PELOTE_URL=https://sso.example.org", "PELOTE_DATABASE_FILE=" + secret, "HOME=/root", "PELOTE_TEST_POSTGRES=x"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9100" {
		t.Errorf("flag must win: listen = %s", c.Listen)
	}
	if c.URL != "https://sso.example.org" {
		t.Errorf("environment must beat the file: url = %s", c.URL)
	}
	if time.Duration(c.Session.Idle) != time.Hour {
		t.Errorf("file must beat defaults: idle = %v", c.Session.Idle)
	}
	if c.Database != "postgres://u:p@db:5432/pelote" {
		t.Errorf("PELOTE_DATABASE_FILE: database = %q", c.Database)
	}
	if c.Data != "./pelote-data" {
		t.Errorf("default data = %q", c.Data)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		env   []string
		wants []string
	}{
		{"unknown key in file", "listen: 127.0.0.1:1\nlisten_addr: x\n", nil, []string{"listen_addr", "not found"}},
		{"unknown variable", "", []string{"PELOTE_DATABSE=x"}, []string{"PELOTE_DATABSE"}},
		{"several bad values at once", "", []string{"PELOTE_URL=ftp://x", "PELOTE_LISTEN=nope", "PELOTE_SESSION_IDLE=soon"},
			[]string{"url (PELOTE_URL, --url)", "listen (PELOTE_LISTEN, --listen)", "session.idle"}},
		{"tls half set", "tls_cert: /nonexistent.pem\n", nil, []string{"tls_cert and tls_key go together", "cannot read"}},
		{"weak argon2", "password:\n  memory_kib: 1024\n", nil, []string{"password.memory_kib", "19456"}},
		{"bad proxy", "trusted_proxies: [10.0.0.0/8, nowhere]\n", nil, []string{"trusted_proxies", "nowhere"}},
		{"bad LDAP application", "", []string{"PELOTE_LDAP_APPLICATIONS=10.0.0.0/8, nextcloud"}, []string{"ldap.applications (PELOTE_LDAP_APPLICATIONS", "nextcloud"}},
		{"bad database", "database: mysql://x\n", nil, []string{"database (PELOTE_DATABASE, --database)"}},
		{"not yaml", "listen: [\n", nil, []string{"pelote.yaml"}},
		{"open sign-up without mail", "registration:\n  mode: open\n", nil, []string{"registration.mode", "mail.host"}},
		{"unknown registration mode", "", []string{"PELOTE_REGISTRATION_MODE=everyone"}, []string{"PELOTE_REGISTRATION_MODE", "closed, open or moderated"}},
		{"terms not a web address", "registration:\n  terms_url: /cgu\n", nil, []string{"registration.terms_url"}},
		{"proof-of-work too hard", "registration:\n  proof_of_work: 40\n", nil, []string{"registration.proof_of_work", "24"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := ""
			if tc.file != "" {
				file = write(t, tc.file)
			}
			_, err := load(file, tc.env, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestEmptyFileIsDefaults(t *testing.T) {
	c, err := load(write(t, ""), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != Default().Listen {
		t.Fatalf("listen = %s", c.Listen)
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{"10.1.2.3": "10.1.2.3/32", "10.1.2.3/8": "10.0.0.0/8", "::1": "::1/128"} {
		p, err := ParsePrefix(in)
		if err != nil || p.String() != want {
			t.Errorf("%s: got %v %v, want %s", in, p, err, want)
		}
	}
}

// ldap.applications: loopback unless told, parsed once; the environment
// replaces the list.
func TestLDAPApplications(t *testing.T) {
	c, err := load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.LDAPApplications()); got != "[127.0.0.0/8 ::1/128]" {
		t.Errorf("default applications: %s", got)
	}
	c, err = load(write(t, "ldap:\n  applications: [192.0.2.10]\n"), []string{"PELOTE_LDAP_APPLICATIONS=10.0.0.0/8, 2001:db8::/64,"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.LDAPApplications()); got != "[10.0.0.0/8 2001:db8::/64]" {
		t.Errorf("applications from the environment: %s", got)
	}
}
