package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"pelote/internal/identity"
	"pelote/internal/openid"
)

// A request id is not a capability: a request started in one browser
// cannot be finished by another browser's session, and its code goes only
// to the browser that started it.
func TestAuthorizationRequestBoundToBrowser(t *testing.T) {
	e := newRPEnv(t)

	// Mallory starts a request, consents, and stops before the code.
	mallory := e.person()
	mallory.signIn("mallory")
	mallory.authorize("m", oauth2.SetAuthURLParam("prompt", "consent"))
	expect(t, mallory.last, 200, `value="allow"`)
	rid := mallory.hiddenField("id")
	mallory.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if r := mallory.consent(); r.status != http.StatusSeeOther {
		t.Fatalf("consent: %d", r.status)
	}

	// Alice, signed in, is sent the link: nothing happens for her.
	alice := e.person()
	alice.signIn("alice")
	r := alice.get("/oidc/login?id=" + url.QueryEscape(rid))
	expect(t, r, http.StatusForbidden, "started in another browser")
	if a, err := e.st.Request(context.Background(), rid); err != nil || a.IsDone {
		t.Fatalf("the request was completed by another browser: %+v %v", a, err)
	}
	for _, path := range []string{"/oidc/profile", "/oidc/consent"} {
		r := alice.post(path, url.Values{"id": {rid}, "decision": {"allow"}, "profile": {"1"}})
		if r.status != http.StatusForbidden {
			t.Errorf("%s from another browser: %d", path, r.status)
		}
	}

	// Nobody collects the code without the browser's cookie, even of a
	// request that is done.
	mallory.stopAtRP()
	mallory.get("/oidc/login?id=" + url.QueryEscape(rid))
	q := mallory.atRP()
	if q.Get("code") == "" {
		t.Fatalf("the browser that started the request got no code: %v", q)
	}
	rid2 := startedRequest(t, e, mallory)
	stranger := e.person()
	r = stranger.get("/authorize/callback?id=" + url.QueryEscape(rid2))
	if r.status != http.StatusForbidden || r.header.Get("Location") != "" {
		t.Fatalf("callback without the browser's cookie: %d %q", r.status, r.header.Get("Location"))
	}
}

// startedRequest has p start a request and complete it on Pelote's pages
// without following the redirect to the callback; it returns the id.
func startedRequest(t *testing.T, e *rpEnv, p *person) string {
	t.Helper()
	p.c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.Path, "/authorize/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer p.stopAtRP()
	p.authorize("x")
	if p.last.status == 200 && strings.Contains(p.last.body, `value="allow"`) {
		p.consent()
	}
	loc := p.last.header.Get("Location")
	if !strings.HasPrefix(loc, "/authorize/callback?id=") {
		t.Fatalf("expected the redirect to the callback, got %d %q:\n%s", p.last.status, loc, p.last.body)
	}
	u, _ := url.Parse(loc)
	return u.Query().Get("id")
}

// Consent given on a request belongs to the account that gave it.
func TestConsentIsPerAccount(t *testing.T) {
	e := newRPEnv(t)
	b := e.person()
	b.signIn("mallory")
	b.authorize("m")
	expect(t, b.last, 200, `value="allow"`)
	rid := b.hiddenField("id")
	b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b.consent()
	b.stopAtRP()

	// Same browser, another account: it is asked.
	b.post("/logout", url.Values{})
	b.signIn("alice")
	r := b.get("/oidc/login?id=" + url.QueryEscape(rid))
	expect(t, r, 200, `value="allow"`, "alice")
}

// Complete finishes a request once, and only for the account that chose
// its profile.
func TestCompleteChecksAccountAndDone(t *testing.T) {
	e := newRPEnv(t)
	ctx := context.Background()
	alice, _ := e.ids.Account(ctx, "alice")
	mallory, _ := e.ids.Account(ctx, "mallory")
	p := e.person()
	p.signIn("alice")
	rid := startedRequest(t, e, p)
	a, err := e.st.Request(ctx, rid)
	if err != nil || a.AccountID != alice.ID {
		t.Fatalf("request %+v %v", a, err)
	}
	err = e.st.Complete(ctx, rid, openid.Completion{AccountID: mallory.ID, ProfileID: a.ProfileID, AuthTime: time.Now()})
	if err == nil {
		t.Fatal("a done request was completed again, for another account")
	}

	// A request whose profile alice chose cannot be completed by mallory.
	q := e.person()
	q.signIn("alice")
	q.authorize("y", oauth2.SetAuthURLParam("prompt", "consent"))
	rid = q.hiddenField("id")
	mine, _ := e.ids.Profiles(ctx, identity.ProfileQuery{Account: "alice"})
	theirs, _ := e.ids.Profiles(ctx, identity.ProfileQuery{Account: "mallory"})
	if err := e.st.ChooseProfile(ctx, rid, alice.ID, mine[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Complete(ctx, rid, openid.Completion{AccountID: mallory.ID, ProfileID: theirs[0].ID, AuthTime: time.Now()}); err == nil {
		t.Fatal("another account completed a request alice had chosen a profile on")
	}
	if err := e.st.Complete(ctx, rid, openid.Completion{AccountID: alice.ID, ProfileID: mine[0].ID, AuthTime: time.Now()}); err != nil {
		t.Fatalf("alice completing her own request: %v", err)
	}
}

// prompt=none never shows a page (OIDC Core 3.1.2.1): every case that
// needs the person comes back to the application as an error, and a live
// session with a remembered profile and consent gives a code, here for a
// narrower scope than first consented.
func TestPromptNone(t *testing.T) {
	e := newRPEnv(t)
	ctx := context.Background()
	none := oauth2.SetAuthURLParam("prompt", "none")
	narrow := oauth2.SetAuthURLParam("scope", "openid profile")

	signedOut := e.person()
	signedOut.authorize("s", none)
	if q := signedOut.atRP(); q.Get("error") != "login_required" || q.Get("state") != "s" {
		t.Fatalf("signed out: %v", q)
	}

	alice := e.person()
	alice.signIn("alice")
	alice.authorize("c", none)
	if q := alice.atRP(); q.Get("error") != "consent_required" {
		t.Fatalf("no consent yet: %v", q)
	}
	// Once consented interactively, silent sign-ins get a code.
	v := alice.authorize("i")
	alice.consent()
	e.exchange(alice.atRP(), v)
	v = alice.authorize("n", none, narrow)
	tok, idt := e.exchange(alice.atRP(), v)
	if scope, _ := tok.Extra("scope").(string); strings.Contains(scope, "email") {
		t.Errorf("narrower request got scope %q", scope)
	}
	var claims struct {
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
	}
	idt.Claims(&claims)
	if claims.PreferredUsername != "alice" || claims.Email != "" {
		t.Errorf("claims for openid profile: %+v", claims)
	}

	// A second profile and nothing remembered between them.
	if _, err := e.ids.AddProfile(ctx, "alice", "cloud", "alice-work", identity.ByAdmin(true)); err != nil {
		t.Fatal(err)
	}
	alice.authorize("p", none, oauth2.SetAuthURLParam("prompt", "none select_account"))
	if q := alice.atRP(); q.Get("error") != "invalid_request" {
		t.Fatalf("prompt=none with another value: %v", q)
	}

	// Group refusal and the second-factor requirement come back as errors.
	if _, err := e.ids.CreateGroup(ctx, "staff", ""); err != nil {
		t.Fatal(err)
	}
	c, _ := e.st.Client(ctx, "notes")
	c.Groups = []string{"staff"}
	if _, err := e.st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	alice.authorize("g", none)
	if q := alice.atRP(); q.Get("error") != "access_denied" {
		t.Fatalf("not in the client's groups: %v", q)
	}
	e.ids.AddMember(ctx, "staff", "alice")
	if err := e.ids.SetGroupRequireTOTP(ctx, "staff", true); err != nil {
		t.Fatal(err)
	}
	alice.authorize("t", none)
	if q := alice.atRP(); q.Get("error") != "interaction_required" {
		t.Fatalf("second factor required, not set up: %v", q)
	}
	alice.authorize("t2")
	expect(t, alice.last, http.StatusForbidden, "two-step verification")
}

// An id_token_hint naming someone other than the signed-in person is not
// ignored: prompt=none answers login_required, and the login page asks.
func TestIDTokenHintNamingSomeoneElse(t *testing.T) {
	e := newRPEnv(t)
	none := oauth2.SetAuthURLParam("prompt", "none")
	alice := e.person()
	alice.signIn("alice")
	v := alice.authorize("i")
	alice.consent()
	first, _ := e.exchange(alice.atRP(), v)
	// An id_token_hint naming someone else: not this session's person.
	mallory := e.person()
	mallory.signIn("mallory")
	mv := mallory.authorize("m")
	mallory.consent()
	e.exchange(mallory.atRP(), mv)
	alice.authorize("h", none, oauth2.SetAuthURLParam("id_token_hint", first.Extra("id_token").(string)))
	if q := alice.atRP(); q.Get("code") == "" {
		t.Fatalf("hint naming alice herself: %v", q)
	}
	mtok := rawIDToken(t, e, mallory)
	alice.authorize("h2", none, oauth2.SetAuthURLParam("id_token_hint", mtok))
	if q := alice.atRP(); q.Get("error") != "login_required" {
		t.Fatalf("hint naming mallory in alice's browser: %v", q)
	}
	alice.authorize("h3", oauth2.SetAuthURLParam("id_token_hint", mtok))
	expect(t, alice.last, 200, "expects another account", `name="password"`)

}

// rawIDToken signs p in to the application without a page and returns
// the ID token it got.
func rawIDToken(t *testing.T, e *rpEnv, p *person) string {
	t.Helper()
	v := p.authorize("r", oauth2.SetAuthURLParam("prompt", "none"))
	tok, _ := e.exchange(p.atRP(), v)
	return tok.Extra("id_token").(string)
}

// A member removed from the client's groups, or asked to use two-step
// verification and not enrolled, loses the application at the next
// refresh.
func TestRefreshStopsWhenNoLongerAdmitted(t *testing.T) {
	e := newRPEnv(t)
	ctx := context.Background()
	if _, err := e.ids.CreateGroup(ctx, "staff", ""); err != nil {
		t.Fatal(err)
	}
	e.ids.AddMember(ctx, "staff", "alice")
	c, _ := e.st.Client(ctx, "notes")
	c.Groups = []string{"staff"}
	if _, err := e.st.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	alice := e.person()
	alice.signIn("alice")
	grant := func() *oauth2.Token {
		v := alice.authorize("s")
		if alice.last.status == 200 {
			alice.consent()
		}
		tok, _ := e.exchange(alice.atRP(), v)
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token")
		}
		return tok
	}
	refresh := func(tok *oauth2.Token) error {
		_, err := e.app.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
		return err
	}

	tok := grant()
	if err := refresh(tok); err != nil {
		t.Fatalf("refresh while admitted: %v", err)
	}
	tok = grant()
	if err := e.ids.RemoveMember(ctx, "staff", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := refresh(tok); !oauthError(err, "invalid_grant") {
		t.Fatalf("refresh after leaving the client's groups: %v", err)
	}
	e.ids.AddMember(ctx, "staff", "alice")
	if err := refresh(tok); !oauthError(err, "invalid_grant") {
		t.Fatalf("the grant survived: %v", err)
	}

	tok = grant()
	if err := e.ids.SetGroupRequireTOTP(ctx, "staff", true); err != nil {
		t.Fatal(err)
	}
	if err := refresh(tok); !oauthError(err, "invalid_grant") {
		t.Fatalf("refresh with a second factor required and not set up: %v", err)
	}
}

func oauthError(err error, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code
}
