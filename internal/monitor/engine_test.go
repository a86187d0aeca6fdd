package monitor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pelote/internal/heartbeat"
	"pelote/internal/i18n"
	"pelote/internal/monitor/monitortest"
	"pelote/internal/notify"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
)

func catalog(t testing.TB) *i18n.Catalog {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// target is an HTTP server whose health the test switches.
type target struct {
	*httptest.Server
	healthy atomic.Bool
	hits    atomic.Int64
}

func newTarget(t *testing.T) *target {
	tg := &target{}
	tg.healthy.Store(true)
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.hits.Add(1)
		if !tg.healthy.Load() {
			http.Error(w, "broken", http.StatusBadGateway)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(tg.Close)
	return tg
}

func httpCheck(name, url string, deps ...string) Check {
	return Check{Name: name, Kind: KindHTTP, Interval: time.Second, Timeout: time.Second, Retries: 2, Recovery: 1,
		Tags: []string{"web"}, Owner: "ops", DependsOn: deps, HTTP: &HTTPSpec{URL: url, Method: "GET"}}
}

func newEngine(t *testing.T, db *store.DB, rec notify.Enqueuer, checks ...Check) (*Engine, context.CancelFunc) {
	t.Helper()
	e := New(Options{DB: db, Notify: rec, Prober: NewProber(heartbeat.NewStore(db)), Tr: catalog(t), Lang: "en",
		BaseURL: "https://id.example.org", LeaseTTL: 3 * time.Second})
	if err := ValidateSet(checks); err != nil {
		t.Fatal(err)
	}
	e.Apply(checks, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e, cancel
}

// TestEngineDownAndUp runs a real check against a real server that breaks
// and heals: one down message after the retries, one up message after.
func TestEngineDownAndUp(t *testing.T) {
	db := storetest.Open(t, Migrations(), heartbeat.Migrations())
	tg := newTarget(t)
	rec := &monitortest.Recorder{}
	e, _ := newEngine(t, db, rec, httpCheck("site", tg.URL))
	waitStatus(t, e, "site", Up)
	tg.healthy.Store(false)
	down := rec.Wait(t, 20*time.Second, func(m notify.Message) bool { return m.Event == EventDown })
	if down.Severity != notify.Critical || down.Title != "site is down" || !strings.Contains(down.Text, "502") ||
		down.URL != "https://id.example.org/admin/monitor/site" || down.Source != "check" || strings.Join(down.Tags, ",") != "web,owner=ops" {
		t.Fatalf("down message: %+v", down)
	}
	tg.healthy.Store(true)
	rec.Wait(t, 20*time.Second, func(m notify.Message) bool { return m.Event == EventUp })
	if got := strings.Join(rec.Events(), ","); got != "site:down,site:up" {
		t.Fatalf("messages: %s", got)
	}
	inc, err := e.Store().Incidents(t.Context(), nil, time.Now().Add(-time.Hour), 10)
	if err != nil || len(inc) != 1 || inc[0].End.IsZero() || inc[0].Reason != "monitor.reason.status" {
		t.Fatalf("incidents %+v %v", inc, err)
	}
}

func waitStatus(t *testing.T, e *Engine, name string, want Status) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := e.States(t.Context())
		if err == nil && st[name].Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: status %s, want %s", name, st[name].Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A machine down takes its services with it: one message, the services
// blocked.
func TestEngineDependencies(t *testing.T) {
	db := storetest.Open(t, Migrations(), heartbeat.Migrations())
	host, app := newTarget(t), newTarget(t)
	rec := &monitortest.Recorder{}
	e, _ := newEngine(t, db, rec, httpCheck("machine", host.URL), httpCheck("app", app.URL, "machine"))
	waitStatus(t, e, "machine", Up)
	waitStatus(t, e, "app", Up)
	host.healthy.Store(false)
	waitStatus(t, e, "machine", Down)
	app.healthy.Store(false)
	waitStatus(t, e, "app", Blocked)
	for _, ev := range rec.Events() {
		if strings.HasPrefix(ev, "app:") {
			t.Fatalf("a blocked check spoke: %v", rec.Events())
		}
	}
	// The machine comes back but the app does not: now the app is down.
	host.healthy.Store(true)
	waitStatus(t, e, "app", Down)
	rec.Wait(t, 10*time.Second, func(m notify.Message) bool { return m.Subject == "app" && m.Event == EventDown })
}

// A state change and its message are one transaction: when the message
// cannot be written, the change is not either, and happens at the next
// result once it can.
func TestEngineAtomicWithNotification(t *testing.T) {
	db := storetest.Open(t, Migrations(), heartbeat.Migrations())
	rec := &monitortest.Recorder{}
	e := New(Options{DB: db, Notify: rec, Prober: NewProber(nil), Tr: catalog(t)})
	c := httpCheck("site", "http://127.0.0.1:1/")
	c.Retries = 1
	e.Apply([]Check{c}, nil)
	ctx := t.Context()
	now := time.Now()
	if err := e.Record(ctx, "site", Result{At: now, OK: true}); err != nil {
		t.Fatal(err)
	}
	rec.Fail = errors.New("outbox full")
	if err := e.Record(ctx, "site", Result{At: now.Add(time.Second), Reason: "monitor.reason.failed"}); err == nil {
		t.Fatal("the transition was stored without its message")
	}
	stored, err := e.Store().States(ctx)
	if err != nil || stored["site"].State.Status != Up {
		t.Fatalf("stored state after a failed notification: %+v %v", stored["site"], err)
	}
	var n int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM monitor_incidents`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d incidents after a rolled-back transition", n)
	}
	rec.Fail = nil
	if err := e.Record(ctx, "site", Result{At: now.Add(2 * time.Second), Reason: "monitor.reason.failed"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.Events(), ","); got != "site:down" {
		t.Fatalf("messages %s", got)
	}
}

// Results roll up into hours; uptime reads both.
func TestRollUpAndUptime(t *testing.T) {
	db := storetest.Open(t, Migrations(), heartbeat.Migrations())
	ctx := t.Context()
	clock := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	e := New(Options{DB: db, Notify: &monitortest.Recorder{}, Prober: NewProber(nil), Tr: catalog(t), Now: func() time.Time { return clock }})
	c := httpCheck("site", "http://127.0.0.1:1/")
	e.Apply([]Check{c}, nil)
	// Three days of a result a minute, failing one minute in ten.
	for i := range 3 * 24 * 60 {
		at := clock.Add(time.Duration(i) * time.Minute)
		r := Result{At: at, OK: i%10 != 0, Latency: time.Duration(10+i%7) * time.Millisecond}
		if err := e.Record(ctx, "site", r); err != nil {
			t.Fatal(err)
		}
	}
	clock = clock.Add(72 * time.Hour)
	if _, err := e.Store().RollUp(ctx, clock); err != nil {
		t.Fatal(err)
	}
	var raw int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM monitor_results`).Scan(&raw)
	if raw != 48*60 {
		t.Fatalf("%d raw results kept, want 48 h of them", raw)
	}
	hours, err := e.Store().HourlyOf(ctx, "site", clock.Add(-100*time.Hour))
	if err != nil || len(hours) != 72 || hours[0].Count != 60 || hours[0].Failures != 6 || hours[0].Min != 10*time.Millisecond {
		t.Fatalf("roll-ups: %d %+v %v", len(hours), hours[:1], err)
	}
	up, err := e.Store().Uptimes(ctx, []string{"site"}, clock, 24*time.Hour, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if u := up["site"]; u[0].Ratio != 0.9 || u[1].Count != 72*60 || u[1].Ratio != 0.9 {
		t.Fatalf("uptime %+v", u)
	}
}

// With two nodes, one runs the checks.
func TestEngineOneLeader(t *testing.T) {
	db := storetest.Open(t, Migrations(), heartbeat.Migrations())
	tg := newTarget(t)
	c := httpCheck("site", tg.URL)
	a, _ := newEngine(t, db, &monitortest.Recorder{}, c)
	b, _ := newEngine(t, db, &monitortest.Recorder{}, c)
	deadline := time.Now().Add(10 * time.Second)
	for !(a.Leader() || b.Leader()) {
		if time.Now().After(deadline) {
			t.Fatal("no node runs the checks")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a.Leader() && b.Leader() {
		t.Fatal("both nodes run the checks")
	}
}

// The migrations apply on both engines, and twice without harm; silences
// are stored and refused when they name nothing.
func TestMigrationsAndSilences(t *testing.T) {
	db := storetest.Open(t, Migrations())
	ctx := t.Context()
	if err := db.Migrate(ctx, Migrations()); err != nil {
		t.Fatal(err)
	}
	s := NewStore(db)
	now := time.Now()
	if _, err := s.AddSilence(ctx, Silence{Start: now, End: now.Add(time.Hour)}); !errors.Is(err, ErrInvalidSilence) {
		t.Fatalf("silence without target: %v", err)
	}
	id, err := s.AddSilence(ctx, Silence{Tag: "mail", Start: now, End: now.Add(time.Hour), Reason: "upgrade", By: "root"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.Silences(ctx, now)
	if err != nil || len(list) != 1 || !list[0].Covers(Check{Name: "mx", Tags: []string{"mail"}}, now.Add(time.Minute)) ||
		list[0].Covers(Check{Name: "web"}, now.Add(time.Minute)) || list[0].Covers(Check{Name: "mx", Tags: []string{"mail"}}, now.Add(2*time.Hour)) {
		t.Fatalf("silences %+v %v", list, err)
	}
	if err := s.RemoveSilence(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSilence(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second removal: %v", err)
	}
}

// Whenever the scheduler starts, every check's first run falls within
// its interval less the second kept for storing results, and checks that
// start on a boundary keep their phase across restarts.
func TestFirstRunWithinTheInterval(t *testing.T) {
	boundary := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	for _, interval := range []time.Duration{time.Second, 10 * time.Second, time.Minute, time.Hour} {
		for _, offset := range []time.Duration{0, interval / 3, interval / 2, interval - time.Millisecond} {
			now := boundary.Add(offset)
			for i := range 2000 {
				c := Check{Name: fmt.Sprintf("check-%d", i), Interval: interval}
				wait := firstRun(c, now).Sub(now)
				limit := interval
				if interval >= 2*time.Second {
					limit -= time.Second
				}
				if wait < 0 || wait > limit {
					t.Fatalf("interval %v, started %v past a boundary: %s first runs after %v", interval, offset, c.Name, wait)
				}
				if offset == 0 && firstRun(c, now.Add(7*interval)).Sub(now.Add(7*interval)) != wait {
					t.Fatalf("%s changed phase across a restart", c.Name)
				}
			}
		}
	}
}
