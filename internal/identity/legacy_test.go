package identity_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"pelote/internal/identity"
)

// legacyHashes makes hashes of pw as other systems do: OpenLDAP's
// slappasswd, OpenSSL's SHA-crypt, and bcrypt as PHP and Python write it.
func legacyHashes(t *testing.T, pw string) map[string]string {
	t.Helper()
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v (./test.sh installs slapd and openssl)", name, args, err)
		}
		return strings.TrimSpace(string(out))
	}
	sha2 := []string{"-o", "module-path=/usr/lib/ldap", "-o", "module-load=pw-sha2"}
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"{SSHA}":         run("slappasswd", "-h", "{SSHA}", "-s", pw),
		"{SSHA256}":      run("slappasswd", append(sha2, "-h", "{SSHA256}", "-s", pw)...),
		"{SSHA512}":      run("slappasswd", append(sha2, "-h", "{SSHA512}", "-s", pw)...),
		"{CRYPT}$6$":     run("slappasswd", "-c", "$6$%.16s", "-s", pw),
		"{CRYPT}$5$":     "{CRYPT}" + run("openssl", "passwd", "-5", pw),
		"bcrypt $2a$":    string(b),
		"bcrypt $2y$":    "$2y$" + string(b)[4:],
		"bcrypt $2b$":    "$2b$" + string(b)[4:],
		"lower-case tag": strings.Replace(run("slappasswd", "-h", "{SSHA}", "-s", pw), "{SSHA}", "{ssha}", 1),
	}
}

func TestImportedHashes(t *testing.T) {
	ctx := context.Background()
	const pw = "an imported password"
	for scheme, hash := range legacyHashes(t, pw) {
		t.Run(scheme, func(t *testing.T) {
			s, _, db := newTOTPStore(t)
			mustAccount(t, s, "alice", false)
			if err := s.SetPasswordHash(ctx, "alice", hash); err != nil {
				t.Fatalf("storing %q: %v", hash, err)
			}
			if _, err := s.Authenticate(ctx, "alice", "not the password"); !errors.Is(err, identity.ErrBadCredentials) {
				t.Fatalf("wrong password: %v", err)
			}
			if _, err := s.Authenticate(ctx, "alice", pw); err != nil {
				t.Fatalf("imported hash: %v", err)
			}
			// Replaced by argon2id at that first login.
			var stored string
			if err := db.QueryRow(ctx, `SELECT password_hash FROM accounts WHERE username = 'alice'`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored, "$argon2id$") {
				t.Fatalf("still stored as %q", stored)
			}
			if _, err := s.Authenticate(ctx, "alice", pw); err != nil {
				t.Fatalf("after the upgrade: %v", err)
			}
			if err := s.SetPasswordHash(ctx, "alice", hash); err != nil {
				t.Fatal(err)
			}
		})
	}
	s, _ := newStore(t)
	mustAccount(t, s, "bob", false)
	for _, bad := range []string{"", "plaintext", "{SSHA}not-base64!", "{SSHA}AAAA", "{MD5}X03MO1qnZdYdgyfeuILPmQ==", "$1$abc$def", "$2a$99$x", "{CRYPT}$6$"} {
		if err := s.SetPasswordHash(ctx, "bob", bad); !errors.Is(err, identity.ErrInvalid) {
			t.Errorf("hash %q: %v, want an invalid-input error", bad, err)
		}
	}
}
