package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pelote/internal/heartbeat"
	"pelote/internal/i18n"
	"pelote/internal/identity"
	"pelote/internal/monitor"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// BenchmarkPing measures heartbeat pings through the whole handler stack,
// in-process, from parallel clients over 1,000 heartbeats; each ping is
// stored (SQLite group commit by default).
func BenchmarkPing(b *testing.B) {
	db := storetest.Open(b, identity.Migrations(), monitor.Migrations(), heartbeat.Migrations())
	cat, _ := i18n.Load()
	hbs := heartbeat.NewStore(db)
	eng := monitor.New(monitor.Options{DB: db, Prober: monitor.NewProber(hbs), Tr: cat})
	var checks []monitor.Check
	for i := range 1000 {
		checks = append(checks, monitor.Check{Name: fmt.Sprintf("job-%d", i), Kind: monitor.KindHeartbeat,
			Heartbeat: &heartbeat.Spec{UUID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), Period: 24 * time.Hour, TZ: "UTC"}}.WithDefaults())
	}
	eng.Apply(checks, nil)
	srv, err := New(Options{LoginPerAccount: 3, LoginPerAddress: 3, LoginWindow: time.Minute,
		Monitor: &Monitor{Engine: eng, Heartbeats: hbs, PingRate: 1 << 20}},
		identity.NewStore(db, identity.NewHasher(testkit.FastArgon2)), db, cat,
		testkit.Quiet)
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	var n atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1) % 1000
			req := httptest.NewRequestWithContext(context.Background(), "POST", fmt.Sprintf("/ping/%08d-0000-4000-8000-000000000000", i), strings.NewReader("backup done\n"))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pings/s")
}
