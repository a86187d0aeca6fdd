package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"pelote/internal/i18n"
	"pelote/internal/identity"
	"pelote/internal/openid"
	"pelote/internal/secret"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// newOIDCEnv is newEnv with the OpenID provider on, and its store to check
// what the pages did.
func newOIDCEnv(t *testing.T) (*env, *openid.Store) {
	t.Helper()
	ctx := context.Background()
	log := testkit.Quiet
	db := storetest.Open(t, store.Own(), identity.Migrations(), openid.Migrations())
	ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	keys, err := secret.New(bytes.Repeat([]byte{3}, secret.Size))
	if err != nil {
		t.Fatal(err)
	}
	st := openid.NewStore(db, ids, keys, log)
	if err := st.MaintainKeys(ctx); err != nil {
		t.Fatal(err)
	}
	// The issuer is not the test server's address: these pages never
	// compare them, and the token endpoint does not either.
	p, err := openid.NewProvider(st, "http://localhost", 1000, log)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://localhost")
	srv, err := New(Options{PublicURL: u, LoginPerAccount: 3, LoginPerAddress: 20, LoginWindow: 15 * time.Minute, Version: "test", OIDC: p},
		ids, db, cat, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, url: ts.URL, ids: ids, db: db, srv: srv}
	e.account("root", true)
	e.account("alice", false)
	if _, err := ids.CreateService(ctx, identity.Service{Name: "cloud", ProfileQuota: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := ids.CreateGroup(ctx, "staff", "The staff"); err != nil {
		t.Fatal(err)
	}
	return e, st
}

func (e *env) clientAdmin() *browser {
	e.t.Helper()
	b := e.browser()
	expect(e.t, b.login("root", "correct horse battery"), 200)
	return b
}

// clientValues is a valid confidential client's form, changed by edits.
func clientValues(id string, edits ...func(url.Values)) url.Values {
	v := url.Values{
		"client_id": {id}, "service": {"cloud"}, "redirect_uris": {"https://notes.example.org/cb\r\nhttp://localhost:8080/cb"},
		"post_logout_uris": {"https://notes.example.org/bye"}, "grant_types": {"authorization_code", "refresh_token"},
		"scopes": {"notes.read, notes.write"}, "signing_alg": {"ES256"}, "access_token_type": {""},
	}
	for _, e := range edits {
		e(v)
	}
	return v
}

var clientSecretRE = regexp.MustCompile(`id="client_secret" value="([^"]+)"`)

// shownSecret returns the secret a page shows once.
func shownSecret(t *testing.T, r resp) string {
	t.Helper()
	m := clientSecretRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("page with a secret has Cache-Control %q", cc)
	}
	return m[1]
}

// clientToken asks the token endpoint for a client_credentials grant and
// returns its status: 200 proves the stored secret is the one shown.
func clientToken(t *testing.T, e *env, id, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestAdminCreateClient(t *testing.T) {
	e, st := newOIDCEnv(t)
	ctx := context.Background()
	b := e.clientAdmin()
	expect(t, b.get("/admin/clients"), 200, "No client yet.", `name="client_id"`, `<option value="cloud">cloud</option>`, `value="staff"`)

	r := b.post("/admin/clients", clientValues("notes", func(v url.Values) {
		v.Set("groups", "staff")
		v.Set("first_party", "1")
	}))
	expect(t, r, 201, "The client is created.", "will not be shown again", "Client notes")
	sec := shownSecret(t, r)

	c, err := st.Client(ctx, "notes")
	if err != nil {
		t.Fatal(err)
	}
	if c.Public || c.Service != "cloud" || c.SigningAlg != "ES256" || c.AccessTokenType != "opaque" || !c.FirstParty ||
		!slices.Equal(c.RedirectURIs, []string{"https://notes.example.org/cb", "http://localhost:8080/cb"}) ||
		!slices.Equal(c.PostLogoutURIs, []string{"https://notes.example.org/bye"}) ||
		!slices.Equal(c.ExtraScopes, []string{"notes.read", "notes.write"}) || !slices.Equal(c.Groups, []string{"staff"}) {
		t.Fatalf("stored client: %+v", c)
	}
	for _, path := range []string{"/admin/clients", "/admin/clients/notes"} {
		r := b.get(path)
		expect(t, r, 200, "notes")
		if strings.Contains(r.body, sec) {
			t.Fatalf("%s shows the secret again", path)
		}
	}
	expect(t, b.get("/admin/clients"), 200, `href="/admin/clients/notes"`, "confidential", "ES256", "staff")

	// The client's own service, as the CLI's default, for a machine client;
	// its secret is the one the token endpoint accepts.
	r = b.post("/admin/clients", url.Values{"client_id": {"robot"}, "service": {""}, "grant_types": {"client_credentials"}, "signing_alg": {"RS256"}})
	expect(t, r, 201, "The client is created.")
	robot := shownSecret(t, r)
	if _, err := e.ids.Service(ctx, "robot"); err != nil {
		t.Fatalf("own service not created: %v", err)
	}
	if c, _ := st.Client(ctx, "robot"); c.Service != "robot" || !c.Machine() || c.AccessTokenType != "jwt" {
		t.Fatalf("machine client: %+v", c)
	}
	if got := clientToken(t, e, "robot", robot); got != 200 {
		t.Fatalf("token with the shown secret: %d", got)
	}

	r = b.post("/admin/clients", url.Values{"client_id": {"spa"}, "service": {"cloud"}, "public": {"1"}, "redirect_uris": {"https://spa.example.org/cb"}})
	expect(t, r, 201, "no secret", "PKCE")
	if clientSecretRE.MatchString(r.body) {
		t.Fatal("a public client was shown a secret")
	}
	if c, _ := st.Client(ctx, "spa"); !c.Public || !c.RequirePKCE {
		t.Fatalf("public client: %+v", c)
	}
}

func TestAdminCreateClientRefused(t *testing.T) {
	e, st := newOIDCEnv(t)
	b := e.clientAdmin()
	if _, _, err := st.CreateClient(context.Background(), openid.Client{ID: "notes", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		says   []string
	}{
		{"taken id", clientValues("notes", func(v url.Values) { v.Set("redirect_uris", "https://typed.example.org/cb") }),
			409, []string{"A client with this ID exists already.", "https://typed.example.org/cb", `value="notes.read, notes.write"`}},
		{"taken id, own service", clientValues("notes", func(v url.Values) { v.Set("service", "") }),
			409, []string{"A client with this ID exists already."}},
		{"fragment", clientValues("frag", func(v url.Values) { v.Set("redirect_uris", "https://frag.example.org/cb#top") }),
			422, []string{"without #fragment", "Value refused: https://frag.example.org/cb#top", `value="frag"`}},
		{"custom scheme, confidential", clientValues("native", func(v url.Values) { v.Set("redirect_uris", "org.example.app:/cb") }),
			422, []string{"only a public client may use a custom scheme", "Value refused: org.example.app:/cb"}},
		{"no redirect URI", clientValues("bare", func(v url.Values) { v.Del("redirect_uris") }),
			422, []string{"needs at least one"}},
		{"bad id", clientValues("Not valid!"), 422, []string{"Client IDs use 2 to 64"}},
		{"public machine", clientValues("pm", func(v url.Values) { v.Set("public", "1"); v.Set("grant_types", "client_credentials") }),
			422, []string{"a public client cannot use client_credentials"}},
		{"bad scope", clientValues("sc", func(v url.Values) { v.Set("scopes", `a"b`) }), 422, []string{"Scopes are single words"}},
		{"bad back-channel", clientValues("bc", func(v url.Values) { v.Set("backchannel_logout_uri", "ftp://x.example.org/") }),
			422, []string{"back-channel logout URI must be"}},
		{"unknown group", clientValues("ug", func(v url.Values) { v.Set("groups", "ghosts") }), 422, []string{"Choose groups from the list.", "Value refused: ghosts"}},
		{"unknown service", clientValues("us", func(v url.Values) { v.Set("service", "nowhere") }), 422, []string{"Choose a service from the list.", "Value refused: nowhere"}},
		{"own service, refused", clientValues("orphan", func(v url.Values) { v.Set("service", ""); v.Set("redirect_uris", "https://x.example.org/#f") }),
			422, []string{"without #fragment"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post("/admin/clients", tc.form)
			expect(t, r, tc.status, tc.says...)
			if clientSecretRE.MatchString(r.body) {
				t.Fatal("a refused form showed a secret")
			}
		})
	}
	list, err := st.Clients(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("refused forms created clients: %+v %v", list, err)
	}
	// A refused client leaves no service of its own behind.
	if _, err := e.ids.Service(context.Background(), "orphan"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("service of a refused client: %v", err)
	}
}

func TestAdminEditClient(t *testing.T) {
	e, st := newOIDCEnv(t)
	ctx := context.Background()
	b := e.clientAdmin()
	expect(t, b.post("/admin/clients", clientValues("notes", func(v url.Values) { v.Set("groups", "staff") })), 201)
	expect(t, b.get("/admin/clients/notes"), 200, "https://notes.example.org/bye", `<option value="ES256" selected>`, `value="staff" selected`)

	r := b.post("/admin/clients/notes", url.Values{"service": {"cloud"}, "redirect_uris": {"https://new.example.org/cb"},
		"grant_types": {"authorization_code"}, "signing_alg": {"EdDSA"}, "access_token_type": {"jwt"}, "require_pkce": {"1"}, "first_party": {"1"},
		"backchannel_logout_uri": {"https://new.example.org/logout"}})
	expect(t, r, 200, "The client is saved.")
	if !strings.HasSuffix(r.url, "/admin/clients/notes?ok=client_saved") {
		t.Fatalf("landed on %s", r.url)
	}
	c, err := st.Client(ctx, "notes")
	if err != nil {
		t.Fatal(err)
	}
	if c.SigningAlg != "EdDSA" || c.AccessTokenType != "jwt" || !c.RequirePKCE || !c.FirstParty || len(c.Groups) != 0 || len(c.PostLogoutURIs) != 0 ||
		len(c.ExtraScopes) != 0 || c.BackchannelLogoutURI != "https://new.example.org/logout" ||
		!slices.Equal(c.RedirectURIs, []string{"https://new.example.org/cb"}) || !slices.Equal(c.GrantTypes, []string{"authorization_code"}) {
		t.Fatalf("edited client: %+v", c)
	}

	// A refused edit keeps what was typed and changes nothing.
	r = b.post("/admin/clients/notes", url.Values{"service": {"cloud"}, "redirect_uris": {"https://typed.example.org/cb#no"}, "signing_alg": {"RS256"}})
	expect(t, r, 422, "without #fragment", "https://typed.example.org/cb#no")
	if after, _ := st.Client(ctx, "notes"); after.SigningAlg != "EdDSA" {
		t.Fatalf("refused edit changed the client: %+v", after)
	}
	// The id in the form is ignored: a client cannot be renamed or made public.
	expect(t, b.post("/admin/clients/notes", url.Values{"client_id": {"other"}, "public": {"1"}, "service": {"cloud"},
		"redirect_uris": {"https://new.example.org/cb"}, "signing_alg": {"RS256"}}), 200, "The client is saved.")
	if c, err := st.Client(ctx, "notes"); err != nil || c.Public {
		t.Fatalf("client after an edit naming another id: %+v %v", c, err)
	}
}

func TestAdminRotateAndDeleteClient(t *testing.T) {
	e, st := newOIDCEnv(t)
	ctx := context.Background()
	b := e.clientAdmin()
	r := b.post("/admin/clients", url.Values{"client_id": {"robot"}, "service": {"cloud"}, "grant_types": {"client_credentials"}})
	expect(t, r, 201)
	old := shownSecret(t, r)

	r = b.post("/admin/clients/robot/rotate-secret", nil)
	expect(t, r, 200, "A new secret is generated", "will not be shown again")
	fresh := shownSecret(t, r)
	if fresh == old {
		t.Fatal("rotation kept the secret")
	}
	if got := clientToken(t, e, "robot", old); got == 200 {
		t.Fatal("the old secret still works")
	}
	if got := clientToken(t, e, "robot", fresh); got != 200 {
		t.Fatalf("the new secret: %d", got)
	}

	if _, _, err := st.CreateClient(ctx, openid.Client{ID: "spa", Service: "cloud", Public: true, RedirectURIs: []string{"https://spa.example.org/cb"}}); err != nil {
		t.Fatal(err)
	}
	expect(t, b.post("/admin/clients/spa/rotate-secret", nil), 409, "no secret to replace")

	r = b.post("/admin/clients/robot/delete", nil)
	expect(t, r, 200, "The client is deleted")
	if !strings.HasSuffix(r.url, "/admin/clients?ok=client_deleted") {
		t.Fatalf("landed on %s", r.url)
	}
	if _, err := st.Client(ctx, "robot"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted client: %v", err)
	}
	if got := clientToken(t, e, "robot", fresh); got == 200 {
		t.Fatal("a deleted client still gets tokens")
	}
}

func TestAdminClientsAccess(t *testing.T) {
	e, st := newOIDCEnv(t)
	if _, _, err := st.CreateClient(context.Background(), openid.Client{ID: "notes", Service: "cloud", RedirectURIs: []string{"https://notes.example.org/cb"}}); err != nil {
		t.Fatal(err)
	}
	admin, member := e.clientAdmin(), e.browser()
	expect(t, member.login("alice", "correct horse battery"), 200)
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/admin/clients", nil},
		{"POST", "/admin/clients", clientValues("mine")},
		{"GET", "/admin/clients/notes", nil},
		{"POST", "/admin/clients/notes", clientValues("notes")},
		{"POST", "/admin/clients/notes/rotate-secret", nil},
		{"POST", "/admin/clients/notes/delete", nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			call := func(b *browser, path string) resp {
				if tc.method == "GET" {
					return b.get(path)
				}
				return b.post(path, tc.form)
			}
			expect(t, call(member, tc.path), 403, "This page is for administrators.")
			// Only the ids differ: /admin/clients itself has none.
			if ghost := strings.Replace(tc.path, "/notes", "/ghost", 1); ghost != tc.path {
				expect(t, call(admin, ghost), 404, "This client does not exist")
			}
		})
	}
	if list, _ := st.Clients(context.Background()); len(list) != 1 {
		t.Fatalf("a member changed the clients: %+v", list)
	}
	// Signed out, a form post is refused rather than sent to the login.
	expect(t, e.browser().post("/admin/clients", clientValues("anon")), 401)
}

func TestAdminClientsFrench(t *testing.T) {
	e, _ := newOIDCEnv(t)
	if _, err := e.ids.CreateAccount(context.Background(), identity.NewAccount{Username: "anne", Email: "anne@example.org",
		Password: "correct horse battery", Admin: true, Locale: "fr"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	expect(t, b.login("anne", "correct horse battery"), 200)
	expect(t, b.get("/admin/clients"), 200, `lang="fr"`, "Nouveau client", "Identifiant du client")
	r := b.post("/admin/clients", clientValues("notes"))
	expect(t, r, 201, "Le client est créé.", "ne sera plus affiché")
	expect(t, b.post("/admin/clients", clientValues("notes")), 409, "existe déjà")
}
