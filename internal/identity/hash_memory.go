package identity

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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
// last collection are collected: one collection per hash, which is the
// least that bounds the peak, since a buffer can be reused only once it
// is collected. That collection must be the only one: with the default
// pacing (GOGC=100) a heap of L live bytes triggers the next collection
// at 2L, below L plus a buffer as soon as L is smaller than a buffer, so
// every allocation of a buffer would start a second collection, which
// costs as much as the first (it marks the whole live heap). While hashes
// run, the collector's goal is therefore raised by one buffer per slot,
// and set back once they stop. Once no hash has run for idleRelease, the
// free memory goes back to the system. The percentage belongs to the
// whole process, so a process has one Hasher (cmd builds it once).

// idleRelease is how long the hashing slots stay idle before the memory
// they used is returned to the system.
const idleRelease = 3 * time.Second

// minLiveHeap is the smallest live heap the goal is computed from: the
// runtime's own floor, which keeps the percentage sane at start.
const minLiveHeap = 4 << 20

type hashMemory struct {
	// collect frees dead buffers; give returns free memory to the system.
	// Injected so tests see when each runs.
	collect, give func()
	after         func(time.Duration, func()) stopper
	// setPercent sets the collector's GOGC percentage; pacing reads it
	// with the heap the last collection found live. Injected too.
	setPercent func(int) int
	pacing     func() (live uint64, percent int)
	// room is what the hashes allocate when every slot runs one.
	room uint64

	mu sync.Mutex
	// running hashes, and hashes finished since the last collection.
	running, dirty int
	// idle fires give once the slots have been quiet for idleRelease;
	// epoch tells a stale timer from the current one.
	idle  stopper
	epoch int
	// raised says the goal holds room; base is the percentage to restore.
	raised bool
	base   int
}

// stopper is what hashMemory needs of a timer.
type stopper interface{ Stop() bool }

// newHashMemory bounds the memory of slots hashes of memoryKiB each.
func newHashMemory(slots int, memoryKiB uint32) *hashMemory {
	return &hashMemory{collect: runtime.GC, give: debug.FreeOSMemory,
		after:      func(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) },
		setPercent: debug.SetGCPercent, pacing: pacing,
		room: uint64(slots) * uint64(memoryKiB) << 10}
}

// pacing reads the heap the last collection marked live and the GOGC
// percentage (-1 when off).
func pacing() (uint64, int) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0, -1 // unknown: leave the pacing alone
	}
	percent := s[1].Value.Uint64()
	if percent > 1<<30 { // GOGC=off is -1 read as unsigned
		return s[0].Value.Uint64(), -1
	}
	return s[0].Value.Uint64(), int(percent)
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
	m.mu.Lock()
	if dirty > 0 || !m.raised {
		m.raise()
	}
	m.mu.Unlock()
}

// raise makes room for the hashes in the collector's goal, with m.mu held:
// the goal becomes what the operator's percentage makes of the live heap,
// plus room. The runtime keeps a percentage, not an amount, so it is
// worked out again after each collection, from the heap that collection
// found live. An operator's GOGC=off is left alone.
func (m *hashMemory) raise() {
	if m.room == 0 {
		return
	}
	live, base := m.pacing()
	if m.raised {
		base = m.base // what pacing reads is the raised percentage
	}
	if base <= 0 {
		return
	}
	live = max(live, minLiveHeap)
	m.setPercent(base + int((m.room*100+live-1)/live))
	m.raised, m.base = true, base
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
			if m.raised {
				m.setPercent(m.base)
				m.raised = false
			}
		}
		m.mu.Unlock()
		if quiet {
			m.give()
		}
	})
}
