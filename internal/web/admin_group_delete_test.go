package web

import (
	"strings"
	"testing"
)

// TestAdminGroupCannotBeDeleted: the page says why, not what a group name
// looks like.
func TestAdminGroupCannotBeDeleted(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("root", true)
	b := e.browser()
	expect(t, b.login("root", "correct horse battery"), 200)
	r := b.post("/admin/groups/admin/delete", nil)
	expect(t, r, 422, "The admin group cannot be deleted: its members administer Pelote.")
	if strings.Contains(r.body, "Group names use") {
		t.Fatal("the page talks about group names")
	}
	expect(t, b.get("/admin/groups/admin"), 200, "The admin group cannot be deleted")
}
