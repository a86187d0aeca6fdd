package main

import (
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"pelote/internal/mail/mailtest"
)

// TestPasswordResetByMail follows a reset link from a real SMTP server's
// mailbox, as a member who forgot the password would.
func TestPasswordResetByMail(t *testing.T) {
	sink := mailtest.Start(t)
	p := newPelote(t)
	p.ok("the old long password\n", "user", "add", "alice", "--email", "alice@example.org", "--locale", "fr", "--password-stdin")
	addr := freePort(t)
	host, port, _ := net.SplitHostPort(sink.Addr)
	env := append(os.Environ(), "PELOTE_DATA="+p.data, "PELOTE_DATABASE="+p.dsn, fastHash[0], "PELOTE_URL=http://"+addr,
		"PELOTE_MAIL_HOST="+host, "PELOTE_MAIL_PORT="+port, "PELOTE_MAIL_TLS=none", "PELOTE_MAIL_USERNAME=pelote",
		"PELOTE_MAIL_PASSWORD=relay password", "PELOTE_MAIL_FROM=Pelote <id@example.org>")
	startServe(t, buildPelote(t), t.TempDir(), env, "--listen", addr)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	base := "http://" + addr
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		res, err := c.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	// The same answer for an account and for nobody.
	for _, login := range []string{"alice@example.org", "nobody"} {
		if code, body := post("/login/forgot", url.Values{"login": {login}}); code != 200 || !strings.Contains(body, "If an account matches") {
			t.Fatalf("forgot %s: %d\n%s", login, code, body)
		}
	}
	var msg mailtest.Received
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if got := sink.Messages(); len(got) > 0 {
			msg = got[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no reset mail arrived")
		}
	}
	m, err := mail.ReadMessage(strings.NewReader(msg.Data))
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	text, _ := io.ReadAll(body)
	link := regexp.MustCompile(`http://\S+/login/reset/[A-Za-z0-9_-]+`).FindString(string(text))
	if link == "" || msg.To[0] != "alice@example.org" || !strings.Contains(string(text), "Bonjour alice") {
		t.Fatalf("reset mail (in French, to alice):\n%s", text)
	}
	if len(sink.Messages()) != 1 {
		t.Fatalf("a mail went out for an unknown account: %d", len(sink.Messages()))
	}

	res, err := c.Get(link)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("open link: %v %v", res, err)
	}
	res.Body.Close()
	path := strings.TrimPrefix(link, base)
	if code, _ := post(path, url.Values{"password": {"a brand new password"}, "password2": {"another one entirely"}}); code != 422 {
		t.Fatalf("mismatched passwords: %d", code)
	}
	if code, body := post(path, url.Values{"password": {"a brand new password"}, "password2": {"a brand new password"}}); code != 200 || !strings.Contains(body, "nouveau mot de passe") && !strings.Contains(body, "new password is set") {
		t.Fatalf("reset: %d\n%s", code, body)
	}
	if code, body := post(path, url.Values{"password": {"yet another password"}, "password2": {"yet another password"}}); code != http.StatusGone || !strings.Contains(body, "not valid any more") {
		t.Fatalf("link used twice: %d\n%s", code, body)
	}
	if code, _ := post("/login", url.Values{"username": {"alice"}, "password": {"the old long password"}}); code != 401 {
		t.Fatalf("old password still works: %d", code)
	}
	if code, _ := post("/login", url.Values{"username": {"alice"}, "password": {"a brand new password"}}); code != 200 {
		t.Fatalf("new password: %d", code)
	}
}
