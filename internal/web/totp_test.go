package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

var (
	secretShown   = regexp.MustCompile(`<code class="secret">([A-Z2-7]+)</code>`)
	recoveryShown = regexp.MustCompile(`<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>`)
	challengeForm = regexp.MustCompile(`name="challenge" value="([^"]+)"`)
)

// enrolTOTP walks the enrolment pages as a person would and returns the
// seed and the recovery codes.
func enrolTOTP(t *testing.T, b *browser) (string, []string) {
	t.Helper()
	expect(t, b.get("/account/totp"), 200, "Two-step verification is off.")
	r := b.post("/account/totp/begin", url.Values{"password": {"correct horse battery"}})
	expect(t, r, 200, `src="data:image/png;base64,`, "Scan this QR code")
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("enrolment page cacheable: %q", r.header.Get("Cache-Control"))
	}
	m := secretShown.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", r.body)
	}
	seed := m[1]
	// A mistyped code shows the same seed again and turns nothing on.
	r = b.post("/account/totp/confirm", url.Values{"code": {"000000"}})
	expect(t, r, 422, "does not match", seed)
	code, err := totp.GenerateCode(seed, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r = b.post("/account/totp/confirm", url.Values{"code": {code[:3] + " " + code[3:]}})
	expect(t, r, 200, "Two-step verification is on.", "Recovery codes")
	codes := recoveryShown.FindAllStringSubmatch(r.body, -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c[1]
	}
	if strings.Contains(b.get("/account/totp").body, out[0]) {
		t.Fatal("recovery codes shown a second time")
	}
	return seed, out
}

// secondStep answers the code form that follows a correct password.
func secondStep(t *testing.T, b *browser, user, code string) resp {
	t.Helper()
	r := b.login(user, "correct horse battery")
	expect(t, r, 200, "Two-step verification", `name="code"`)
	m := challengeForm.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no challenge in the code form:\n%s", r.body)
	}
	return b.post("/login/totp", url.Values{"challenge": {m[1]}, "code": {code}, "next": {"/account"}})
}

func TestTOTPPages(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("root", true)
	e.account("alice", false)
	b := e.browser()
	expect(t, b.login("alice", "correct horse battery"), 200, "Manage two-step verification")
	seed, codes := enrolTOTP(t, b)
	expect(t, b.get("/account"), 200, "Two-step verification is on.")
	b.post("/logout", nil)

	// The password alone no longer signs in; a wrong code fails, the next
	// step's code and a recovery code each work, a recovery code only once.
	other := e.browser()
	expect(t, secondStep(t, other, "alice", "123456"), 401, "not valid")
	expect(t, secondStep(t, other, "alice", "nonsense-code-that-is-far-too-long"), 401, "not valid")
	next, _ := totp.GenerateCode(seed, time.Now().Add(30*time.Second))
	expect(t, secondStep(t, other, "alice", next), 200, "Signed-in browsers")
	other.post("/logout", nil)
	expect(t, secondStep(t, other, "alice", next), 401, "not valid")
	expect(t, secondStep(t, other, "alice", strings.ToUpper(codes[0])), 200, "Signed-in browsers")
	other.post("/logout", nil)
	expect(t, secondStep(t, other, "alice", codes[0]), 401, "not valid")
	expect(t, secondStep(t, other, "alice", codes[1]), 200, "Signed-in browsers")
	expect(t, other.get("/account/totp"), 200, "Recovery codes left: 8.")

	// New recovery codes need the password and void the old ones.
	expect(t, other.post("/account/totp/recovery-codes", url.Values{"password": {"wrong password"}}), 422, "current password")
	r := other.post("/account/totp/recovery-codes", url.Values{"password": {"correct horse battery"}})
	expect(t, r, 200, "the old ones no longer work")
	if got := len(recoveryShown.FindAllString(r.body, -1)); got != 10 {
		t.Fatalf("%d new codes, want 10", got)
	}
	other.post("/logout", nil)
	expect(t, secondStep(t, other, "alice", codes[2]), 401, "not valid")

	// A group that requires it keeps it on; the administrator can reset it.
	admin := e.browser()
	expect(t, admin.login("root", "correct horse battery"), 200)
	expect(t, admin.post("/admin/groups", url.Values{"name": {"staff"}}), 200)
	expect(t, admin.post("/admin/groups/staff/members", url.Values{"username": {"alice"}}), 200)
	expect(t, admin.post("/admin/groups/staff/require-totp", url.Values{"require_totp": {"on"}}), 200, "The group is saved.", "checked")
	expect(t, b.login("alice", "correct horse battery"), 200, `name="challenge"`)
	expect(t, admin.get("/admin/accounts/alice"), 200, "On, 10 recovery codes left.")
	expect(t, admin.post("/admin/accounts/ghost/totp/reset", nil), 404)
	expect(t, admin.post("/admin/accounts/alice/totp/reset", nil), 200, "reset for this account", "Off.")
	expect(t, b.login("alice", "correct horse battery"), 200, "Signed-in browsers", "requires two-step verification")

	// Enrolled again, she cannot turn it off while the group requires it.
	enrolTOTP(t, b)
	expect(t, b.post("/account/totp/disable", url.Values{"password": {"correct horse battery"}}), 409, "cannot be turned off")
	expect(t, admin.post("/admin/groups/staff/require-totp", nil), 200, "The group is saved.")
	expect(t, b.post("/account/totp/disable", url.Values{"password": {"wrong password"}}), 422, "current password")
	expect(t, b.post("/account/totp/disable", url.Values{"password": {"correct horse battery"}}), 200, "Two-step verification is off.")
	expect(t, b.post("/account/totp/disable", url.Values{"password": {"correct horse battery"}}), 409, "is not on")
	expect(t, b.post("/account/totp/confirm", url.Values{"code": {"123456"}}), 409, "no set-up in progress")
	b.post("/logout", nil)
	expect(t, b.login("alice", "correct horse battery"), 200, "Signed-in browsers")
}

func TestTOTPPagesNeedSession(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("alice", false)
	b := e.browser()
	r := b.get("/account/totp")
	if !strings.Contains(r.url, "/login?next=%2Faccount%2Ftotp") {
		t.Fatalf("signed-out visit landed on %s", r.url)
	}
	expect(t, b.login("alice", "correct horse battery"), 200)
	expect(t, b.post("/admin/accounts/alice/totp/reset", nil), 403)
}

// When the admin group requires two-step verification, an administrator
// who has not enrolled administers nothing until they do; their account
// pages stay open so that they can.
func TestAdminPagesNeedRequiredTOTP(t *testing.T) {
	e := newEnv(t, "http://localhost")
	e.account("root", true)
	if err := e.ids.SetGroupRequireTOTP(context.Background(), "admin", true); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	expect(t, b.login("root", "correct horse battery"), 200)
	expect(t, b.get("/admin/accounts"), 403, "requires two-step verification")
	r := b.post("/admin/groups", url.Values{"name": {"staff"}})
	expect(t, r, 403, "requires two-step verification")
	if _, err := e.ids.Group(context.Background(), "staff"); err == nil {
		t.Fatal("a group was created by an administrator who has not enrolled")
	}
	enrolTOTP(t, b)
	expect(t, b.get("/admin/accounts"), 200, "root")
}
