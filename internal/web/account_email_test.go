package web

import (
	"net/url"
	"testing"
)

// TestEmailStateShown: the member and the administrators see whether the
// address is confirmed, as applications are told.
func TestEmailStateShown(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("root", true)
	e.account("alice", false)
	alice := e.browser()
	expect(t, alice.login("alice", "correct horse battery"), 200, "Entered by an administrator on")
	expect(t, alice.post("/account/details", url.Values{"email": {"alice@elsewhere.example"}, "display_name": {""}, "locale": {"en"},
		"current_password": {"correct horse battery"}}), 200, "Not confirmed: applications are told it is not verified.")
	root := e.browser()
	expect(t, root.login("root", "correct horse battery"), 200)
	expect(t, root.get("/admin/accounts/alice"), 200, "Address confirmation", "Not confirmed")
	expect(t, root.get("/admin/accounts/root"), 200, "Entered by an administrator on")
}
