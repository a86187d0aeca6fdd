package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func secretFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNotifySection(t *testing.T) {
	hook := secretFile(t, "https://chat.example.org/hooks/xyz\n")
	token := secretFile(t, "syt_matrix_token\n")
	am := secretFile(t, "an alertmanager token of some length\n")
	file := write(t, `
mail:
  host: smtp.example.org
  from: Pelote <id@example.org>
notify:
  language: fr
  outbox:
    expiry: 12h
  alertmanager:
    token_file: `+am+`
  channels:
    - name: ops-chat
      kind: mattermost
      url_file: `+hook+`
      channel: alerts
    - name: ops-matrix
      kind: matrix
      url: https://matrix.example.org
      room: "!abc:example.org"
      token_file: `+token+`
    - name: ops-mail
      kind: email
      to: [ops@example.org]
      groups: [sysadmins]
  routes:
    - match_tags: [mail]
      min_severity: warning
      channels: [ops-chat, ops-mail]
      owner: true
  default: [ops-matrix]
`)
	c, err := load(file, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.NotifySettings()
	if err != nil {
		t.Fatal(err)
	}
	if s.Language != "fr" || s.Expiry != 12*time.Hour || s.MinBackoff != 30*time.Second || s.AlertmanagerToken != "an alertmanager token of some length" {
		t.Fatalf("settings %+v", s)
	}
	if len(s.Channels) != 3 || s.Channels[1].Room != "!abc:example.org" || s.Channels[0].Line != 12 || s.Routes[0].Line != 26 || !s.Routes[0].Owner {
		t.Fatalf("channels %+v routes %+v", s.Channels, s.Routes)
	}
}

func TestNotifyErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		wants []string
	}{
		{"unknown key in a channel", `
notify:
  channels:
    - name: a
      kind: webhook
      url: https://example.org/hook
      romo: x
`, []string{"line 7", `unknown key "romo"`, "notify.channels[0]"}},
		{"unknown kind", `
notify:
  channels:
    - name: a
      kind: pager
`, []string{`notify.channels[0] "a" (line 4)`, `kind: "pager" is not a kind of channel`}},
		{"a key of another kind", `
notify:
  channels:
    - name: a
      kind: webhook
      url: https://example.org/hook
      room: "!x:example.org"
`, []string{`(line 4)`, "room: is not used by channels of kind webhook"}},
		{"a webhook URL inline", `
notify:
  channels:
    - name: chat
      kind: mattermost
      url: https://chat.example.org/hooks/secret
`, []string{"(line 4)", "url: is not used", "url_file: is required"}},
		{"a missing secret file", `
notify:
  channels:
    - name: m
      kind: matrix
      url: https://matrix.example.org
      room: "!r:example.org"
      token_file: /nonexistent/token
`, []string{"(line 4)", "token_file: cannot read /nonexistent/token"}},
		{"e-mail without mail", `
notify:
  channels:
    - name: m
      kind: email
      to: [ops@example.org]
`, []string{"(line 4)", "need Pelote's outgoing mail"}},
		{"a route to nowhere", `
notify:
  channels:
    - {name: w, kind: webhook, url: "https://example.org/h"}
  routes:
    - channels: [w]
    - min_severity: urgent
      channels: [x]
  default: [y]
`, []string{`notify.routes[1] (line 7)`, `"urgent" is not a severity`, `no channel is named "x"`, `notify.default[0]: no channel is named "y"`}},
		{"a bad duration", `
notify:
  outbox:
    expiry: soon
`, []string{"line 4", "notify.outbox.expiry", `"soon" is not a duration`}},
		{"a bad language", `
notify:
  language: tlh
`, []string{"notify.language (PELOTE_NOTIFY_LANGUAGE", `"tlh"`}},
		{"a short token", `
notify:
  alertmanager:
    token: short
`, []string{"notify.alertmanager.token (PELOTE_NOTIFY_ALERTMANAGER_TOKEN", "at least 16"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(write(t, tt.yaml), nil, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestNotifyTokenFromEnvironmentFile(t *testing.T) {
	am := secretFile(t, "a token that is long enough\n")
	c, err := load("", []string{"PELOTE_NOTIFY_ALERTMANAGER_TOKEN_FILE=" + am}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := c.NotifySettings(); s.AlertmanagerToken != "a token that is long enough" {
		t.Fatalf("token %q", s.AlertmanagerToken)
	}
}
