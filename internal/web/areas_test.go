package web

import (
	"net/http"
	"strings"
	"testing"
)

// The menu comes from the areas mounted: an administrator sees the
// administrators' entries, a member does not, and an area that is not
// served (no machine access configured) shows no entry.
func TestMenuFromAreas(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("root", true)
	e.account("alice", false)
	admin := e.browser()
	expect(t, admin.login("root", "correct horse battery"), http.StatusOK)
	r := admin.get("/admin/groups")
	expect(t, r, http.StatusOK, `href="/admin/accounts"`, `href="/admin/groups" aria-current="page"`, `href="/admin/approvals"`, `href="/account"`)
	for _, absent := range []string{`href="/admin/hosts"`, `href="/admin/clients"`, `href="/account/apps"`} {
		if strings.Contains(r.body, absent) {
			t.Errorf("the menu links %s, whose area is not served", absent)
		}
	}
	member := e.browser()
	expect(t, member.login("alice", "correct horse battery"), http.StatusOK)
	if r := member.get("/account"); strings.Contains(r.body, `href="/admin/`) || !strings.Contains(r.body, `href="/account" aria-current="page"`) {
		t.Errorf("a member's menu: %s", r.body)
	}

	_, _, b := hostEnv(t)
	expect(t, b.get("/admin/accounts"), http.StatusOK, `href="/admin/hosts"`)
}
