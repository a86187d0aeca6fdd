package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"pelote/internal/mail/mailtest"
	"pelote/internal/store/storetest"
)

// logLines collects a process's log lines as they come.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

// wait polls for a line matching re, after skipping the first from lines.
func (l *logLines) wait(t *testing.T, timeout time.Duration, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		l.mu.Lock()
		for _, s := range l.lines {
			if rx.MatchString(s) {
				l.mu.Unlock()
				return s
			}
		}
		n := len(l.lines)
		l.mu.Unlock()
		if time.Now().After(deadline) {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("no log line matches %s within %v; %d lines:\n%s", re, timeout, n, strings.Join(l.lines, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serveWithLog starts serve and keeps its whole log.
func serveWithLog(t *testing.T, bin, dir string, env []string, args ...string) (*exec.Cmd, string, *logLines) {
	t.Helper()
	srv := exec.Command(bin, append([]string{"serve"}, args...)...)
	srv.Dir, srv.Env = dir, env
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	logs := &logLines{}
	addrRE := regexp.MustCompile(`msg=listening address=(127\.0\.0\.1:\d+)`)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			logs.add(sc.Text())
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	a, ok := <-addr
	if !ok {
		t.Fatalf("serve exited before listening:\n%s", strings.Join(logs.lines, "\n"))
	}
	return srv, a, logs
}

// certificates for the test's HTTPS and SMTP servers, from a CA of its own.
func testCertificates(t *testing.T, dir string) (tls.Certificate, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Hoster CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour * 365), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(60 * 24 * time.Hour), DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}

type nullSMTP struct{}

func (nullSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return nullSession{}, nil }

type nullSession struct{}

func (nullSession) Mail(string, *smtp.MailOptions) error { return nil }
func (nullSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (nullSession) Data(io.Reader) error                 { return nil }
func (nullSession) Reset()                               {}
func (nullSession) Logout() error                        { return nil }

// TestSupervisionEndToEnd is the hoster's path of issue 11 through the
// real binary: an HTTPS check, a STARTTLS certificate check on the SMTP
// server and a heartbeat for the nightly `borg create`, wrapped in
// `pelote run`. A failed backup is told within a minute with the tail of
// borg's output, the next good run is told as a recovery, and the status
// page shows it all. A reload with errors keeps the old checks.
//
// The messages are read where serve hands them over (serve logs each
// message it gives the notification outbox, cmd/pelote/notifier.go) and
// where the operators read them: a Mattermost incoming webhook and a
// mailbox, both routed by the heartbeat's tag.
func TestSupervisionEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("borg"); err != nil {
		t.Skip("borg is not installed (test.sh installs borgbackup)")
	}
	bin := buildPelote(t)
	dir := t.TempDir()
	cert, caFile := testCertificates(t, dir)

	web := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "welcome") }))
	web.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	web.StartTLS()
	defer web.Close()
	mx := smtp.NewServer(nullSMTP{})
	mx.Domain, mx.TLSConfig = "localhost", &tls.Config{Certificates: []tls.Certificate{cert}}
	mxLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go mx.Serve(mxLn)
	defer mx.Close()

	chat := newChatReceiver(t)
	mailbox := mailtest.Start(t)
	mailHost, mailPort, _ := net.SplitHostPort(mailbox.Addr)

	const uuid = "0f8fad5b-d9cb-469f-a165-70867728950e"
	config := fmt.Sprintf(`log_level: debug
mail:
  host: %s
  port: %s
  tls: none
  username: pelote
  password: relay password
  from: Pelote <supervision@example.org>
notify:
  outbox:
    min_backoff: 1s
    max_backoff: 2s
  channels:
    - name: ops-chat
      kind: mattermost
      url_file: %s
    - name: ops-mail
      kind: email
      to: [ops@example.org]
  routes:
    - match_tags: [backup]
      channels: [ops-chat, ops-mail]
monitor:
  metrics_token: metrics-token-for-the-test
checks:
  - name: website
    kind: http
    interval: 2s
    public: true
    http:
      url: %s/
      ca_file: %s
      body_contains: welcome
  - name: mail-cert
    kind: tls
    interval: 2s
    tls:
      address: %s
      server_name: localhost
      starttls: smtp
      ca_file: %s
  - name: nightly-borg
    kind: heartbeat
    interval: 1s
    public: true
    tags: [backup]
    heartbeat:
      uuid: %s
      period: 24h
      grace: 1h
`, mailHost, mailPort, writeSecret(t, chat.URL+"/hooks/key"), strings.Replace(web.URL, "127.0.0.1", "localhost", 1), caFile, mxLn.Addr(), caFile, uuid)
	cfgFile := filepath.Join(dir, "pelote.yaml")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PELOTE_DATABASE="+storetest.DSN(t), "PELOTE_PASSWORD_MEMORY_KIB=19456", "PELOTE_CONFIG="+cfgFile,
		"HOME="+dir, "BORG_BASE_DIR="+dir)
	srv, addr, logs := serveWithLog(t, bin, dir, env, "--listen", "127.0.0.1:0")
	base := "http://" + addr
	cli := func(stdin string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	waitUp := func(names ...string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, _ := cli("", "check", "list", "--json")
			var list []struct{ Name, Status string }
			json.Unmarshal([]byte(out), &list)
			up := 0
			for _, c := range list {
				for _, n := range names {
					if c.Name == n && c.Status == "up" {
						up++
					}
				}
			}
			if up == len(names) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("checks not up: %s", out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitUp("website", "mail-cert")

	// The nightly backup, wrapped: a wrong passphrase makes borg fail.
	repo, data := filepath.Join(dir, "repo"), filepath.Join(dir, "data")
	os.MkdirAll(data, 0o700)
	os.WriteFile(filepath.Join(data, "members.sql"), []byte("-- dump"), 0o600)
	borgEnv := func(pass string) []string { return append(env, "BORG_PASSPHRASE="+pass) }
	initCmd := exec.Command("borg", "init", "--encryption=repokey", repo)
	initCmd.Env = borgEnv("the right passphrase")
	if out, err := initCmd.CombinedOutput(); err != nil {
		t.Fatalf("borg init: %v\n%s", err, out)
	}
	wrapped := func(pass, archive string) (string, int) {
		cmd := exec.Command(bin, "run", "--ping", base+"/ping/"+uuid, "--", "borg", "create", repo+"::"+archive, data)
		cmd.Dir, cmd.Env = dir, borgEnv(pass)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	out, code := wrapped("a wrong passphrase", "nightly-1")
	if code != 2 || !strings.Contains(out, "passphrase supplied in BORG_PASSPHRASE") {
		t.Fatalf("pelote run must pass borg's output and exit code through: %d\n%s", code, out)
	}
	down := waitMessage(t, logs, "nightly-borg", "down")
	if !strings.Contains(down, "nightly-borg is down") {
		t.Fatalf("down message: %s", down)
	}
	text := logs.wait(t, 5*time.Second, `msg="notification text" subject=nightly-borg event=down`)
	if !strings.Contains(text, "exit code 2") || !strings.Contains(text, "passphrase supplied in BORG_PASSPHRASE") || !strings.Contains(text, "is incorrect") {
		t.Fatalf("the message lacks borg's output: %s", text)
	}
	// The operators read it in Mattermost and in their mailbox, with
	// borg's own words.
	arrived := func(what string, want ...string) {
		t.Helper()
		waitUntil(t, func() bool {
			inChat, inMail := false, false
			for _, body := range chat.bodies() {
				inChat = inChat || containsAll(body, want...)
			}
			for _, m := range mailbox.Messages() {
				inMail = inMail || (containsAll(m.Data, want...) && strings.Contains(strings.Join(m.To, " "), "ops@example.org"))
			}
			return inChat && inMail
		})
	}
	arrived("the failed backup", "nightly-borg", "passphrase supplied in BORG_PASSPHRASE", "is incorrect")
	if out, code := wrapped("the right passphrase", "nightly-2"); code != 0 {
		t.Fatalf("good backup: %d\n%s", code, out)
	}
	waitMessage(t, logs, "nightly-borg", "up")
	arrived("the recovery", "nightly-borg is up")

	// The status page, in French, and the metrics.
	res, err := http.Get(base + "/status?lang=fr")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"nightly-borg", "website", "Incidents des 90 derniers jours"} {
		if !strings.Contains(string(page), want) {
			t.Fatalf("status page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(string(page), "mail-cert") {
		t.Fatal("a check not marked public is on the status page")
	}
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer metrics-token-for-the-test")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pelote_check_up", "pelote_check_certificate_days_left", "pelote_heartbeat_last_success_timestamp_seconds", "process_cpu_seconds_total"} {
		if _, ok := families[want]; !ok {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A reload with an error is refused whole; the old checks go on.
	if err := os.WriteFile(cfgFile, []byte(config+"  - name: broken\n    kind: ping\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Process.Signal(syscall.SIGHUP)
	line := logs.wait(t, 10*time.Second, `configuration reload refused`)
	if !strings.Contains(line, `kind: \"ping\" is not a kind of check`) || !strings.Contains(line, "pelote.yaml:") {
		t.Fatalf("reload error: %s", line)
	}
	// The shell reads the file and refuses it too; serve's checks go on.
	brokenLine := fmt.Sprintf("pelote.yaml:%d", strings.Count(config, "\n")+2) // its kind: line
	if out, code := cli("", "check", "list"); code != 1 || !strings.Contains(out, brokenLine) {
		t.Fatalf("check list on a broken file: %d %s", code, out)
	}
	before := runs(t, base)
	for deadline := time.Now().Add(20 * time.Second); runs(t, base) < before+5; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the checks stopped after a refused reload")
		}
	}
	// A good reload applies.
	os.WriteFile(cfgFile, []byte(strings.Replace(config, "name: mail-cert", "name: mx-cert", 1)), 0o600)
	srv.Process.Signal(syscall.SIGHUP)
	logs.wait(t, 10*time.Second, `configuration reloaded" checks=3`)
	waitUp("mx-cert")
	if out, code := cli("", "check", "run", "website"); code != 0 || !strings.Contains(out, "website: ok") {
		t.Fatalf("check run: %d %s", code, out)
	}
	if out, _ := cli("", "heartbeat", "list"); !strings.Contains(out, uuid) || !strings.Contains(out, "success") {
		t.Fatalf("heartbeat list:\n%s", out)
	}
}

// runs is how many checks serve ran, from /metrics.
func runs(t *testing.T, base string) float64 {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer metrics-token-for-the-test")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	if f, ok := families["pelote_check_runs_total"]; ok {
		for _, m := range f.Metric {
			n += m.GetCounter().GetValue()
		}
	}
	return n
}

// waitMessage waits for serve to hand over a message about subject.
func waitMessage(t *testing.T, logs *logLines, subject, event string) string {
	t.Helper()
	return logs.wait(t, time.Minute, `msg=notification .*subject=`+regexp.QuoteMeta(subject)+` event=`+event+` `)
}

// TestRunWithoutPelote: the job runs and keeps its exit code when Pelote
// cannot be reached, with a clear warning.
func TestRunWithoutPelote(t *testing.T) {
	bin := buildPelote(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/ping/0f8fad5b-d9cb-469f-a165-70867728950e"
	ln.Close()
	cmd := exec.Command(bin, "run", "--ping", closed, "--", "sh", "-c", "read line; echo got $line; exit 3")
	cmd.Stdin = strings.NewReader("input\n")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 3 {
		t.Fatalf("exit: %v", err)
	}
	if stdout.String() != "got input\n" || !strings.Contains(stderr.String(), "warning: Pelote could not be reached") ||
		strings.Contains(stderr.String(), "0f8fad5b") {
		t.Fatalf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if out, err := exec.Command(bin, "run", "--ping", closed).CombinedOutput(); err == nil || !strings.Contains(string(out), "run takes --ping URL -- COMMAND") {
		t.Fatalf("no command: %v %s", err, out)
	}
}

// containsAll reports whether s holds every one of want.
func containsAll(s string, want ...string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
