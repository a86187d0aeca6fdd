package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pelote/internal/notify"
)

// hookReceiver stands for a webhook channel's receiver: it records the
// bodies and answers status.
type hookReceiver struct {
	URL    string
	mu     sync.Mutex
	bodies []notify.WebhookBody
	status int
}

func newHookReceiver(t *testing.T, status int) *hookReceiver {
	t.Helper()
	h := &hookReceiver{status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b notify.WebhookBody
		json.NewDecoder(r.Body).Decode(&b)
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.mu.Unlock()
		w.WriteHeader(h.status)
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

func (h *hookReceiver) got() []notify.WebhookBody {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]notify.WebhookBody(nil), h.bodies...)
}

// withNotify serves the notifier's page and endpoint over e's database.
func withNotify(t *testing.T, e *env, s notify.Settings) *notify.Notifier {
	t.Helper()
	if err := e.db.Migrate(t.Context(), notify.Migrations()); err != nil {
		t.Fatal(err)
	}
	n := notify.New(e.db, e.srv.log, notify.Options{Translator: e.srv.cat})
	if err := n.Configure(s); err != nil {
		t.Fatal(err)
	}
	e.srv.opts.Notify = n
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return n
}

const amToken = "the token Alertmanager sends"

func TestAdminNotifyPage(t *testing.T) {
	e := newEnv(t, "http://localhost")
	ok, broken := newHookReceiver(t, 200), newHookReceiver(t, 500)
	n := withNotify(t, e, notify.Settings{
		Channels: []notify.ChannelConfig{{Name: "ops-hook", Kind: "webhook", URL: ok.URL}, {Name: "broken", Kind: "webhook", URL: broken.URL + "/k3y"}},
		Routes:   []notify.Route{{MatchTags: []string{"web"}, Channels: []string{"ops-hook", "broken"}}},
	})
	e.account("root", true)
	e.account("alice", false)
	ctx := t.Context()
	for _, m := range []notify.Message{
		{Source: "check", Subject: "web", Event: "down", Severity: notify.Critical, Tags: []string{"web"}, Title: "web is down"},
		{Source: "check", Subject: "dns", Event: "down", Severity: notify.Warning, Tags: []string{"dns"}, Title: "dns is down"},
	} {
		if err := n.Enqueue(ctx, nil, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}

	member := e.browser()
	member.login("alice", "correct horse battery")
	if r := member.get("/admin/notify"); r.status != 403 {
		t.Fatalf("a member sees the page: %d", r.status)
	}

	b := e.browser()
	b.login("root", "correct horse battery")
	r := b.get("/admin/notify")
	expect(t, r, 200, "<h1>Notifications</h1>", `id="channel-ops-hook"`, "webhook", "Send a test message through broken",
		"Waiting deliveries", "answered 500", "Delivered in the last 24 hours", "Messages no route selected", "dns is down")
	if strings.Contains(r.body, "k3y") {
		t.Fatal("a webhook's path is on the page")
	}

	// A test through a working channel, then a broken one, then none.
	expect(t, b.post("/admin/notify/channels/ops-hook/test", nil), 200, "The test message was delivered through ops-hook.")
	if got := ok.got(); got[len(got)-1].Title != "Test notification from Pelote" {
		t.Fatalf("receiver got %+v", got)
	}
	expect(t, b.post("/admin/notify/channels/broken/test", nil), 200, "could not be delivered through broken", "answered 500")
	expect(t, b.post("/admin/notify/channels/nope/test", nil), 404, "No channel is named nope.")

	// The failed test can be retried from the page; a delivered one not.
	o, _ := n.Overview(ctx)
	if len(o.Failed) != 1 {
		t.Fatalf("failed %+v", o.Failed)
	}
	r = b.post(fmt.Sprintf("/admin/notify/deliveries/%d/retry", o.Failed[0].ID), nil)
	expect(t, r, 200, "The delivery is back in line.")
	expect(t, b.post(fmt.Sprintf("/admin/notify/deliveries/%d/retry", o.Delivered[0].ID), nil), 409, "neither failed nor waiting")
	expect(t, b.post("/admin/notify/deliveries/x/retry", nil), 409)

	// The page in another language.
	b.post("/account/details", url.Values{"email": {"root@example.org"}, "name": {""}, "locale": {"de"}})
	expect(t, b.get("/admin/notify"), 200, "Benachrichtigungen", "Test senden")
}

func TestAdminNotifyShowsRefusedReload(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.srv.opts.ReloadStatus = func() (time.Time, error) {
		return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), errors.New(`notify.channels[0] "x" (line 4): kind: "pager" is not a kind of channel`)
	}
	withNotify(t, e, notify.Settings{})
	e.account("root", true)
	b := e.browser()
	b.login("root", "correct horse battery")
	expect(t, b.get("/admin/notify"), 200, "The configuration reload of 2026-11-01 12:00 UTC was refused", "(line 4): kind: &#34;pager&#34;", "No channel is configured")
}

func postAlertmanager(t *testing.T, e *env, token string, body []byte) resp {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/alertmanager", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.browser().do(req)
}

const amPayload = `{"version": "4", "status": "firing", "receiver": "pelote", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
  "externalURL": "http://am:9093", "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "severity": "critical"},
  "annotations": {"summary": "Disk almost full", "padding": "%s"}, "startsAt": "2026-11-01T11:50:00Z", "endsAt": "0001-01-01T00:00:00Z",
  "generatorURL": "http://prometheus:9090/graph"}]}`

func TestAlertmanagerEndpoint(t *testing.T) {
	e := newEnv(t, "http://localhost")
	hook := newHookReceiver(t, 200)
	n := withNotify(t, e, notify.Settings{
		Channels:          []notify.ChannelConfig{{Name: "hook", Kind: "webhook", URL: hook.URL}},
		Default:           []string{"hook"},
		AlertmanagerToken: amToken,
	})
	count := func() int {
		var k int
		e.db.QueryRow(t.Context(), `SELECT COUNT(*) FROM notify_messages`).Scan(&k)
		return k
	}
	r := postAlertmanager(t, e, "", []byte(fmt.Sprintf(amPayload, "")))
	expect(t, r, 401, "Wrong or missing bearer token.")
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("no WWW-Authenticate")
	}
	expect(t, postAlertmanager(t, e, "wrong", []byte(fmt.Sprintf(amPayload, ""))), 401)
	r = postAlertmanager(t, e, amToken, []byte(`{"version": "4", "alerts": [`))
	expect(t, r, 400, "The payload cannot be read: the JSON object is empty or cut short")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("content type %q", r.header.Get("Content-Type"))
	}
	expect(t, postAlertmanager(t, e, amToken, []byte(`{"version": "4", "alerts": [}`)), 400, "invalid JSON at line 1, column 29")
	expect(t, postAlertmanager(t, e, amToken, []byte(fmt.Sprintf(amPayload, strings.Repeat("x", 1<<20)))), 413, "larger than 1024 KiB")
	if k := count(); k != 0 {
		t.Fatalf("%d messages stored from refused calls", k)
	}
	// Larger than a form may be, well within the endpoint's limit.
	expect(t, postAlertmanager(t, e, amToken, []byte(fmt.Sprintf(amPayload, strings.Repeat("x", 200<<10)))), 200, "1 alert taken.")
	if _, err := n.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := hook.got(); len(got) != 1 || got[0].Title != "[FIRING] DiskFull: Disk almost full" || got[0].Severity != notify.Critical {
		t.Fatalf("receiver got %+v", got)
	}

	// Without a token the endpoint is off.
	off := newEnv(t, "http://localhost")
	withNotify(t, off, notify.Settings{})
	expect(t, postAlertmanager(t, off, amToken, []byte(fmt.Sprintf(amPayload, ""))), 404, "endpoint is off")
}

// TestRealAlertmanager points Debian's prometheus-alertmanager at Pelote:
// an alert posted to Alertmanager reaches a channel through Pelote, then
// its resolution.
func TestRealAlertmanager(t *testing.T) {
	bin, err := exec.LookPath("prometheus-alertmanager")
	if err != nil {
		t.Skip("prometheus-alertmanager is not installed (Debian package prometheus-alertmanager)")
	}
	e := newEnv(t, "http://localhost")
	hook := newHookReceiver(t, 200)
	n := withNotify(t, e, notify.Settings{
		Channels:          []notify.ChannelConfig{{Name: "hook", Kind: "webhook", URL: hook.URL}},
		Routes:            []notify.Route{{MatchSources: []string{"alertmanager"}, Channels: []string{"hook"}}},
		AlertmanagerToken: amToken,
	})
	n.Poll = 20 * time.Millisecond
	go n.Run(t.Context())

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(amToken), 0o600)
	conf := filepath.Join(dir, "alertmanager.yml")
	os.WriteFile(conf, []byte(`route:
  receiver: pelote
  group_by: [alertname, instance]
  group_wait: 100ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: pelote
    webhook_configs:
      - url: `+e.url+`/api/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: `+tokenFile+`
`), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file="+conf, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	am := "http://" + addr
	poll(t, &logs, func() bool {
		res, err := http.Get(am + "/-/ready")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})

	send := func(ends string) {
		t.Helper()
		body := `[{"labels": {"alertname": "BackupTooOld", "instance": "nas1", "severity": "critical"},
			"annotations": {"summary": "the last archive is 3 days old"}, "generatorURL": "http://prometheus:9090/graph"` + ends + `}]`
		res, err := http.Post(am+"/api/v2/alerts", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("alertmanager refused the alert: %d %s", res.StatusCode, b)
		}
	}
	send("")
	poll(t, &logs, func() bool { return len(hook.got()) >= 1 })
	first := hook.got()[0]
	if first.Event != "firing" || first.Subject != "BackupTooOld (nas1)" || first.Title != "[FIRING] BackupTooOld (nas1): the last archive is 3 days old" ||
		first.Severity != notify.Critical || first.URL != "http://prometheus:9090/graph" {
		t.Fatalf("firing alert arrived as %+v", first)
	}
	send(`, "endsAt": "` + time.Now().Add(-time.Second).UTC().Format(time.RFC3339) + `"`)
	poll(t, &logs, func() bool {
		got := hook.got()
		return len(got) >= 2 && got[len(got)-1].Event == "resolved"
	})
}

// poll waits for cond, printing the peer's log if it never holds.
func poll(t *testing.T, logs *bytes.Buffer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting; alertmanager said:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
