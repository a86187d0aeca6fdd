package identity

import (
	"runtime"
	"runtime/debug"
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

// While hashes run, the collector's goal holds one buffer per slot above
// the live heap, so that allocating a buffer does not start a second
// collection; the operator's percentage comes back once the slots are
// idle, and GOGC=off is left alone.
func TestHashMemoryRaisesTheGoal(t *testing.T) {
	for _, tc := range []struct {
		name        string
		live        uint64
		base        int
		room        uint64
		raised      int
		restoreSeen bool
	}{
		{"a live heap of 21 MiB, one 46 MiB slot", 21 << 20, 100, 46 << 20, 100 + 220, true},
		{"a live heap under the runtime's floor", 1 << 20, 100, 8 << 20, 100 + 200, true},
		{"an operator's GOGC=50", 40 << 20, 50, 80 << 20, 50 + 200, true},
		{"GOGC=off", 40 << 20, -1, 80 << 20, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			timers := &fakeTimers{}
			percent := tc.base
			var set []int
			m := &hashMemory{collect: func() {}, give: func() {}, after: timers.after, room: tc.room,
				pacing:     func() (uint64, int) { return tc.live, percent },
				setPercent: func(p int) int { old := percent; percent = p; set = append(set, p); return old }}
			m.start()
			m.start()
			m.end()
			m.start() // the goal is raised once a burst
			m.end()
			m.end()
			if tc.raised == 0 {
				if len(set) != 0 {
					t.Fatalf("GOGC=off changed to %v", set)
				}
				timers.fire(len(timers.fns) - 1)
				return
			}
			if len(set) != 1 || set[0] != tc.raised {
				t.Fatalf("percentages set while hashing: %v, want [%d]", set, tc.raised)
			}
			timers.fire(len(timers.fns) - 1)
			if percent != tc.base || len(set) != 2 {
				t.Fatalf("after the idle time GOGC is %d (set %v), want %d back", percent, set, tc.base)
			}
			m.start() // a new burst raises it again
			if percent != tc.raised {
				t.Fatalf("second burst: GOGC %d, want %d", percent, tc.raised)
			}
			m.end()
		})
	}
}

// The real pacing reads a live heap and the default percentage.
func TestPacingReadsTheRuntime(t *testing.T) {
	runtime.GC()
	live, percent := pacing()
	if live == 0 || percent != debug.SetGCPercent(percent) {
		t.Fatalf("pacing: live %d, GOGC %d", live, percent)
	}
}
