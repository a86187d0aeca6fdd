package notify

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// amExample is a payload as Alertmanager's documentation describes it
// (webhook_config, version 4): one alert firing, one resolved.
const amExample = `{
  "version": "4",
  "groupKey": "{}:{alertname=\"DiskFull\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "pelote",
  "groupLabels": {"alertname": "DiskFull"},
  "commonLabels": {"alertname": "DiskFull", "job": "node"},
  "commonAnnotations": {"runbook_url": "https://wiki.example.org/disk"},
  "externalURL": "http://alertmanager.example.org:9093",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "DiskFull", "instance": "db1:9100", "job": "node", "severity": "critical"},
      "annotations": {"summary": "Disk almost full", "description": "/var is 97% full"},
      "startsAt": "2026-11-01T11:50:00Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=disk",
      "fingerprint": "a1b2c3"
    },
    {
      "status": "resolved",
      "labels": {"alertname": "DiskFull", "instance": "web1:9100", "job": "node", "severity": "warning"},
      "annotations": {"summary": "Disk almost full"},
      "startsAt": "2026-11-01T10:00:00Z",
      "endsAt": "2026-11-01T11:55:00Z",
      "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=disk",
      "fingerprint": "d4e5f6"
    }
  ]
}`

func TestParseAlertmanager(t *testing.T) {
	cat := catalog(t)
	msgs, err := ParseAlertmanager([]byte(amExample), func(k string, a ...any) string { return cat.T("en", k, a...) })
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	f, r := msgs[0], msgs[1]
	if f.Source != "alertmanager" || f.Event != "firing" || f.Severity != Critical || f.Subject != "DiskFull (db1:9100)" ||
		f.Title != "[FIRING] DiskFull (db1:9100): Disk almost full" || f.URL != "http://prometheus.example.org:9090/graph?g0.expr=disk" ||
		!f.At.Equal(time.Date(2026, 11, 1, 11, 50, 0, 0, time.UTC)) {
		t.Fatalf("firing %+v", f)
	}
	if want := []string{"alertname=DiskFull", "instance=db1:9100", "job=node", "severity=critical"}; !slices.Equal(f.Tags, want) {
		t.Fatalf("tags %v", f.Tags)
	}
	if !strings.Contains(f.Text, "/var is 97% full") || !strings.Contains(f.Text, "runbook_url: https://wiki.example.org/disk") {
		t.Fatalf("text %q", f.Text)
	}
	if r.Event != "resolved" || r.Severity != Warning || r.Title != "[RESOLVED] DiskFull (web1:9100): Disk almost full" ||
		!r.At.Equal(time.Date(2026, 11, 1, 11, 55, 0, 0, time.UTC)) {
		t.Fatalf("resolved %+v", r)
	}
}

func TestAlertmanagerBadInput(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not JSON", `{"version": "4", "alerts": [}`, "invalid JSON at line 1, column 29"},
		{"wrong type", "{\n  \"version\": 4}", "invalid JSON at line 2, column 14: version should be string, not number"},
		{"empty", ``, "empty or cut short"},
		{"two objects", amExample + `{}`, "data after the JSON object"},
		{"old version", `{"version": "3", "alerts": []}`, `version "3" is not supported`},
		{"no alerts", `{"version": "4", "alerts": []}`, "no alerts"},
		{"bad status", `{"version": "4", "alerts": [{"status": "pending", "labels": {"alertname": "A"}}]}`, `alerts[0]: status "pending"`},
		{"no name", `{"version": "4", "alerts": [{"status": "firing", "labels": {}}]}`, "alerts[0]: no alertname label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAlertmanager([]byte(tt.body), func(k string, _ ...any) string { return k })
			var pe *PayloadError
			if !errors.As(err, &pe) || !strings.Contains(pe.Reason, tt.want) {
				t.Fatalf("error %v, want a PayloadError with %q", err, tt.want)
			}
		})
	}
}

func TestAlertmanagerToken(t *testing.T) {
	r := newReceiver(t, nil)
	n, _ := newNotifier(t, nil, Options{}, Settings{
		Channels:          []ChannelConfig{{Name: "hook", Kind: "webhook", URL: r.URL}},
		Routes:            []Route{{MatchSources: []string{"alertmanager"}, MinSeverity: Critical, Channels: []string{"hook"}}},
		AlertmanagerToken: "the alertmanager token",
	})
	for _, auth := range []string{"", "Bearer wrong", "Basic dGhlIGFsZXJ0bWFuYWdlciB0b2tlbg==", "the alertmanager token", "Bearer the alertmanager token!"} {
		if _, err := n.Alertmanager(t.Context(), auth, []byte(amExample)); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("authorization %q: %v", auth, err)
		}
	}
	if _, err := n.Alertmanager(t.Context(), "Bearer the alertmanager token", []byte(`{"version":"4","alerts":[{"status":"firing","labels":{}}]}`)); err == nil {
		t.Fatal("a bad payload was taken")
	}
	var stored int
	n.db.QueryRow(t.Context(), `SELECT COUNT(*) FROM notify_messages`).Scan(&stored)
	if stored != 0 {
		t.Fatalf("%d messages stored from refused calls", stored)
	}
	k, err := n.Alertmanager(t.Context(), "Bearer the alertmanager token", []byte(amExample))
	if err != nil || k != 2 {
		t.Fatalf("%d, %v", k, err)
	}
	deliverAll(t, n)
	// The critical alert matches the route; the resolved warning does not
	// (and had no alert of its own here): it is kept as unrouted.
	if got := r.requests(); len(got) != 1 || !strings.Contains(string(got[0].Body), `"event":"firing"`) {
		t.Fatalf("requests %d", len(got))
	}
	off, _ := newNotifier(t, nil, Options{}, Settings{})
	if _, err := off.Alertmanager(t.Context(), "Bearer x", []byte(amExample)); !errors.Is(err, ErrAlertmanagerOff) {
		t.Fatalf("without a token: %v", err)
	}
}

func FuzzParseAlertmanager(f *testing.F) {
	f.Add([]byte(amExample))
	f.Add([]byte(`{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"x"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := ParseAlertmanager(b, func(k string, _ ...any) string { return k })
		if err == nil && len(msgs) == 0 {
			t.Fatal("no error and no message")
		}
	})
}
