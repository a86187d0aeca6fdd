package web

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"pelote/internal/access"
	"pelote/internal/identity"
)

var tokenField = regexp.MustCompile(`id="host_token" value="(ph_[A-Za-z0-9]+)"`)

// hostEnv is a server with machine access, an administrator "root"
// signed in, members alice and bob, and groups staff (bob) and ops.
func hostEnv(t *testing.T) (*env, *access.Store, *browser) {
	t.Helper()
	e := newEnv(t, "http://localhost")
	st := withAccess(t, e)
	e.account("root", true)
	e.account("alice", false)
	e.account("bob", false)
	for _, g := range []string{"staff", "ops"} {
		if _, err := e.ids.CreateGroup(t.Context(), g, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.ids.AddMember(t.Context(), "staff", "bob"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	expect(t, b.login("root", "correct horse battery"), 200)
	return e, st, b
}

// addHost creates a host through the page and returns its token.
func addHost(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	r := b.post("/admin/hosts", form)
	expect(t, r, 201, "The host is added.", "it will not be shown again",
		"AuthorizedKeysCommand /usr/local/bin/pelote ssh-keys --server http://localhost --token-file /etc/pelote/host.token %u",
		"AuthorizedKeysCommandUser nobody")
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("the token's page is cached: Cache-Control %q", cc)
	}
	m := tokenField.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no token on the page:\n%s", r.body)
	}
	if strings.Contains(r.url, m[1]) {
		t.Fatalf("token in the URL %s", r.url)
	}
	return m[1]
}

func TestAdminHostCreate(t *testing.T) {
	_, st, b := hostEnv(t)
	token := addHost(t, b, url.Values{"name": {"Web1"}, "group": {"staff"}})

	host, keys, err := st.AuthorizedKeys(t.Context(), token, "bob")
	if err != nil || host != "web1" {
		t.Fatalf("AuthorizedKeys with the page's token: host %q, err %v", host, err)
	}
	if len(keys) != 0 {
		t.Fatalf("bob has no key yet, got %v", keys)
	}
	hosts, err := st.Hosts(t.Context())
	if err != nil || len(hosts) != 1 || !slices.Equal(hosts[0].Groups, []string{"staff"}) {
		t.Fatalf("hosts %+v, err %v", hosts, err)
	}

	// The list shows the host and its group, never the token again.
	r := b.get("/admin/hosts")
	expect(t, r, 200, "web1", `href="/admin/groups/staff"`, `action="/admin/hosts/web1/grant"`)
	if strings.Contains(r.body, token) || strings.Contains(r.body, "host_token") {
		t.Fatalf("the token is shown again:\n%s", r.body)
	}

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"duplicate", url.Values{"name": {"web1"}}, 409, "A host with this name exists already."},
		{"duplicate in other case", url.Values{"name": {" WEB1 "}}, 409, "exists already"},
		{"bad name", url.Values{"name": {"web 1"}}, 422, "Host names use 1 to 64"},
		{"empty name", url.Values{"name": {""}}, 422, "Host names use 1 to 64"},
		{"unknown group", url.Values{"name": {"db1"}, "group": {"ghosts"}}, 404, "No group is named ghosts."},
		{"bad group", url.Values{"name": {"db1"}, "group": {"Ops!"}}, 422, "Group names use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post("/admin/hosts", tc.form)
			expect(t, r, tc.status, tc.want)
			if tokenField.MatchString(r.body) {
				t.Fatalf("a refused host has a token:\n%s", r.body)
			}
		})
	}
	// A refused form adds nothing, not even half a host.
	if hosts, _ := st.Hosts(t.Context()); len(hosts) != 1 {
		t.Fatalf("hosts after refusals: %+v", hosts)
	}
}

func TestAdminHostGrants(t *testing.T) {
	_, st, b := hostEnv(t)
	addHost(t, b, url.Values{"name": {"web1"}, "group": {"staff"}})

	for _, tc := range []struct {
		name, path string
		form       url.Values
		status     int
		want       []string
	}{
		{"grant account", "/admin/hosts/web1/grant", url.Values{"who": {"Alice"}, "kind": {"account"}}, 200,
			[]string{"Access is granted.", `href="/admin/accounts/alice"`}},
		{"grant group", "/admin/hosts/web1/grant", url.Values{"who": {"ops"}, "kind": {"group"}}, 200,
			[]string{"Access is granted.", `href="/admin/groups/ops"`}},
		{"duplicate account grant", "/admin/hosts/web1/grant", url.Values{"who": {"alice"}, "kind": {"account"}}, 409,
			[]string{"may already reach this host"}},
		{"duplicate group grant", "/admin/hosts/web1/grant", url.Values{"who": {"staff"}, "kind": {"group"}}, 409,
			[]string{"may already reach this host"}},
		{"without kind, a group as the CLI", "/admin/hosts/web1/grant", url.Values{"who": {"staff"}}, 409,
			[]string{"may already reach this host"}},
		{"unknown account", "/admin/hosts/web1/grant", url.Values{"who": {"ghost"}, "kind": {"account"}}, 404,
			[]string{"No account is named ghost.", `value="ghost"`}},
		{"unknown group", "/admin/hosts/web1/grant", url.Values{"who": {"ghost"}, "kind": {"group"}}, 404,
			[]string{"No group is named ghost."}},
		{"unknown account or group", "/admin/hosts/web1/grant", url.Values{"who": {"ghost"}}, 404,
			[]string{"No account or group is named ghost."}},
		{"unknown host", "/admin/hosts/nowhere/grant", url.Values{"who": {"alice"}, "kind": {"account"}}, 404,
			[]string{"does not exist"}},
		{"bad kind", "/admin/hosts/web1/grant", url.Values{"who": {"alice"}, "kind": {"machine"}}, 422,
			[]string{"account or a group"}},
		{"empty name", "/admin/hosts/web1/grant", url.Values{"who": {""}, "kind": {"account"}}, 422,
			[]string{"Enter the name of an account or a group"}},
		{"revoke account", "/admin/hosts/web1/revoke", url.Values{"who": {"alice"}, "kind": {"account"}}, 200,
			[]string{"Access is revoked."}},
		{"revoke again", "/admin/hosts/web1/revoke", url.Values{"who": {"alice"}, "kind": {"account"}}, 404,
			[]string{"does not exist"}},
		{"revoke group", "/admin/hosts/web1/revoke", url.Values{"who": {"staff"}, "kind": {"group"}}, 200,
			[]string{"Access is revoked."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, b.post(tc.path, tc.form), tc.status, tc.want...)
		})
	}
	hosts, err := st.Hosts(t.Context())
	if err != nil || len(hosts) != 1 || len(hosts[0].Members) != 0 || !slices.Equal(hosts[0].Groups, []string{"ops"}) {
		t.Fatalf("after grants and revokes: %+v, %v", hosts, err)
	}
	r := b.get("/admin/hosts")
	expect(t, r, 200, `href="/admin/groups/ops"`, "Revoke access of ops to web1")
	if strings.Contains(r.body, `href="/admin/accounts/alice"`) || strings.Contains(r.body, `href="/admin/groups/staff"`) {
		t.Fatalf("revoked grants still listed:\n%s", r.body)
	}
}

func TestAdminHostDelete(t *testing.T) {
	_, st, b := hostEnv(t)
	token := addHost(t, b, url.Values{"name": {"web1"}, "group": {"staff"}})
	expect(t, b.post("/admin/hosts/web1/delete", nil), 200, "The host is deleted.", "No host yet.")
	if _, _, err := st.AuthorizedKeys(t.Context(), token, "bob"); !errors.Is(err, access.ErrBadToken) {
		t.Fatalf("token of a deleted host: %v", err)
	}
	expect(t, b.post("/admin/hosts/web1/delete", nil), 404, "does not exist")
	// The name is free again, with a new token.
	if again := addHost(t, b, url.Values{"name": {"web1"}}); again == token {
		t.Fatal("a new host got the old token")
	}
}

func TestAdminHostsForbidden(t *testing.T) {
	e, st, _ := hostEnv(t)
	b := e.browser()
	expect(t, b.login("alice", "correct horse battery"), 200)
	for _, r := range []resp{
		b.get("/admin/hosts"),
		b.post("/admin/hosts", url.Values{"name": {"mine"}}),
		b.post("/admin/hosts/mine/grant", url.Values{"who": {"alice"}, "kind": {"account"}}),
	} {
		expect(t, r, 403)
	}
	if hosts, _ := st.Hosts(t.Context()); len(hosts) != 0 {
		t.Fatalf("a member added hosts: %+v", hosts)
	}
}

func TestAdminHostsFrench(t *testing.T) {
	e, _, _ := hostEnv(t)
	if _, err := e.ids.CreateAccount(t.Context(), identity.NewAccount{Username: "claire", Email: "claire@example.org",
		Password: "correct horse battery", Locale: "fr", Admin: true}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	expect(t, b.login("claire", "correct horse battery"), 200)
	expect(t, b.get("/admin/hosts"), 200, `lang="fr"`, "Machines", "Aucune machine pour l&#39;instant.", "Nouvelle machine")
	expect(t, b.post("/admin/hosts", url.Values{"name": {"web1"}}), 201, "La machine est ajoutée.", "il ne sera plus affiché", "AuthorizedKeysCommandUser nobody")
	expect(t, b.post("/admin/hosts", url.Values{"name": {"web1"}}), 409, "Une machine porte déjà ce nom.")
	expect(t, b.post("/admin/hosts/web1/grant", url.Values{"who": {"alice"}, "kind": {"account"}}), 200, "L&#39;accès est donné.", "Retirer l&#39;accès de alice à web1")
}
