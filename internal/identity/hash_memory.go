package identity

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// argon2id allocates its whole memory cost (46 MiB by default) afresh for
// every hash, and the library offers no way to reuse it. Left to the
// garbage collector's pacing, a burst of logins leaves three or four dead
// buffers on the heap before a collection, and the runtime hands freed
// memory back to the system only minutes later: a 2 GB VPS sees 200 MB
// for a login or two. hashMemory keeps it to one buffer per hashing slot
// while hashes run, and gives everything back soon after they stop.
//
// Before a hash allocates, the buffers of the hashes finished since the
// last collection are collected (argon2's blocks hold no pointers, so a
// collection is a few milliseconds beside a hash's tens). Once no hash has
// run for idleRelease, the free memory goes back to the system.

// idleRelease is how long the hashing slots stay idle before the memory
// they used is returned to the system.
const idleRelease = 3 * time.Second

type hashMemory struct {
	// collect frees dead buffers; give returns free memory to the system.
	// Injected so tests see when each runs.
	collect, give func()
	after         func(time.Duration, func()) stopper

	mu sync.Mutex
	// running hashes, and hashes finished since the last collection.
	running, dirty int
	// idle fires give once the slots have been quiet for idleRelease;
	// epoch tells a stale timer from the current one.
	idle  stopper
	epoch int
}

// stopper is what hashMemory needs of a timer.
type stopper interface{ Stop() bool }

func newHashMemory() *hashMemory {
	return &hashMemory{collect: runtime.GC, give: debug.FreeOSMemory,
		after: func(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }}
}

// start is called with a hashing slot held, before the hash allocates.
func (m *hashMemory) start() {
	m.mu.Lock()
	m.running++
	m.epoch++ // a pending release is for an idle time that is over
	dirty := m.dirty
	m.dirty = 0
	m.mu.Unlock()
	if dirty > 0 {
		m.collect()
	}
}

// end is called once the hash is done, its buffer dead.
func (m *hashMemory) end() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running--
	m.dirty++
	if m.running > 0 {
		return
	}
	epoch := m.epoch
	if m.idle != nil {
		m.idle.Stop()
	}
	m.idle = m.after(idleRelease, func() {
		m.mu.Lock()
		quiet := m.epoch == epoch && m.running == 0
		if quiet {
			m.dirty = 0
		}
		m.mu.Unlock()
		if quiet {
			m.give()
		}
	})
}
