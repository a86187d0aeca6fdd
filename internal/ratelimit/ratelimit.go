// Package ratelimit counts failures per key (an account, a client address)
// over a fixed window and says when a key has had too many. It lives in
// memory: each node counts on its own, which bounds guessing per node; the
// argon2id cost bounds it further.
package ratelimit

import (
	"sync"
	"time"
)

// maxKeys bounds memory (about 100 bytes a key): a flood of distinct keys
// evicts old ones rather than grow without end.
const maxKeys = 100_000

// Failures counts failures per key.
type Failures struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// NewFailures allows limit failures per key within window; now is the clock.
func NewFailures(limit int, w time.Duration, now func() time.Time) *Failures {
	return &Failures{limit: limit, window: w, now: now, keys: map[string]*window{}}
}

// Blocked reports whether key has used up its failures, and how long until
// it may try again.
func (f *Failures) Blocked(key string) (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w, ok := f.keys[key]
	if !ok {
		return false, 0
	}
	left := w.start.Add(f.window).Sub(f.now())
	if left <= 0 {
		delete(f.keys, key)
		return false, 0
	}
	return w.n >= f.limit, left
}

// Fail records one failure for key.
func (f *Failures) Fail(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	w, ok := f.keys[key]
	if ok && now.Sub(w.start) >= f.window {
		ok = false
	}
	if !ok {
		if len(f.keys) >= maxKeys {
			f.evict(now)
		}
		w = &window{start: now}
		f.keys[key] = w
	}
	w.n++
}

// Reset forgets key's failures (after a success).
func (f *Failures) Reset(key string) {
	f.mu.Lock()
	delete(f.keys, key)
	f.mu.Unlock()
}

// evict drops expired windows, and if none expired, an arbitrary tenth of
// the keys (map order is random, so an attacker cannot choose which).
func (f *Failures) evict(now time.Time) {
	for k, w := range f.keys {
		if now.Sub(w.start) >= f.window {
			delete(f.keys, k)
		}
	}
	for k := range f.keys {
		if len(f.keys) < maxKeys*9/10 {
			break
		}
		delete(f.keys, k)
	}
}
