package testkit

import (
	"sync"
	"time"
)

// Clock is a time that moves only when a test says so; safe for the
// goroutines of the code under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Start is where NewClock starts: a fixed date, so that runs compare.
var Start = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// NewClock starts at t, or at Start when t is zero.
func NewClock(t time.Time) *Clock {
	if t.IsZero() {
		t = Start
	}
	return &Clock{t: t}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
