package identity

import (
	"sync"
	"testing"
	"time"
)

// fakeTimers keeps the functions hashMemory schedules, to fire by hand.
type fakeTimers struct {
	mu    sync.Mutex
	fns   []func()
	stops int
}

type fakeTimer struct{ t *fakeTimers }

func (f fakeTimer) Stop() bool { f.t.mu.Lock(); f.t.stops++; f.t.mu.Unlock(); return true }

func (t *fakeTimers) after(_ time.Duration, fn func()) stopper {
	t.mu.Lock()
	t.fns = append(t.fns, fn)
	t.mu.Unlock()
	return fakeTimer{t}
}

func (t *fakeTimers) fire(i int) { t.fns[i]() }

// Hashes collect their predecessors' buffers before allocating theirs,
// and memory goes back to the system once, after the slots stay idle.
func TestHashMemory(t *testing.T) {
	timers := &fakeTimers{}
	collected, given := 0, 0
	m := &hashMemory{collect: func() { collected++ }, give: func() { given++ }, after: timers.after}

	m.start() // nothing to collect yet
	if collected != 0 {
		t.Fatal("collected before any hash finished")
	}
	m.end()
	m.start() // the first hash's buffer is dead
	if collected != 1 {
		t.Fatalf("collections: %d, want 1", collected)
	}
	// Two at once: the second finds nothing new to collect.
	m.start()
	if collected != 1 {
		t.Fatalf("collections: %d, want 1", collected)
	}
	m.end()
	m.end()
	// The first idle timer was overtaken by the second burst.
	if len(timers.fns) != 2 {
		t.Fatalf("%d idle timers", len(timers.fns))
	}
	timers.fire(0)
	if given != 0 {
		t.Fatal("memory given back by a stale idle timer")
	}
	timers.fire(1)
	if given != 1 {
		t.Fatalf("memory given back %d times, want 1", given)
	}
	// A hash that starts before the idle timer fires cancels the release.
	m.start()
	m.end()
	m.start()
	timers.fire(2)
	if given != 1 {
		t.Fatal("memory given back while a hash runs")
	}
	m.end()
}
