package notify

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMattermostPayload(t *testing.T) {
	for _, kind := range []string{"mattermost", "slack"} {
		t.Run(kind, func(t *testing.T) {
			r := newReceiver(t, nil)
			n, _ := newNotifier(t, nil, Options{}, Settings{
				Channels: []ChannelConfig{{Name: "chat", Kind: kind, URLFile: file(t, r.URL+"/hooks/s3cr3t"), Channel: "alerts", Username: "pelote", IconURL: "https://id.example.org/icon.png"}},
				Default:  []string{"chat"},
			})
			if err := n.Enqueue(t.Context(), nil, down); err != nil {
				t.Fatal(err)
			}
			if k := deliverAll(t, n); k != 1 {
				t.Fatalf("%d deliveries", k)
			}
			got := r.requests()
			if len(got) != 1 || got[0].Method != "POST" || got[0].Path != "/hooks/s3cr3t" || got[0].Header.Get("Content-Type") != "application/json" {
				t.Fatalf("requests %+v", got)
			}
			sameJSON(t, got[0].Body, `{
				"text": "web is down", "channel": "alerts", "username": "pelote", "icon_url": "https://id.example.org/icon.png",
				"attachments": [{
					"fallback": "web is down", "color": "#c62828", "title": "web", "title_link": "https://id.example.org/admin/checks/web",
					"text": "GET https://example.org: 502 Bad Gateway",
					"fields": [{"title": "Severity", "value": "critical", "short": true}],
					"footer": "Pelote", "ts": 1793534340
				}]}`)
		})
	}
}

func TestMatrixPayloadAndIdempotentRetry(t *testing.T) {
	r := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	r.answer = `{"event_id": "$abc"}`
	n, c := newNotifier(t, nil, Options{}, Settings{
		Language: "fr",
		Channels: []ChannelConfig{{Name: "room", Kind: "matrix", URL: r.URL + "/", Room: "!ops:example.org", TokenFile: file(t, "syt_bot_token")}},
		Default:  []string{"room"},
	})
	m := down
	m.Text = "a < b & c\nsecond line"
	if err := n.Enqueue(t.Context(), nil, m); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, n)
	c.Add(time.Hour)
	deliverAll(t, n)
	got := r.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests", len(got))
	}
	for _, g := range got {
		if g.Method != "PUT" || g.Header.Get("Authorization") != "Bearer syt_bot_token" || g.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("request %s %s %v", g.Method, g.Path, g.Header)
		}
		if !strings.HasPrefix(g.Path, "/_matrix/client/v3/rooms/%21ops:example.org/send/m.room.message/pelote.") {
			t.Fatalf("path %s", g.Path)
		}
	}
	if got[0].Path != got[1].Path {
		t.Fatalf("the retry has another transaction id: %s then %s", got[0].Path, got[1].Path)
	}
	sameJSON(t, got[1].Body, `{"msgtype": "m.text",
		"body": "web is down\n\na < b & c\nsecond line\n\nhttps://id.example.org/admin/checks/web",
		"format": "org.matrix.custom.html",
		"formatted_body": "<p><strong>web is down</strong></p><p>a &lt; b &amp; c<br>second line</p><p><a href=\"https://id.example.org/admin/checks/web\">https://id.example.org/admin/checks/web</a></p>"}`)
	o, _ := n.Overview(t.Context())
	if len(o.Delivered) != 1 || o.Delivered[0].Attempts != 2 {
		t.Fatalf("overview %+v", o)
	}
}

func TestNtfyPayload(t *testing.T) {
	r := newReceiver(t, nil)
	n, _ := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "phone", Kind: "ntfy", URL: r.URL + "/pelote-alerts", TokenFile: file(t, "tk_ntfy")}},
		Default:  []string{"phone"},
	})
	warn := Message{Source: "heartbeat", Subject: "backup", Event: "late", Severity: Warning, Tags: []string{"backup"}, Title: "backup is late"}
	up := down
	up.Event, up.Severity, up.Title, up.Text = "up", Info, "web is up", ""
	for _, m := range []Message{down, warn, up} {
		if err := n.Enqueue(t.Context(), nil, m); err != nil {
			t.Fatal(err)
		}
	}
	deliverAll(t, n)
	got := r.requests()
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}
	// Sent side by side: in the order of their titles here.
	byTitle := map[string][]byte{}
	for _, g := range got {
		if g.Method != "POST" || g.Path != "/" || g.Header.Get("Authorization") != "Bearer tk_ntfy" || g.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("request %s %s %v", g.Method, g.Path, g.Header)
		}
		var m ntfyMessage
		mustJSON(t, g.Body, &m)
		byTitle[m.Title] = g.Body
	}
	sameJSON(t, byTitle["web is down"], `{"topic": "pelote-alerts", "title": "web is down", "message": "GET https://example.org: 502 Bad Gateway",
		"priority": 5, "tags": ["rotating_light", "http", "web"], "click": "https://id.example.org/admin/checks/web"}`)
	sameJSON(t, byTitle["backup is late"], `{"topic": "pelote-alerts", "title": "backup is late", "message": "backup is late", "priority": 4, "tags": ["warning", "backup"]}`)
	sameJSON(t, byTitle["web is up"], `{"topic": "pelote-alerts", "title": "web is up", "message": "web is up", "priority": 3,
		"tags": ["white_check_mark", "http", "web"], "click": "https://id.example.org/admin/checks/web"}`)
}

func TestWebhookPayloadAndSignature(t *testing.T) {
	r := newReceiver(t, nil)
	n, _ := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URLFile: file(t, r.URL+"/in?key=k3y"), TokenFile: file(t, "bearer-token"), SecretFile: file(t, "a signing key of 32 characters!!")}},
		Default:  []string{"hook"},
	})
	if err := n.Enqueue(t.Context(), nil, down); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, n)
	got := r.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	g := got[0]
	key := g.Header.Get("X-Pelote-Delivery")
	if g.Method != "POST" || g.Path != "/in" || g.Header.Get("Authorization") != "Bearer bearer-token" || len(key) != 26 || g.Header.Get("X-Pelote-Event") != "down" {
		t.Fatalf("request %s %s %v", g.Method, g.Path, g.Header)
	}
	ts := g.Header.Get("X-Pelote-Timestamp")
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Fatalf("timestamp %q", ts)
	}
	if want := Sign([]byte("a signing key of 32 characters!!"), ts, g.Body); g.Header.Get("X-Pelote-Signature") != want {
		t.Fatalf("signature %q, want %q", g.Header.Get("X-Pelote-Signature"), want)
	}
	sameJSON(t, g.Body, `{"version": 1, "delivery": "`+key+`", "channel": "hook", "source": "check", "subject": "web", "event": "down",
		"severity": "critical", "tags": ["http", "web"], "title": "web is down", "text": "GET https://example.org: 502 Bad Gateway",
		"url": "https://id.example.org/admin/checks/web", "at": "2026-11-01T11:59:00Z"}`)
}

// TestSecretsStayOut: a webhook's key, in its URL's path or query, never
// reaches the outbox's errors or the operators' view.
func TestSecretsStayOut(t *testing.T) {
	r := newReceiver(t, always(http.StatusInternalServerError))
	refused := newReceiver(t, always(http.StatusNotFound))
	n, _ := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{
			{Name: "down", Kind: "mattermost", URLFile: file(t, r.URL+"/hooks/s3cr3t-path")},
			{Name: "gone", Kind: "webhook", URLFile: file(t, refused.URL+"/in?token=s3cr3t-query")},
			{Name: "closed", Kind: "webhook", URLFile: file(t, "http://127.0.0.1:1/x/s3cr3t-closed")},
		},
		Default: []string{"down", "gone", "closed"},
	})
	if err := n.Enqueue(t.Context(), nil, down); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, n)
	o, err := n.Overview(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, d := range append(o.Pending, o.Failed...) {
		all = append(all, d.LastError)
	}
	for _, c := range o.Channels {
		all = append(all, c.Target, c.LastError)
	}
	text := strings.Join(all, "\n")
	if strings.Contains(text, "s3cr3t") {
		t.Fatalf("a secret in the view:\n%s", text)
	}
	for _, want := range []string{"answered 500", "answered 404", "127.0.0.1:1"} {
		if !strings.Contains(text, want) {
			t.Errorf("the view lacks %q:\n%s", want, text)
		}
	}
	if len(o.Failed) != 1 || o.Failed[0].Channel != "gone" || len(o.Pending) != 2 {
		t.Fatalf("a 404 fails at once, a 500 and a closed port wait: %+v", o)
	}
}
