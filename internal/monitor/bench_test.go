package monitor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"pelote/internal/heartbeat"
	"pelote/internal/monitor/monitortest"
	"pelote/internal/store/storetest"
)

// BenchmarkHTTPProbe is one http check against a local server, keep-alive
// connections shared as in the engine.
func BenchmarkHTTPProbe(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }))
	defer srv.Close()
	p := NewProber(nil)
	c := Check{Name: "web", Kind: KindHTTP, HTTP: &HTTPSpec{URL: srv.URL + "/"}}.WithDefaults()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := p.Run(b.Context(), c); !r.OK {
				b.Fatal(r.Reason, r.Args)
			}
		}
	})
}

// BenchmarkRecord is the storing of results as the engine's writer does
// it: batches of results through the state machine, in one transaction.
func BenchmarkRecord(b *testing.B) {
	db := storetest.Open(b, Migrations(), heartbeat.Migrations())
	e := New(Options{DB: db, Notify: &monitortest.Recorder{}, Prober: NewProber(nil), Tr: catalog(b)})
	var checks []Check
	for i := range 10000 {
		checks = append(checks, Check{Name: fmt.Sprintf("web-%05d", i), Kind: KindHTTP, HTTP: &HTTPSpec{URL: "http://x/"}}.WithDefaults())
	}
	e.Apply(checks, nil)
	var entries []*entry
	for _, c := range checks {
		entries = append(entries, e.checks[c.Name])
	}
	b.ReportAllocs()
	b.ResetTimer()
	now := time.Now()
	for i := 0; i < b.N; i += 100 {
		batch := make([]outcome, 0, 100)
		for j := i; j < i+100 && j < b.N; j++ {
			batch = append(batch, outcome{e: entries[j%len(entries)], r: Result{At: now, OK: true, Latency: time.Millisecond}})
		}
		if err := e.commit(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngine runs 2,000 http checks at a 2 s interval against a
// local server for b.N rounds, the whole engine included (scheduler,
// workers, state machine, batched writes).
func BenchmarkEngine(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }))
	defer srv.Close()
	db := storetest.Open(b, Migrations(), heartbeat.Migrations())
	var runs atomic.Int64
	e := New(Options{DB: db, Notify: &monitortest.Recorder{}, Prober: NewProber(nil), Tr: catalog(b),
		OnResult: func(Check, Result, time.Duration) { runs.Add(1) }})
	var checks []Check
	for i := range 2000 {
		checks = append(checks, Check{Name: fmt.Sprintf("web-%05d", i), Kind: KindHTTP, Interval: 2 * time.Second, HTTP: &HTTPSpec{URL: srv.URL + "/"}}.WithDefaults())
	}
	e.Apply(checks, nil)
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	b.ResetTimer()
	for runs.Load() < int64(b.N) {
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
}
