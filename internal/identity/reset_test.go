package identity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pelote/internal/identity"
)

func TestPasswordReset(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	mustAccount(t, s, "alice", false)
	for _, login := range []string{"nobody", "", "  "} {
		if _, _, found, err := s.RequestPasswordReset(ctx, login); found || err != nil {
			t.Fatalf("%q: found=%v err=%v", login, found, err)
		}
	}
	token, a, found, err := s.RequestPasswordReset(ctx, "ALICE@example.org")
	if err != nil || !found || a.Username != "alice" {
		t.Fatalf("by e-mail: %v %v %+v", found, err, a)
	}
	if _, err := s.ResetPassword(ctx, token, "short"); !errors.Is(err, identity.ErrInvalid) {
		t.Fatalf("short password: %v", err)
	}
	// An hour later the link is dead, used or not.
	c.Add(identity.ResetLinkTTL + time.Second)
	if err := s.CheckPasswordReset(ctx, token); !errors.Is(err, identity.ErrResetInvalid) {
		t.Fatalf("expired link: %v", err)
	}
	if _, err := s.ResetPassword(ctx, token, "a long new password"); !errors.Is(err, identity.ErrResetInvalid) {
		t.Fatalf("expired link used: %v", err)
	}
	// A fresh link works once, and kills the account's other links.
	first, _, _, _ := s.RequestPasswordReset(ctx, "alice")
	second, _, _, _ := s.RequestPasswordReset(ctx, "alice")
	if _, err := s.ResetPassword(ctx, second, "a long new password"); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPasswordReset(ctx, first); !errors.Is(err, identity.ErrResetInvalid) {
		t.Fatalf("other link after a reset: %v", err)
	}
	if _, err := s.Authenticate(ctx, "alice", "a long new password"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetState(ctx, "alice", identity.Disabled); err != nil {
		t.Fatal(err)
	}
	if _, _, found, _ := s.RequestPasswordReset(ctx, "alice"); found {
		t.Fatal("a disabled account got a reset link")
	}
}
