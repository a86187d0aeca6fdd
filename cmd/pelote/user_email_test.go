package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestUserShowSaysEmailConfirmed: `user show` says whether the address is
// confirmed, in text and JSON.
func TestUserShowSaysEmailConfirmed(t *testing.T) {
	p := newPelote(t)
	p.ok("correct horse battery\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	if out := p.ok("", "user", "show", "alice"); !strings.Contains(out, "email confirmed  yes, entered by an administrator") {
		t.Fatalf("user show: %q", out)
	}
	p.sql(`UPDATE accounts SET email_confirmed_by = '', email_confirmed_at = 0`)
	if out := p.ok("", "user", "show", "alice"); !strings.Contains(out, "email confirmed  no") {
		t.Fatalf("user show of an unconfirmed address: %q", out)
	}
	p.ok("correct horse battery\n", "user", "add", "bob", "--email", "bob@example.org", "--password-stdin")
	p.fails(exitFail, "used by another account", "", "user", "email", "alice", "BOB@example.org")
	p.fails(exitUsage, "takes a username and an address", "", "user", "email", "alice")
	if out := p.ok("", "user", "email", "alice", "alice@example.net"); !strings.Contains(out, "confirmed by an administrator") {
		t.Fatalf("user email: %q", out)
	}
	if out := p.ok("", "user", "show", "alice"); !strings.Contains(out, "alice@example.net") || !strings.Contains(out, "email confirmed  yes, entered by an administrator") {
		t.Fatalf("user show after user email: %q", out)
	}
	p.sql(`UPDATE accounts SET email_confirmed_by = '', email_confirmed_at = 0`)
	var a map[string]any
	if err := json.Unmarshal([]byte(p.ok("", "user", "show", "alice", "--json")), &a); err != nil || a["email_confirmed_by"] != "" {
		t.Fatalf("user show --json: %v %v", a, err)
	}
}
