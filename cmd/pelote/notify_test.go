package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pelote/internal/mail/mailtest"
	"pelote/internal/notify"
	"pelote/internal/store/storetest"
)

// chatReceiver stands for a Mattermost incoming webhook: it records what
// it is posted and answers 200, or 500 while down.
type chatReceiver struct {
	URL  string
	mu   sync.Mutex
	got  []map[string]any
	down bool
}

func newChatReceiver(t *testing.T) *chatReceiver {
	t.Helper()
	c := &chatReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.down {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		c.got = append(c.got, body)
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

func (c *chatReceiver) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, b := range c.got {
		s, _ := b["text"].(string)
		out = append(out, s)
	}
	return out
}

func (c *chatReceiver) setDown(d bool) { c.mu.Lock(); c.down = d; c.mu.Unlock() }

func writeSecret(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNotifyVerbs(t *testing.T) {
	chat, broken := newChatReceiver(t), newChatReceiver(t)
	broken.setDown(true)
	p := newPelote(t)
	conf := filepath.Join(t.TempDir(), "pelote.yaml")
	os.WriteFile(conf, []byte(`notify:
  channels:
    - name: ops-chat
      kind: mattermost
      url_file: `+writeSecret(t, chat.URL+"/hooks/key")+`
    - name: broken
      kind: slack
      url_file: `+writeSecret(t, broken.URL+"/hooks/key")+`
`), 0o600)
	cfg := "--config=" + conf

	if out := p.ok("", "notify", "test", "ops-chat", cfg); !strings.Contains(out, "test message delivered through ops-chat") {
		t.Fatalf("notify test: %s", out)
	}
	if got := chat.texts(); len(got) != 1 || got[0] != "Test notification from Pelote" {
		t.Fatalf("chat got %v", got)
	}
	p.fails(exitFail, "could not be delivered through broken: http://127.0.0.1", "", "notify", "test", "broken", cfg)
	p.fails(exitFail, `no channel is named "nope"`, "", "notify", "test", "nope", cfg)
	p.fails(exitUsage, "one channel name", "", "notify", "test", cfg)

	out := p.ok("", "notify", "list", cfg)
	for _, want := range []string{"ops-chat", "mattermost", "broken", "slack", "failed", "answered 500"} {
		if !strings.Contains(out, want) {
			t.Fatalf("notify list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "/hooks/key") {
		t.Fatalf("a webhook's secret path in the list:\n%s", out)
	}
	var o notify.Overview
	if err := json.Unmarshal([]byte(p.ok("", "notify", "list", "--json", cfg)), &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Channels) != 2 || len(o.Failed) != 1 || len(o.Delivered) != 1 {
		t.Fatalf("overview %+v", o)
	}
	id := fmt.Sprint(o.Failed[0].ID)
	if out := p.ok("", "notify", "retry", id, cfg); !strings.Contains(out, "back in line") {
		t.Fatalf("notify retry: %s", out)
	}
	p.fails(exitFail, "neither failed nor waiting", "", "notify", "retry", fmt.Sprint(o.Delivered[0].ID), cfg)
	p.fails(exitUsage, "is not a delivery id", "", "notify", "retry", "abc", cfg)
	p.fails(exitUsage, "notify needs a verb", "", "notify")

	// A mistake in the section: the command says where.
	os.WriteFile(conf, []byte("notify:\n  channels:\n    - name: ops-chat\n      kind: mattermost\n      url: https://chat.example.org/hooks/key\n"), 0o600)
	p.fails(exitFail, `notify.channels[0] "ops-chat" (line 3): url: is not used by channels of kind mattermost`, "", "notify", "list", cfg)
}

// TestServeNotifications runs the real binary: an alert posted by
// Alertmanager reaches Mattermost and a group by mail; a channel that is
// down keeps its delivery across a restart; a configuration reload with a
// mistake is refused, shown, and the previous configuration keeps
// delivering; a good one is applied.
func TestServeNotifications(t *testing.T) {
	bin := buildPelote(t)
	dir := t.TempDir()
	chat, chat2 := newChatReceiver(t), newChatReceiver(t)
	sink := mailtest.Start(t)
	host, port, _ := net.SplitHostPort(sink.Addr)
	token := writeSecret(t, "alertmanager bearer token value")
	conf := filepath.Join(dir, "pelote.yaml")
	config := func(channel string, extra string) string {
		return `log_level: debug
mail:
  host: ` + host + `
  port: ` + port + `
  tls: none
  username: pelote
  password: relay password
  from: Pelote <id@example.org>
notify:
  outbox:
    min_backoff: 1s
    max_backoff: 2s
  alertmanager:
    token_file: ` + token + `
  channels:
    - name: ops-chat
      kind: mattermost
      url_file: ` + writeSecret(t, channel+"/hooks/key") + `
    - name: ops-mail
      kind: email
      groups: [sysadmins]
  routes:
    - match_sources: [alertmanager]
      channels: [ops-chat, ops-mail]
` + extra
	}
	os.WriteFile(conf, []byte(config(chat.URL, "")), 0o600)
	env := append(os.Environ(), "PELOTE_DATABASE="+storetest.DSN(t), "PELOTE_PASSWORD_MEMORY_KIB=19456", "PELOTE_CONFIG="+conf)
	run := func(stdin string, args ...string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(args, strings.NewReader(stdin), &out, &errOut, append(env, "PELOTE_DATA="+dir))
		if code != 0 {
			t.Fatalf("pelote %v: %s", args, errOut.String())
		}
	}
	run("correct horse battery\n", "user", "add", "root", "--email", "root@example.org", "--admin", "--password-stdin")
	run("correct horse battery\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	run("", "group", "add", "sysadmins")
	run("", "group", "member", "add", "sysadmins", "alice")
	serve := func() (*os.Process, string) {
		srv, addr, _ := startServe(t, bin, dir, append(env, "PELOTE_DATA="+dir), "--listen", "127.0.0.1:0")
		return srv.Process, "http://" + addr
	}
	alert := func(base, name string) {
		t.Helper()
		body := `{"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "` + name + `", "severity": "critical"},
			"annotations": {"summary": "borg create failed"}, "startsAt": "2026-11-01T02:00:00Z"}]}`
		req, _ := http.NewRequest(http.MethodPost, base+"/api/alertmanager", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer alertmanager bearer token value")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("alertmanager call: %d %s", res.StatusCode, b)
		}
	}
	has := func(list []string, s string) bool {
		for _, x := range list {
			if strings.Contains(x, s) {
				return true
			}
		}
		return false
	}

	proc, base := serve()
	alert(base, "BackupFailed")
	waitUntil(t, func() bool {
		return has(chat.texts(), "[FIRING] BackupFailed: borg create failed") && len(sink.Messages()) == 1
	})
	if m := sink.Messages()[0]; m.To[0] != "alice@example.org" || !strings.Contains(m.Data, "borg create failed") {
		t.Fatalf("mail %+v", m)
	}

	// Mattermost is down; Pelote stops; Mattermost is back; Pelote
	// starts again and delivers.
	chat.setDown(true)
	alert(base, "DiskFull")
	waitUntil(t, func() bool { return len(sink.Messages()) == 2 }) // the mail went; the chat waits
	proc.Signal(syscall.SIGTERM)
	proc.Wait()
	chat.setDown(false)
	proc, base = serve()
	waitUntil(t, func() bool { return has(chat.texts(), "[FIRING] DiskFull") })

	// A reload with a mistake: refused, shown, the old configuration runs.
	os.WriteFile(conf, []byte(config(chat2.URL, "  default: [nowhere]\n")), 0o600)
	proc.Signal(syscall.SIGHUP)
	admin := newClient(t, base)
	admin.post("/login", url.Values{"username": {"root"}, "password": {"correct horse battery"}}, "Signed-in browsers")
	waitUntil(t, func() bool {
		res, err := admin.c.Get(base + "/admin/notify")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return strings.Contains(string(b), "was refused") && strings.Contains(string(b), `no channel is named &#34;nowhere&#34;`)
	})
	alert(base, "StillOld")
	waitUntil(t, func() bool { return has(chat.texts(), "StillOld") })

	// A good reload is applied.
	os.WriteFile(conf, []byte(config(chat2.URL, "")), 0o600)
	proc.Signal(syscall.SIGHUP)
	waitUntil(t, func() bool {
		alert(base, "NowNew")
		return has(chat2.texts(), "NowNew")
	})
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
