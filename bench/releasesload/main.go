// Command releasesload polls N watched projects against a local fake forge
// and prints what each poll cycle cost: requests, unchanged answers (304)
// and bodies transferred. The forge answers like GitHub's releases API,
// with an ETag per project.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"pelote/internal/inventory"
	"pelote/internal/notify"
	"pelote/internal/releases"
	"pelote/internal/store"
)

type counter struct{ n atomic.Int64 }

func (c *counter) Enqueue(_ context.Context, _ *store.Tx, _ notify.Message) error {
	c.n.Add(1)
	return nil
}

func main() {
	projects := flag.Int("projects", 500, "watched projects")
	dir := flag.String("dir", "", "data directory (a temporary one when empty)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "releasesload")
		if err != nil {
			fail(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	var mu sync.Mutex
	latest := map[string]string{}
	for i := range *projects {
		latest[fmt.Sprintf("p%d", i)] = "1.0.0"
	}
	var requests, bodies atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		parts := strings.Split(r.URL.Path, "/") // /api/v3/repos/o/pN/releases
		if len(parts) != 7 {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		v, ok := latest[parts[5]]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		body := fmt.Sprintf(`[{"tag_name":"v%s","name":"v%s","body":"Bug fixes","html_url":"https://forge.example/o/%s/releases/v%s","published_at":"2024-06-01T00:00:00Z"},{"tag_name":"v0.9.0"}]`, v, v, parts[5], v)
		sum := sha256.Sum256([]byte(body))
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("X-RateLimit-Remaining", "4999")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		bodies.Add(1)
		io.WriteString(w, body)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	var y strings.Builder
	y.WriteString("machines: [{name: m}]\nservices:\n")
	for i := range *projects {
		fmt.Fprintf(&y, "  - {name: s%d, version: 1.0.0, machines: [m], upstream: {forge: github, url: %s, repo: o/p%d}}\n", i, base, i)
	}
	inv, err := inventory.ParseBytes("bench.yaml", []byte(y.String()))
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, "", *dir)
	if err != nil {
		fail(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, store.Own(), releases.Migrations()); err != nil {
		fail(err)
	}
	notes := &counter{}
	w := releases.New(db, func() *inventory.Inventory { return inv }, notes, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cycle := func(label string) {
		requests.Store(0)
		bodies.Store(0)
		start := time.Now()
		c, err := w.Poll(ctx)
		if err != nil {
			fail(err)
		}
		fmt.Printf("%-28s %4d projects: %4d requests (%.2f per project), %4d answered 304, %4d bodies served, %6d bytes read, %3d notified, %s\n",
			label, *projects, requests.Load(), float64(requests.Load())/float64(*projects), c.NotModified, bodies.Load(), c.Bytes, c.Notified, time.Since(start).Round(time.Millisecond))
	}
	cycle("first poll (cold):")
	cycle("unchanged (goal 1, 0 bodies):")
	mu.Lock()
	for i := 0; i < *projects; i += 100 {
		latest[fmt.Sprintf("p%d", i)] = "1.1.0"
	}
	mu.Unlock()
	cycle("1% released a new version:")
	cycle("unchanged again:")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "releasesload:", err)
	os.Exit(1)
}
