package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"pelote/internal/store"
)

// TestForwardAuthTOTPRequired: forward-auth refuses, as OpenID sign-in
// does, a member whom a group requires to use two-step verification and
// who has not turned it on, and lets the member in once enrolled.
func TestForwardAuthTOTPRequired(t *testing.T) {
	e := newEnv(t, "http://id.example.org", func(_ *store.DB, o *Options) {
		o.Forward = &ForwardAuth{CookieDomain: "example.org", Rules: map[string][]string{"wiki.example.org": {"staff"}, "pad.example.org": nil}}
	})
	ctx := context.Background()
	e.account("alice", false)
	if _, err := e.ids.CreateGroup(ctx, "staff", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.ids.AddMember(ctx, "staff", "alice"); err != nil {
		t.Fatal(err)
	}
	alice, err := e.ids.Account(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, ss, err := e.ids.CreateSession(ctx, alice.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	ask := func(host string, nginx bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.url+"/auth/forward", nil)
		if nginx {
			req.Header.Set("X-Original-URL", "https://"+host+"/page")
		} else {
			req.Header.Set("X-Forwarded-Host", host)
		}
		req.AddCookie(&http.Cookie{Name: e.srv.forwardCookie(), Value: e.srv.forwardValue(ss.ID)})
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if status, _ := ask("wiki.example.org", true); status != http.StatusOK {
		t.Fatalf("before the group requires it: %d", status)
	}
	if err := e.ids.SetGroupRequireTOTP(ctx, "staff", true); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"wiki.example.org", "pad.example.org"} {
		for _, nginx := range []bool{true, false} {
			status, body := ask(host, nginx)
			if status != http.StatusForbidden || !strings.Contains(body, "http://id.example.org/account/totp") {
				t.Errorf("%s (nginx %v) without the second factor: %d %q", host, nginx, status, body)
			}
		}
	}

	enrol, err := e.ids.BeginTOTP(ctx, alice.ID, "test", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enrol.Secret, time.Now())
	if _, err := e.ids.ConfirmTOTP(ctx, alice.ID, code); err != nil {
		t.Fatal(err)
	}
	if status, _ := ask("wiki.example.org", true); status != http.StatusOK {
		t.Fatalf("once enrolled: %d", status)
	}
}
