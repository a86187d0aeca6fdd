package web

import (
	"net/url"
	"testing"

	"pelote/internal/identity"
)

// TestProfileNamesPage: the account page refuses a reserved profile name
// and another member's username, with a message that says so.
func TestProfileNamesPage(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("alice", false)
	e.account("bob", false)
	if _, err := e.ids.CreateService(t.Context(), identity.Service{Name: "cloud", ProfileQuota: 3}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	expect(t, b.login("alice", "correct horse battery"), 200)
	expect(t, b.post("/account/profiles", url.Values{"service": {"cloud"}, "name": {"admin"}}), 422, "This profile name is reserved")
	expect(t, b.post("/account/profiles", url.Values{"service": {"cloud"}, "name": {"bob"}}), 409)
	expect(t, b.post("/account/profiles", url.Values{"service": {"cloud"}, "name": {"alice"}}), 200)
}
