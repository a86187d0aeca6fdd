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
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	k := b.keys[key]
	if k == nil {
		if len(b.keys) >= maxKeys {
			// Full buckets are the same as absent ones: drop them.
			for key, old := range b.keys {
				if old.tokens+now.Sub(old.at).Seconds()*b.rate >= b.burst {
					delete(b.keys, key)
				}
			}
			if len(b.keys) >= maxKeys {
				b.keys = map[string]*bucket{}
			}
		}
		k = &bucket{tokens: b.burst, at: now}
		b.keys[key] = k
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
