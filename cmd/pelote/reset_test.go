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
	env := mailEnv(p, sink, addr)
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
	// Without the anti-robot computation, nothing goes out.
	if code, body := post("/login/forgot", url.Values{"login": {"alice"}}); code != 422 || !strings.Contains(body, "anti-robot") {
		t.Fatalf("forgot without the computation: %d\n%s", code, body)
	}
	// The same answer for an account and for nobody.
	v := &visitor{t: t, base: base, c: c}
	for _, login := range []string{"alice@example.org", "nobody"} {
		if code, body := post("/login/forgot", v.solved("/login/forgot", url.Values{"login": {login}})); code != 200 || !strings.Contains(body, "If an account matches") {
			t.Fatalf("forgot %s: %d\n%s", login, code, body)
		}
	}
	msg, text := mailText(t, sink, 1)
	link := regexp.MustCompile(`http://\S+/login/reset/[A-Za-z0-9_-]+`).FindString(text)
	if link == "" || msg.To[0] != "alice@example.org" || !strings.Contains(text, "Bonjour alice") {
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

// mailText waits for the n-th message in the sink and returns its text.
func mailText(t *testing.T, sink *mailtest.Sink, n int) (mailtest.Received, string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if got := sink.Messages(); len(got) >= n {
			m, err := mail.ReadMessage(strings.NewReader(got[n-1].Data))
			if err != nil {
				t.Fatal(err)
			}
			var body io.Reader = m.Body
			if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
				body = quotedprintable.NewReader(m.Body)
			}
			text, _ := io.ReadAll(body)
			return got[n-1], string(text)
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail %d did not arrive", n)
		}
	}
}

// TestSignUpWithInvitation: an administrator makes an invitation link, a
// newcomer signs up with it, confirms the address from the mail, logs in,
// and is in the group the invitation named.
func TestSignUpWithInvitation(t *testing.T) {
	sink := mailtest.Start(t)
	p := newPelote(t)
	p.ok("", "group", "add", "members")
	p.fails(exitFail, "not found", "", "invite", "create", "--group", "ghosts")
	addr := freePort(t)
	env := mailEnv(p, sink, addr)
	link := strings.TrimSpace(p.ok("", "invite", "create", "--group", "members", "--note", "for Nadia"))
	link = strings.Replace(link, "http://localhost:8080", "http://"+addr, 1)
	startServe(t, buildPelote(t), t.TempDir(), env, "--listen", addr)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(u string) (int, string) {
		t.Helper()
		res, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	post := func(u string, form url.Values) (int, string) {
		t.Helper()
		res, err := c.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get(link); code != 200 || !strings.Contains(body, `name="username"`) {
		t.Fatalf("invitation page: %d\n%s", code, body)
	}
	form := url.Values{"username": {"postmaster"}, "email": {"nadia@example.org"}, "display_name": {"Nadia"},
		"password": {"nadia's long password"}, "password2": {"nadia's long password"}}
	if code, body := post(link, form); code != 422 || !strings.Contains(body, "reserved") {
		t.Fatalf("reserved name: %d\n%s", code, body)
	}
	form.Set("username", "nadia")
	if code, body := post(link, form); code != 200 || !strings.Contains(body, "nadia@example.org") {
		t.Fatalf("sign up: %d\n%s", code, body)
	}
	if code, _ := post(link, form); code != http.StatusGone {
		t.Fatalf("invitation used twice: %d", code)
	}
	// Not before the address is confirmed.
	if code, _ := post("http://"+addr+"/login", url.Values{"username": {"nadia"}, "password": {"nadia's long password"}}); code != 403 {
		t.Fatalf("login before confirming: %d", code)
	}
	msg, text := mailText(t, sink, 1)
	verify := regexp.MustCompile(`http://\S+/verify/[A-Za-z0-9_-]+`).FindString(text)
	if verify == "" || msg.To[0] != "nadia@example.org" {
		t.Fatalf("verification mail:\n%s", text)
	}
	if code, body := get(verify); code != 200 || !strings.Contains(body, "confirmed") {
		t.Fatalf("verify: %d\n%s", code, body)
	}
	if code, _ := get(verify); code != http.StatusGone {
		t.Fatalf("verification link used twice: %d", code)
	}
	if code, body := post("http://"+addr+"/login", url.Values{"username": {"nadia"}, "password": {"nadia's long password"}}); code != 200 || !strings.Contains(body, "Signed-in browsers") {
		t.Fatalf("login after confirming: %d", code)
	}
	if out := p.ok("", "group", "show", "members"); !strings.Contains(out, "nadia") {
		t.Fatalf("not in the invitation's group: %q", out)
	}
	// The list says who used it; a used invitation cannot be revoked, an
	// unused one can, once.
	out := p.ok("", "invite", "list")
	id := regexp.MustCompile(`(?m)^([0-9a-f]{16})\s.*used by nadia\s+members\s+for Nadia$`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("invite list:\n%s", out)
	}
	p.fails(exitFail, "not found", "", "invite", "revoke", id[1])
	p.ok("", "invite", "create", "--note", "spare")
	spare := regexp.MustCompile(`(?m)^([0-9a-f]{16})\s.*valid until.*spare$`).FindStringSubmatch(p.ok("", "invite", "list"))
	if spare == nil {
		t.Fatal("the spare invitation is not listed")
	}
	p.ok("", "invite", "revoke", spare[1])
	p.fails(exitFail, "not found", "", "invite", "revoke", spare[1])
	p.fails(exitFail, "hexadecimal", "", "invite", "revoke", "nonsense")
}

// TestEmailChangeByMail: a new address takes effect only once the link
// sent to it is opened, and the old address is told.
func TestEmailChangeByMail(t *testing.T) {
	sink := mailtest.Start(t)
	p := newPelote(t)
	p.ok("alice's long password\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	addr := freePort(t)
	env := mailEnv(p, sink, addr)
	startServe(t, buildPelote(t), t.TempDir(), env, "--listen", addr)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		res, err := c.PostForm("http://"+addr+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := post("/login", url.Values{"username": {"alice"}, "password": {"alice's long password"}}); code != 200 {
		t.Fatalf("login: %d", code)
	}
	code, body := post("/account/details", url.Values{"email": {"alice@new.example.org"}, "display_name": {"Alice"}, "locale": {"en"},
		"current_password": {"alice's long password"}})
	if code != 200 || !strings.Contains(body, "until you open it") {
		t.Fatalf("change: %d\n%s", code, body)
	}
	if out := p.ok("", "user", "show", "alice"); !strings.Contains(out, "alice@example.org") {
		t.Fatalf("changed before confirmation: %q", out)
	}
	first, text1 := mailText(t, sink, 1)
	second, text2 := mailText(t, sink, 2)
	link := regexp.MustCompile(`http://\S+/account/email/[A-Za-z0-9_-]+`).FindString(text1)
	if first.To[0] != "alice@new.example.org" || link == "" || second.To[0] != "alice@example.org" || !strings.Contains(text2, "alice@new.example.org") {
		t.Fatalf("mails: to %v %q / to %v %q", first.To, text1, second.To, text2)
	}
	res, err := (&http.Client{}).Get(link) // another device, no session
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Request.URL.String(), "ok=email_changed") {
		t.Fatalf("confirm: %d at %s", res.StatusCode, res.Request.URL)
	}
	if out := p.ok("", "user", "show", "alice"); !strings.Contains(out, "alice@new.example.org") {
		t.Fatalf("not changed after confirmation: %q", out)
	}
	res, _ = (&http.Client{}).Get(link)
	res.Body.Close()
	if res.StatusCode != http.StatusGone {
		t.Fatalf("link used twice: %d", res.StatusCode)
	}
}

// mailEnv is serve's environment with p's database, the public address
// addr and sink as the mail relay.
func mailEnv(p *pelote, sink *mailtest.Sink, addr string) []string {
	host, port, _ := net.SplitHostPort(sink.Addr)
	return append(os.Environ(), "PELOTE_DATA="+p.data, "PELOTE_DATABASE="+p.dsn, fastHash[0], "PELOTE_URL=http://"+addr,
		"PELOTE_MAIL_HOST="+host, "PELOTE_MAIL_PORT="+port, "PELOTE_MAIL_TLS=none", "PELOTE_MAIL_USERNAME=pelote",
		"PELOTE_MAIL_PASSWORD=relay password", "PELOTE_MAIL_FROM=Pelote <id@example.org>")
}
