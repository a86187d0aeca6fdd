package identity

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ticks is a clock that reads the times of a script, one per call, so
// that a test decides how long each computation "took".
type ticks struct {
	mu    sync.Mutex
	t0    time.Time
	steps []time.Duration
}

func (c *ticks) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.steps) == 0 {
		panic("clock script exhausted")
	}
	t := c.t0.Add(c.steps[0])
	c.steps = c.steps[1:]
	return t
}

func (c *ticks) script(t0 time.Time, at ...time.Duration) {
	c.mu.Lock()
	c.t0, c.steps = t0, at
	c.mu.Unlock()
}

// TestLegacyVerificationIsPadded: a foreign hash faster than argon2id is
// padded to argon2id's measured cost, match or not, with the hashing slot
// released; slower ones and argon2id itself are not padded. The clock
// and the waits are injected: nothing here is timed.
func TestLegacyVerificationIsPadded(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1})
	clock := &ticks{}
	var waits []time.Duration
	h.argon.now = clock.now
	h.argon.sleep = func(_ context.Context, d time.Duration) {
		if len(h.slots) != 0 {
			t.Error("padding while holding a hashing slot")
		}
		waits = append(waits, d)
	}
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	salt := []byte("salt1234")
	sum := sha1.Sum(append([]byte("member password"), salt...))
	ssha := "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
	b, _ := bcrypt.GenerateFromPassword([]byte("member password"), bcrypt.MinCost)
	bc := string(b)

	// No argon2id ran yet: the first foreign check measures one (40ms on
	// this clock), then waits what its own 1ms left.
	// The order of reads: the check's start and end, then the measure's.
	clock.script(t0, 0, time.Millisecond, 0, 40*time.Millisecond)
	if ok, rehash, err := h.verifyAny(ctx, "member password", ssha); !ok || !rehash || err != nil {
		t.Fatalf("{SSHA} with the right password: %v %v %v", ok, rehash, err)
	}
	if len(waits) != 1 || waits[0] != 39*time.Millisecond {
		t.Fatalf("waits %v, want [39ms]", waits)
	}
	// A wrong password is padded the same.
	clock.script(t0, 0, 2*time.Millisecond)
	if ok, _, _ := h.verifyAny(ctx, "wrong password", ssha); ok {
		t.Fatal("wrong password accepted")
	}
	if len(waits) != 2 || waits[1] != 38*time.Millisecond {
		t.Fatalf("waits %v, want [39ms 38ms]", waits)
	}
	// argon2id itself: measured, not padded (the average moves by 1/8).
	clock.script(t0, 0, 48*time.Millisecond)
	encoded, err := h.Hash(ctx, "member password")
	if err != nil {
		t.Fatal(err)
	}
	clock.script(t0, 0, 48*time.Millisecond)
	if ok, _, _ := h.verifyAny(ctx, "member password", encoded); !ok {
		t.Fatal("argon2id refused")
	}
	if len(waits) != 2 {
		t.Fatalf("argon2id was padded: %v", waits)
	}
	if got := h.argonCost(ctx); got != 41875*time.Microsecond {
		t.Fatalf("measured cost %v, want 41.875ms (40, then 48 twice, averaged by eighths)", got)
	}
	// A foreign hash slower than argon2id is not padded.
	clock.script(t0, 0, 60*time.Millisecond)
	if ok, _, _ := h.verifyAny(ctx, "member password", bc); !ok {
		t.Fatal("bcrypt refused")
	}
	if len(waits) != 2 {
		t.Fatalf("bcrypt was padded: %v", waits)
	}
}
