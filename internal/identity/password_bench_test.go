package identity_test

import (
	"context"
	"testing"

	"golang.org/x/crypto/argon2"

	"pelote/internal/identity"
)

// BenchmarkArgon2idRaw measures bare argon2id hashes with the default
// parameters on all cores: the physical limit for logins on this machine.
func BenchmarkArgon2idRaw(b *testing.B) {
	p := identity.DefaultArgon2
	salt := []byte("0123456789abcdef")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			argon2.IDKey([]byte("correct horse battery"), salt, p.Time, p.MemoryKiB, p.Threads, 32)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

// BenchmarkVerify measures the Hasher's verification (what a login pays).
func BenchmarkVerify(b *testing.B) {
	h := identity.NewHasher(identity.DefaultArgon2)
	enc, err := h.Hash(context.Background(), "correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := h.Verify(context.Background(), "correct horse battery", enc); !ok || err != nil {
				b.Fatal("verify failed")
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
}
