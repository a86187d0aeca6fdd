package web

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var appPasswordShown = regexp.MustCompile(`<code class="secret">([a-z2-9]{5}(?:-[a-z2-9]{5}){3})</code>`)

func TestAppPasswordPages(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("alice", false)
	b := e.browser()
	expect(t, b.login("alice", "correct horse battery"), 200, "App passwords")
	r := b.post("/account/app-passwords", url.Values{"name": {"Thunderbird"}, "password": {"correct horse battery"}})
	expect(t, r, 200, "will not be shown again", "Thunderbird")
	m := appPasswordShown.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no app password on the page:\n%s", r.body)
	}
	ctx := context.Background()
	if _, err := e.ids.AuthenticateAppPassword(ctx, "alice", m[1]); err != nil {
		t.Fatalf("the shown app password does not work: %v", err)
	}
	// App passwords are for LDAP (and later mail); never for the web login.
	expect(t, e.browser().login("alice", m[1]), 401, "Wrong username or password.")
	if page := b.get("/account").body; strings.Contains(page, m[1]) {
		t.Fatal("the app password is shown a second time")
	}
	expect(t, b.post("/account/app-passwords", url.Values{"name": {"Thunderbird"}, "password": {"correct horse battery"}}), 409, "already have an app password with this name")
	expect(t, b.post("/account/app-passwords", url.Values{"name": {"   "}, "password": {"correct horse battery"}}), 422, "1 to 64 characters")
	expect(t, b.post("/account/app-passwords", url.Values{"name": {strings.Repeat("x", 65)}, "password": {"correct horse battery"}}), 422, "1 to 64 characters")
	list, err := e.ids.AppPasswords(ctx, 1)
	if err != nil || len(list) != 1 {
		t.Fatalf("app passwords: %+v %v", list, err)
	}
	expect(t, b.post("/account/app-passwords/999/revoke", nil), 404)
	expect(t, b.post("/account/app-passwords/x/revoke", nil), 422)
	expect(t, b.post("/account/app-passwords/"+strconv.FormatInt(list[0].ID, 10)+"/revoke", nil), 200, "no longer works")
	if _, err := e.ids.AuthenticateAppPassword(ctx, "alice", m[1]); err == nil {
		t.Fatal("a revoked app password still works")
	}
	// Another member cannot revoke alice's.
	e.account("bob", false)
	_, _, _ = e.ids.CreateAppPassword(ctx, 1, "phone")
	list, _ = e.ids.AppPasswords(ctx, 1)
	other := e.browser()
	expect(t, other.login("bob", "correct horse battery"), 200)
	expect(t, other.post("/account/app-passwords/"+strconv.FormatInt(list[0].ID, 10)+"/revoke", nil), 404)
}
