package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// noFollow returns the first answer, without following redirects.
var noFollow = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	res, err := noFollow.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

func TestOIDCBadInput(t *testing.T) {
	w := newOIDCWorld(t)
	ctx := context.Background()
	secretValue := w.addClient("notes")
	app := w.relyingParty(ctx, "notes", secretValue)
	authorize := func(extra url.Values) string {
		q := url.Values{"client_id": {"notes"}, "redirect_uri": {w.rp + "/callback"}, "response_type": {"code"}, "scope": {"openid"},
			"state": {"s"}, "code_challenge": {pkceChallenge("v")}, "code_challenge_method": {"S256"}}
		for k, v := range extra {
			q[k] = v
		}
		return w.issuer + "/authorize?" + q.Encode()
	}

	// Errors that must not redirect: the redirect URI is not trusted.
	noRedirect := map[string]url.Values{
		"unknown client":         {"client_id": {"nobody"}},
		"unregistered redirect":  {"redirect_uri": {w.rp + "/elsewhere"}},
		"redirect with fragment": {"redirect_uri": {w.rp + "/callback#x"}},
		"open redirect attempt":  {"redirect_uri": {"https://evil.example/cb"}},
		"missing redirect":       {"redirect_uri": {""}},
	}
	for name, extra := range noRedirect {
		t.Run(name, func(t *testing.T) {
			res, _ := get(t, authorize(extra))
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Fatalf("got %d, Location %q", res.StatusCode, res.Header.Get("Location"))
			}
		})
	}
	// Errors told to the client at its registered redirect URI.
	toClient := map[string]struct {
		extra url.Values
		code  string
	}{
		"request object":         {url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}, "request_not_supported"},
		"no scope":               {url.Values{"scope": {""}}, "invalid_scope"},
		"plain PKCE":             {url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
		"prompt none signed out": {url.Values{"prompt": {"none"}}, "login_required"},
	}
	for name, tc := range toClient {
		t.Run(name, func(t *testing.T) {
			// A browser: prompt=none goes through the login page first,
			// which only the browser that sent the request may see.
			b := w.browser()
			q := b.callback(b.do("GET", authorize(tc.extra), nil))
			if q.Get("error") != tc.code || q.Get("state") != "s" {
				t.Fatalf("got %v, want error=%s at the client", q, tc.code)
			}
		})
	}
	t.Run("implicit flow", func(t *testing.T) {
		// Refused either at the client (unauthorized_client) or, since an
		// implicit response may not go to an http URI, without redirect.
		res, _ := get(t, authorize(url.Values{"response_type": {"id_token"}}))
		loc, _ := res.Location()
		if res.StatusCode != http.StatusBadRequest && (loc == nil || loc.Query().Get("error") != "unauthorized_client") {
			t.Fatalf("implicit flow: %d %v", res.StatusCode, loc)
		}
	})
	t.Run("malformed and oversized requests", func(t *testing.T) {
		for _, u := range []string{
			w.issuer + "/authorize?%zz=1",
			w.issuer + "/authorize?client_id=notes&scope=" + strings.Repeat("a", 40000),
		} {
			res, _ := get(t, u)
			if res.StatusCode >= 500 || res.StatusCode < 400 {
				t.Errorf("%.60s: %d", u, res.StatusCode)
			}
		}
	})
	t.Run("registering a redirect URI with a fragment is refused", func(t *testing.T) {
		p := &pelote{t: t, data: filepath.Join(w.dir, "pelote-data"), dsn: w.dsn()}
		p.fails(1, "fragment", "", "client", "add", "frag", "--service", "cloud", "--redirect-uri", "https://x.example/cb#f")
	})

	// A real code for the token endpoint cases.
	b := w.browser()
	verifier := oauth2.GenerateVerifier()
	b.expectPage(b.signIn(b.do("GET", app.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), nil), "member password 1"), 200, "alice-work")
	form := b.hidden()
	form.Set("profile", regexpProfile(t, b.page, "alice"))
	b.expectPage(b.do("POST", "/oidc/profile", form), 200, `value="allow"`)
	form = b.hidden()
	form.Set("decision", "allow")
	code := b.callback(b.do("POST", "/oidc/consent", form)).Get("code")
	token := func(id, secret string, v url.Values) (int, string) {
		var out struct {
			Error string `json:"error"`
		}
		return postJSON(t, w.issuer+"/oauth/token", id, secret, v, &out), out.Error
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {w.rp + "/callback"}, "code_verifier": {verifier}}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range exchange {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	for name, tc := range map[string]struct {
		id, secret string
		form       url.Values
		status     int
		code       string
	}{
		"wrong secret":      {"notes", "wrong", with("code_verifier", verifier), 401, "invalid_client"},
		"unknown client":    {"nobody", "x", with("code_verifier", verifier), 401, "invalid_client"},
		"missing verifier":  {"notes", secretValue, with("code_verifier", ""), 400, "invalid_request"},
		"wrong verifier":    {"notes", secretValue, with("code_verifier", oauth2.GenerateVerifier()), 400, "invalid_grant"},
		"wrong redirect":    {"notes", secretValue, with("redirect_uri", w.rp+"/other"), 400, "invalid_grant"},
		"unknown code":      {"notes", secretValue, with("code", "nope"), 400, "invalid_grant"},
		"unsupported grant": {"notes", secretValue, url.Values{"grant_type": {"password"}, "username": {"alice"}}, 400, "unsupported_grant_type"},
	} {
		t.Run("token: "+name, func(t *testing.T) {
			status, got := token(tc.id, tc.secret, tc.form)
			if status != tc.status || got != tc.code {
				t.Fatalf("got %d %s, want %d %s", status, got, tc.status, tc.code)
			}
		})
	}
	// After all those failures the code still works once: failed attempts
	// by others must not burn it.
	tok, err := app.cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange after failures: %v", err)
	}
	t.Run("tampered ID token", func(t *testing.T) {
		raw := tok.Extra("id_token").(string)
		parts := strings.Split(raw, ".")
		payload, _ := base64URLDecode(parts[1])
		parts[1] = base64URLEncode([]byte(strings.Replace(string(payload), "alice", "mallory", 1)))
		if _, err := app.verifier.Verify(ctx, strings.Join(parts, ".")); err == nil {
			t.Fatal("tampered ID token verified")
		}
	})

	t.Run("access limited to a group", func(t *testing.T) {
		w.cli("", "group", "add", "board")
		sec := w.addClient("board-wiki", "--group", "board")
		board := w.relyingParty(ctx, "board-wiki", sec)
		res := b.do("GET", board.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
		b.expectPage(res, http.StatusForbidden, "does not have access")
		w.cli("", "group", "member", "add", "board", "alice")
		res = b.do("GET", board.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
		if res.StatusCode == http.StatusForbidden {
			t.Fatal("member of the group refused")
		}
	})

	t.Run("EdDSA and ES256 per client", func(t *testing.T) {
		for _, alg := range []string{"EdDSA", "ES256"} {
			id := "app-" + strings.ToLower(alg)
			sec := w.addClient(id, "--signing-alg", alg, "--first-party")
			c := w.relyingParty(ctx, id, sec)
			v := oauth2.GenerateVerifier()
			res := b.do("GET", c.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), nil)
			if res.StatusCode == 200 { // profile choice for a new client
				form := b.hidden()
				form.Set("profile", regexpProfile(t, b.page, "alice"))
				res = b.do("POST", "/oidc/profile", form)
			}
			tk, err := c.cfg.Exchange(ctx, b.callback(res).Get("code"), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatal(err)
			}
			raw := tk.Extra("id_token").(string)
			header, _ := base64URLDecode(strings.Split(raw, ".")[0])
			if !strings.Contains(string(header), `"alg":"`+alg+`"`) {
				t.Fatalf("%s client got header %s", alg, header)
			}
			if _, err := c.verifier.Verify(ctx, raw); err != nil {
				t.Fatalf("%s ID token: %v", alg, err)
			}
		}
	})

	t.Run("client credentials with a JWT access token", func(t *testing.T) {
		var out struct {
			ClientSecret string `json:"client_secret"`
		}
		json.Unmarshal([]byte(w.cli("", "client", "add", "backup-bot", "--machine", "--service", "cloud", "--scopes", "backup", "--json")), &out)
		cc := clientcredentials.Config{ClientID: "backup-bot", ClientSecret: out.ClientSecret, TokenURL: w.issuer + "/oauth/token", Scopes: []string{"backup"}}
		tk, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keys := oidc.NewRemoteKeySet(ctx, w.issuer+"/keys")
		payload, err := keys.VerifySignature(ctx, tk.AccessToken)
		if err != nil {
			t.Fatalf("machine access token: %v", err)
		}
		if !strings.Contains(string(payload), `"sub":"backup-bot"`) {
			t.Fatalf("payload %s", payload)
		}
		cc.ClientSecret = "wrong"
		if _, err := cc.Token(ctx); !isOAuthError(err, "invalid_client") {
			t.Fatalf("wrong machine secret: %v", err)
		}
	})

	t.Run("GitLab facade for Mattermost", func(t *testing.T) {
		sec := w.addClient("mattermost", "--first-party")
		q := url.Values{"client_id": {"mattermost"}, "redirect_uri": {w.rp + "/callback"}, "response_type": {"code"}, "state": {"mm"}}
		res := b.do("GET", w.issuer+"/oauth/authorize?"+q.Encode(), nil)
		if res.StatusCode == 200 {
			form := b.hidden()
			form.Set("profile", regexpProfile(t, b.page, "alice-work"))
			res = b.do("POST", "/oidc/profile", form)
		}
		cb := b.callback(res)
		var tk struct {
			AccessToken string `json:"access_token"`
		}
		// Mattermost posts its credentials in the form (client_secret_post).
		postJSON(t, w.issuer+"/oauth/token", "", "", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
			"redirect_uri": {w.rp + "/callback"}, "client_id": {"mattermost"}, "client_secret": {sec}}, &tk)
		req, _ := http.NewRequest("GET", w.issuer+"/api/v4/user", nil)
		req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var u struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
			Email    string `json:"email"`
			Name     string `json:"name"`
		}
		json.NewDecoder(r.Body).Decode(&u)
		r.Body.Close()
		if r.StatusCode != 200 || u.ID == 0 || u.Username != "alice-work" || u.Email != "alice@example.org" || u.Name != "Alice Martin" {
			t.Fatalf("GET /api/v4/user: %d %+v", r.StatusCode, u)
		}
		req.Header.Set("Authorization", "Bearer forged")
		r, _ = http.DefaultClient.Do(req)
		r.Body.Close()
		if r.StatusCode != 401 {
			t.Fatalf("forged token: %d", r.StatusCode)
		}
	})
}

// TestOIDCTokenRateLimit checks the token endpoint's per-client limit.
func TestOIDCTokenRateLimit(t *testing.T) {
	w := &oidcWorld{t: t, bin: buildPelote(t), dir: t.TempDir()}
	addr := freePort(t)
	w.issuer = "http://" + addr
	w.env = append(w.envBase(), "PELOTE_URL="+w.issuer, "PELOTE_OIDC_TOKEN_RATE=2")
	startServe(t, w.bin, w.dir, w.env, "--listen", addr)
	limited := 0
	for i := 0; i < 20; i++ {
		var out struct {
			Error string `json:"error"`
		}
		if postJSON(t, w.issuer+"/oauth/token", "someone", "x", url.Values{"grant_type": {"client_credentials"}}, &out) == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("20 token requests at once from one client were never limited (rate 2/s, burst 4)")
	}
}

func regexpProfile(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`value="(\d+)"( checked)?>\s*<label for="profile-\d+">` + regexp.QuoteMeta(name) + `</label>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no profile %s to choose:\n%s", name, page)
	}
	return m[1]
}

func base64URLDecode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
func base64URLEncode(b []byte) string          { return base64.RawURLEncoding.EncodeToString(b) }
