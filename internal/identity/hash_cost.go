package identity

import (
	"context"
	"fmt"
	"strings"

	"github.com/GehirnInc/crypt"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Caps on the work a stored hash may ask of one login. A hash carries its
// own cost: without a cap, whoever can put a hash in (an import, `user
// passwd --hash-stdin`, a tampered row) makes each attempt at that account
// hold a hashing slot for hours (bcrypt 31, SHA-crypt with 10^9 rounds).
// Each cap is about a second of one core, and far above what directories
// write: PHP and Nextcloud use bcrypt 10 to 12, glibc, OpenLDAP and Dovecot
// SHA-crypt with 5,000 rounds, PHP argon2id 64 MiB × 4 passes, Authelia
// and argon2-cffi 64 MiB × 3 passes × 4 lanes, Keycloak 7 MiB × 5 passes.
// Pelote's own parameters, when larger, raise the argon2id caps.
const (
	// MaxBcryptCost is the largest bcrypt cost (2^14 rounds).
	MaxBcryptCost = 14
	// MaxCryptRounds is the largest number of SHA-crypt rounds.
	MaxCryptRounds = 1_000_000
	// MaxArgon2MemoryKiB is the largest argon2id memory (256 MiB): one
	// hash per core runs at a time, so this much per core.
	MaxArgon2MemoryKiB = 256 * 1024
	// MaxArgon2Work bounds argon2id memory × passes (1 GiB × 1 pass,
	// 256 MiB × 4 passes).
	MaxArgon2Work = 1024 * 1024
	// MaxArgon2Threads is the largest argon2id parallelism: one hash must
	// not take every core while it holds one slot.
	MaxArgon2Threads = 8
)

// hashCost checks encoded against the caps. It returns nil for a hash
// within them or of a format it does not know (the format is checked
// elsewhere), and an InvalidError that names the cap otherwise.
func (h *Hasher) hashCost(encoded string) error {
	over := func(what string, got, limit uint64) error {
		return invalid("password_hash", fmt.Sprintf("it asks for more work than Pelote allows: %s %d is over the cap of %d; the member will need a new password", what, got, limit))
	}
	if strings.HasPrefix(encoded, "$argon2id$") {
		p, _, _, err := parsePHC(encoded)
		if err != nil {
			return nil
		}
		mem, work, threads := uint64(max(MaxArgon2MemoryKiB, h.params.MemoryKiB)),
			max(MaxArgon2Work, uint64(h.params.MemoryKiB)*uint64(h.params.Time)), uint64(max(MaxArgon2Threads, h.params.Threads))
		switch {
		case uint64(p.MemoryKiB) > mem:
			return over("argon2id memory (KiB)", uint64(p.MemoryKiB), mem)
		case uint64(p.MemoryKiB)*uint64(p.Time) > work:
			return over("argon2id memory × passes (KiB)", uint64(p.MemoryKiB)*uint64(p.Time), work)
		case uint64(p.Threads) > threads:
			return over("argon2id parallelism", uint64(p.Threads), threads)
		}
		return nil
	}
	switch legacyScheme(encoded) {
	case "bcrypt":
		if cost, err := bcrypt.Cost([]byte(encoded)); err == nil && cost > MaxBcryptCost {
			return over("bcrypt cost", uint64(cost), MaxBcryptCost)
		}
	case "crypt":
		// The rounds the library will run, as it reads them.
		s := encoded[len("{CRYPT}"):]
		if c := crypt.NewFromHash(s); c != nil {
			if rounds, err := c.Cost(s); err == nil && rounds > MaxCryptRounds {
				return over("SHA-crypt rounds", uint64(rounds), MaxCryptRounds)
			}
		}
	}
	return nil
}

// refuseCostly is what a login does with a stored hash over the caps: it
// is not run, the attempt fails as a wrong password would, after the cost
// of one argon2id verification (so that the answer takes the usual time),
// and the log says so without naming the account.
func (h *Hasher) refuseCostly(ctx context.Context, pw string, err error) (ok, rehash bool, _ error) {
	h.logger().WarnContext(ctx, "identity: a stored password hash asks for more work than allowed; it was not checked and the login failed: set a new password for the account", "reason", err.Error())
	if aerr := h.acquire(ctx); aerr != nil {
		return false, false, aerr
	}
	argon2.IDKey([]byte(pw), make([]byte, saltLen), h.params.Time, h.params.MemoryKiB, h.params.Threads, keyLen)
	h.release()
	return false, false, nil
}
