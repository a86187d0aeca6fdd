package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"pelote/internal/i18n"
	"pelote/internal/identity"
	"pelote/internal/secret"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

type env struct {
	t   testing.TB
	url string
	ids *identity.Store
	db  *store.DB
	srv *Server
}

// newEnv starts a server over a fresh database; each configure, if any,
// adjusts the options before the server starts.
func newEnv(t *testing.T, publicURL string, configure ...func(*store.DB, *Options)) *env {
	t.Helper()
	db := storetest.Open(t, identity.Migrations())
	ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	keys, err := secret.New(bytes.Repeat([]byte{7}, secret.Size))
	if err != nil {
		t.Fatal(err)
	}
	ids.Seal = keys.Sealer("totp")
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(publicURL)
	opts := Options{PublicURL: u, LoginPerAccount: 3, LoginPerAddress: 20, LoginWindow: 15 * time.Minute, Version: "test"}
	for _, c := range configure {
		c(db, &opts)
	}
	srv, err := New(opts, ids, db, cat, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{t: t, url: ts.URL, ids: ids, db: db, srv: srv}
}

func (e *env) account(name string, admin bool) {
	e.t.Helper()
	if _, err := e.ids.CreateAccount(context.Background(), identity.NewAccount{Username: name, Email: name + "@example.org", Password: "correct horse battery", Admin: admin}); err != nil {
		e.t.Fatal(err)
	}
}

// browser is the test kit's browser on the env's server; c is its HTTP
// client, for the tests that change how redirects are followed.
type browser struct {
	e  *env
	kb *testkit.Browser
	c  *http.Client
}

func (e *env) browser() *browser {
	kb := testkit.NewBrowser(e.t, e.url)
	return &browser{e: e, kb: kb, c: kb.Client}
}

type resp struct {
	status int
	body   string
	url    string
	header http.Header
}

func respOf(p testkit.Page) resp {
	return resp{status: p.Status, body: p.Body, url: p.URL, header: p.Header}
}

func (b *browser) do(req *http.Request) resp {
	b.e.t.Helper()
	return respOf(b.kb.Do(req))
}

func (b *browser) get(path string) resp {
	b.e.t.Helper()
	return respOf(b.kb.Get(path))
}

func (b *browser) post(path string, form url.Values) resp {
	b.e.t.Helper()
	return respOf(b.kb.Post(path, form))
}

func (b *browser) login(user, pw string) resp {
	return b.post("/login", url.Values{"username": {user}, "password": {pw}})
}

func expect(t testing.TB, r resp, status int, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; page:\n%s", r.status, status, r.body)
	}
	for _, c := range contains {
		if !strings.Contains(r.body, c) {
			t.Fatalf("page at %s lacks %q:\n%s", r.url, c, r.body)
		}
	}
}

func TestSetupLink(t *testing.T) {
	e := newEnv(t, "http://localhost")
	token, err := e.ids.CreateSetupToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	expect(t, b.get("/setup/"+token), 200, "Create the first administrator")
	expect(t, b.post("/setup/"+token, url.Values{"username": {"root"}, "email": {"root@example.org"}, "password": {"correct horse battery"}, "password2": {"other horse battery"}}),
		422, "The two new passwords differ")
	expect(t, b.post("/setup/"+token, url.Values{"username": {"root"}, "email": {"not-an-address"}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}}),
		422, "Enter one e-mail address")
	r := b.post("/setup/"+token, url.Values{"username": {"root"}, "email": {"root@example.org"}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}})
	expect(t, r, 200, "You administer this Pelote now", "root@example.org")
	if !strings.HasSuffix(r.url, "/admin/accounts?ok=setup_done") {
		t.Fatalf("landed on %s", r.url)
	}
	expect(t, e.browser().get("/setup/"+token), 404, "not valid or was already used")
	expect(t, e.browser().get("/setup/made-up"), 404)
}

func TestLogin(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("alice", false)
	b := e.browser()
	r := b.get("/account")
	if !strings.Contains(r.url, "/login?next=%2Faccount") {
		t.Fatalf("signed-out visit landed on %s", r.url)
	}
	expect(t, b.login("alice", "wrong password!"), 401, "Wrong username or password.")
	expect(t, b.login("nobody", "correct horse battery"), 401, "Wrong username or password.")
	expect(t, b.login("", ""), 422, "Enter your username")
	r = b.post("/login", url.Values{"username": {"Alice"}, "password": {"correct horse battery"}, "next": {"//evil.example/steal"}})
	expect(t, r, 200, "Signed-in browsers")
	if u, _ := url.Parse(r.url); u.Host != strings.TrimPrefix(e.url, "http://") || u.Path != "/account" {
		t.Fatalf("next=//evil led to %s", r.url)
	}
	r = b.post("/logout", nil)
	expect(t, r, 200, "You are logged out.")
	r = b.get("/account")
	if !strings.Contains(r.url, "/login") {
		t.Fatalf("session still valid after logout: %s", r.url)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("alice", false)
	b := e.browser()
	for range 3 {
		expect(t, b.login("alice", "wrong password!"), 401)
	}
	// Even the right password is refused while the limit holds, without
	// spending a hash on it.
	r := b.login("alice", "correct horse battery")
	expect(t, r, 429, "Too many failed attempts")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	expect(t, e.browser().login("alice", "correct horse battery"), 429)
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("alice", false)
	b := e.browser()
	big := url.Values{"username": {"alice"}, "password": {strings.Repeat("x", maxBody)}}
	expect(t, b.post("/login", big), 413, "too large")

	req, _ := http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader("username=alice&password=correct+horse+battery"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	expect(t, b.do(req), 403, "sent from another site")

	req, _ = http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader("username=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	expect(t, b.do(req), 400, "could not be read")

	expect(t, b.get("/nowhere"), 404, "This page does not exist")
}

func TestHeadersAndCookies(t *testing.T) {
	for _, tc := range []struct{ url, cookie string }{{"http://localhost", "pelote_session"}, {"https://id.example.org", "__Host-pelote_session"}} {
		t.Run(tc.url, func(t *testing.T) {
			e := newEnv(t, tc.url)
			e.account("alice", false)
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := c.PostForm(e.url+"/login", url.Values{"username": {"alice"}, "password": {"correct horse battery"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d", res.StatusCode)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
				t.Fatalf("CSP %q", csp)
			}
			var sc *http.Cookie
			for _, ck := range res.Cookies() {
				if ck.Name == tc.cookie {
					sc = ck
				}
			}
			if sc == nil {
				t.Fatalf("no %s cookie in %v", tc.cookie, res.Header["Set-Cookie"])
			}
			if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure != strings.HasPrefix(tc.url, "https") || sc.Path != "/" {
				t.Fatalf("cookie flags: %+v", sc)
			}
		})
	}
}

func TestAccountPage(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("alice", false)
	ctx := context.Background()
	if _, err := e.ids.CreateService(ctx, identity.Service{Name: "mastodon", ProfileQuota: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ids.CreateService(ctx, identity.Service{Name: "pixelfed", ProfileQuota: 1, ExtraProfiles: identity.ApproveExtra}); err != nil {
		t.Fatal(err)
	}
	b, other := e.browser(), e.browser()
	expect(t, b.login("alice", "correct horse battery"), 200)
	expect(t, other.login("alice", "correct horse battery"), 200)

	expect(t, b.post("/account/details", url.Values{"email": {"broken"}, "display_name": {"Alice"}, "locale": {"en"}, "current_password": {"correct horse battery"}}), 422, "Enter one e-mail address")
	if a, _ := e.ids.Account(ctx, "alice"); a.Email != "alice@example.org" {
		t.Fatalf("invalid e-mail changed the account: %s", a.Email)
	}
	expect(t, b.post("/account/details", url.Values{"email": {"alice@example.net"}, "display_name": {"Alice A."}, "locale": {"fr"}, "current_password": {"correct horse battery"}}), 200, "Vos informations sont enregistrées")

	expect(t, b.post("/account/password", url.Values{"current_password": {"wrong one!!"}, "new_password": {"a brand new secret"}, "new_password2": {"a brand new secret"}}), 422, "mot de passe actuel est incorrect")
	expect(t, b.post("/account/password", url.Values{"current_password": {"correct horse battery"}, "new_password": {"a brand new secret"}, "new_password2": {"another new secret"}}), 422, "diffèrent")
	expect(t, b.post("/account/password", url.Values{"current_password": {"correct horse battery"}, "new_password": {"a brand new secret"}, "new_password2": {"a brand new secret"}}), 200, "Votre mot de passe est changé")
	if r := other.get("/account"); !strings.Contains(r.url, "/login") {
		t.Fatal("the other browser kept its session after a password change")
	}
	expect(t, e.browser().login("alice", "a brand new secret"), 200)

	expect(t, b.post("/account/profiles", url.Values{"service": {"mastodon"}, "name": {"alice"}}), 200, "Le profil est créé")
	expect(t, b.post("/account/profiles", url.Values{"service": {"mastodon"}, "name": {"bob"}}), 409, "autant de profils")
	expect(t, b.post("/account/profiles", url.Values{"service": {"pixelfed"}, "name": {"alice"}}), 200, "Le profil est créé")
	expect(t, b.post("/account/profiles", url.Values{"service": {"pixelfed"}, "name": {"alice2"}}), 200, "attend la validation")
	expect(t, b.post("/account/profiles", url.Values{"service": {"pixelfed"}, "name": {"Not Valid!"}}), 422, "noms de profil")
	ps, _ := e.ids.Profiles(ctx, identity.ProfileQuery{Account: "alice"})
	if len(ps) != 3 {
		t.Fatalf("%d profiles, want 3", len(ps))
	}
	expect(t, b.post("/account/profiles/"+strconv.FormatInt(ps[0].ID, 10)+"/delete", nil), 200, "Le profil est supprimé")
	expect(t, b.get("/admin/accounts"), 403, "réservée aux administrateurs")
}

func TestAdminPages(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("root", true)
	e.account("alice", false)
	b := e.browser()
	expect(t, b.login("root", "correct horse battery"), 200)
	expect(t, b.get("/admin/accounts?q=ali"), 200, "alice@example.org")
	expect(t, b.post("/admin/accounts", url.Values{"username": {"alice"}, "email": {"other@example.org"}, "password": {"correct horse battery"}}), 409, "already taken")
	expect(t, b.post("/admin/accounts", url.Values{"username": {"bob"}, "email": {"bob@example.org"}, "password": {"short"}, "display_name": {"Bob"}}), 422, "at least 10 characters", `value="bob@example.org"`)
	expect(t, b.post("/admin/accounts", url.Values{"username": {"bob"}, "email": {"bob@example.org"}, "password": {"correct horse battery"}, "locale": {"fr"}}), 200, "The account is created.")
	expect(t, b.post("/admin/groups", url.Values{"name": {"staff"}, "description": {"The staff"}}), 200, "The group is created.")
	expect(t, b.post("/admin/groups", url.Values{"name": {"staff"}}), 409, "exists already")
	expect(t, b.post("/admin/groups/staff/members", url.Values{"username": {"bob"}}), 200, "Added to the group.", "/admin/accounts/bob")
	expect(t, b.post("/admin/groups/staff/members", url.Values{"username": {"ghost"}}), 404, "does not exist")
	expect(t, b.post("/admin/accounts/root/state", url.Values{"state": {"disabled"}}), 409, "last administrator")
	expect(t, b.post("/admin/accounts/bob/state", url.Values{"state": {"disabled"}}), 200, "state is changed")
	expect(t, e.browser().login("bob", "correct horse battery"), 403, "disabled")
	expect(t, b.post("/admin/services", url.Values{"name": {"mastodon"}, "quota": {"2"}, "extra": {"approval"}}), 200, "The service is saved.")
	expect(t, b.post("/admin/services", url.Values{"name": {"peertube"}, "quota": {"many"}, "extra": {"refuse"}}), 422, "whole number")
	expect(t, b.post("/admin/accounts/alice/profiles", url.Values{"service": {"mastodon"}, "name": {"alice"}}), 200, "The profile is created.")
	if _, err := e.ids.AddProfile(context.Background(), "alice", "mastodon", "alice2", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ids.AddProfile(context.Background(), "alice", "mastodon", "alice3", false); err != nil {
		t.Fatal(err)
	}
	r := expectPending(t, b)
	expect(t, b.post("/admin/approvals/"+r+"/approve", nil), 200, "The profile is approved.")
	expect(t, b.post("/admin/approvals/"+r+"/approve", nil), 404)
}

func expectPending(t *testing.T, b *browser) string {
	t.Helper()
	r := b.get("/admin/approvals")
	expect(t, r, 200, "alice3")
	m := regexp.MustCompile(`/admin/approvals/(\d+)/approve`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no approve form")
	}
	return m[1]
}

func TestHealth(t *testing.T) {
	e := newEnv(t, "http://localhost")
	b := e.browser()
	expect(t, b.get("/readyz"), 503)
	e.srv.SetReady(true)
	expect(t, b.get("/readyz"), 200)
	expect(t, b.get("/healthz"), 200, "ok")
	e.db.Close()
	expect(t, b.get("/healthz"), 503, "database unavailable")
	// A page needing the database says so, and is no crash.
	expect(t, b.login("alice", "correct horse battery"), 503, "The database does not answer right now")
}

func TestLanguage(t *testing.T) {
	e := newEnv(t, "http://localhost")
	b := e.browser()
	req, _ := http.NewRequest(http.MethodGet, e.url+"/login", nil)
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")
	expect(t, b.do(req), 200, `lang="fr"`, "Se connecter")
	expect(t, b.get("/login?lang=en"), 200, `lang="en"`, "Log in")
	req, _ = http.NewRequest(http.MethodGet, e.url+"/login", nil)
	req.Header.Set("Accept-Language", "fr")
	expect(t, b.do(req), 200, `lang="en"`) // the visitor's explicit choice wins
}

// TestTemplateKeys checks that every message a template or handler names
// exists in the English catalogue (the i18n tests check the others match).
func TestTemplateKeys(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("templates/*.html")
	gofiles, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`T "([a-z_.]+)"|"((?:err|ok|login|setup|account|admin|error)\.[a-z_.]+[a-z])"`)
	for _, f := range append(files, gofiles...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			key := m[1] + m[2]
			if !cat.HasKey(key) {
				t.Errorf("%s: no message %q", f, key)
			}
		}
	}
}
