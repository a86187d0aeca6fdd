package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"pelote/internal/access"
	"pelote/internal/i18n"
	"pelote/internal/identity"
	"pelote/internal/openid"
	"pelote/internal/secret"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// rpCallback is the relying party's redirect URI. Nothing listens there:
// the browsers below stop at the redirect and the test reads its query.
const rpCallback = "https://rp.example/cb"

// rpEnv is a Pelote whose issuer is its own test server's address, so a
// relying-party library (coreos/go-oidc with x/oauth2) discovers and
// verifies it as it would in production.
type rpEnv struct {
	*env
	st  *openid.Store
	app *relyingParty
}

type relyingParty struct {
	cfg      oauth2.Config
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

func newRPEnv(t testing.TB, configure ...func(*store.DB, *Options)) *rpEnv {
	t.Helper()
	ctx := context.Background()
	log := testkit.Quiet
	db := storetest.Open(t, store.Own(), identity.Migrations(), openid.Migrations(), access.Migrations())
	ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	keys, err := secret.New(bytes.Repeat([]byte{5}, secret.Size))
	if err != nil {
		t.Fatal(err)
	}
	ids.Seal = keys.Sealer("totp")
	st := openid.NewStore(db, ids, keys, log)
	if err := st.MaintainKeys(ctx); err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	p, err := openid.NewProvider(st, ts.URL, 1000, log)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ts.URL)
	opts := Options{PublicURL: u, LoginPerAccount: 5, LoginPerAddress: 50, LoginWindow: 15 * time.Minute, Version: "test", OIDC: p,
		AuthorizeRate: 1000}
	for _, c := range configure {
		c(db, &opts)
	}
	srv, err := New(opts, ids, db, cat, log)
	if err != nil {
		t.Fatal(err)
	}
	h = srv.Handler()
	e := &rpEnv{env: &env{t: t, url: ts.URL, ids: ids, db: db, srv: srv}, st: st}
	e.account("alice", false)
	e.account("mallory", false)
	if _, err := ids.CreateService(ctx, identity.Service{Name: "cloud", ProfileQuota: 3}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"alice", "mallory"} {
		if _, err := ids.AddProfile(ctx, who, "cloud", who, identity.ByAdmin(true)); err != nil {
			t.Fatal(err)
		}
	}
	_, secretValue, err := st.CreateClient(ctx, openid.Client{ID: "notes", Service: "cloud", RedirectURIs: []string{rpCallback},
		GrantTypes: []string{openid.GrantCode, openid.GrantRefresh}})
	if err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(ctx, ts.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	e.app = &relyingParty{
		cfg: oauth2.Config{ClientID: "notes", ClientSecret: secretValue, Endpoint: provider.Endpoint(), RedirectURL: rpCallback,
			Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}},
		provider: provider,
		verifier: provider.Verifier(&oidc.Config{ClientID: "notes"}),
	}
	return e
}

// person is a browser with its cookie jar; it follows Pelote's redirects
// and stops at the relying party's.
type person struct {
	e    *rpEnv
	kb   *testkit.Browser
	c    *http.Client
	last resp
}

func (e *rpEnv) person() *person {
	kb := testkit.NewBrowser(e.t, e.url)
	p := &person{e: e, kb: kb, c: kb.Client}
	p.stopAtRP()
	return p
}

// stopAtRP makes the browser follow every redirect but the application's.
func (p *person) stopAtRP() {
	p.c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "rp.example" {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

func (p *person) send(req *http.Request) resp {
	p.e.t.Helper()
	p.kb.T = p.e.t
	p.last = respOf(p.kb.Do(req))
	return p.last
}

func (p *person) get(u string) resp {
	p.e.t.Helper()
	p.kb.T = p.e.t
	p.last = respOf(p.kb.Get(u))
	return p.last
}

func (p *person) post(path string, form url.Values) resp {
	p.e.t.Helper()
	p.kb.T = p.e.t
	p.last = respOf(p.kb.Post(path, form))
	return p.last
}

// signIn logs the person in on Pelote's own login page.
func (p *person) signIn(user string) {
	p.e.t.Helper()
	expect(p.e.t, p.post("/login", url.Values{"username": {user}, "password": {"correct horse battery"}}), 200)
}

// hiddenField returns a hidden input of the last page.
func (p *person) hiddenField(name string) string {
	m := regexp.MustCompile(`<input type="hidden" name="` + name + `" value="([^"]*)">`).FindStringSubmatch(p.last.body)
	if m == nil {
		p.e.t.Fatalf("no hidden %s on the page at %s:\n%s", name, p.last.url, p.last.body)
	}
	return testkit.HTMLUnescape(m[1])
}

// atRP returns the query the last answer redirected to the relying party
// with, failing if it was not such a redirect.
func (p *person) atRP() url.Values {
	p.e.t.Helper()
	loc := p.last.header.Get("Location")
	if p.last.status/100 != 3 || !strings.HasPrefix(loc, rpCallback) {
		p.e.t.Fatalf("expected a redirect to the application, got %d at %s (Location %q):\n%s", p.last.status, p.last.url, loc, p.last.body)
	}
	u, _ := url.Parse(loc)
	return u.Query()
}

// authorize starts the application's request in the person's browser.
func (p *person) authorize(state string, opts ...oauth2.AuthCodeOption) (verifier string) {
	verifier = oauth2.GenerateVerifier()
	opts = append(opts, oauth2.S256ChallengeOption(verifier))
	p.get(p.e.app.cfg.AuthCodeURL(state, opts...))
	return verifier
}

// consent answers the consent page the person is on.
func (p *person) consent() resp {
	return p.post("/oidc/consent", url.Values{"id": {p.hiddenField("id")}, "decision": {"allow"}})
}

// exchange trades the code the application received for tokens, as the
// application would, and verifies the ID token.
func (e *rpEnv) exchange(q url.Values, verifier string) (*oauth2.Token, *oidc.IDToken) {
	e.t.Helper()
	if q.Get("code") == "" {
		e.t.Fatalf("no code at the application: %v", q)
	}
	tok, err := e.app.cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := e.app.verifier.Verify(context.Background(), raw)
	if err != nil {
		e.t.Fatalf("ID token: %v", err)
	}
	return tok, idt
}
