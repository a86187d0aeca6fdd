package web

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"pelote/internal/store"
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

// TestCredentialChangesNeedPassword: a session alone (a browser left
// open, a stolen cookie) cannot move the account's mail, set its second
// factor or make it a new app password; wrong passwords there count as
// failed logins.
func TestCredentialChangesNeedPassword(t *testing.T) {
	mail := &letters{}
	e := newEnv(t, "http://localhost", func(_ *store.DB, o *Options) { o.Mailer = mail })
	e.account("alice", false)
	b := e.browser()
	expect(t, b.login("alice", "correct horse battery"), 200)

	for _, pw := range []string{"", "wrong password!"} {
		expect(t, b.post("/account/details", url.Values{"email": {"mallory@example.net"}, "display_name": {""}, "locale": {"en"},
			"current_password": {pw}}), 422, "The current password is wrong")
	}
	if mail.count() != 0 {
		t.Fatalf("mail sent without the password: %v", mail.sent)
	}
	expect(t, b.post("/account/totp/begin", url.Values{"password": {""}}), 422, "The current password is wrong")
	// Three failures (the test limit): even the right password waits now,
	// and so does a login.
	expect(t, b.post("/account/app-passwords", url.Values{"name": {"mallory"}, "password": {"correct horse battery"}}), 429, "Too many failed attempts")
	expect(t, e.browser().login("alice", "correct horse battery"), 429)
	a, _ := e.ids.Account(t.Context(), "alice")
	if a.Email != "alice@example.org" {
		t.Fatalf("address changed: %s", a.Email)
	}
	if st, _ := e.ids.TOTPStatus(t.Context(), a.ID); st.Enabled {
		t.Fatal("second factor set")
	}
	if list, _ := e.ids.AppPasswords(t.Context(), a.ID); len(list) != 0 {
		t.Fatalf("app passwords made: %v", list)
	}

	// With the password, each works; the name and language never needed it.
	e2 := newEnv(t, "http://localhost", func(_ *store.DB, o *Options) { o.Mailer = mail })
	e2.account("alice", false)
	b = e2.browser()
	expect(t, b.login("alice", "correct horse battery"), 200)
	expect(t, b.post("/account/details", url.Values{"email": {"alice@example.org"}, "display_name": {"Alice"}, "locale": {"en"}}), 200, "Your details are saved")
	expect(t, b.post("/account/totp/begin", url.Values{"password": {"correct horse battery"}}), 200, "Set up your authenticator app")
	expect(t, b.post("/account/app-passwords", url.Values{"name": {"phone"}, "password": {"correct horse battery"}}), 200, "The app password is created")
	expect(t, b.post("/account/details", url.Values{"email": {"alice@example.net"}, "display_name": {"Alice"}, "locale": {"en"},
		"current_password": {"correct horse battery"}}), 200, "A link to confirm your new address was sent")
}

// TestEmailChangeDoesNotTell: asking for an address another account has
// looks exactly like asking for a free one; the owner is told instead.
func TestEmailChangeDoesNotTell(t *testing.T) {
	mail := &letters{}
	e := newEnv(t, "http://localhost", func(_ *store.DB, o *Options) { o.Mailer = mail })
	e.account("alice", false)
	e.account("bob", false)
	b := e.browser()
	expect(t, b.login("alice", "correct horse battery"), 200)
	change := func(to string) resp {
		return b.post("/account/details", url.Values{"email": {to}, "display_name": {""}, "locale": {"en"}, "current_password": {"correct horse battery"}})
	}
	taken, free := change("BOB@example.org"), change("alice@example.net")
	if taken.status != free.status || taken.url != free.url || strings.ReplaceAll(taken.body, "BOB@example.org", "") != strings.ReplaceAll(free.body, "alice@example.net", "") {
		t.Fatalf("the answers differ:\n%d %s\n%s\n---\n%d %s\n%s", taken.status, taken.url, taken.body, free.status, free.url, free.body)
	}
	expect(t, free, 200, "A link to confirm your new address was sent")
	var toBob, toNew, toOld int
	for _, m := range mail.sent {
		switch {
		case strings.HasPrefix(m, "bob@example.org\nSomeone tried to move another account to your address"):
			toBob++
		case strings.HasPrefix(m, "alice@example.net\n") && strings.Contains(m, "/account/email/"):
			toNew++
		case strings.HasPrefix(m, "alice@example.org\nYour e-mail address is being changed"):
			toOld++
		default:
			t.Errorf("unexpected mail:\n%s", m)
		}
	}
	if toBob != 1 || toNew != 1 || toOld != 2 {
		t.Fatalf("mails: %d to bob, %d with the link, %d notices to the old address", toBob, toNew, toOld)
	}

	// Without mail the change is at once, so a taken address must be
	// refused: the refusal counts as a failed password check.
	e2 := newEnv(t, "http://localhost")
	e2.account("alice", false)
	e2.account("bob", false)
	b = e2.browser()
	expect(t, b.login("alice", "correct horse battery"), 200)
	for range 3 {
		expect(t, b.post("/account/details", url.Values{"email": {"bob@example.org"}, "display_name": {""}, "locale": {"en"},
			"current_password": {"correct horse battery"}}), 409, "This e-mail address is used by another account")
	}
	expect(t, b.post("/account/details", url.Values{"email": {"carol@example.org"}, "display_name": {""}, "locale": {"en"},
		"current_password": {"correct horse battery"}}), 429, "Too many failed attempts")
}

// TestEmailChangeMailBudget: address changes mail under the per-account
// budget of the public forms, and say so past it.
func TestEmailChangeMailBudget(t *testing.T) {
	mail := &letters{}
	e := newEnv(t, "http://localhost", func(_ *store.DB, o *Options) { o.Mailer = mail })
	e.account("alice", false)
	b := e.browser()
	expect(t, b.login("alice", "correct horse battery"), 200)
	for i := range mailsPerAccountHour {
		expect(t, b.post("/account/details", url.Values{"email": {fmt.Sprintf("alice%d@example.net", i)}, "display_name": {""}, "locale": {"en"},
			"current_password": {"correct horse battery"}}), 200, "A link to confirm your new address was sent")
	}
	sent := mail.count()
	expect(t, b.post("/account/details", url.Values{"email": {"alice9@example.net"}, "display_name": {""}, "locale": {"en"},
		"current_password": {"correct horse battery"}}), 429, "Too many messages were sent for your account this hour")
	expect(t, b.post("/account/email/confirm", url.Values{}), 429, "Too many messages were sent for your account this hour")
	if mail.count() != sent {
		t.Fatalf("%d mails past the budget", mail.count()-sent)
	}
}

// TestConfirmCurrentAddress: an unconfirmed address can be confirmed by a
// link mailed to it.
func TestConfirmCurrentAddress(t *testing.T) {
	mail := &letters{}
	e := newEnv(t, "http://localhost", func(_ *store.DB, o *Options) { o.Mailer = mail })
	e.account("alice", false)
	b := e.browser()
	if r := b.login("alice", "correct horse battery"); strings.Contains(r.body, `action="/account/email/confirm"`) {
		t.Fatal("a confirmed address is offered a confirmation")
	}
	e.db.Exec(t.Context(), `UPDATE accounts SET email_confirmed_by = '', email_confirmed_at = 0`)
	expect(t, b.get("/account"), 200, `action="/account/email/confirm"`, "Not confirmed")
	expect(t, b.post("/account/email/confirm", url.Values{}), 200, "A link to confirm your address was sent to it")
	link := regexp.MustCompile(`/account/email/[A-Za-z0-9_-]+`).FindString(mail.sent[0])
	if !strings.HasPrefix(mail.sent[0], "alice@example.org\n") || link == "" {
		t.Fatalf("mail: %q", mail.sent)
	}
	expect(t, e.browser().get(link), 200)
	expect(t, b.get("/account"), 200, "Confirmed on")
}

// TestAdminSetsEmail: an address an administrator enters is confirmed.
func TestAdminSetsEmail(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("root", true)
	e.account("alice", false)
	e.account("bob", false)
	b := e.browser()
	expect(t, b.login("root", "correct horse battery"), 200)
	expect(t, b.post("/admin/accounts/alice/email", url.Values{"email": {"BOB@example.org"}}), 409, "This e-mail address is used by another account")
	expect(t, b.post("/admin/accounts/alice/email", url.Values{"email": {"alice@example.net"}}), 200, "The address is saved, as confirmed", "alice@example.net", "Entered by an administrator on")
}
