package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters.
type Argon2Params struct {
	// MemoryKiB is the memory cost in KiB.
	MemoryKiB uint32
	// Time is the number of passes.
	Time uint32
	// Threads is the parallelism.
	Threads uint8
}

// DefaultArgon2 follows OWASP's first argon2id choice (46 MiB, 1 pass, 1
// lane): strong, and small enough that a 2 GB VPS survives a burst of logins
// with one hash per core at a time.
var DefaultArgon2 = Argon2Params{MemoryKiB: 46 * 1024, Time: 1, Threads: 1}

// Validate rejects parameters too weak to protect a leaked database or too
// large to run on a small machine.
func (p Argon2Params) Validate() error {
	switch {
	case p.MemoryKiB < 19*1024:
		return errors.New("argon2id memory must be at least 19456 KiB (OWASP minimum)")
	case p.MemoryKiB > 1024*1024:
		return errors.New("argon2id memory must be at most 1 GiB")
	case p.Time < 1 || p.Time > 10:
		return errors.New("argon2id time must be between 1 and 10")
	case p.Threads < 1:
		return errors.New("argon2id threads must be at least 1")
	}
	return nil
}

const (
	saltLen = 16
	keyLen  = 32
	// Passwords are bounded so a megabyte "password" cannot be used to burn
	// CPU; 1024 bytes is far beyond any passphrase.
	minPasswordRunes = 10
	maxPasswordBytes = 1024
)

// Hasher hashes and verifies passwords. At most one hash per CPU runs at a
// time: argon2id is memory-hard, and queuing bounds the memory a flood of
// logins can take (cores x MemoryKiB) without lowering throughput.
type Hasher struct {
	// Log receives the refusals of stored hashes over the cost caps (see
	// hashCost); slog's default logger when nil.
	Log    *slog.Logger
	params Argon2Params
	slots  chan struct{}
	// argon is what one argon2id computation with params costs here, for
	// padding the verification of faster foreign hashes (legacy_pad.go).
	argon argonCost
	// mem bounds the memory the hashes leave behind (hash_memory.go).
	mem *hashMemory
}

func (h *Hasher) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// NewHasher returns a Hasher with params (already validated).
func NewHasher(params Argon2Params) *Hasher {
	return &Hasher{params: params, slots: make(chan struct{}, runtime.GOMAXPROCS(0)), argon: newArgonCost(), mem: newHashMemory(runtime.GOMAXPROCS(0), params.MemoryKiB)}
}

// CheckPassword applies the password policy.
func CheckPassword(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return invalid("password", "is not valid text")
	case len(pw) > maxPasswordBytes:
		return invalid("password", fmt.Sprintf("must be at most %d bytes", maxPasswordBytes))
	case utf8.RuneCountInString(pw) < minPasswordRunes:
		return invalid("password", fmt.Sprintf("must be at least %d characters", minPasswordRunes))
	}
	return nil
}

// acquire takes a hashing slot, waiting for one; release gives it back.
// Between the two, one hash's memory is allowed.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		h.mem.start()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() {
	h.mem.end()
	<-h.slots
}

// Hash returns a PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$key.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("identity: salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	start := h.argon.now()
	key := argon2.IDKey([]byte(pw), salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, keyLen)
	h.argon.observe(start)
	h.release()
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches encoded, and whether encoded should be
// replaced because its parameters differ from the current ones.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	if len(pw) > maxPasswordBytes {
		return false, false, nil
	}
	if err := h.hashCost(encoded); err != nil {
		return h.refuseCostly(ctx, pw, err)
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	start := h.argon.now()
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	if p == h.params {
		h.argon.observe(start)
	}
	h.release()
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p != h.params, nil
}

// errBadHash is not shown to people: a hash Pelote cannot read is a bug or a
// damaged row, and the login fails closed.
var errBadHash = errors.New("identity: unreadable password hash")

func parsePHC(s string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	// Bound what a stored hash may ask for, so a tampered row cannot make a
	// login allocate gigabytes.
	if p.MemoryKiB == 0 || p.MemoryKiB > 1024*1024 || p.Time == 0 || p.Time > 10 || p.Threads == 0 {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
