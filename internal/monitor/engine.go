package monitor

import (
	"container/heap"
	"context"
	"crypto/rand"
	"hash/fnv"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"pelote/internal/notify"
	"pelote/internal/store"
)

// schedTick is the scheduler's granularity.
const schedTick = 100 * time.Millisecond

// LeaseName is the lease the checks run under.
const LeaseName = "monitor"

// Options configure an Engine.
type Options struct {
	DB     *store.DB
	Notify notify.Enqueuer
	Prober *Prober
	// Tr and Lang write messages in the operators' language.
	Tr   Translator
	Lang string
	// BaseURL links messages to the dashboard; empty for no link.
	BaseURL string
	Policy  Policy
	// Concurrency bounds the checks running at once (default 256).
	Concurrency int
	Log         *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// LeaseTTL is how long the lease lasts without renewal (30 s).
	LeaseTTL time.Duration
	// OnResult, when set, sees every result after it is stored (metrics).
	OnResult func(c Check, r Result, lateness time.Duration)
}

// entry is one scheduled check and its live state.
type entry struct {
	check    Check
	state    State
	incident int64
	next     time.Time
	index    int // in the heap
	lastDue  atomic.Int64
	running  atomic.Bool
}

// outcome is a result on its way to the writer.
type outcome struct {
	e *entry
	r Result
}

// Engine schedules the checks, feeds their results to the state machine
// and stores both.
type Engine struct {
	o     Options
	store *Store
	node  string

	mu       sync.RWMutex
	checks   map[string]*entry
	byUUID   map[string]string // heartbeat uuid → check name
	silences []Silence         // from the configuration
	stored   []Silence         // from the database, refreshed
	errs     []string          // configuration errors of the last reload
	leader   bool
	// started is when this node began running the checks; ranAll is set
	// once each of them has a result since.
	started time.Time
	ranAll  bool

	reload  chan struct{}
	wake    chan string
	results chan outcome
	work    chan *entry
}

// New returns an engine; call Apply, then Run.
func New(o Options) *Engine {
	if o.Concurrency <= 0 {
		o.Concurrency = 256
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.Policy == (Policy{}) {
		o.Policy = DefaultPolicy
	}
	if o.Lang == "" {
		o.Lang = "en"
	}
	return &Engine{
		o: o, store: NewStore(o.DB), node: rand.Text(),
		checks:  map[string]*entry{},
		reload:  make(chan struct{}, 1),
		wake:    make(chan string, 64),
		results: make(chan outcome, 4096),
		work:    make(chan *entry, o.Concurrency),
	}
}

func (e *Engine) now() time.Time {
	if e.o.Now != nil {
		return e.o.Now()
	}
	return time.Now()
}

// Store returns the engine's store.
func (e *Engine) Store() *Store { return e.store }

// Apply replaces the set of checks (validated by the caller) and the
// silences from the configuration. States of checks that keep their name
// are kept.
func (e *Engine) Apply(checks []Check, silences []Silence) {
	e.mu.Lock()
	defer e.mu.Unlock()
	next := make(map[string]*entry, len(checks))
	byUUID := map[string]string{}
	now := e.now()
	for _, c := range checks {
		if c.Heartbeat != nil {
			byUUID[c.Heartbeat.UUID] = c.Name
		}
		if old, ok := e.checks[c.Name]; ok {
			old.check = c
			next[c.Name] = old
			continue
		}
		next[c.Name] = &entry{check: c, next: firstRun(c, now)}
	}
	e.checks, e.silences, e.errs, e.byUUID = next, silences, nil, byUUID
	select {
	case e.reload <- struct{}{}:
	default:
	}
}

// SetErrors records the errors of a reload that was refused, for the
// dashboard; the checks keep running as they were.
func (e *Engine) SetErrors(errs []string) {
	e.mu.Lock()
	e.errs = errs
	e.mu.Unlock()
}

// Errors returns the errors of the last refused reload.
func (e *Engine) Errors() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return append([]string(nil), e.errs...)
}

// Checks returns the configured checks, sorted by name.
func (e *Engine) Checks() []Check {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Check, 0, len(e.checks))
	for _, en := range e.checks {
		out = append(out, en.check)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Check returns one configured check.
func (e *Engine) Check(name string) (Check, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	en, ok := e.checks[name]
	if !ok {
		return Check{}, false
	}
	return en.check, true
}

// Heartbeat returns the heartbeat check with this uuid.
func (e *Engine) Heartbeat(uuid string) (Check, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	name, ok := e.byUUID[uuid]
	if !ok {
		return Check{}, false
	}
	return e.checks[name].check, true
}

// HeartbeatUUIDs lists the configured heartbeats' uuids.
func (e *Engine) HeartbeatUUIDs() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]string, 0, len(e.byUUID))
	for u := range e.byUUID {
		out = append(out, u)
	}
	return out
}

// ConfigSilences returns the silences from the configuration.
func (e *Engine) ConfigSilences() []Silence {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return append([]Silence(nil), e.silences...)
}

// Leader reports whether this node runs the checks now.
func (e *Engine) Leader() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.leader
}

// States returns each check's state: live on the node running the checks,
// from the database elsewhere.
func (e *Engine) States(ctx context.Context) (map[string]State, error) {
	e.mu.RLock()
	if e.leader {
		out := make(map[string]State, len(e.checks))
		for n, en := range e.checks {
			out[n] = en.state
		}
		e.mu.RUnlock()
		return out, nil
	}
	e.mu.RUnlock()
	stored, err := e.store.States(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]State, len(stored))
	for n, s := range stored {
		out[n] = s.State
	}
	return out, nil
}

// Wake runs the heartbeat check of uuid now, on this node if it runs the
// checks: a failed job is told at once rather than at the next interval,
// and so is the good run after it. A success while the check is up
// changes nothing and wakes nothing.
func (e *Engine) Wake(uuid string, failed bool) {
	e.mu.RLock()
	name, ok := e.byUUID[uuid]
	quiet := ok && !failed && e.checks[name].state.Status == Up && e.leader
	e.mu.RUnlock()
	if !ok || quiet {
		return
	}
	select {
	case e.wake <- name:
	default:
	}
}

// firstRun spreads checks over their interval by a hash of their name,
// so that 10,000 checks start within one interval, evenly, and keep their
// phase across restarts.
func firstRun(c Check, now time.Time) time.Time {
	h := fnv.New64a()
	h.Write([]byte(c.Name))
	// The spread leaves the interval's last second free, so that the last
	// check's result is stored (a tick and a batch later) within the
	// first interval too.
	spread := c.Interval
	if spread >= 2*time.Second {
		spread -= time.Second
	}
	phase := time.Duration(h.Sum64() % uint64(spread))
	t := now.Truncate(c.Interval).Add(phase)
	if t.Before(now) {
		t = t.Add(c.Interval)
	}
	// The phase is kept from the wall clock, so a check whose phase has
	// just passed would wait almost a whole interval: it keeps the free
	// second too, and runs that much earlier than its phase.
	if late := t.Sub(now) - spread; late > 0 {
		t = t.Add(-late)
	}
	return t
}

// Run holds the lease and, while it does, runs the checks; it returns
// when ctx ends.
func (e *Engine) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { e.write(ctx) })
	defer wg.Wait()
	// running is the cancel of the checks' goroutines while this node
	// holds the lease, nil otherwise.
	var running func()
	var runWG sync.WaitGroup
	stopRunning := func() {
		if running != nil {
			running()
			runWG.Wait()
			running = nil
		}
	}
	defer stopRunning()
	renew := time.NewTicker(e.o.LeaseTTL / 3)
	defer renew.Stop()
	for {
		ok, err := e.o.DB.AcquireLease(ctx, LeaseName, e.node, e.now(), e.o.LeaseTTL)
		if err != nil && ctx.Err() == nil {
			e.o.Log.Warn("monitor lease", "err", err)
		}
		switch {
		case ok && running == nil:
			if err := e.load(ctx); err != nil {
				e.o.Log.Warn("monitor: load states", "err", err)
				break
			}
			e.setLeader(true)
			running = e.start(ctx, &runWG)
			e.o.Log.Info("monitor: this node runs the checks")
		case !ok && running != nil:
			stopRunning()
			e.setLeader(false)
			e.o.Log.Info("monitor: another node runs the checks")
		}
		select {
		case <-ctx.Done():
			stopRunning()
			if e.Leader() {
				_ = e.o.DB.ReleaseLease(context.Background(), LeaseName, e.node)
			}
			return
		case <-renew.C:
		}
	}
}

// start runs the scheduler and the workers until the returned function
// is called.
func (e *Engine) start(ctx context.Context, wg *sync.WaitGroup) func() {
	rctx, cancel := context.WithCancel(ctx)
	e.mu.Lock()
	e.started, e.ranAll = e.now(), false
	e.mu.Unlock()
	wg.Go(func() { e.schedule(rctx) })
	for range e.o.Concurrency {
		wg.Go(func() { e.worker(rctx) })
	}
	return cancel
}

func (e *Engine) setLeader(v bool) {
	e.mu.Lock()
	e.leader = v
	e.mu.Unlock()
}

// load reads the stored states into the entries, so a new leader goes on
// where the last one stopped (a check down stays down, without a second
// message).
func (e *Engine) load(ctx context.Context) error {
	stored, err := e.store.States(ctx)
	if err != nil {
		return err
	}
	sil, err := e.store.Silences(ctx, e.now())
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for n, en := range e.checks {
		if s, ok := stored[n]; ok {
			en.state, en.incident = s.State, s.Incident
		}
	}
	e.stored = sil
	return nil
}

// RefreshSilences rereads the stored silences (after the page changed
// them, or periodically for other nodes' changes).
func (e *Engine) RefreshSilences(ctx context.Context) error {
	sil, err := e.store.Silences(ctx, e.now())
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.stored = sil
	e.mu.Unlock()
	return nil
}

// entryHeap orders entries by next run.
type entryHeap []*entry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h entryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *entryHeap) Push(x any)        { en := x.(*entry); en.index = len(*h); *h = append(*h, en) }
func (h *entryHeap) Pop() any {
	old := *h
	en := old[len(old)-1]
	*h = old[:len(old)-1]
	return en
}

// schedule hands each check to the workers when due. One goroutine and a
// heap: 10,000 checks cost no goroutine or timer each.
func (e *Engine) schedule(ctx context.Context) {
	var h entryHeap
	rebuild := func() {
		now := e.now()
		e.mu.RLock()
		h = make(entryHeap, 0, len(e.checks))
		for _, en := range e.checks {
			if en.next.Before(now.Add(-en.check.Interval)) {
				// Configured long before this node took the lease: spread
				// again rather than run them all at once.
				en.next = firstRun(en.check, now)
			}
			h = append(h, en)
		}
		e.mu.RUnlock()
		for i, en := range h {
			en.index = i
		}
		heap.Init(&h)
	}
	rebuild()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	refresh := time.NewTicker(time.Minute)
	defer refresh.Stop()
	for {
		now := e.now()
		for len(h) > 0 && !h[0].next.After(now) {
			en := h[0]
			due := en.next
			// The next run keeps the phase: lateness never accumulates.
			en.next = due.Add(en.check.Interval)
			for !en.next.After(now) {
				en.next = en.next.Add(en.check.Interval)
			}
			heap.Fix(&h, 0)
			e.dispatch(ctx, en, due)
		}
		wait := time.Hour
		if len(h) > 0 {
			// Wake on tick boundaries only: the checks due within one
			// tick start together, so 10,000 checks a minute cost ten
			// wake-ups a second rather than 170, for at most a tick of
			// lateness.
			due := h[0].next.Truncate(schedTick)
			if due.Before(h[0].next) {
				due = due.Add(schedTick)
			}
			wait = due.Sub(now)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-e.reload:
			rebuild()
		case name := <-e.wake:
			e.mu.RLock()
			en := e.checks[name]
			e.mu.RUnlock()
			if en != nil {
				e.dispatch(ctx, en, e.now())
			}
		case <-refresh.C:
			if err := e.RefreshSilences(ctx); err != nil && ctx.Err() == nil {
				e.o.Log.Warn("monitor: silences", "err", err)
			}
		case <-timer.C:
		}
	}
}

// dispatch gives en to a worker unless its previous run still goes.
func (e *Engine) dispatch(ctx context.Context, en *entry, due time.Time) {
	if !en.running.CompareAndSwap(false, true) {
		return // still running: skip this turn rather than pile up
	}
	en.lastDue.Store(due.UnixNano())
	select {
	case e.work <- en:
	case <-ctx.Done():
		en.running.Store(false)
	}
}

func (e *Engine) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case en := <-e.work:
			e.mu.RLock()
			c := en.check
			e.mu.RUnlock()
			due := time.Unix(0, en.lastDue.Load())
			late := e.now().Sub(due)
			r := e.o.Prober.Run(ctx, c)
			en.running.Store(false)
			if ctx.Err() != nil {
				return
			}
			if e.o.OnResult != nil {
				e.o.OnResult(c, r, late)
			}
			select {
			case e.results <- outcome{e: en, r: r}:
			case <-ctx.Done():
				return
			}
		}
	}
}
