package ratelimit

import (
	"slices"
	"sync"
	"time"
)

// maxKeys bounds memory (about 100 bytes a key). When the table is full
// of live counters, names new to it share one counter (overflow) rather
// than push out another's: a flood of failures under made-up names must
// not free a blocked account or reset one being guessed at.
const maxKeys = 100_000

// Failures counts failures per key.
type Failures struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]*window
	// order holds the windows by start time, oldest at head: since every
	// window lasts as long, that is also their order of expiry. Entries
	// whose key was reset or restarted since are skipped.
	order []*window
	head  int
	// overflow counts for the keys that found the table full.
	overflow window
	// shared, when set, is the count all nodes keep in the database; the
	// table above is then this node's fallback when the database fails.
	shared *sharedFailures
}

type window struct {
	key   string
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
	if f.shared != nil {
		if blocked, wait, err := f.shared.blocked(key); err == nil {
			return blocked, wait
		}
		// Logged by shared: this node's own count still holds.
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	w, ok := f.keys[key]
	if !ok {
		// The key may have been counted in the overflow while the table
		// was full.
		w = &f.overflow
	}
	left := w.start.Add(f.window).Sub(now)
	if left <= 0 {
		if ok {
			delete(f.keys, key)
		}
		return false, 0
	}
	return w.n >= f.limit, left
}

// Fail records one failure for key.
func (f *Failures) Fail(key string) {
	if f.shared != nil {
		f.shared.fail(key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	w, ok := f.keys[key]
	if ok && f.expired(w, now) {
		delete(f.keys, key)
		ok = false
	}
	if !ok {
		f.dropExpired(now)
		if len(f.keys) >= maxKeys {
			if f.expired(&f.overflow, now) {
				f.overflow = window{start: now}
			}
			f.overflow.n++
			return
		}
		w = &window{key: key, start: now}
		f.keys[key] = w
		f.order = append(f.order, w)
	}
	w.n++
}

// Reset forgets key's failures (after a success).
func (f *Failures) Reset(key string) {
	if f.shared != nil {
		f.shared.reset(key)
	}
	f.mu.Lock()
	delete(f.keys, key)
	f.mu.Unlock()
}

func (f *Failures) expired(w *window, now time.Time) bool {
	return now.Sub(w.start) >= f.window
}

// dropExpired forgets the windows that ended, oldest first, and the queue
// entries of keys reset or restarted since; it stops at the first live
// window, so each entry is looked at about once.
func (f *Failures) dropExpired(now time.Time) {
	for f.head < len(f.order) {
		w := f.order[f.head]
		current := f.keys[w.key] == w
		if current && !f.expired(w, now) {
			break
		}
		if current {
			delete(f.keys, w.key)
		}
		f.order[f.head] = nil
		f.head++
	}
	switch {
	case f.head == len(f.order):
		f.order, f.head = f.order[:0], 0
	case f.head > len(f.order)/2:
		f.order = append(f.order[:0], f.order[f.head:]...)
		f.head = 0
	}
	if len(f.order)-f.head > 2*maxKeys {
		// Keys reset while older windows still live leave entries behind
		// the head: rebuild the queue from the table, oldest first.
		f.order = f.order[:0]
		for _, w := range f.keys {
			f.order = append(f.order, w)
		}
		slices.SortFunc(f.order, func(a, b *window) int { return a.start.Compare(b.start) })
		f.head = 0
	}
}
