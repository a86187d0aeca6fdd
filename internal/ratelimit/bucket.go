package ratelimit

import (
	"sync"
	"time"
)

// Buckets is a token bucket per key: rate requests a second on average,
// bursts up to twice that. It bounds request rates (a token endpoint per
// client) where Failures bounds guesses.
type Buckets struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu   sync.Mutex
	keys map[string]*bucket
	// overflow is the bucket of keys that found the table full of buckets
	// still refilling (see maxKeys).
	overflow bucket
	// swept is when the table was last cleared of full buckets: a sweep
	// reads every key, so it runs at most once per refill time.
	swept time.Time
	// shared, when set, takes tokens from buckets all nodes keep in the
	// database; the table above is then this node's fallback when the
	// database fails.
	shared *sharedBuckets
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewBuckets allows rate requests per second per key; now is the clock.
func NewBuckets(rate int, now func() time.Time) *Buckets {
	return &Buckets{rate: float64(rate), burst: 2 * float64(rate), now: now, keys: map[string]*bucket{}}
}

// Allow takes one token from key's bucket; when it is empty it says how
// long until the next token.
func (b *Buckets) Allow(key string) (bool, time.Duration) {
	if b.shared != nil {
		if ok, wait, err := b.shared.allow(key); err == nil {
			return ok, wait
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	k := b.keys[key]
	if k == nil {
		if len(b.keys) >= maxKeys && now.Sub(b.swept).Seconds() >= b.burst/b.rate {
			// Full buckets are the same as absent ones: drop them.
			b.swept = now
			for key, old := range b.keys {
				if old.tokens+now.Sub(old.at).Seconds()*b.rate >= b.burst {
					delete(b.keys, key)
				}
			}
		}
		if len(b.keys) < maxKeys {
			k = &bucket{tokens: b.burst, at: now}
			b.keys[key] = k
		} else {
			// Emptying the table would refill every client that used its
			// burst: new keys share one bucket instead.
			if b.overflow.at.IsZero() {
				b.overflow = bucket{tokens: b.burst, at: now}
			}
			k = &b.overflow
		}
	}
	if el := now.Sub(k.at).Seconds(); el > 0 {
		k.tokens = min(b.burst, k.tokens+el*b.rate)
	}
	k.at = now
	if k.tokens >= 1 {
		k.tokens--
		return true, 0
	}
	return false, time.Duration((1 - k.tokens) / b.rate * float64(time.Second))
}
