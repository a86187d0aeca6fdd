package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// oidcWorld is a running Pelote with a member, her profiles and TOTP, and
// a relying party listening on loopback.
type oidcWorld struct {
	t      *testing.T
	bin    string
	dir    string
	env    []string
	issuer string
	rp     string // relying party base URL
	// logouts receives the back-channel logout tokens the RP gets.
	logouts chan string
	totpKey string
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// envBase is the environment of a fresh database.
func (w *oidcWorld) envBase() []string {
	// Every browser of these tests shares one address.
	return append(os.Environ(), "PELOTE_DATABASE="+storetest.DSN(w.t), "PELOTE_PASSWORD_MEMORY_KIB=19456", "PELOTE_OIDC_AUTHORIZE_RATE=100")
}

func (w *oidcWorld) dsn() string {
	for _, e := range w.env {
		if v, ok := strings.CutPrefix(e, "PELOTE_DATABASE="); ok {
			return v
		}
	}
	return ""
}

func (w *oidcWorld) cli(stdin string, args ...string) string {
	w.t.Helper()
	cmd := exec.Command(w.bin, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = w.dir, w.env, strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		w.t.Fatalf("pelote %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

func newOIDCWorld(t *testing.T) *oidcWorld {
	w := &oidcWorld{t: t, bin: buildPelote(t), dir: t.TempDir(), logouts: make(chan string, 16)}
	addr := freePort(t)
	w.issuer = "http://" + addr
	w.env = append(w.envBase(), "PELOTE_URL="+w.issuer)

	// The relying party's server: it only records back-channel logouts; the
	// test itself plays the browser and the RP's code exchange.
	rpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.rp = "http://" + rpLn.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /backchannel", func(rw http.ResponseWriter, r *http.Request) {
		w.logouts <- r.PostFormValue("logout_token")
	})
	rpSrv := &http.Server{Handler: mux}
	go rpSrv.Serve(rpLn)
	t.Cleanup(func() { rpSrv.Close() })

	startServe(t, w.bin, w.dir, w.env, "--listen", addr)

	w.cli("member password 1\n", "user", "add", "alice", "--email", "alice@example.org", "--name", "Alice Martin", "--password-stdin")
	w.cli("", "service", "add", "cloud", "--quota", "3")
	w.cli("", "profile", "add", "alice", "cloud", "alice")
	w.cli("", "profile", "add", "alice", "cloud", "alice-work")
	w.totpKey = w.enrolTOTP("alice")
	return w
}

// enrolTOTP turns on TOTP for username through the account pages, as the
// README tells a member to, and returns the seed the QR code holds.
func (w *oidcWorld) enrolTOTP(username string) string {
	t := w.t
	b := w.browser()
	res := b.do("GET", "/login", nil)
	b.expectPage(res, 200, `name="password"`)
	res = b.do("POST", "/login", url.Values{"username": {username}, "password": {"member password 1"}})
	b.expectPage(res, 200, "Manage two-step verification")
	res = b.do("POST", "/account/totp/begin", url.Values{"password": {"member password 1"}})
	b.expectPage(res, 200, `src="data:image/png;base64,`)
	m := regexp.MustCompile(`<code class="secret">([A-Z2-7]+)</code>`).FindStringSubmatch(b.page)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", b.page)
	}
	// The previous step's code, so that the sign-ins that follow, with
	// the current one, are not refused as replays.
	code, _ := totp.GenerateCode(m[1], time.Now().Add(-30*time.Second))
	res = b.do("POST", "/account/totp/confirm", url.Values{"code": {code}})
	b.expectPage(res, 200, "Recovery codes")
	return m[1]
}

// addClient registers a confidential client and returns its secret.
func (w *oidcWorld) addClient(id string, extra ...string) string {
	args := append([]string{"client", "add", id, "--service", "cloud", "--redirect-uri", w.rp + "/callback",
		"--post-logout-uri", w.rp + "/bye", "--backchannel-logout-uri", w.rp + "/backchannel", "--json"}, extra...)
	var out struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(w.cli("", args...)), &out); err != nil || out.ClientID != id {
		w.t.Fatalf("client add: %v %+v", err, out)
	}
	return out.ClientSecret
}

// browser is a person's browser: a cookie jar that stops at the RP.
type browser struct {
	t    *testing.T
	w    *oidcWorld
	kb   *testkit.Browser
	page string // the last page's body
	// nextCode shifts the TOTP codes signIn types, past a used step.
	nextCode time.Duration
}

func (w *oidcWorld) browser() *browser {
	return &browser{t: w.t, w: w, kb: testkit.NewBrowser(w.t, w.issuer, w.rp)}
}

// do sends a request and returns the final response; a redirect to the RP
// is returned as is, for the test to read its query.
func (b *browser) do(method, u string, form url.Values) *http.Response {
	b.t.Helper()
	var p testkit.Page
	switch {
	case method == http.MethodPost:
		p = b.kb.Post(u, form)
	case method == http.MethodGet && form == nil:
		p = b.kb.Get(u)
	default:
		b.t.Fatalf("browser: %s with a form", method)
	}
	b.page = p.Body
	return p.Response
}

// hidden returns the hidden fields of the last page.
func (b *browser) hidden() url.Values { return b.kb.Hidden() }

// expectPage checks the last answer was a page containing want.
func (b *browser) expectPage(res *http.Response, status int, want string) {
	b.t.Helper()
	if res.StatusCode != status || !strings.Contains(b.page, want) {
		b.t.Fatalf("%s: got %d, want %d with %q:\n%s", res.Request.URL, res.StatusCode, status, want, b.page)
	}
}

// callback returns the RP redirect's query after a successful flow.
func (b *browser) callback(res *http.Response) url.Values {
	b.t.Helper()
	loc, err := res.Location()
	if res.StatusCode/100 != 3 || err != nil || !strings.HasPrefix(loc.String(), b.w.rp) {
		b.t.Fatalf("expected a redirect to the RP, got %d %v:\n%s", res.StatusCode, loc, b.page)
	}
	return loc.Query()
}

func (b *browser) signIn(res *http.Response, password string) *http.Response {
	b.t.Helper()
	b.expectPage(res, 200, `name="password"`)
	form := b.hidden()
	form.Set("username", "alice")
	form.Set("password", password)
	res = b.do("POST", "/login", form)
	b.expectPage(res, 200, `name="code"`)
	form = b.hidden()
	code, _ := totp.GenerateCode(b.w.totpKey, time.Now().Add(b.nextCode))
	form.Set("code", code)
	return b.do("POST", "/login/totp", form)
}

type rp struct {
	cfg      oauth2.Config
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

func (w *oidcWorld) relyingParty(ctx context.Context, id, secret string, scopes ...string) *rp {
	w.t.Helper()
	p, err := oidc.NewProvider(ctx, w.issuer)
	if err != nil {
		w.t.Fatalf("discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", "groups", oidc.ScopeOfflineAccess}
	}
	return &rp{
		cfg:      oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: w.rp + "/callback", Scopes: scopes},
		provider: p,
		verifier: p.Verifier(&oidc.Config{ClientID: id}),
	}
}

type idClaims struct {
	Sub               string   `json:"sub"`
	PreferredUsername string   `json:"preferred_username"`
	Name              string   `json:"name"`
	Email             string   `json:"email"`
	Groups            []string `json:"groups"`
	SID               string   `json:"sid"`
	AMR               []string `json:"amr"`
	Nonce             string   `json:"nonce"`
}

func TestOIDCCodeFlowWithProfilesAndTOTP(t *testing.T) {
	w := newOIDCWorld(t)
	ctx := context.Background()
	secretValue := w.addClient("notes")
	app := w.relyingParty(ctx, "notes", secretValue)
	b := w.browser()

	// The whole browser flow: login, TOTP, profile choice, consent.
	verifier := oauth2.GenerateVerifier()
	authURL := app.cfg.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n0nce"))
	res := b.signIn(b.do("GET", authURL, nil), "member password 1")
	b.expectPage(res, 200, "alice-work")
	form := b.hidden()
	form.Set("profile", regexpProfile(t, b.page, "alice-work"))
	res = b.do("POST", "/oidc/profile", form)
	b.expectPage(res, 200, `value="allow"`)
	form = b.hidden()
	form.Set("decision", "allow")
	q := b.callback(b.do("POST", "/oidc/consent", form))
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	code := q.Get("code")

	tok, err := app.cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := app.verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims idClaims
	idt.Claims(&claims)
	if claims.PreferredUsername != "alice-work" || claims.Nonce != "n0nce" || claims.Email != "alice@example.org" || claims.Name != "Alice Martin" || claims.SID == "" {
		t.Fatalf("ID token claims %+v", claims)
	}
	if !strings.Contains(strings.Join(claims.AMR, " "), "otp") {
		t.Errorf("amr %v does not say a second factor was used", claims.AMR)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	info, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != claims.Sub || info.Email != "alice@example.org" {
		t.Fatalf("userinfo %+v %v", info, err)
	}

	t.Run("code reuse revokes what it issued", func(t *testing.T) {
		if _, err := app.cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier)); !isOAuthError(err, "invalid_grant") {
			t.Fatalf("second use of a code: %v", err)
		}
		if _, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Fatal("the access token from the reused code still works")
		}
	})

	// A second sign-in: session, profile and consent remembered, no page.
	verifier = oauth2.GenerateVerifier()
	q = b.callback(b.do("GET", app.cfg.AuthCodeURL("again", oauth2.S256ChallengeOption(verifier)), nil))
	tok, err = app.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, _ = app.verifier.Verify(ctx, tok.Extra("id_token").(string))
	var again idClaims
	idt.Claims(&again)
	if again.Sub != claims.Sub || again.PreferredUsername != "alice-work" {
		t.Fatalf("sub must be stable per profile: %+v vs %+v", again, claims)
	}

	t.Run("select_account shows the profiles and the other profile has another sub", func(t *testing.T) {
		v := oauth2.GenerateVerifier()
		res := b.do("GET", app.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "select_account")), nil)
		b.expectPage(res, 200, "alice-work")
		form := b.hidden()
		form.Set("profile", regexpProfile(t, b.page, "alice"))
		res = b.do("POST", "/oidc/profile", form)
		if res.StatusCode == 200 { // consent is per client, already given
			t.Fatalf("consent asked again:\n%s", b.page)
		}
		q := b.callback(res)
		tk, err := app.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		it, _ := app.verifier.Verify(ctx, tk.Extra("id_token").(string))
		var c idClaims
		it.Claims(&c)
		if c.PreferredUsername != "alice" || c.Sub == claims.Sub {
			t.Fatalf("other profile: %+v", c)
		}
	})

	t.Run("refresh rotates and a reused refresh token revokes the grant", func(t *testing.T) {
		old := tok.RefreshToken
		if old == "" {
			t.Fatal("no refresh token with offline_access")
		}
		fresh, err := app.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old, Expiry: time.Now().Add(-time.Hour)}).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if fresh.RefreshToken == "" || fresh.RefreshToken == old {
			t.Fatal("refresh token not rotated")
		}
		rt, _ := app.verifier.Verify(ctx, fresh.Extra("id_token").(string))
		var rc idClaims
		rt.Claims(&rc)
		if rc.Sub != claims.Sub {
			t.Fatalf("refreshed ID token sub %q", rc.Sub)
		}
		if _, err := app.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old, Expiry: time.Now().Add(-time.Hour)}).Token(); !isOAuthError(err, "invalid_grant") {
			t.Fatalf("reused refresh token: %v", err)
		}
		if _, err := app.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token(); !isOAuthError(err, "invalid_grant") {
			t.Fatalf("the grant survived the reuse: %v", err)
		}
		if _, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(fresh)); err == nil {
			t.Fatal("access token of a revoked grant still works")
		}
	})

	t.Run("revocation endpoint", func(t *testing.T) {
		v := oauth2.GenerateVerifier()
		q := b.callback(b.do("GET", app.cfg.AuthCodeURL("r", oauth2.S256ChallengeOption(v)), nil))
		tk, err := app.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		status := postForm(t, w.issuer+"/revoke", "notes", secretValue, url.Values{"token": {tk.RefreshToken}, "token_type_hint": {"refresh_token"}})
		if status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		if _, err := app.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tk.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token(); err == nil {
			t.Fatal("revoked refresh token still works")
		}
		if _, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(tk)); err == nil {
			t.Fatal("access token of a revoked grant still works")
		}
	})

	t.Run("revoking an access token leaves its grant", func(t *testing.T) {
		v := oauth2.GenerateVerifier()
		q := b.callback(b.do("GET", app.cfg.AuthCodeURL("a", oauth2.S256ChallengeOption(v)), nil))
		tk, err := app.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(tk)); err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		if status := postForm(t, w.issuer+"/revoke", "notes", secretValue, url.Values{"token": {tk.AccessToken}, "token_type_hint": {"access_token"}}); status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		if _, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(tk)); err == nil {
			t.Fatal("revoked access token still works")
		}
		fresh, err := app.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tk.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
		if err != nil {
			t.Fatalf("the grant did not survive: %v", err)
		}
		if _, err := app.provider.UserInfo(ctx, oauth2.StaticTokenSource(fresh)); err != nil {
			t.Fatalf("userinfo with the refreshed token: %v", err)
		}
	})

	t.Run("introspection", func(t *testing.T) {
		v := oauth2.GenerateVerifier()
		q := b.callback(b.do("GET", app.cfg.AuthCodeURL("i", oauth2.S256ChallengeOption(v)), nil))
		tk, err := app.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Active   bool   `json:"active"`
			Sub      string `json:"sub"`
			ClientID string `json:"client_id"`
		}
		postJSON(t, w.issuer+"/oauth/introspect", "notes", secretValue, url.Values{"token": {tk.AccessToken}}, &got)
		it, _ := app.verifier.Verify(ctx, tk.Extra("id_token").(string))
		if !got.Active || got.Sub != it.Subject || got.ClientID != "notes" {
			t.Fatalf("introspection %+v", got)
		}
		var garbage struct {
			Active bool `json:"active"`
		}
		postJSON(t, w.issuer+"/oauth/introspect", "notes", secretValue, url.Values{"token": {"garbage"}}, &garbage)
		if garbage.Active {
			t.Fatal("garbage is active")
		}
	})

	t.Run("account page lists and revokes the application", func(t *testing.T) {
		res := b.do("GET", "/account/apps", nil)
		b.expectPage(res, 200, "notes")
		res = b.do("POST", "/account/apps/notes/revoke", url.Values{})
		b.expectPage(res, 200, "Access revoked")
		if strings.Contains(b.page, "<td>notes</td>") {
			t.Fatal("revoked application still listed")
		}
	})

	t.Run("RP-initiated logout and back-channel logout", func(t *testing.T) {
		v := oauth2.GenerateVerifier()
		res := b.do("GET", app.cfg.AuthCodeURL("l", oauth2.S256ChallengeOption(v)), nil)
		// Revoking the application above forgot the profile and the consent.
		b.expectPage(res, 200, "alice-work")
		form := b.hidden()
		form.Set("profile", regexpProfile(t, b.page, "alice-work"))
		res = b.do("POST", "/oidc/profile", form)
		b.expectPage(res, 200, `value="allow"`)
		{
			form := b.hidden()
			form.Set("decision", "allow")
			res = b.do("POST", "/oidc/consent", form)
		}
		q := b.callback(res)
		tk, err := app.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		raw := tk.Extra("id_token").(string)
		it, _ := app.verifier.Verify(ctx, raw)
		var c idClaims
		it.Claims(&c)
		for len(w.logouts) > 0 {
			<-w.logouts
		}
		end := w.issuer + "/end_session?" + url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {w.rp + "/bye"}, "state": {"x"}}.Encode()
		res = b.do("GET", end, nil)
		b.expectPage(res, 200, `action="/oidc/logout"`)
		loc := b.callback(b.do("POST", "/oidc/logout", b.hidden()))
		if loc.Get("state") != "x" {
			t.Fatalf("post-logout redirect lost the state: %v", loc)
		}
		// One token per profile signed in to the client in this session.
		found := false
		deadline := time.After(20 * time.Second)
		for !found {
			select {
			case lt := <-w.logouts:
				var lc struct {
					Sub    string         `json:"sub"`
					SID    string         `json:"sid"`
					Events map[string]any `json:"events"`
				}
				payload, err := app.provider.Verifier(&oidc.Config{ClientID: "notes", SkipExpiryCheck: true}).Verify(ctx, lt)
				if err != nil {
					t.Fatalf("logout token does not verify: %v", err)
				}
				payload.Claims(&lc)
				if lc.SID != c.SID || lc.Events["http://schemas.openid.net/event/backchannel-logout"] == nil {
					t.Fatalf("logout token %+v, session %s", lc, c.SID)
				}
				found = lc.Sub == c.Sub
			case <-deadline:
				t.Fatal("no back-channel logout for the signed-in profile reached the RP")
			}
		}
		// Signed out: prompt=none now answers login_required at the RP.
		v = oauth2.GenerateVerifier()
		q = b.callback(b.do("GET", app.cfg.AuthCodeURL("n", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none")), nil))
		if q.Get("error") != "login_required" {
			t.Fatalf("prompt=none signed out: %v", q)
		}
	})

	t.Run("disabling the account from the shell signs its applications out", func(t *testing.T) {
		// The step after the one the sign-ins above used: codes are single-use.
		b.nextCode = 30 * time.Second
		v := oauth2.GenerateVerifier()
		// The profile and the consent are remembered from the steps above.
		res := b.signIn(b.do("GET", app.cfg.AuthCodeURL("d", oauth2.S256ChallengeOption(v)), nil), "member password 1")
		tk, err := app.cfg.Exchange(ctx, b.callback(res).Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		it, err := app.verifier.Verify(ctx, tk.Extra("id_token").(string))
		if err != nil {
			t.Fatal(err)
		}
		var c idClaims
		it.Claims(&c)
		for len(w.logouts) > 0 {
			<-w.logouts
		}
		w.cli("", "user", "disable", "alice")
		// serve's worker finds the CLI's job at its next poll.
		deadline := time.After(30 * time.Second)
		for {
			select {
			case lt := <-w.logouts:
				payload, err := app.provider.Verifier(&oidc.Config{ClientID: "notes", SkipExpiryCheck: true}).Verify(ctx, lt)
				if err != nil {
					t.Fatalf("logout token does not verify: %v", err)
				}
				var lc struct{ SID string }
				payload.Claims(&lc)
				if lc.SID == c.SID {
					w.cli("", "user", "enable", "alice")
					return
				}
			case <-deadline:
				t.Fatal("disabling the account sent no back-channel logout")
			}
		}
	})
}

func isOAuthError(err error, code string) bool {
	var re *oauth2.RetrieveError
	if err == nil {
		return false
	}
	if ok := asRetrieve(err, &re); ok {
		return re.ErrorCode == code
	}
	return strings.Contains(err.Error(), code)
}

func asRetrieve(err error, target **oauth2.RetrieveError) bool {
	for err != nil {
		if re, ok := err.(*oauth2.RetrieveError); ok {
			*target = re
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func postForm(t *testing.T, u, id, secret string, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func postJSON(t *testing.T, u, id, secret string, form url.Values, into any) int {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("%s: %d %s", u, res.StatusCode, body)
	}
	return res.StatusCode
}

func pkceChallenge(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}
