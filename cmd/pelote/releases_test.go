package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pelote/internal/config"
	"pelote/internal/inventory"
	"pelote/internal/notify"
	"pelote/internal/releases"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

func forgeServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var bodies atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v3/repos/nextcloud/server/releases" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"r1"`)
		if r.Header.Get("If-None-Match") == `"r1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		bodies.Add(1)
		fmt.Fprint(w, `[{"tag_name":"v29.0.2","body":"Fixes CVE-2024-37313","html_url":"https://example.org/r/29.0.2"}]`)
	}))
	t.Cleanup(srv.Close)
	return srv, &bodies
}

func TestReleasesVerbs(t *testing.T) {
	p := newPelote(t)
	srv, bodies := forgeServer(t)
	cfg := filepath.Join(t.TempDir(), "pelote.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`inventory:
  machines: [{name: m}]
  services:
    - {name: cloud, software: Nextcloud, version: 29.0.1, machines: [m], upstream: {forge: github, url: %s, repo: nextcloud/server}}
    - {name: pad, software: Etherpad, version: 2.0.3, machines: [m]}
`, srv.URL)), 0o600)
	code, out, errOut := p.run("", "releases", "poll", "--config", cfg)
	if code != exitOK || !strings.Contains(out, "1 upstreams asked in 1 requests (0 unchanged), 1 new versions notified") {
		t.Fatalf("poll: exit %d\n%s\n%s", code, out, errOut)
	}
	// The notice waits in the outbox for serve's workers.
	if outbox := p.ok("", "notify", "list", "--config", cfg); !strings.Contains(outbox, "cloud: Nextcloud 29.0.2 is out, with security fixes (running 29.0.1)") {
		t.Fatalf("the notice is not in the outbox:\n%s", outbox)
	}
	out = p.ok("", "releases", "poll", "--config", cfg)
	if !strings.Contains(out, "1 requests (1 unchanged), 0 new versions") || bodies.Load() != 1 {
		t.Fatalf("second poll %q, %d bodies", out, bodies.Load())
	}
	var list []releases.Status
	if err := json.Unmarshal([]byte(p.ok("", "releases", "list", "--json", "--config", cfg)), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Service != "cloud" || !list[0].Outdated || !list[0].Security || list[1].Watched {
		t.Fatalf("list %+v", list)
	}
	table := p.ok("", "releases", "list", "--config", cfg)
	if !strings.Contains(table, "OUTDATED (security)") || !strings.Contains(table, "not watched") {
		t.Fatalf("table:\n%s", table)
	}
	p.fails(exitUsage, `unknown verb releases "frob"`, "", "releases", "frob")
}

// TestReloadInventory: a reload applies a valid inventory, tokens and
// interval all at once, and nothing of an invalid one.
func TestReloadInventory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pelote.yaml")
	os.WriteFile(file, []byte("inventory:\n  machines: [{name: a}]\n"), 0o600)
	load := func() config.Config {
		c, err := loadConfigFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := load()
	inv, _ := first.LoadInventory()
	holder := inventory.NewHolder(inv)
	db := storetest.Open(t, releases.Migrations())
	w := releases.New(db, holder.Load, droppedNotices{}, discard())
	interval := &atomicDuration{}
	interval.Store(time.Hour)
	prepare := reloadInventory(holder, w, interval)

	os.WriteFile(file, []byte("releases: {interval: 2h}\ninventory:\n  machines: [{name: a}, {name: b}]\n"), 0o600)
	apply, err := prepare(load())
	if err != nil || len(holder.Load().Machines) != 1 {
		t.Fatalf("prepare changed the running inventory or failed: %v", err)
	}
	apply()
	if len(holder.Load().Machines) != 2 || interval.Load() != 2*time.Hour {
		t.Fatalf("not applied: %d machines, %v", len(holder.Load().Machines), interval.Load())
	}
	bad := load()
	bad.InventoryDir = filepath.Join(dir, "missing")
	if _, err := prepare(bad); err == nil {
		t.Fatal("an unreadable inventory was accepted")
	}
	if len(holder.Load().Machines) != 2 {
		t.Fatal("a refused reload changed the inventory")
	}
}

func discard() *slog.Logger { return testkit.Quiet }

func loadConfigFile(file string) (config.Config, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f := config.BindFlags(fs, config.AllKeys()...)
	if err := fs.Parse([]string{"--config", file}); err != nil {
		return config.Config{}, err
	}
	return f.Load(nil)
}

// droppedNotices is an Enqueuer for tests that do not look at notices.
type droppedNotices struct{}

func (droppedNotices) Enqueue(context.Context, *store.Tx, notify.Message) error { return nil }
