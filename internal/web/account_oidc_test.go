package web

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"pelote/internal/i18n"
	"pelote/internal/identity"
	"pelote/internal/openid"
	"pelote/internal/queue"
	"pelote/internal/secret"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// rpWorld is Pelote with its OpenID provider served at the test server's
// own address (a relying party library checks the issuer), wired as serve
// wires it (sign-outs and account revocations queue back-channel
// logouts), and a relying party: a first-party client "notes" whose
// back-channel logouts arrive on logouts. alice has one profile in its
// service.
type rpWorld struct {
	*env
	st       *openid.Store
	jobs     *queue.Queue
	cfg      oauth2.Config
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	rpURL    string
	logouts  chan string
}

func newRPWorld(t *testing.T, configure ...func(*store.DB, *Options)) *rpWorld {
	t.Helper()
	ctx := context.Background()
	log := testkit.Quiet
	db := storetest.Open(t, store.Own(), identity.Migrations(), openid.Migrations(), queue.Migrations())
	ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	keys, err := secret.New(bytes.Repeat([]byte{5}, secret.Size))
	if err != nil {
		t.Fatal(err)
	}
	ids.Seal = keys.Sealer("totp")
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	st := openid.NewStore(db, ids, keys, log)
	st.Issuer = issuer
	jobs := queue.New(db, log)
	st.Queue = jobs
	jobs.Handle(openid.LogoutJob, openid.LogoutPolicy, st.DeliverLogout)
	ids.SessionsEnded = st.SessionsEnded
	ids.PasswordChanged = st.RevokeAccountGrants
	if err := st.MaintainKeys(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := openid.NewProvider(st, issuer, 1000, log)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(issuer)
	opts := Options{PublicURL: u, LoginPerAccount: 3, LoginPerAddress: 20, LoginWindow: 15 * time.Minute, Version: "test", OIDC: p}
	for _, c := range configure {
		c(db, &opts)
	}
	srv, err := New(opts, ids, db, cat, log)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)

	w := &rpWorld{env: &env{t: t, url: ts.URL, ids: ids, db: db, srv: srv}, st: st, jobs: jobs, logouts: make(chan string, 16)}
	rp := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/backchannel" {
			w.logouts <- r.PostFormValue("logout_token")
		}
	}))
	t.Cleanup(rp.Close)
	w.rpURL = rp.URL

	w.account("alice", false)
	if _, err := ids.CreateService(ctx, identity.Service{Name: "notes", ProfileQuota: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := ids.AddProfile(ctx, "alice", "notes", "alice", true); err != nil {
		t.Fatal(err)
	}
	_, secretValue, err := st.CreateClient(ctx, openid.Client{ID: "notes", Service: "notes", FirstParty: true,
		RedirectURIs: []string{rp.URL + "/callback"}, BackchannelLogoutURI: rp.URL + "/backchannel"})
	if err != nil {
		t.Fatal(err)
	}
	w.provider, err = oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	w.cfg = oauth2.Config{ClientID: "notes", ClientSecret: secretValue, Endpoint: w.provider.Endpoint(), RedirectURL: rp.URL + "/callback",
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}
	w.verifier = w.provider.Verifier(&oidc.Config{ClientID: "notes"})
	return w
}

var loginNextRE = regexp.MustCompile(`name="next" value="([^"]*)"`)

// rpBrowser is a browser that stops at the relying party's callback.
func (w *rpWorld) rpBrowser() *browser {
	kb := testkit.NewBrowser(w.t, w.url, w.rpURL)
	return &browser{e: w.env, kb: kb, c: kb.Client}
}

// signIn runs the code flow in b (signed in already or not) and returns
// the tokens the relying party gets, and the ID token's claims.
func (w *rpWorld) signIn(b *browser, password string) (*oauth2.Token, map[string]any) {
	w.t.Helper()
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	res := b.get(strings.TrimPrefix(w.cfg.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier)), w.url))
	if strings.Contains(res.body, `name="password"`) {
		next := loginNextRE.FindStringSubmatch(res.body)
		if next == nil {
			w.t.Fatalf("login page without next:\n%s", res.body)
		}
		res = b.post("/login", url.Values{"username": {"alice"}, "password": {password}, "next": {html.UnescapeString(next[1])}})
	}
	loc := res.header.Get("Location")
	if res.status != http.StatusFound && res.status != http.StatusSeeOther || !strings.HasPrefix(loc, w.rpURL) {
		w.t.Fatalf("sign-in did not come back to the application: %d %s\n%s", res.status, loc, res.body)
	}
	u, _ := url.Parse(loc)
	tok, err := w.cfg.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		w.t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := w.verifier.Verify(ctx, raw)
	if err != nil {
		w.t.Fatalf("ID token: %v", err)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		w.t.Fatal(err)
	}
	return tok, claims
}

// userinfo returns the userinfo claims for tok.
func (w *rpWorld) userinfo(tok *oauth2.Token) (map[string]any, error) {
	info, err := w.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, err
	}
	claims := map[string]any{}
	return claims, info.Claims(&claims)
}

// deliverLogouts runs the queued back-channel logouts and returns the
// logout tokens the relying party received.
func (w *rpWorld) deliverLogouts() []string {
	w.t.Helper()
	if _, err := w.jobs.RunOnce(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	var got []string
	for {
		select {
		case tok := <-w.logouts:
			got = append(got, tok)
		default:
			return got
		}
	}
}

// TestEmailVerifiedOnlyWhenConfirmed: an address an administrator entered
// is vouched for; one a member typed without mail is not, and a relying
// party is told so in the ID token and at userinfo.
func TestEmailVerifiedOnlyWhenConfirmed(t *testing.T) {
	w := newRPWorld(t)
	b := w.rpBrowser()
	_, claims := w.signIn(b, "correct horse battery")
	if claims["email"] != "alice@example.org" || claims["email_verified"] != true {
		t.Fatalf("address entered by an administrator: %v", claims)
	}
	expect(t, b.post("/account/details", url.Values{"email": {"alice@elsewhere.example"}, "display_name": {""}, "locale": {"en"},
		"current_password": {"correct horse battery"}}), http.StatusOK)
	tok, claims := w.signIn(b, "correct horse battery")
	if claims["email"] != "alice@elsewhere.example" || claims["email_verified"] != false {
		t.Fatalf("ID token after a change without mail: %v", claims)
	}
	info, err := w.userinfo(tok)
	if err != nil || info["email_verified"] != false {
		t.Fatalf("userinfo after a change without mail: %v %v", info, err)
	}
}

// TestPasswordChangeSignsApplicationsOut: a new password ends the
// applications' grants (refresh and access tokens stop) and signs them
// out over the back-channel, once each; on their own change a member keeps
// the app passwords they tick, and an administrator's reset keeps none.
func TestPasswordChangeSignsApplicationsOut(t *testing.T) {
	w := newRPWorld(t)
	ctx := context.Background()
	alice, err := w.ids.Account(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, phoneSecret, _ := w.ids.CreateAppPassword(ctx, alice.ID, "phone")
	laptop, laptopSecret, _ := w.ids.CreateAppPassword(ctx, alice.ID, "laptop")

	b := w.rpBrowser()
	tok, claims := w.signIn(b, "correct horse battery")
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	tok, err = w.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh before the change: %v", err)
	}
	if len(w.deliverLogouts()) != 0 {
		t.Fatal("logouts before any change")
	}

	expect(t, b.get("/account"), http.StatusOK, "Keep these app passwords",
		`name="keep_app_password" value="`+strconv.FormatInt(laptop.ID, 10)+`"`)
	expect(t, b.post("/account/password", url.Values{"current_password": {"correct horse battery"}, "new_password": {"a brand new secret"},
		"new_password2": {"a brand new secret"}, "keep_app_password": {strconv.FormatInt(laptop.ID, 10)}}), http.StatusOK, "Your password is changed")
	if _, err := w.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("the refresh token works after the password change")
	}
	if _, err := w.userinfo(tok); err == nil {
		t.Error("the access token works after the password change")
	}
	logouts := w.deliverLogouts()
	if len(logouts) != 1 {
		t.Fatalf("%d logout tokens, want 1", len(logouts))
	}
	lt := w.logoutClaims(logouts[0])
	if lt["sub"] != claims["sub"] || lt["sid"] != claims["sid"] {
		t.Errorf("logout token %v for ID token %v", lt, claims)
	}
	if _, err := w.ids.AuthenticateAppPassword(ctx, "alice", laptopSecret); err != nil {
		t.Errorf("the kept app password: %v", err)
	}
	if _, err := w.ids.AuthenticateAppPassword(ctx, "alice", phoneSecret); err == nil {
		t.Error("the app password not kept still works")
	}

	// An administrator's reset: the application signed in from another
	// browser is signed out with that browser's session, once.
	other := w.rpBrowser()
	tok2, claims2 := w.signIn(other, "a brand new secret")
	if err := w.ids.SetPassword(ctx, "alice", "the admins chose this", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := w.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token(); err == nil {
		t.Error("the refresh token works after an administrator's reset")
	}
	seen := 0
	for _, raw := range w.deliverLogouts() {
		if w.logoutClaims(raw)["sid"] == claims2["sid"] {
			seen++
		}
	}
	if seen != 1 {
		t.Errorf("the other browser's application got %d logout tokens, want 1", seen)
	}
	if _, err := w.ids.AuthenticateAppPassword(ctx, "alice", laptopSecret); err == nil {
		t.Error("an app password survives an administrator's reset")
	}
}

// logoutClaims checks a logout token's signature with the provider's keys
// and returns its claims.
func (w *rpWorld) logoutClaims(raw string) map[string]any {
	w.t.Helper()
	v := w.provider.Verifier(&oidc.Config{ClientID: "notes", SkipExpiryCheck: true})
	tok, err := v.Verify(context.Background(), raw)
	if err != nil {
		w.t.Fatalf("logout token: %v", err)
	}
	claims := map[string]any{}
	if err := tok.Claims(&claims); err != nil {
		w.t.Fatal(err)
	}
	events, _ := claims["events"].(map[string]any)
	if _, ok := events["http://schemas.openid.net/event/backchannel-logout"]; !ok {
		w.t.Fatalf("not a logout token: %v", claims)
	}
	return claims
}
