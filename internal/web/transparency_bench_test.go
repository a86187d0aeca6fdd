package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"pelote/internal/access"
	"pelote/internal/identity"
	"pelote/internal/inventory"
	"pelote/internal/openid"
	"pelote/internal/releases"
	"pelote/internal/store"
	"pelote/internal/testkit"
	"pelote/internal/transparency"
)

// benchInventory describes machines machines and services services.
func benchInventory(b *testing.B, machines, services int) *inventory.Inventory {
	var y strings.Builder
	y.WriteString("organization: {name: Bench, type: association}\nmachines:\n")
	for i := range machines {
		fmt.Fprintf(&y, "  - {name: m%d, role: web, type: virtual, provider: hostedbay, hosted_by: DC, location: Lyon, hardware: 8 cores 32 GB, os: Debian 12, watts: 40, encrypted: true}\n", i)
	}
	y.WriteString("services:\n")
	for i := range services {
		fmt.Fprintf(&y, "  - {name: s%d, software: Soft, license: AGPL-3.0, source: https://forge.example/s%d, version: 1.2.%d, machines: [m%d, m%d], registration: members, sso: s%d, backup: {frequency: daily, retention_days: 30, where: m0, encrypted: true}}\n",
			i, i, i, i%machines, (i+1)%machines, i)
	}
	inv, err := inventory.ParseBytes("bench.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	return inv
}

func benchTransparency(b *testing.B, cacheFor time.Duration) {
	inv := benchInventory(b, 50, 300)
	holder := inventory.NewHolder(inv)
	e := newEnv(&testing.T{}, "http://pelote.test", func(db *store.DB, o *Options) {
		if err := db.Migrate(context.Background(), openid.Migrations(), access.Migrations(), releases.Migrations()); err != nil {
			b.Fatal(err)
		}
		log := testkit.Quiet
		ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
		o.Access = access.NewStore(db)
		w := releases.New(db, holder.Load, noNotify{}, log)
		o.Transparency = &transparency.Builder{Inventory: holder.Load, Facts: facts{ids: ids, acc: o.Access, oid: openid.NewStore(db, ids, nil, log)},
			Versions: w, CacheFor: cacheFor}
	})
	h := e.srv.Handler()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	start := cpu()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/transparency", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
	// CPU time, which other work on a shared machine does not inflate.
	b.ReportMetric(float64((cpu()-start).Microseconds())/1000/float64(b.N), "cpu-ms/page")
}

// BenchmarkTransparencyPage renders the page for 50 machines and 300
// services from the cached report: what a visit costs.
func BenchmarkTransparencyPage(b *testing.B) { benchTransparency(b, time.Hour) }

// BenchmarkTransparencyPageUncached builds the report (its counting
// queries) and renders it at every visit: what a visit costs when the
// cache has just expired.
func BenchmarkTransparencyPageUncached(b *testing.B) { benchTransparency(b, 0) }
