package releases

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"pelote/internal/inventory"
	"pelote/internal/notify"
	"pelote/internal/store"
)

// Watcher polls the inventory's upstreams and running versions.
type Watcher struct {
	db       *store.DB
	inv      func() *inventory.Inventory
	notifier notify.Enqueuer
	log      *slog.Logger
	tokens   atomic.Pointer[map[string]string]

	// Now, HTTP and UserAgent are replaced by tests and benchmarks.
	Now       func() time.Time
	HTTP      *http.Client
	UserAgent string
	// Concurrency is how many upstreams are asked at once.
	Concurrency int
	// T writes a message in the operators' language.
	T func(key string, args ...any) string
	// PageURL is the operators' releases page, linked from messages.
	PageURL string
}

// New returns a watcher over db reading the running inventory through inv
// and handing its messages to n.
func New(db *store.DB, inv func() *inventory.Inventory, n notify.Enqueuer, log *slog.Logger) *Watcher {
	w := &Watcher{db: db, inv: inv, notifier: n, log: log, Now: time.Now, HTTP: newHTTPClient(30 * time.Second),
		UserAgent: "Pelote (release watching)", Concurrency: 4, T: english}
	w.SetTokens(nil)
	return w
}

// SetTokens swaps the forges' tokens (keyed by host), on reload too.
func (w *Watcher) SetTokens(t map[string]string) {
	if t == nil {
		t = map[string]string{}
	}
	w.tokens.Store(&t)
}

// Cycle is what one poll did and cost.
type Cycle struct {
	Sources     int   `json:"sources"`
	Requests    int64 `json:"requests"`
	NotModified int64 `json:"not_modified"`
	Bodies      int64 `json:"bodies"`
	Bytes       int64 `json:"bytes"`
	Notified    int   `json:"notified"`
	Problems    int   `json:"problems"`
}

// watched is one source and the services that run its software.
type watched struct {
	src      *source
	services []inventory.Service
}

// Poll asks every upstream once, reads every running version, and
// notifies of new versions.
func (w *Watcher) Poll(ctx context.Context) (Cycle, error) {
	inv := w.inv()
	bySource := map[string]*watched{}
	var order []string
	for _, s := range inv.Services {
		if s.Upstream == nil {
			continue
		}
		src, err := newSource(s.Upstream)
		if err != nil {
			return Cycle{}, fmt.Errorf("releases: service %s: %w", s.Name, err)
		}
		key := src.first
		if ws, ok := bySource[key]; ok && ws.src.settings() == src.settings() {
			ws.services = append(ws.services, s)
			continue
		} else if ok {
			key += " " + src.settings() // same project, other tag pattern
		}
		bySource[key] = &watched{src: src, services: []inventory.Service{s}}
		order = append(order, key)
	}
	limits, err := loadLimits(ctx, w.db, w.Now())
	if err != nil {
		return Cycle{}, err
	}
	stats := &Stats{}
	f := &fetcher{client: w.HTTP, tokens: *w.tokens.Load(), ua: w.UserAgent, now: w.Now, stats: stats}
	var mu sync.Mutex // guards limits and problems
	problems := 0
	w.each(ctx, order, func(key string) {
		ws := bySource[key]
		mu.Lock()
		until, blocked := limits[ws.src.host]
		mu.Unlock()
		var p Problem
		var err error
		if blocked && until.After(w.Now()) {
			p, err = w.keepBlocked(ctx, key, until)
		} else {
			var wait time.Time
			p, wait, err = w.pollSource(ctx, f, key, ws.src)
			if !wait.IsZero() {
				mu.Lock()
				limits[ws.src.host] = wait
				mu.Unlock()
				if err := saveLimit(ctx, w.db, ws.src.host, wait); err != nil {
					w.log.Warn("releases: rate limit", "err", err)
				}
			}
		}
		if err != nil {
			w.log.Warn("releases: poll", "source", key, "err", err)
		}
		if p.Key != "" && p.Key != ProblemNoDates {
			mu.Lock()
			problems++
			mu.Unlock()
		}
	})
	names := make([]string, 0, len(inv.Services))
	for _, s := range inv.Services {
		names = append(names, s.Name)
	}
	w.each(ctx, names, func(name string) {
		s, _ := inv.Service(name)
		if r := w.readRunning(ctx, s); r.problem.Key != "" {
			mu.Lock()
			problems++
			mu.Unlock()
		}
	})
	notified, err := w.notifyNew(ctx, inv, bySource, order)
	c := Cycle{Sources: len(order), Requests: stats.Requests.Load(), NotModified: stats.NotModified.Load(),
		Bodies: stats.Bodies.Load(), Bytes: stats.Bytes.Load(), Notified: notified, Problems: problems}
	return c, err
}

// each runs fn on every item, Concurrency at a time.
func (w *Watcher) each(ctx context.Context, items []string, fn func(string)) {
	n := max(w.Concurrency, 1)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(it)
		})
	}
	wg.Wait()
}

// keepBlocked records that a rate-limited forge was not asked.
func (w *Watcher) keepBlocked(ctx context.Context, key string, until time.Time) (Problem, error) {
	st, err := loadSource(ctx, w.db, key)
	if err != nil {
		return Problem{}, err
	}
	st.problem = Problem{Key: ProblemRateLimited, Detail: until.UTC().Format(time.RFC3339)}
	return st.problem, saveSource(ctx, w.db, key, st)
}

// maxPages bounds how far back a project's releases are read when its
// first page has no version that counts (all pre-releases, other tags).
const maxPages = 4

// pollSource asks one upstream and stores what it said. wait is set when
// the forge asked to be left alone until then.
func (w *Watcher) pollSource(ctx context.Context, f *fetcher, key string, src *source) (p Problem, wait time.Time, err error) {
	st, err := loadSource(ctx, w.db, key)
	if err != nil {
		return Problem{}, time.Time{}, err
	}
	if st.settings != src.settings() {
		// The stored latest was chosen under other settings: ask again in full.
		st = sourceState{settings: src.settings()}
	}
	st.checkedAt = w.Now()
	a, err := f.get(ctx, src, src.first, st.etag, st.lastModified)
	if err != nil {
		st.problem, wait = describe(err)
		return st.problem, wait, saveSource(ctx, w.db, key, st)
	}
	wait = a.slowDown
	if a.notModified {
		if st.problem.Key != ProblemNoDates && st.problem.Key != ProblemNoVersion {
			st.problem = Problem{}
		}
		return st.problem, wait, saveSource(ctx, w.db, key, st)
	}
	etag, lastModified := a.etag, a.lastModified
	var best Release
	var version string
	var found, noDates bool
	for page := 1; ; page++ {
		rels, err := src.parse(a.body)
		if errors.Is(err, errNoDates) {
			noDates, err = true, nil
		}
		if err != nil {
			// The validators are not kept: the next poll must read a body.
			st.etag, st.lastModified = "", ""
			st.problem, _ = describe(err)
			return st.problem, wait, saveSource(ctx, w.db, key, st)
		}
		if r, v, ok := src.pick(rels); ok && (!found || Compare(v, version) > 0) {
			best, version, found = r, v, true
		}
		if found || a.next == "" || page == maxPages {
			break
		}
		if a, err = f.get(ctx, src, a.next, "", ""); err != nil {
			st.problem, wait = describe(err)
			st.etag, st.lastModified = "", ""
			return st.problem, wait, saveSource(ctx, w.db, key, st)
		}
	}
	st.etag, st.lastModified, st.problem = etag, lastModified, Problem{}
	switch {
	case !found:
		st.problem = Problem{Key: ProblemNoVersion}
		if src.pattern != nil {
			st.problem.Detail = src.pattern.String()
		}
	default:
		st.latest, st.latestTag, st.latestURL, st.latestAt = version, best.Tag, best.URL, best.Published
		st.security = MentionsSecurity(best.Notes)
		if noDates {
			st.problem = Problem{Key: ProblemNoDates}
		}
	}
	return st.problem, wait, saveSource(ctx, w.db, key, st)
}

// describe turns a poll's error into the problem operators see.
func describe(err error) (Problem, time.Time) {
	var rl *RateLimitError
	var se *StatusError
	var ne net.Error
	switch {
	case errors.As(err, &rl):
		return Problem{Key: ProblemRateLimited, Detail: rl.Until.UTC().Format(time.RFC3339)}, rl.Until
	case errors.As(err, &se):
		return Problem{Key: ProblemStatus, Detail: fmt.Sprint(se.Code)}, time.Time{}
	case errors.Is(err, errTooLarge):
		return Problem{Key: ProblemTooLarge}, time.Time{}
	case errors.Is(err, errBadBody):
		return Problem{Key: ProblemBadAnswer, Detail: strings.TrimPrefix(err.Error(), errBadBody.Error()+": ")}, time.Time{}
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return Problem{Key: ProblemUnreachable, Detail: err.Error()}, time.Time{}
	}
	return Problem{Key: ProblemUnreachable, Detail: err.Error()}, time.Time{}
}

// notifyNew tells operators, once per service and version, of an
// upstream version newer than the running one.
func (w *Watcher) notifyNew(ctx context.Context, inv *inventory.Inventory, bySource map[string]*watched, order []string) (int, error) {
	runningBy, err := loadRunning(ctx, w.db)
	if err != nil {
		return 0, err
	}
	notified := 0
	var errs []error
	for _, key := range order {
		ws := bySource[key]
		st, err := loadSource(ctx, w.db, key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st.latest == "" {
			continue
		}
		for _, s := range ws.services {
			cur, err := Version(runningBy[s.Name].version, nil)
			if err != nil || Compare(st.latest, cur) <= 0 {
				continue // unknown or not comparable: a warning, never an alert
			}
			m := w.message(s, st, runningBy[s.Name].version)
			err = w.db.InTx(ctx, func(tx *store.Tx) error {
				res, err := tx.Exec(ctx, `INSERT INTO release_notices (service, version, notified_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
					s.Name, st.latest, w.Now().Unix())
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return errAlreadyTold
				}
				return w.notifier.Enqueue(ctx, tx, m)
			})
			switch {
			case errors.Is(err, errAlreadyTold):
			case err != nil:
				errs = append(errs, fmt.Errorf("releases: notify %s %s: %w", s.Name, st.latest, err))
			default:
				notified++
			}
		}
	}
	return notified, errors.Join(errs...)
}

var errAlreadyTold = errors.New("already told")

func (w *Watcher) message(s inventory.Service, st sourceState, running string) notify.Message {
	sw := s.Software
	if sw == "" {
		sw = s.Name
	}
	m := notify.Message{Source: "release", Subject: s.Name, Event: "release", Severity: notify.Warning,
		Tags: []string{"service=" + s.Name}, URL: w.PageURL, At: w.Now()}
	key := "releases.msg.title"
	if st.security {
		m.Severity, key = notify.Critical, "releases.msg.title_security"
	}
	m.Title = w.T(key, s.Name, sw, Display(st.latest), running)
	m.Text = w.T("releases.msg.text", sw, Display(st.latest), s.Name, running, st.latestURL)
	return m
}

// english writes the messages when no catalog is given.
func english(key string, args ...any) string {
	switch key {
	case "releases.msg.title":
		return fmt.Sprintf("%s: %s %s is out (running %s)", args...)
	case "releases.msg.title_security":
		return fmt.Sprintf("%s: %s %s is out, with security fixes (running %s)", args...)
	case "releases.msg.text":
		return fmt.Sprintf("%s %s is out; service %s runs %s. %s", args...)
	}
	return key
}

// Run polls every interval() on the node holding the "releases" lease,
// until ctx ends. A restart does not poll sooner than the interval.
func (w *Watcher) Run(ctx context.Context, interval func() time.Duration) {
	node := rand.Text()
	const tick, lease = 5 * time.Minute, 15 * time.Minute
	for {
		if every := interval(); every > 0 {
			ok, err := w.db.AcquireLease(ctx, "releases", node, w.Now(), lease)
			switch {
			case errors.Is(err, context.Canceled):
				return
			case err != nil:
				w.log.Warn("releases: lease", "err", err)
			case ok:
				w.pollIfDue(ctx, every)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(tick):
		}
	}
}

func (w *Watcher) pollIfDue(ctx context.Context, every time.Duration) {
	last, err := lastCycle(ctx, w.db)
	if err != nil {
		w.log.Warn("releases: last poll", "err", err)
		return
	}
	if !last.IsZero() && w.Now().Sub(last) < every && !w.changed(ctx) {
		return
	}
	c, err := w.Poll(ctx)
	if err != nil {
		w.log.Warn("releases: poll", "err", err)
	}
	w.log.Info("releases polled", "sources", c.Sources, "requests", c.Requests, "not_modified", c.NotModified, "notified", c.Notified, "problems", c.Problems)
}

// changed reports whether the inventory watches a source never asked yet
// (a service added by a reload), so that it does not wait an interval.
func (w *Watcher) changed(ctx context.Context) bool {
	for _, s := range w.inv().Services {
		if s.Upstream == nil {
			continue
		}
		src, err := newSource(s.Upstream)
		if err != nil {
			continue
		}
		st, err := loadSource(ctx, w.db, src.first)
		if err == nil && st.checkedAt.IsZero() {
			return true
		}
	}
	return false
}

// sortStatuses orders the list: outdated first, then by service.
func sortStatuses(list []Status) {
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Outdated != list[j].Outdated {
			return list[i].Outdated
		}
		return list[i].Service < list[j].Service
	})
}
