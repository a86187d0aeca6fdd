package identity_test

import (
	"errors"
	"testing"
	"time"

	"pelote/internal/identity"
	"pelote/internal/store"
)

// TestProfileNamesCannotImpersonate: applications key accounts on
// preferred_username, the profile's name. No member may take the name of
// another member, nor a reserved one; a newcomer may not take the name of
// another member's profile; one's own username is one's own.
func TestProfileNamesCannotImpersonate(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "alice", false)
	mustAccount(t, s, "bob", false)
	if _, err := s.CreateService(ctx, identity.Service{Name: "cloud", ProfileQuota: 5}); err != nil {
		t.Fatal(err)
	}
	member, admin := identity.ByAdmin(false), identity.ByAdmin(true)
	for _, tc := range []struct {
		name string
		by   identity.ByAdmin
		want error
	}{
		{"bob", member, store.ErrConflict},
		{"BOB", member, store.ErrConflict},
		{"bob", admin, store.ErrConflict},
		{"admin", member, identity.ErrInvalid},
		{"postmaster", member, identity.ErrInvalid},
		{"alice", member, nil},
		{"carol", member, nil},
		{"root", admin, nil},
	} {
		if _, err := s.AddProfile(ctx, "alice", "cloud", tc.name, tc.by); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("profile %q (admin %v): %v, want %v", tc.name, tc.by, err, tc.want)
		}
	}
	// "carol" is now alice's profile: nobody may become carol.
	carol := identity.NewAccount{Username: "carol", Email: "carol@example.org", Password: "correct horse battery"}
	if _, err := s.CreateAccount(ctx, carol); !errors.Is(err, store.ErrConflict) {
		t.Errorf("account named as a profile: %v", err)
	}
	if _, _, err := s.SignUp(ctx, carol, identity.SignUpOptions{}); !errors.Is(err, store.ErrConflict) || errors.Is(err, identity.ErrEmailTaken) {
		t.Errorf("sign-up named as a profile: %v", err)
	}
	token, err := s.CreateInvitation(ctx, nil, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SignUpWithInvitation(ctx, token, carol); !errors.Is(err, store.ErrConflict) {
		t.Errorf("invitation named as a profile: %v", err)
	}
	rep, err := s.Import(ctx, []identity.ImportAccount{{Line: 3, Username: "carol", Email: "carol@example.org"}}, nil, identity.ImportOptions{DryRun: true})
	if !errors.Is(err, identity.ErrImportRefused) || len(rep.Problems) != 1 || rep.Problems[0].Line != 3 {
		t.Errorf("import named as a profile: %v %+v", err, rep)
	}
	if n, _ := s.CountAccounts(ctx); n != 2 {
		t.Errorf("%d accounts, want 2", n)
	}
}
