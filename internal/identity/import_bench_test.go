package identity_test

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"testing"

	"pelote/internal/identity"
	"pelote/internal/store/storetest"
)

func sshaHash(pw string) string {
	salt := make([]byte, 8)
	rand.Read(salt)
	sum := sha1.Sum(append([]byte(pw), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

// BenchmarkImportedLogin measures, with the production argon2id cost, a
// first login against an imported {SSHA} hash (checked, then re-hashed
// with argon2id and stored), then a login once re-hashed.
func BenchmarkImportedLogin(b *testing.B) {
	ctx := context.Background()
	const pw = "an imported password"
	setup := func(b *testing.B) (*identity.Store, []identity.ImportAccount) {
		db := storetest.Open(b, identity.Migrations())
		s := identity.NewStore(db, identity.NewHasher(identity.DefaultArgon2))
		accounts := make([]identity.ImportAccount, b.N)
		for i := range accounts {
			accounts[i] = identity.ImportAccount{Line: i + 1, Username: fmt.Sprintf("u%06d", i), Email: fmt.Sprintf("u%06d@example.org", i), PasswordHash: sshaHash(pw)}
		}
		if _, err := s.Import(ctx, accounts, nil, identity.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		return s, accounts
	}
	login := func(b *testing.B, s *identity.Store, accounts []identity.ImportAccount) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Authenticate(ctx, accounts[i].Username, pw); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("first login, SSHA then re-hash", func(b *testing.B) {
		s, accounts := setup(b)
		b.ResetTimer()
		login(b, s, accounts)
	})
	b.Run("later login, argon2id", func(b *testing.B) {
		s, accounts := setup(b)
		login(b, s, accounts) // the re-hash, untimed
		b.ResetTimer()
		login(b, s, accounts)
	})
}

// BenchmarkImport is the import itself: 1,000 accounts a run.
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	for n := 0; b.Loop(); n++ {
		db := storetest.Open(b, identity.Migrations())
		s := identity.NewStore(db, identity.NewHasher(identity.DefaultArgon2))
		accounts := make([]identity.ImportAccount, 1000)
		for i := range accounts {
			accounts[i] = identity.ImportAccount{Line: i + 1, Username: fmt.Sprintf("u%06d", i), Email: fmt.Sprintf("u%06d@example.org", i), PasswordHash: "{SSHA}dKg6Zicv/OsorPie/dsk/WgPGu3uJBX1", Groups: []string{fmt.Sprintf("g%02d", i%50)}}
		}
		if rep, err := s.Import(ctx, accounts, nil, identity.ImportOptions{}); err != nil || rep.Accounts != 1000 {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "accounts/s")
}
