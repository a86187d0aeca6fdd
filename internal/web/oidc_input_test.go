package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"pelote/internal/identity"
	"pelote/internal/openid"
	"pelote/internal/store"
)

// Malformed input to the provider's pages and endpoints gets a 4xx with
// a plain message: never a 500, never a library's own wording.
func TestOIDCMalformedInput(t *testing.T) {
	e := newRPEnv(t)
	ctx := context.Background()
	if _, err := e.ids.AddProfile(ctx, "alice", "cloud", "alice-work", identity.ByAdmin(true)); err != nil {
		t.Fatal(err)
	}
	alice := e.person()
	alice.signIn("alice")
	alice.authorize("p")
	expect(t, alice.last, 200, "alice-work")
	rid := alice.hiddenField("id")
	for _, profile := range []string{"", "abc", "99999", "-1"} {
		r := alice.post("/oidc/profile", url.Values{"id": {rid}, "profile": {profile}})
		if r.status < 400 || r.status >= 500 {
			t.Errorf("profile %q: %d", profile, r.status)
		}
	}

	libraryWords := []string{"schema:", "cannot parse", "auth request", "invalid URL escape", "oidc"}
	pages := map[string]string{
		"max_age":          alice.e.app.cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("max_age", "abc")),
		"bad escape":       e.url + "/authorize?%zz=1&client_id=notes",
		"end_session":      e.url + "/end_session?%zz",
		"unknown callback": e.url + "/authorize/callback?id=nothing",
		"no client":        e.url + "/authorize?response_type=code&scope=openid",
	}
	for name, u := range pages {
		r := alice.get(u)
		if r.status < 400 || r.status >= 500 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", name, r.status, r.header.Get("Content-Type"))
			continue
		}
		for _, w := range libraryWords {
			if strings.Contains(r.body, w) {
				t.Errorf("%s: the page shows %q:\n%s", name, w, r.body)
			}
		}
	}

	for name, body := range map[string]string{"bad escape": "token=%zz", "no token": "token_type_hint=access_token"} {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/oauth/introspect", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("notes", e.app.cfg.ClientSecret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("introspection, %s: %d %s", name, res.StatusCode, out)
		}
	}
}

// The discovery document announces only what Pelote does.
func TestDiscoveryTellsTheTruth(t *testing.T) {
	e := newRPEnv(t)
	res, err := http.Get(e.url + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var d struct {
		Issuer        string   `json:"issuer"`
		ResponseTypes []string `json:"response_types_supported"`
		ResponseModes []string `json:"response_modes_supported"`
		GrantTypes    []string `json:"grant_types_supported"`
		RequestURI    *bool    `json:"request_uri_parameter_supported"`
		Request       bool     `json:"request_parameter_supported"`
	}
	if err := json.NewDecoder(res.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.Issuer != e.url || strings.Join(d.ResponseTypes, " ") != "code" || strings.Join(d.ResponseModes, " ") != "query" ||
		strings.Join(d.GrantTypes, " ") != "authorization_code refresh_token client_credentials" || d.RequestURI == nil || *d.RequestURI || d.Request {
		t.Fatalf("discovery: %+v", d)
	}
	// What it leaves out is refused.
	req, _ := http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader(url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"x.y.z"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("notes", e.app.cfg.ClientSecret)
	tres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var oe struct{ Error string }
	json.NewDecoder(tres.Body).Decode(&oe)
	tres.Body.Close()
	if tres.StatusCode != 400 || oe.Error != "unsupported_grant_type" {
		t.Fatalf("jwt-bearer grant: %d %+v", tres.StatusCode, oe)
	}
}

func TestAuthorizeRequestLimits(t *testing.T) {
	e := newRPEnv(t)
	p := e.person()
	p.authorize("s", oauth2.SetAuthURLParam("request_uri", "https://rp.example/req.jwt"))
	if q := p.atRP(); q.Get("error") != "request_uri_not_supported" || q.Get("state") != "s" {
		t.Fatalf("request_uri: %v", q)
	}
	p.authorize(strings.Repeat("s", 5000))
	if q := p.atRP(); q.Get("error") != "invalid_request" {
		t.Fatalf("a 5,000-byte state: %v", q)
	}
	p.authorize("n", oauth2.SetAuthURLParam("nonce", strings.Repeat("n", 5000)))
	if q := p.atRP(); q.Get("error") != "invalid_request" {
		t.Fatalf("a 5,000-byte nonce: %v", q)
	}
	var n int
	e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM oidc_auth_requests`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d refused requests stored", n)
	}

	// OIDC Core 3.1.2.1 allows an application's page to POST the request.
	form := url.Values{"client_id": {"notes"}, "redirect_uri": {rpCallback}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"post"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
	req, _ := http.NewRequest(http.MethodPost, e.url+"/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://rp.example")
	r := p.send(req)
	expect(t, r, 200, `name="password"`)
}

// Never-finished requests are purged as soon as they expire; those that
// gave a code stay a day so a replayed code is recognised.
func TestUnfinishedRequestsPurgedAtExpiry(t *testing.T) {
	e := newRPEnv(t)
	ctx := context.Background()
	p := e.person()
	p.authorize("s")
	var n int
	e.db.QueryRow(ctx, `SELECT COUNT(*) FROM oidc_auth_requests`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d requests", n)
	}
	e.db.Exec(ctx, `UPDATE oidc_auth_requests SET expires_at = expires_at - 3600`)
	if err := e.st.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	e.db.QueryRow(ctx, `SELECT COUNT(*) FROM oidc_auth_requests`).Scan(&n)
	if n != 0 {
		t.Fatal("an expired, never finished request is kept")
	}
}

// The sign-out page names a client only if it is registered: a link
// cannot make it show its own text.
func TestLogoutPageShowsOnlyRegisteredClients(t *testing.T) {
	e := newRPEnv(t)
	p := e.person()
	p.signIn("alice")
	r := p.get("/oidc/logout?client=" + url.QueryEscape("Your bank: call +33 1 23 45 67 89"))
	expect(t, r, 200, "Sign out of Pelote?")
	if strings.Contains(r.body, "bank") {
		t.Fatalf("the page shows the link's text:\n%s", r.body)
	}
	expect(t, p.get("/oidc/logout?client=notes"), 200, "notes asks to sign you out")
}

// The token endpoint answers an unknown client as it answers a wrong
// secret: it does not tell which clients exist.
func TestTokenEndpointHidesWhichClientsExist(t *testing.T) {
	e := newRPEnv(t)
	answer := func(id, secret string, form url.Values) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, form := range []url.Values{
		{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {rpCallback}, "code_verifier": {strings.Repeat("v", 43)}},
		{"grant_type": {"refresh_token"}, "refresh_token": {"rt_x"}},
		{"grant_type": {"client_credentials"}},
	} {
		s1, b1 := answer("notes", "wrong", form)
		s2, b2 := answer("nobody", "wrong", form)
		if s1 != s2 || b1 != b2 || s1 != http.StatusUnauthorized {
			t.Errorf("%s: wrong secret %d %s; unknown client %d %s", form.Get("grant_type"), s1, b1, s2, b2)
		}
	}
}

// Redirect URIs with a script or data scheme are refused, public client
// or not; private-use schemes must look like a reversed domain (RFC 8252).
func TestDangerousRedirectSchemes(t *testing.T) {
	e := newRPEnv(t)
	ctx := context.Background()
	for _, u := range []string{"javascript:alert(1)//", "JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd", "myapp:/cb"} {
		_, _, err := e.st.CreateClient(ctx, openid.Client{ID: "native", Service: "cloud", Public: true, RedirectURIs: []string{u}})
		if err == nil {
			t.Errorf("%q accepted", u)
			e.st.DeleteClient(ctx, "native")
		}
	}
	if _, _, err := e.st.CreateClient(ctx, openid.Client{ID: "native", Service: "cloud", Public: true, RedirectURIs: []string{"org.example.app:/cb"}}); err != nil {
		t.Fatalf("a private-use scheme: %v", err)
	}
}

// A known path asked with the wrong method answers 405 with Allow, and the
// static files do not list their directory.
func TestMethodNotAllowedAndNoListing(t *testing.T) {
	e := newRPEnv(t)
	for path, allow := range map[string]string{"/login": "GET, HEAD, POST", "/oidc/consent": "POST", "/account/password": "POST"} {
		req, _ := http.NewRequest(http.MethodPut, e.url+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != allow {
			t.Errorf("PUT %s: %d, Allow %q (want %q)", path, res.StatusCode, res.Header.Get("Allow"), allow)
		}
	}
	for _, path := range []string{"/static/", "/static"} {
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || strings.Contains(string(body), ".css") {
			t.Errorf("GET %s: %d\n%s", path, res.StatusCode, body)
		}
	}
}

// One address cannot fill the database with authorization requests.
func TestAuthorizeRatePerAddress(t *testing.T) {
	e := newRPEnv(t, func(_ *store.DB, o *Options) { o.AuthorizeRate = authorizePerSecond })
	p := e.person()
	limited := false
	for range 3 * authorizePerSecond {
		p.authorize("s")
		if p.last.status == http.StatusTooManyRequests {
			limited = p.last.header.Get("Retry-After") != ""
			break
		}
	}
	if !limited {
		t.Fatal("no limit on the authorization requests of one address")
	}
}
