package monitor

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"pelote/internal/heartbeat"
	"pelote/internal/notify/notifytest"
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
	e := New(Options{DB: db, Notify: &notifytest.Recorder{}, Prober: NewProber(nil), Tr: catalog(b)})
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
