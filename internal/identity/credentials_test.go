package identity_test

import (
	"errors"
	"testing"
	"time"

	"pelote/internal/identity"
)

// TestCredentialChangesNeedPassword: the domain asks for the current
// password before an address change, a second factor (first or new
// device) or a member's own app password; nothing happens without it.
func TestCredentialChangesNeedPassword(t *testing.T) {
	s, c, _ := newTOTPStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	const wrong = "not the password"

	if _, err := s.ChangeEmail(ctx, a.ID, wrong, "mallory@example.net", true); !errors.Is(err, identity.ErrBadCredentials) {
		t.Errorf("address change by mail: %v", err)
	}
	if _, err := s.ChangeEmail(ctx, a.ID, wrong, "mallory@example.net", false); !errors.Is(err, identity.ErrBadCredentials) {
		t.Errorf("address change without mail: %v", err)
	}
	if got, _ := s.Account(ctx, "alice"); got.Email != "alice@example.org" {
		t.Errorf("address is %s", got.Email)
	}
	if _, err := s.BeginTOTP(ctx, a.ID, "Pelote", wrong); !errors.Is(err, identity.ErrBadCredentials) {
		t.Errorf("first second factor: %v", err)
	}
	if _, err := s.PendingTOTP(ctx, a.ID, "Pelote"); !errors.Is(err, identity.ErrNoTOTP) {
		t.Errorf("an enrolment began: %v", err)
	}
	if _, _, err := s.AddOwnAppPassword(ctx, a.ID, wrong, "mallory"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Errorf("app password: %v", err)
	}
	if list, _ := s.AppPasswords(ctx, a.ID); len(list) != 0 {
		t.Errorf("app passwords: %v", list)
	}

	// Moving the second factor to a new device needs it too, and the
	// current seed keeps working meanwhile.
	key, _ := enrol(t, s, c, a.ID)
	if _, err := s.BeginTOTP(ctx, a.ID, "Pelote", wrong); !errors.Is(err, identity.ErrBadCredentials) {
		t.Errorf("new device: %v", err)
	}
	c.Add(31 * time.Second)
	if _, err := s.VerifySecondFactor(ctx, a.ID, codeAt(t, key, c.Now())); err != nil {
		t.Errorf("the current seed after a refused move: %v", err)
	}
	if _, _, err := s.AddOwnAppPassword(ctx, a.ID, totpPassword, "phone"); err != nil {
		t.Errorf("app password with the password: %v", err)
	}
}

// TestEmailChangeTellsNothing: with mail, a taken address answers as a
// free one, with the owner to tell; without mail it is refused.
func TestEmailChangeTellsNothing(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	bob := mustAccount(t, s, "bob", false)
	taken, err := s.ChangeEmail(ctx, a.ID, totpPassword, "Bob@Example.org", true)
	if err != nil || taken.Token != "" || taken.Owner == nil || taken.Owner.ID != bob.ID {
		t.Fatalf("taken address by mail: %+v %v", taken, err)
	}
	free, err := s.ChangeEmail(ctx, a.ID, totpPassword, "alice@example.net", true)
	if err != nil || free.Token == "" || free.Owner != nil {
		t.Fatalf("free address by mail: %+v %v", free, err)
	}
	if _, err := s.ChangeEmail(ctx, a.ID, totpPassword, "bob@example.org", false); !errors.Is(err, identity.ErrEmailTaken) {
		t.Fatalf("taken address without mail: %v", err)
	}
	if got, _ := s.Account(ctx, "alice"); got.Email != "alice@example.org" {
		t.Errorf("address is %s", got.Email)
	}
}
