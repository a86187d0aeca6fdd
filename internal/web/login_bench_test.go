package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"pelote/internal/i18n"
	"pelote/internal/identity"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// BenchmarkLoginForm posts the login form through the whole handler stack
// over loopback HTTP, with the default argon2id parameters: password check,
// session row, cookie and redirect. Right after, in the same process, it
// hashes as many bare argon2id passwords on all cores: this machine's limit
// for logins, measured under the same conditions, so that the ratio is not
// skewed by a neighbour's load between two separate benchmarks.
func BenchmarkLoginForm(b *testing.B) {
	srv := benchServer(b)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	form := url.Values{"username": {"alice"}, "password": {"correct horse battery"}}.Encode()
	// Twice as many clients as cores keeps the hashing slots busy while
	// other requests are parsed and answered.
	b.SetParallelism(4)
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for pb.Next() {
			res, err := c.Post(ts.URL+"/login", "application/x-www-form-urlencoded", strings.NewReader(form))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				b.Fatalf("login: %d", res.StatusCode)
			}
		}
	})
	b.StopTimer()
	logins := float64(b.N) / b.Elapsed().Seconds()
	hashes := rawArgon2Rate(b.N)
	b.ReportMetric(logins, "logins/s")
	b.ReportMetric(hashes, "raw-hashes/s")
	b.ReportMetric(logins/hashes, "ratio")
}

// BenchmarkLoginHandler runs the same logins through the same handler
// stack without a socket: what the server itself spends per login, with no
// HTTP client sharing the cores. The gap to BenchmarkLoginForm is the cost
// of the loopback client and connection handling.
func BenchmarkLoginHandler(b *testing.B) {
	srv := benchServer(b)
	h := srv.Handler()
	form := url.Values{"username": {"alice"}, "password": {"correct horse battery"}}.Encode()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/login", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusSeeOther {
				b.Fatal(w.Code)
			}
		}
	})
	b.StopTimer()
	logins := float64(b.N) / b.Elapsed().Seconds()
	hashes := rawArgon2Rate(b.N)
	b.ReportMetric(logins, "logins/s")
	b.ReportMetric(hashes, "raw-hashes/s")
	b.ReportMetric(logins/hashes, "ratio")
}

// benchServer returns a server on a fresh database holding the account
// alice, with the default argon2id parameters.
func benchServer(b *testing.B) *Server {
	db := storetest.Open(b, identity.Migrations())
	ids := identity.NewStore(db, identity.NewHasher(identity.DefaultArgon2))
	if _, err := ids.CreateAccount(context.Background(), identity.NewAccount{Username: "alice", Email: "alice@example.org", Password: "correct horse battery"}); err != nil {
		b.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse("http://localhost")
	srv, err := New(Options{PublicURL: u, LoginPerAccount: 10, LoginPerAddress: 50, LoginWindow: time.Minute}, ids, db, cat, testkit.Quiet)
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// rawArgon2Rate hashes n passwords with the default parameters, one
// goroutine per core, and returns hashes per second.
func rawArgon2Rate(n int) float64 {
	p := identity.DefaultArgon2
	salt := []byte("0123456789abcdef")
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				argon2.IDKey([]byte("correct horse battery"), salt, p.Time, p.MemoryKiB, p.Threads, 32)
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}
