package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pelote/internal/pow"
	"pelote/internal/store"
)

// letters keeps what would have been mailed. The mail itself is tested
// against a real SMTP server in cmd/pelote.
type letters struct {
	mu   sync.Mutex
	sent []string
}

func (l *letters) Send(_ context.Context, to, subject, text string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, to+"\n"+subject+"\n"+text)
	return nil
}

func (l *letters) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sent)
}

var powField = regexp.MustCompile(`name="pow_token" value="([^"]+)" data-bits="(\d+)"`)

// solved adds to form the answer to the challenge of the page at path,
// as the page's script would.
func (b *browser) solved(path string, form url.Values) url.Values {
	b.e.t.Helper()
	r := b.get(path)
	m := powField.FindStringSubmatch(r.body)
	if m == nil {
		b.e.t.Fatalf("no challenge on %s:\n%s", path, r.body)
	}
	bits, _ := strconv.Atoi(m[2])
	form.Set("pow_token", m[1])
	form.Set("pow_solution", pow.Solve(pow.Challenge{Token: m[1], Bits: bits}))
	return form
}

func signUpForm(name string) url.Values {
	return url.Values{"username": {name}, "email": {name + "@example.net"}, "password": {"a long enough password"}, "password2": {"a long enough password"}}
}

func TestSignUpClosedByDefault(t *testing.T) {
	e := newEnv(t, "http://pelote.test")
	b := e.browser()
	expect(t, b.get("/signup"), 404, "by invitation")
	expect(t, b.post("/signup", signUpForm("carol")), 404, "by invitation")
	if r := b.get("/login"); strings.Contains(r.body, `href="/signup"`) {
		t.Fatal("the login page offers sign-up while it is closed")
	}
	// The language links keep the page, and the choice stays.
	expect(t, b.get("/login/forgot"), 200, `href="?lang=fr"`)
	expect(t, b.get("/login/forgot?lang=fr"), 200, `<html lang="fr">`, "Mot de passe oublié")
	expect(t, b.get("/login"), 200, `<html lang="fr">`)
}

// openSignUp opens registration, with mail kept in letters and the
// anti-robot check at bits.
func openSignUp(t *testing.T, mail *letters, bits, perHour int) func(*store.DB, *Options) {
	return func(db *store.DB, o *Options) {
		if err := db.Migrate(t.Context(), pow.Migrations()); err != nil {
			t.Fatal(err)
		}
		o.Registration, o.Mailer, o.SignUpsPerHour = "open", mail, perHour
		o.PoW = pow.New(db, []byte("a key for the anti-robot checks."), bits)
	}
}

func TestSignUpBrakes(t *testing.T) {
	mail := &letters{}
	e := newEnv(t, "http://pelote.test", openSignUp(t, mail, 8, 2))
	b := e.browser()

	r := b.get("/login")
	expect(t, r, 200, `href="/signup"`)
	if strings.Contains(r.header.Get("Content-Security-Policy"), "script-src") {
		t.Fatal("the login page may run scripts")
	}
	r = b.get("/signup")
	expect(t, r, 200, `<script src="/static/pow.js" defer></script>`, "data-pow")
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("sign-up CSP %q", csp)
	}
	js := b.get("/static/pow.js")
	if js.status != 200 || !strings.Contains(js.header.Get("Content-Type"), "javascript") {
		t.Fatalf("pow.js: %d %s", js.status, js.header.Get("Content-Type"))
	}

	// No answer, a wrong one, a replayed one: refused, nothing made.
	expect(t, b.post("/signup", signUpForm("carol")), 422, "anti-robot computation is missing or wrong")
	wrong := b.solved("/signup", signUpForm("carol"))
	wrong.Set("pow_solution", "x1")
	expect(t, b.post("/signup", wrong), 422, "anti-robot")
	good := b.solved("/signup", signUpForm("carol"))
	expect(t, b.post("/signup", good), 200, "carol@example.net")
	good.Set("username", "carol2")
	good.Set("email", "carol2@example.net")
	expect(t, b.post("/signup", good), 422, "already sent")
	if _, err := e.ids.Account(t.Context(), "carol2"); err == nil {
		t.Fatal("a replayed answer made an account")
	}

	// Refused names do not count against the hourly limit.
	expect(t, b.post("/signup", b.solved("/signup", signUpForm("postmaster"))), 422, "reserved")
	expect(t, b.post("/signup", b.solved("/signup", signUpForm("carol"))), 409, "username is taken")
	// Two sign-ups an hour, from everywhere: the third waits.
	expect(t, b.post("/signup", b.solved("/signup", signUpForm("dave"))), 200, "dave@example.net")
	r = b.post("/signup", b.solved("/signup", signUpForm("erin")))
	expect(t, r, 429, "Many accounts were created")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	if mail.count() != 2 {
		t.Fatalf("%d mails, want 2 (carol's and dave's)", mail.count())
	}
	if _, err := e.ids.Account(t.Context(), "erin"); err == nil {
		t.Fatal("erin was made past the limit")
	}
}

func TestAdminInvitations(t *testing.T) {
	e := newEnv(t, "http://pelote.test")
	e.account("root", true)
	if _, err := e.ids.CreateGroup(t.Context(), "choir", "sings"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	expect(t, b.login("root", "correct horse battery"), 200)
	expect(t, b.get("/admin/invitations"), 200, "No invitation yet", `value="choir"`)
	expect(t, b.post("/admin/invitations", url.Values{"days": {"0"}}), 422, "between a minute and 90 days")
	expect(t, b.post("/admin/invitations", url.Values{"days": {"7"}, "email": {"x@example.net"}}), 422, "No mail server")
	expect(t, b.post("/admin/invitations", url.Values{"days": {"7"}, "group": {"ghosts"}}), 404)

	r := b.post("/admin/invitations", url.Values{"days": {"7"}, "group": {"choir"}, "note": {"for carol"}})
	expect(t, r, 201, "shown only now", "for carol", "choir")
	link := regexp.MustCompile(`http://pelote.test(/invite/[A-Za-z0-9_-]+)`).FindStringSubmatch(r.body)
	if link == nil {
		t.Fatalf("no link:\n%s", r.body)
	}
	guest := e.browser()
	expect(t, guest.get(link[1]), 200, "invited")

	id := regexp.MustCompile(`/admin/invitations/([0-9a-f]{16})/revoke`).FindStringSubmatch(r.body)
	if id == nil {
		t.Fatal("no revoke form")
	}
	expect(t, b.post("/admin/invitations/"+id[1]+"/revoke", nil), 200, "The invitation is revoked.")
	expect(t, b.post("/admin/invitations/"+id[1]+"/revoke", nil), 404)
	expect(t, b.post("/admin/invitations/nonsense/revoke", nil), 422)
	expect(t, guest.get(link[1]), http.StatusGone)

	// Members do not see any of it.
	e.account("bob", false)
	member := e.browser()
	expect(t, member.login("bob", "correct horse battery"), 200)
	expect(t, member.get("/admin/invitations"), 403)
}

// An invitation used with a member's address: the same answer as any
// sign-up, the member is told, and the invitation is spent as by any
// sign-up, so that trying it again tells nothing either.
func TestInvitationWithKnownAddress(t *testing.T) {
	mail := &letters{}
	e := newEnv(t, "http://pelote.test", func(_ *store.DB, o *Options) { o.Mailer = mail })
	e.account("alice", false)
	token, err := e.ids.CreateInvitation(t.Context(), nil, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	form := url.Values{"username": {"mallory"}, "email": {"alice@example.org"}, "password": {"a long enough password"}, "password2": {"a long enough password"}}
	expect(t, b.post("/invite/"+token, form), 200, "alice@example.org")
	if mail.count() != 1 || !strings.HasPrefix(mail.sent[0], "alice@example.org\n") || !strings.Contains(mail.sent[0], "your username is alice") {
		t.Fatalf("mails: %q", mail.sent)
	}
	expect(t, b.get("/invite/"+token), http.StatusGone)
	expect(t, b.post("/invite/"+token, form), http.StatusGone)
}

// TestSignUpSequenceDoesNotTell: trying a sign-up again with the same
// username answers the same whether the first try's address was free (a
// pending account holds the name) or another account's (the name is held
// all the same).
func TestSignUpSequenceDoesNotTell(t *testing.T) {
	mail := &letters{}
	e := newEnv(t, "http://pelote.test", openSignUp(t, mail, 4, 30))
	e.account("bob", false)
	b := e.browser()
	try := func(name, email string) resp {
		form := signUpForm(name)
		form.Set("email", email)
		return b.post("/signup", b.solved("/signup", form))
	}
	first := map[string]resp{"taken": try("mallory", "bob@example.org"), "free": try("trudy", "trudy@example.net")}
	again := map[string]resp{"taken": try("mallory", "x1@example.net"), "free": try("trudy", "x2@example.net")}
	expect(t, first["taken"], 200, "bob@example.org")
	expect(t, first["free"], 200, "trudy@example.net")
	expect(t, again["taken"], 409, "username is taken")
	expect(t, again["free"], 409, "username is taken")
	errorsOf := regexp.MustCompile(`(?s)<div class="errors".*?</div>`)
	if a, b := errorsOf.FindString(again["taken"].body), errorsOf.FindString(again["free"].body); a == "" || a != b {
		t.Fatalf("second tries differ: %q / %q", a, b)
	}
}

// The public forms cannot flood a member's mailbox: past a few mails an
// hour, the answer stays the same and nothing more is sent.
func TestFormsMailAnAccountSparingly(t *testing.T) {
	mail := &letters{}
	e := newEnv(t, "http://pelote.test", func(_ *store.DB, o *Options) { o.Mailer, o.LoginPerAddress = mail, 100 })
	e.account("alice", false)
	b := e.browser()
	for range mailsPerAccountHour + 2 {
		expect(t, b.post("/login/forgot", url.Values{"login": {"alice"}}), 200, "If an account matches")
	}
	if mail.count() != mailsPerAccountHour {
		t.Fatalf("%d mails to alice, want %d", mail.count(), mailsPerAccountHour)
	}
}

// With terms of service, every page links to them and sign-up asks that
// they be accepted.
func TestSignUpTerms(t *testing.T) {
	mail := &letters{}
	e := newEnv(t, "http://pelote.test", openSignUp(t, mail, 4, 30), func(_ *store.DB, o *Options) {
		o.TermsURL = "https://example.org/terms"
	})
	b := e.browser()
	expect(t, b.get("/login"), 200, `<a href="https://example.org/terms">Terms of service</a>`)
	expect(t, b.get("/signup"), 200, `name="terms" value="yes" required`)
	expect(t, b.post("/signup", b.solved("/signup", signUpForm("carol"))), 422, "Accept the terms of service")
	form := signUpForm("carol")
	form.Set("terms", "yes")
	expect(t, b.post("/signup", b.solved("/signup", form)), 200, "carol@example.net")

	token, err := e.ids.CreateInvitation(t.Context(), nil, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	expect(t, b.post("/invite/"+token, signUpForm("dave")), 422, "Accept the terms of service")
	form = signUpForm("dave")
	form.Set("terms", "yes")
	expect(t, b.post("/invite/"+token, form), 200, "dave@example.net")
}
