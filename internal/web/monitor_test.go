package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"pelote/internal/heartbeat"
	"pelote/internal/i18n"
	"pelote/internal/monitor"
	"pelote/internal/monitor/monitortest"
	"pelote/internal/store"
)

const (
	backupUUID   = "4b4f3c2e-1d0a-4c8b-9e7f-0a1b2c3d4e5f"
	metricsToken = "a metrics token long enough"
)

// monitorEnv is a server with a heartbeat check and a public http check.
func monitorEnv(t *testing.T) (*env, *monitor.Engine, *heartbeat.Store, *monitortest.Recorder) {
	t.Helper()
	var eng *monitor.Engine
	var hbs *heartbeat.Store
	rec := &monitortest.Recorder{}
	e := newEnv(t, "http://pelote.test", func(db *store.DB, o *Options) {
		if err := db.Migrate(context.Background(), monitor.Migrations(), heartbeat.Migrations()); err != nil {
			t.Fatal(err)
		}
		cat, _ := i18n.Load()
		hbs = heartbeat.NewStore(db)
		eng = monitor.New(monitor.Options{DB: db, Notify: rec, Prober: monitor.NewProber(hbs), Tr: cat})
		checks := []monitor.Check{
			{Name: "nightly-backup", Kind: monitor.KindHeartbeat, Heartbeat: &heartbeat.Spec{UUID: backupUUID, Period: 24 * time.Hour, Grace: time.Hour, TZ: "UTC"}},
			{Name: "website", Kind: monitor.KindHTTP, Public: true, HTTP: &monitor.HTTPSpec{URL: "http://127.0.0.1:1/"}},
		}
		for i := range checks {
			checks[i] = checks[i].WithDefaults()
		}
		eng.Apply(checks, nil)
		metrics := monitor.NewMetrics(eng, hbs)
		o.Monitor = &Monitor{Engine: eng, Heartbeats: hbs, Metrics: metrics.Registry(), MetricsToken: metricsToken, PingRate: 5}
	})
	return e, eng, hbs, rec
}

func TestPings(t *testing.T) {
	e, _, hbs, _ := monitorEnv(t)
	c := &http.Client{}
	ping := func(method, path string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, e.url+path, bytes.NewReader(body))
		// A script's request: no session, no Origin, no Sec-Fetch-Site.
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, b.String()
	}
	if code, _ := ping("POST", "/ping/"+backupUUID+"/start", nil); code != 200 {
		t.Fatalf("start: %d", code)
	}
	if code, _ := ping("POST", "/ping/"+strings.ToUpper(backupUUID)+"/2", []byte("borg: error: repository locked\n")); code != 200 {
		t.Fatalf("exit code: %d", code)
	}
	st, err := hbs.State(t.Context(), backupUUID)
	if err != nil || st.LastKind != heartbeat.Fail || st.LastExit != 2 || !st.LastStart.IsZero() {
		t.Fatalf("state after a failed run: %+v %v", st, err)
	}
	// A 10 MB log is cut to 100 KB, stored, and the answer says so.
	big := bytes.Repeat([]byte("x"), 10<<20)
	code, body := ping("POST", "/ping/"+backupUUID, big)
	if code != 200 || !strings.Contains(body, "truncated to 102400 of 10485760 bytes") {
		t.Fatalf("big body: %d %q", code, body)
	}
	runs, err := hbs.Runs(t.Context(), backupUUID, 10, true)
	if err != nil || len(runs) != 3 || len(runs[0].Body) != heartbeat.MaxBody || runs[0].Size != 10<<20 || !runs[0].Truncated() {
		t.Fatalf("runs %d %v", len(runs), err)
	}
	// Unknown uuid: 404, nothing stored.
	if code, _ := ping("GET", "/ping/00000000-0000-4000-8000-000000000000", []byte("x")); code != 404 {
		t.Fatalf("unknown uuid: %d", code)
	}
	var n int
	e.db.QueryRow(t.Context(), `SELECT COUNT(*) FROM heartbeat_pings`).Scan(&n)
	if n != 3 {
		t.Fatalf("%d pings stored", n)
	}
	for _, bad := range []string{"/ping/" + backupUUID + "/256", "/ping/" + backupUUID + "/later"} {
		if code, _ := ping("GET", bad, nil); code != 400 {
			t.Fatalf("%s: %d", bad, code)
		}
	}
	if code, _ := ping("DELETE", "/ping/"+backupUUID, nil); code != 405 {
		t.Fatalf("DELETE: %d", code)
	}
	// Five a second, bursts of ten: a loop is stopped.
	limited := false
	for range 30 {
		if code, _ := ping("GET", "/ping/"+backupUUID, nil); code == 429 {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("pings are not rate-limited")
	}
}

func TestMetricsEndpoint(t *testing.T) {
	e, eng, hbs, _ := monitorEnv(t)
	ctx := t.Context()
	if _, err := hbs.Record(ctx, heartbeat.Ping{UUID: backupUUID, Kind: heartbeat.Success, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	days := 12.5
	if err := eng.Record(ctx, "website", monitor.Result{At: time.Now(), OK: true, Latency: 30 * time.Millisecond, CertDays: &days}); err != nil {
		t.Fatal(err)
	}
	// The states are live on the node running the checks; this one reads
	// the database, as a second node would.
	get := func(auth string) *http.Response {
		req, _ := http.NewRequest("GET", e.url+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, bad := range []string{"", "Bearer wrong", "Basic " + metricsToken} {
		if res := get(bad); res.StatusCode != 401 {
			t.Fatalf("%q: %d", bad, res.StatusCode)
		}
	}
	res := get("Bearer " + metricsToken)
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("metrics: %d", res.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	value := func(name, check string) float64 {
		t.Helper()
		f, ok := families[name]
		if !ok {
			t.Fatalf("no %s", name)
		}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "check" && l.GetValue() == check {
					if m.Gauge != nil {
						return m.Gauge.GetValue()
					}
				}
			}
		}
		t.Fatalf("no %s for %s", name, check)
		return 0
	}
	if v := value("pelote_check_up", "website"); v != 1 {
		t.Fatalf("up %v", v)
	}
	if v := value("pelote_check_latency_seconds", "website"); v != 0.03 {
		t.Fatalf("latency %v", v)
	}
	if v := value("pelote_check_certificate_days_left", "website"); v != 12.5 {
		t.Fatalf("days %v", v)
	}
	if v := value("pelote_heartbeat_last_success_timestamp_seconds", "nightly-backup"); time.Since(time.Unix(int64(v), 0)) > time.Minute {
		t.Fatalf("last success %v", v)
	}
	for _, want := range []string{"go_goroutines", "process_resident_memory_bytes", "pelote_check_lateness_seconds"} {
		if _, ok := families[want]; !ok {
			t.Errorf("no %s", want)
		}
	}
}

func TestMonitorPages(t *testing.T) {
	e, eng, hbs, _ := monitorEnv(t)
	ctx := t.Context()
	hbs.Record(ctx, heartbeat.Ping{UUID: backupUUID, Kind: heartbeat.Start, At: time.Now().Add(-time.Minute)})
	hbs.Record(ctx, heartbeat.Ping{UUID: backupUUID, Kind: heartbeat.Fail, ExitCode: 2, At: time.Now(), Body: []byte("borg: Failed to create/acquire the lock <script>\n"), Size: 48})
	for i := range 5 {
		eng.Record(ctx, "website", monitor.Result{At: time.Now().Add(time.Duration(i-5) * time.Minute), OK: i != 3, Latency: time.Duration(10+i) * time.Millisecond, Reason: map[bool]string{true: "", false: "monitor.reason.status"}[i != 3], Args: []string{"502", "2xx"}})
	}
	e.account("root", true)
	e.account("alice", false)
	b := e.browser()
	b.login("root", "correct horse battery")
	r := b.get("/admin/monitor")
	expect(t, r, 200, "nightly-backup", "website", "<svg class=\"spark\"", "Maintenance windows")
	r = b.get("/admin/monitor/nightly-backup")
	expect(t, r, 200, "Runs", "fail", "pelote run --ping "+backupUUID)
	r = b.get("/admin/monitor/nightly-backup/runs/2")
	expect(t, r, 200, "Failed to create/acquire the lock &lt;script&gt;")
	expect(t, b.get("/admin/monitor/nowhere"), 404, "There is no such check.")
	expect(t, b.post("/admin/monitor/silences", url.Values{"target": {"tag:web"}, "hours": {"2"}, "reason": {"upgrade"}}), 200, "The maintenance window is open", "tag:web", "upgrade")
	expect(t, b.post("/admin/monitor/silences", url.Values{"target": {"nowhere"}, "hours": {"2"}}), 422, "Name a check, or tag:NAME.")
	expect(t, b.post("/admin/monitor/silences", url.Values{"target": {"website"}, "hours": {"soon"}}), 422, "Give a number of hours")
	expect(t, b.post("/admin/monitor/silences/999/delete", nil), 404, "already over")
	// Members and strangers see no dashboard; the public sees /status.
	m := e.browser()
	m.login("alice", "correct horse battery")
	if r := m.get("/admin/monitor"); r.status != 403 {
		t.Fatalf("member: %d", r.status)
	}
	r = e.browser().get("/status?lang=fr")
	expect(t, r, 200, "website", "80.00 %", "Incidents des 90 derniers jours")
	if strings.Contains(r.body, "nightly-backup") || strings.Contains(r.body, "502") {
		t.Fatalf("the status page shows a private check or a reason:\n%s", r.body)
	}
}
