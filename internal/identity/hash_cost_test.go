package identity_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"pelote/internal/identity"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// phc writes an argon2id hash of pw with the given costs.
func phc(pw string, m, t uint32, p uint8) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, t, m, p, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// fakePHC is a well-formed argon2id hash with the given costs, too costly
// to compute in a test.
func fakePHC(m, t uint32, p uint8) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p, b64.EncodeToString(make([]byte, 16)), b64.EncodeToString(make([]byte, 32)))
}

// bcryptCost relabels a cheap bcrypt hash with another cost.
func bcryptCost(t *testing.T, cost int) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte("whatever it was"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("$2a$%02d$%s", cost, b[7:])
}

// TestHashCostCaps: a hash whose own cost would hold a hashing slot for
// hours (bcrypt 31, SHA-crypt with 10^9 rounds, argon2id 1 GiB × 10 × 255)
// is refused when stored, with a message naming the cap; the costs real
// directories use pass.
func TestHashCostCaps(t *testing.T) {
	s, _ := newStore(t)
	mustAccount(t, s, "alice", false)
	ctx := t.Context()
	sha := "{CRYPT}$6$rounds=%d$saltsalt$" + strings.Repeat("a", 86)
	for _, tc := range []struct{ name, hash, cap string }{
		{"bcrypt 31", bcryptCost(t, 31), "cap of 14"},
		{"bcrypt 15", bcryptCost(t, 15), "cap of 14"},
		{"SHA-crypt 10^9 rounds", fmt.Sprintf(sha, 1_000_000_000), "cap of 1000000"},
		{"SHA-crypt 1,000,001 rounds", fmt.Sprintf(sha, 1_000_001), "cap of 1000000"},
		{"argon2id 1 GiB × 10 × 255", fakePHC(1<<20, 10, 255), "cap of 262144"},
		{"argon2id 512 MiB", fakePHC(512<<10, 1, 1), "cap of 262144"},
		{"argon2id 256 MiB × 5", fakePHC(256<<10, 5, 1), "cap of 1048576"},
		{"argon2id 16 lanes", fakePHC(64<<10, 1, 16), "cap of 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.SetPasswordHash(ctx, "alice", tc.hash)
			if !errors.Is(err, identity.ErrInvalid) || !strings.Contains(err.Error(), tc.cap) {
				t.Fatalf("stored %s: %v, want a refusal naming the %s", tc.hash, err, tc.cap)
			}
		})
	}
	for _, tc := range []struct{ name, hash string }{
		{"bcrypt 14", bcryptCost(t, 14)},
		{"bcrypt 10 (PHP)", bcryptCost(t, 10)},
		{"SHA-crypt default", "{CRYPT}$6$saltsalt$" + strings.Repeat("a", 86)},
		{"SHA-crypt 1,000,000 rounds", fmt.Sprintf(sha, 1_000_000)},
		{"argon2id PHP", fakePHC(64<<10, 4, 1)},
		{"argon2id Authelia", fakePHC(64<<10, 3, 4)},
		{"argon2id Keycloak", fakePHC(7<<10, 5, 1)},
		{"argon2id 256 MiB × 4", fakePHC(256<<10, 4, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.SetPasswordHash(ctx, "alice", tc.hash); err != nil {
				t.Fatalf("stored %s: %v", tc.hash, err)
			}
		})
	}
}

// TestHashCostCapAtLogin: a hash over the caps that is already stored
// (imported before the caps, or a tampered row) is not run at login: the
// right password fails like a wrong one, the hash stays, and the log says
// why without naming the account.
func TestHashCostCapAtLogin(t *testing.T) {
	ctx := t.Context()
	const pw = "an imported password"
	for _, tc := range []struct{ name, hash string }{
		// pw with 1,000,001 rounds, written out since making it takes as
		// long as checking it; glibc gives the same: perl -e 'print
		// crypt("an imported password", q($5$rounds=1000001$saltsaltsaltsalt$))'.
		{"SHA-crypt 1,000,001 rounds", "{CRYPT}$5$rounds=1000001$saltsaltsaltsalt$BSM.jcDSprka4cOw4ICUhPMCx029/Lg.oKOeEiaIl04"},
		{"argon2id 16 lanes", phc(pw, 128, 1, 16)},
		{"bcrypt 15", bcryptCost(t, 15)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := identity.NewHasher(testkit.FastArgon2)
			h.Log = slog.New(slog.NewTextHandler(&logs, nil))
			db := storetest.Open(t, identity.Migrations())
			s := identity.NewStore(db, h)
			mustAccount(t, s, "alice", false)
			if _, err := db.Exec(ctx, `UPDATE accounts SET password_hash = ? WHERE username = 'alice'`, tc.hash); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, "alice", pw); !errors.Is(err, identity.ErrBadCredentials) {
				t.Fatalf("login against %s: %v, want it refused as a wrong password", tc.hash, err)
			}
			if !strings.Contains(logs.String(), "more work than allowed") {
				t.Fatalf("nothing logged: %q", logs.String())
			}
			if strings.Contains(logs.String(), "alice") {
				t.Fatalf("the log names the account: %q", logs.String())
			}
			var stored string
			if err := db.QueryRow(ctx, `SELECT password_hash FROM accounts WHERE username = 'alice'`).Scan(&stored); err != nil || stored != tc.hash {
				t.Fatalf("stored hash now %q (%v)", stored, err)
			}
		})
	}
}
