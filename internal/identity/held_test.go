package identity_test

import (
	"errors"
	"testing"
	"time"

	"pelote/internal/identity"
	"pelote/internal/store"
)

// TestSignUpHoldsTheName: a sign-up with another account's address makes
// no account but holds the username (and spends the invitation) as a
// real sign-up would, for as long; administrators are not held back.
func TestSignUpHoldsTheName(t *testing.T) {
	s, c := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "bob", false)
	n := func(name, email string) identity.NewAccount {
		return identity.NewAccount{Username: name, Email: email, Password: "correct horse battery"}
	}
	if _, _, err := s.SignUp(ctx, n("mallory", "BOB@example.org"), identity.SignUpOptions{}); !errors.Is(err, identity.ErrEmailTaken) {
		t.Fatalf("sign-up with bob's address: %v", err)
	}
	if _, _, err := s.SignUp(ctx, n("trudy", "trudy@example.net"), identity.SignUpOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mallory", "trudy"} {
		_, _, err := s.SignUp(ctx, n(name, "another@example.net"), identity.SignUpOptions{})
		if !errors.Is(err, store.ErrConflict) || errors.Is(err, identity.ErrEmailTaken) {
			t.Errorf("second sign-up as %s: %v, want the username taken", name, err)
		}
	}

	taken, err := s.CreateInvitation(ctx, nil, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	free, _ := s.CreateInvitation(ctx, nil, time.Hour, "")
	if _, _, err := s.SignUpWithInvitation(ctx, taken, n("eve", "bob@example.org")); !errors.Is(err, identity.ErrEmailTaken) {
		t.Fatalf("invitation with bob's address: %v", err)
	}
	if _, _, err := s.SignUpWithInvitation(ctx, free, n("oscar", "oscar@example.net")); err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{taken, free} {
		if err := s.CheckInvitation(ctx, token); !errors.Is(err, identity.ErrInvitationInvalid) {
			t.Errorf("invitation after use: %v", err)
		}
	}
	list, _ := s.Invitations(ctx)
	for _, i := range list {
		if !i.Used {
			t.Errorf("invitation %s not shown as used", i.ID)
		}
	}

	// Administrators create what they want; holds end as pending sign-ups do.
	if _, err := s.CreateAccount(ctx, n("mallory", "mallory@example.net")); err != nil {
		t.Errorf("administrator blocked by a hold: %v", err)
	}
	c.Add(identity.VerificationTTL + time.Minute)
	if _, err := s.PurgeSignUps(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SignUp(ctx, n("eve", "eve@example.net"), identity.SignUpOptions{}); err != nil {
		t.Errorf("a hold outlived its time: %v", err)
	}
}
