package web

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pelote/internal/heartbeat"
	"pelote/internal/monitor"
)

// chromium runs headless Chromium with args and returns what it printed,
// trying again when the browser itself crashes.
func chromium(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (test.sh installs it)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	for try := 1; ; try++ {
		out, err := exec.CommandContext(ctx, bin, append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--user-data-dir=" + t.TempDir()}, args...)...).Output()
		var exit *exec.ExitError
		if err == nil {
			return string(out)
		}
		if !errors.As(err, &exit) || exit.Exited() || try == 3 {
			t.Fatalf("chromium: %v", err)
		}
		t.Logf("chromium crashed (%v), trying again", err)
	}
}

// TestMonitorPagesInChromium has a real browser load the status page
// under its CSP, and the dashboard as served to an administrator: both
// render their tables, and the sparkline is an SVG drawing without script.
func TestMonitorPagesInChromium(t *testing.T) {
	e, eng, hbs, _ := monitorEnv(t)
	ctx := t.Context()
	hbs.Record(ctx, heartbeat.Ping{UUID: backupUUID, Kind: heartbeat.Success, At: time.Now()})
	for i := range 30 {
		r := monitor.Result{At: time.Now().Add(time.Duration(i-30) * time.Minute), OK: i%7 != 3, Latency: time.Duration(20+i%5*10) * time.Millisecond}
		if !r.OK {
			r.Reason, r.Args = "monitor.reason.status", []string{"502", "2xx"}
		}
		eng.Record(ctx, "website", r)
	}
	dom := chromium(t, "--dump-dom", e.url+"/status?lang=de")
	for _, want := range []string{"<table>", "website", "Vorfälle der letzten 90 Tage", `lang="de"`} {
		if !strings.Contains(dom, want) {
			t.Fatalf("status page lacks %q:\n%s", want, dom)
		}
	}
	e.account("root", true)
	b := e.browser()
	b.login("root", "correct horse battery")
	r := b.get("/admin/monitor")
	page := strings.Replace(r.body, "<head>", `<head><base href="`+e.url+`/">`, 1)
	file := filepath.Join(t.TempDir(), "dashboard.html")
	if err := os.WriteFile(file, []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	dom = chromium(t, "--dump-dom", "file://"+file)
	for _, want := range []string{"<polyline", "<circle", "nightly-backup", "Maintenance windows"} {
		if !strings.Contains(dom, want) {
			t.Fatalf("dashboard lacks %q:\n%s", want, dom)
		}
	}
	if shot := os.Getenv("PELOTE_SCREENSHOTS"); shot != "" {
		chromium(t, "--screenshot="+filepath.Join(shot, "dashboard.png"), "--window-size=1100,900", "file://"+file)
		chromium(t, "--screenshot="+filepath.Join(shot, "status.png"), "--window-size=1100,700", e.url+"/status")
	}
}
