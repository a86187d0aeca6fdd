package identity

import (
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// An {SSHA} hash or a SHA-crypt hash with few rounds is checked in
// microseconds where argon2id takes tens of milliseconds: the time a login
// takes would tell who moved in with an imported hash and has not signed
// in since. So the check of such a hash is padded to what an argon2id
// verification costs on this machine, measured on the real ones. The
// padding waits with the hashing slot released: it costs a timer, not a
// core, and no other login queues behind it. Foreign hashes slower than
// argon2id (bcrypt, SHA-crypt with many rounds) are not padded.

// argonCost tracks what one argon2id computation with the hasher's
// parameters costs here. now and sleep are injected in tests, which check
// that the padding happens without timing anything.
type argonCost struct {
	nanos atomic.Int64 // smoothed cost; 0 until measured
	once  sync.Once
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration)
}

func newArgonCost() argonCost { return argonCost{now: time.Now, sleep: sleepCtx} }

// observe records one computation that started at start.
func (c *argonCost) observe(start time.Time) {
	d := int64(c.now().Sub(start))
	if d <= 0 {
		return
	}
	// A moving average: one slow computation (a busy machine) moves the
	// padding by an eighth. Concurrent updates may lose one; it is a
	// measure, not a count.
	if old := c.nanos.Load(); old != 0 {
		d = (7*old + d) / 8
	}
	c.nanos.Store(d)
}

// cost returns the measured cost, measuring it once first when no
// argon2id computation ran yet in this process (a first login that is a
// foreign hash's).
func (h *Hasher) argonCost(ctx context.Context) time.Duration {
	if n := h.argon.nanos.Load(); n != 0 {
		return time.Duration(n)
	}
	h.argon.once.Do(func() {
		if err := h.acquire(ctx); err != nil {
			return
		}
		defer h.release()
		start := h.argon.now()
		argon2.IDKey([]byte(rand.Text()), []byte(rand.Text()), h.params.Time, h.params.MemoryKiB, h.params.Threads, keyLen)
		h.argon.observe(start)
	})
	return time.Duration(h.argon.nanos.Load())
}

// verifyLegacyPadded checks pw against a foreign hash under a hashing
// slot, then, with the slot released, waits out the rest of an argon2id
// verification's cost, whether the password matched or not.
func (h *Hasher) verifyLegacyPadded(ctx context.Context, pw, encoded string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	start := h.argon.now()
	ok := verifyLegacy(pw, encoded)
	spent := h.argon.now().Sub(start)
	h.release()
	if pad := h.argonCost(ctx) - spent; pad > 0 {
		h.argon.sleep(ctx, pad)
	}
	return ok, nil
}

// sleepCtx waits d, or less if ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
