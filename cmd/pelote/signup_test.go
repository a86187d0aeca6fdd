package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"pelote/internal/mail/mailtest"
	"pelote/internal/pow"
)

// visitor is a person's browser on a running Pelote: cookies, redirects
// followed, and the anti-robot computation a page's script would do.
type visitor struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newVisitor(t *testing.T, addr string) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, base: "http://" + addr, c: &http.Client{Jar: jar}}
}

func (v *visitor) read(res *http.Response, err error) (int, string) {
	v.t.Helper()
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// get opens a path, or a whole link from a mail.
func (v *visitor) get(path string) (int, string) {
	v.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = v.base + path
	}
	return v.read(v.c.Get(path))
}

func (v *visitor) post(path string, form url.Values) (int, string) {
	v.t.Helper()
	return v.read(v.c.PostForm(v.base+path, form))
}

var challenge = regexp.MustCompile(`name="pow_token" value="([^"]+)" data-bits="(\d+)"`)

// solved opens the form at path and adds to form the answer to its
// challenge, as static/pow.js does in a browser.
func (v *visitor) solved(path string, form url.Values) url.Values {
	v.t.Helper()
	_, body := v.get(path)
	m := challenge.FindStringSubmatch(body)
	if m == nil {
		v.t.Fatalf("no challenge on %s:\n%s", path, body)
	}
	bits, _ := strconv.Atoi(m[2])
	form.Set("pow_token", m[1])
	form.Set("pow_solution", pow.Solve(pow.Challenge{Token: m[1], Bits: bits}))
	return form
}

// TestModeratedSignUpByMail: with moderated registration, a newcomer signs
// up through the anti-robot check, confirms the address from the mail, an
// administrator hears of it and approves with a message, and the newcomer
// is told and logs in. Someone using a member's address learns nothing.
func TestModeratedSignUpByMail(t *testing.T) {
	sink := mailtest.Start(t)
	p := newPelote(t)
	p.ok("root's long password\n", "user", "add", "root", "--email", "root@example.org", "--admin", "--password-stdin")
	p.ok("alice's long password\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	addr := freePort(t)
	env := append(mailEnv(p, sink, addr), "PELOTE_REGISTRATION_MODE=moderated", "PELOTE_REGISTRATION_PROOF_OF_WORK=10")
	startServe(t, buildPelote(t), t.TempDir(), env, "--listen", addr)

	carol := newVisitor(t, addr)
	if code, body := carol.get("/login"); code != 200 || !strings.Contains(body, `href="/signup"`) {
		t.Fatalf("login page without sign-up link: %d", code)
	}
	form := url.Values{"username": {"carol"}, "email": {"carol@example.net"}, "display_name": {"Carol"},
		"password": {"carol's long password"}, "password2": {"carol's long password"}, "reason": {"I sing in the choir."}}
	if code, body := carol.post("/signup", form); code != 422 || !strings.Contains(body, "anti-robot") {
		t.Fatalf("without the computation: %d\n%s", code, body)
	}
	if code, body := carol.post("/signup", carol.solved("/signup", form)); code != 200 || !strings.Contains(body, "administrator will look") {
		t.Fatalf("sign up: %d\n%s", code, body)
	}
	if code, _ := carol.post("/login", url.Values{"username": {"carol"}, "password": {"carol's long password"}}); code != 403 {
		t.Fatalf("login before confirming: %d", code)
	}
	msg, text := mailText(t, sink, 1)
	verify := regexp.MustCompile(`http://\S+/verify/[A-Za-z0-9_-]+`).FindString(text)
	if verify == "" || msg.To[0] != "carol@example.net" {
		t.Fatalf("verification mail:\n%s", text)
	}
	if code, body := carol.get(verify); code != 200 || !strings.Contains(body, "will look at your request") {
		t.Fatalf("verify: %d\n%s", code, body)
	}
	if code, _ := carol.post("/login", url.Values{"username": {"carol"}, "password": {"carol's long password"}}); code != 403 {
		t.Fatalf("login before approval: %d", code)
	}
	msg, text = mailText(t, sink, 2)
	if msg.To[0] != "root@example.org" || !strings.Contains(text, "carol signed up") {
		t.Fatalf("moderators' mail to %v:\n%s", msg.To, text)
	}

	root := newVisitor(t, addr)
	root.post("/login", url.Values{"username": {"root"}, "password": {"root's long password"}})
	if code, body := root.get("/admin/approvals"); code != 200 || !strings.Contains(body, "I sing in the choir.") || !strings.Contains(body, "/admin/signups/carol/approve") {
		t.Fatalf("approvals: %d\n%s", code, body)
	}
	if code, body := root.post("/admin/signups/carol/approve", url.Values{"message": {"Welcome, rehearsals are on Tuesdays."}}); code != 200 || !strings.Contains(body, "The account is open") {
		t.Fatalf("approve: %d\n%s", code, body)
	}
	msg, text = mailText(t, sink, 3)
	if msg.To[0] != "carol@example.net" || !strings.Contains(text, "approved your account") || !strings.Contains(text, "rehearsals are on Tuesdays") {
		t.Fatalf("approval mail to %v:\n%s", msg.To, text)
	}
	if code, body := carol.post("/login", url.Values{"username": {"carol"}, "password": {"carol's long password"}}); code != 200 || !strings.Contains(body, "Signed-in browsers") {
		t.Fatalf("login after approval: %d", code)
	}

	// A sign-up with a member's address: the same answer, and the member
	// is told instead.
	mallory := newVisitor(t, addr)
	form = url.Values{"username": {"mallory"}, "email": {"Alice@example.org"},
		"password": {"mallory's long password"}, "password2": {"mallory's long password"}}
	if code, body := mallory.post("/signup", mallory.solved("/signup", form)); code != 200 || !strings.Contains(body, "Alice@example.org") {
		t.Fatalf("sign-up with a known address: %d\n%s", code, body)
	}
	msg, text = mailText(t, sink, 4)
	if msg.To[0] != "alice@example.org" || !strings.Contains(text, "your username is alice") {
		t.Fatalf("notice to alice, to %v:\n%s", msg.To, text)
	}
	if out := p.ok("", "user", "list"); strings.Contains(out, "mallory") {
		t.Fatalf("mallory was created:\n%s", out)
	}

	// Refused: the person is told, the account is gone.
	dave := newVisitor(t, addr)
	form = url.Values{"username": {"dave"}, "email": {"dave@example.net"}, "password": {"dave's long password"}, "password2": {"dave's long password"}}
	dave.post("/signup", dave.solved("/signup", form))
	_, text = mailText(t, sink, 5)
	dave.get(regexp.MustCompile(`http://\S+/verify/[A-Za-z0-9_-]+`).FindString(text))
	mailText(t, sink, 6) // the moderators' notice
	// From the shell this time, as a moderator without a browser would.
	if out := p.ok("", "signup", "list"); !strings.Contains(out, "dave@example.net") || !strings.Contains(out, "waiting for a decision") {
		t.Fatalf("signup list:\n%s", out)
	}
	p.fails(exitFail, "not found", "", "signup", "approve", "nobody")
	// The mail waits in the queue for serve's worker.
	var out, errOut bytes.Buffer
	if code := run([]string{"signup", "refuse", "dave", "--message", "We only take choir members."}, strings.NewReader(""), &out, &errOut, env); code != exitOK || !strings.Contains(errOut.String(), "queued") {
		t.Fatalf("signup refuse: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	msg, text = mailText(t, sink, 7)
	if msg.To[0] != "dave@example.net" || !strings.Contains(text, "did not accept") || !strings.Contains(text, "only take choir members") {
		t.Fatalf("refusal mail to %v:\n%s", msg.To, text)
	}
	if out := p.ok("", "user", "list"); strings.Contains(out, "dave") {
		t.Fatalf("dave is still there:\n%s", out)
	}
}
