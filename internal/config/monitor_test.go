package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pelote/internal/monitor"
)

const checksYAML = `notify:
  language: fr
checks:
  - name: website
    kind: http
    tags: [web]
    public: true
    http:
      url: https://www.example.org/
      status: 200
  - name: mx-cert
    kind: tls
    tls:
      address: mail.example.org:25
      starttls: smtp
      warn_days: 21
  - name: nightly-backup
    kind: heartbeat
    depends_on: [website]
    heartbeat:
      uuid: 4B4F3C2E-1D0A-4C8B-9E7F-0A1B2C3D4E5F
      cron: "30 2 * * *"
      tz: Europe/Paris
      grace: 1h
      min_runtime: 1m
`

func TestChecksFromFile(t *testing.T) {
	c, err := load(write(t, checksYAML), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks, err := c.MonitorChecks()
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 3 || c.Notify.Language != "fr" {
		t.Fatalf("%d checks", len(checks))
	}
	web, tlsc, hb := checks[0], checks[1], checks[2]
	if web.Retries != monitor.DefaultRetries || web.Interval != time.Minute || !web.Public || web.HTTP.Method != "GET" {
		t.Fatalf("website: %+v", web)
	}
	if tlsc.TLS.StartTLS != "smtp" || tlsc.TLS.WarnDays != 21 {
		t.Fatalf("mx-cert: %+v", tlsc.TLS)
	}
	if hb.Heartbeat.UUID != "4b4f3c2e-1d0a-4c8b-9e7f-0a1b2c3d4e5f" || hb.Retries != 1 || hb.Interval != monitor.DefaultHeartbeatInterval {
		t.Fatalf("heartbeat: %+v %+v", hb, hb.Heartbeat)
	}
}

// Errors in checks name the file's line of the key at fault.
func TestCheckErrorsNameTheLine(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name  string
		yaml  string
		wants []string
	}{
		{"unknown kind", "checks:\n  - name: a\n    kind: ping\n", []string{"pelote.yaml:3: checks[0] (a): kind", `"ping" is not a kind of check`}},
		{"unknown key", "checks:\n  - name: a\n    kind: http\n    http:\n      uri: x\n", []string{"line 5", "uri"}},
		{"invalid cron", "checks:\n  - name: b\n    kind: heartbeat\n    heartbeat:\n      uuid: 4b4f3c2e-1d0a-4c8b-9e7f-0a1b2c3d4e5f\n      cron: \"61 * * * *\"\n",
			[]string{"pelote.yaml:6: checks[0] (b): heartbeat.cron", "not a cron expression"}},
		{"bad url and missing dependency", "checks:\n  - name: a\n    kind: http\n    depends_on: [zz]\n    http:\n      url: ftp://x\n",
			[]string{"pelote.yaml:6: checks[0] (a): http.url", "pelote.yaml:4: checks[0] (a): depends_on", `no check is called "zz"`}},
		{"unreadable secret", "checks:\n  - name: a\n    kind: backup\n    backup:\n      tool: borg\n      repository: /r\n      max_age: 26h\n      passphrase_file: " + missing + "\n",
			[]string{"pelote.yaml:8: checks[0] (a): backup.passphrase_file", "cannot read"}},
		{"bad regex", "checks:\n  - name: a\n    kind: http\n    http:\n      url: http://x/\n      body_regex: \"(\"\n", []string{"pelote.yaml:6", "not a regular expression"}},
		{"same name twice", "checks:\n  - name: a\n    kind: tcp\n    tcp: {address: \"x:1\"}\n  - name: a\n    kind: tcp\n    tcp: {address: \"x:1\"}\n", []string{"checks[1] (a): name"}},
		{"bad language", "notify:\n  language: eo\n", []string{"notify.language (PELOTE_NOTIFY_LANGUAGE, --notify-language)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(write(t, tc.yaml), nil, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCheckSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "imap.pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	c, err := load(write(t, "checks:\n  - name: mail\n    kind: imap\n    imap:\n      address: mail.example.org:143\n      username: monitor\n      password_file: "+pw+"\n"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks, _ := c.MonitorChecks()
	if checks[0].Mail.Password != "s3cret" || checks[0].Mail.TLS != "starttls" {
		t.Fatalf("%+v", checks[0].Mail)
	}
}
