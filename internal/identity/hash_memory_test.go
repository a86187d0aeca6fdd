package identity

import (
	"runtime"
	"runtime/debug"
	"slices"
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
// what the operator's percentage makes of the live heap, worked out again
// at each collection, so that allocating a buffer does not start a second
// collection; the operator's percentage comes back once the slots are
// idle, and GOGC=off is left alone.
func TestHashMemoryRaisesTheGoal(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name string
		base int
		room uint64
		// live is the heap each collection finds; want the percentage
		// set after it.
		live []uint64
		want []int
	}{
		{"one 46 MiB slot", 100, 46 * mib, []uint64{21 * mib, 21 * mib, 67 * mib}, []int{100 + 220, 100 + 220, 100 + 69}},
		{"a live heap under the runtime's floor", 100, 8 * mib, []uint64{1 * mib, 2 * mib, 3 * mib}, []int{100 + 200, 100 + 200, 100 + 200}},
		{"an operator's GOGC=50", 50, 80 * mib, []uint64{40 * mib, 80 * mib, 40 * mib}, []int{50 + 200, 50 + 100, 50 + 200}},
		{"GOGC=off", -1, 80 * mib, []uint64{40 * mib, 40 * mib, 40 * mib}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			timers := &fakeTimers{}
			percent, live := tc.base, tc.live[0]
			var set []int
			m := &hashMemory{give: func() {}, after: timers.after, room: tc.room,
				pacing:     func() (uint64, int) { return live, percent },
				setPercent: func(p int) int { old := percent; percent = p; set = append(set, p); return old }}
			collections := 0
			m.collect = func() { collections++; live = tc.live[min(collections, len(tc.live)-1)] }
			m.start() // nothing to collect: raised from the heap as it is
			m.start() // two at once: still nothing to collect
			m.end()
			m.start() // collects the first buffer, raises again
			m.end()
			m.end()
			m.start() // collects the two others
			m.end()
			if collections != 2 {
				t.Fatalf("%d collections, want 2", collections)
			}
			if !slices.Equal(set, tc.want) {
				t.Fatalf("percentages set while hashing: %v, want %v", set, tc.want)
			}
			timers.fire(len(timers.fns) - 1)
			if percent != tc.base {
				t.Fatalf("after the idle time GOGC is %d, want %d back", percent, tc.base)
			}
			if tc.want == nil {
				return
			}
			m.start() // a new burst raises it again
			if percent != tc.want[len(tc.want)-1] {
				t.Fatalf("second burst: GOGC %d, want %d", percent, tc.want[len(tc.want)-1])
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
