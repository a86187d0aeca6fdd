package identity_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"pelote/internal/identity"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// testkit.FastArgon2 keep tests fast; production parameters are validated elsewhere.

func newStore(t *testing.T) (*identity.Store, *testkit.Clock) {
	t.Helper()
	db := storetest.Open(t, identity.Migrations())
	s := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	c := testkit.NewClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	s.Now = c.Now
	return s, c
}

func mustAccount(t *testing.T, s *identity.Store, name string, admin bool) identity.Account {
	t.Helper()
	a, err := s.CreateAccount(t.Context(), identity.NewAccount{Username: name, Email: name + "@example.org", Password: "correct horse battery", Admin: admin})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return a
}

func TestCreateAccount(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "alice", false)
	tests := []struct {
		name string
		in   identity.NewAccount
		want error
	}{
		{"duplicate username, other case", identity.NewAccount{Username: "ALICE", Email: "a2@example.org", Password: "correct horse battery"}, store.ErrConflict},
		{"duplicate e-mail, other case", identity.NewAccount{Username: "alice2", Email: "Alice@Example.org", Password: "correct horse battery"}, store.ErrConflict},
		{"invalid e-mail", identity.NewAccount{Username: "bob", Email: "bob@", Password: "correct horse battery"}, identity.ErrInvalid},
		{"e-mail with a display name", identity.NewAccount{Username: "bob", Email: "Bob <bob@example.org>", Password: "correct horse battery"}, identity.ErrInvalid},
		{"username with a space", identity.NewAccount{Username: "bob smith", Email: "bob@example.org", Password: "correct horse battery"}, identity.ErrInvalid},
		{"short password", identity.NewAccount{Username: "bob", Email: "bob@example.org", Password: "short"}, identity.ErrInvalid},
		{"unknown state", identity.NewAccount{Username: "bob", Email: "bob@example.org", Password: "correct horse battery", State: "frozen"}, identity.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateAccount(ctx, tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if n, _ := s.CountAccounts(ctx); n != 1 {
		t.Fatalf("%d accounts after refused creations, want 1", n)
	}
	var inv *identity.InvalidError
	_, err := s.CreateAccount(ctx, identity.NewAccount{Username: "x y", Email: "nope", Password: "x"})
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want InvalidError", err)
	}
	for _, field := range []string{"username", "email", "password"} {
		if !containsField(err, field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

func containsField(err error, field string) bool {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			if containsField(e, field) {
				return true
			}
		}
	}
	var inv *identity.InvalidError
	return errors.As(err, &inv) && inv.Field == field
}

func TestAuthenticate(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "alice", false)
	if _, err := s.Authenticate(ctx, "Alice", "correct horse battery"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "alice", "wrong password!!"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "nobody", "correct horse battery"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	mustAccount(t, s, "root1", true)
	if err := s.SetState(ctx, "alice", identity.Disabled); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "alice", "correct horse battery"); !errors.Is(err, identity.ErrDisabled) {
		t.Fatalf("disabled: %v", err)
	}
	if _, err := s.Authenticate(ctx, "alice", "wrong password!!"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("disabled with wrong password must not reveal the state: %v", err)
	}
}

func TestRehashOnNewParameters(t *testing.T) {
	db := storetest.Open(t, identity.Migrations())
	old := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	mustAccount(t, old, "alice", false)
	stronger := identity.Argon2Params{MemoryKiB: 128, Time: 2, Threads: 1}
	s := identity.NewStore(db, identity.NewHasher(stronger))
	if _, err := s.Authenticate(t.Context(), "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	// The old store cannot verify a hash made with other parameters only if
	// it reads them from the hash: it must, so both still work.
	if _, err := old.Authenticate(t.Context(), "alice", "correct horse battery"); err != nil {
		t.Fatalf("rehashed password no longer verifies: %v", err)
	}
}

func TestLastAdmin(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "root1", true)
	if err := s.RemoveMember(ctx, identity.AdminGroup, "root1"); !errors.Is(err, identity.ErrLastAdmin) {
		t.Fatalf("remove last admin: %v", err)
	}
	if err := s.SetState(ctx, "root1", identity.Disabled); !errors.Is(err, identity.ErrLastAdmin) {
		t.Fatalf("disable last admin: %v", err)
	}
	mustAccount(t, s, "root2", true)
	if err := s.RemoveMember(ctx, identity.AdminGroup, "root1"); err != nil {
		t.Fatalf("remove one of two admins: %v", err)
	}
	if err := s.DeleteGroup(ctx, identity.AdminGroup); !errors.Is(err, identity.ErrInvalid) {
		t.Fatalf("delete admin group: %v", err)
	}
}

func TestGroups(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "alice", false)
	if _, err := s.CreateGroup(ctx, "Staff", "The staff"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup(ctx, "staff", ""); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate group: %v", err)
	}
	if err := s.AddMember(ctx, "staff", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "staff", "alice"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("twice: %v", err)
	}
	if err := s.AddMember(ctx, "staff", "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	if err := s.AddMember(ctx, "ghosts", "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}
	a, err := s.Account(ctx, "alice")
	if err != nil || len(a.Groups) != 1 || a.Groups[0] != "staff" {
		t.Fatalf("groups of alice: %v %v", a.Groups, err)
	}
	g, err := s.Group(ctx, "staff")
	if err != nil || g.Members != 1 {
		t.Fatalf("group: %+v %v", g, err)
	}
	if err := s.RemoveMember(ctx, "staff", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, "staff", "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("remove twice: %v", err)
	}
}

func TestProfileQuota(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "john", false)
	mustAccount(t, s, "eve", false)
	if _, err := s.CreateService(ctx, identity.Service{Name: "mastodon", ProfileQuota: 2, ExtraProfiles: identity.ApproveExtra}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateService(ctx, identity.Service{Name: "pixelfed", ProfileQuota: 1}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		account, service, name string
		admin                  identity.ByAdmin
		state                  identity.ProfileState
		err                    error
	}{
		{"john", "mastodon", "alice", false, identity.ProfileActive, nil},
		{"john", "mastodon", "bob", false, identity.ProfileActive, nil},
		{"john", "mastodon", "carol", false, identity.ProfilePending, nil},
		{"eve", "mastodon", "alice", false, "", store.ErrConflict},
		{"john", "pixelfed", "john", false, identity.ProfileActive, nil},
		{"john", "pixelfed", "charlie", false, "", identity.ErrQuotaReached},
		{"john", "pixelfed", "charlie", true, identity.ProfileActive, nil},
		{"john", "peertube", "john", false, "", store.ErrNotFound},
		{"john", "mastodon", "not valid", false, "", identity.ErrInvalid},
	}
	for _, st := range steps {
		p, err := s.AddProfile(ctx, st.account, st.service, st.name, st.admin)
		if !errors.Is(err, st.err) {
			t.Fatalf("%s/%s/%s: got %v, want %v", st.account, st.service, st.name, err, st.err)
		}
		if err == nil && p.State != st.state {
			t.Fatalf("%s/%s/%s: state %s, want %s", st.account, st.service, st.name, p.State, st.state)
		}
	}
	pending, err := s.Profiles(ctx, identity.ProfileQuery{State: identity.ProfilePending})
	if err != nil || len(pending) != 1 || pending[0].Name != "carol" {
		t.Fatalf("pending: %+v %v", pending, err)
	}
	if err := s.ApproveProfile(ctx, pending[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveProfile(ctx, pending[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("approve twice: %v", err)
	}
	mine, _ := s.Profiles(ctx, identity.ProfileQuery{Account: "john"})
	if len(mine) != 5 {
		t.Fatalf("john holds %d profiles, want 5", len(mine))
	}
	eve, _ := s.Account(ctx, "eve")
	if err := s.DeleteProfile(ctx, eve.ID, mine[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting someone else's profile: %v", err)
	}
}

func TestProfileQuotaUnderConcurrency(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "john", false)
	if _, err := s.CreateService(ctx, identity.Service{Name: "mastodon", ProfileQuota: 1}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { _, _ = s.AddProfile(context.Background(), "john", "mastodon", "p"+string(rune('a'+i)), false) })
	}
	wg.Wait()
	got, _ := s.Profiles(ctx, identity.ProfileQuery{Account: "john"})
	if len(got) != 1 {
		t.Fatalf("%d profiles after a race, quota is 1", len(got))
	}
}

func TestSessions(t *testing.T) {
	s, c := newStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	tok, ss, err := s.CreateSession(ctx, a.ID, "Firefox on Linux")
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := s.SessionByToken(ctx, tok); err != nil || got.ID != a.ID {
		t.Fatalf("fresh session: %v", err)
	}
	if _, _, err := s.SessionByToken(ctx, tok+"x"); !errors.Is(err, identity.ErrSessionInvalid) {
		t.Fatalf("wrong token: %v", err)
	}
	// Used every day, it lives until the absolute limit.
	for c.Now().Before(ss.ExpiresAt.Add(-48 * time.Hour)) {
		c.Add(24 * time.Hour)
		if _, _, err := s.SessionByToken(ctx, tok); err != nil {
			t.Fatalf("session used daily died at %v: %v", c.Now(), err)
		}
	}
	c.Add(48 * time.Hour)
	if _, _, err := s.SessionByToken(ctx, tok); !errors.Is(err, identity.ErrSessionInvalid) {
		t.Fatalf("past absolute expiry: %v", err)
	}
	tok, _, _ = s.CreateSession(ctx, a.ID, "")
	c.Add(s.Sessions.Idle + time.Second)
	if _, _, err := s.SessionByToken(ctx, tok); !errors.Is(err, identity.ErrSessionInvalid) {
		t.Fatalf("past idle expiry: %v", err)
	}
	keep, kept, _ := s.CreateSession(ctx, a.ID, "")
	other, _, _ := s.CreateSession(ctx, a.ID, "")
	list, _ := s.ListSessions(ctx, a.ID)
	if len(list) != 2 {
		t.Fatalf("%d sessions listed, want 2", len(list))
	}
	if err := s.ChangePassword(ctx, "alice", "correct horse battery", "another long secret", kept.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByToken(ctx, keep); err != nil {
		t.Fatalf("the session that changed the password must live: %v", err)
	}
	if _, _, err := s.SessionByToken(ctx, other); !errors.Is(err, identity.ErrSessionInvalid) {
		t.Fatalf("other sessions must end on password change: %v", err)
	}
	if err := s.ChangePassword(ctx, "alice", "wrong current pw", "yet another secret", kept.ID, nil); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("change with wrong current password: %v", err)
	}
	if err := s.RevokeSession(ctx, a.ID, kept.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByToken(ctx, keep); !errors.Is(err, identity.ErrSessionInvalid) {
		t.Fatalf("revoked: %v", err)
	}
}

func TestSetupToken(t *testing.T) {
	s, c := newStore(t)
	ctx := t.Context()
	admin := identity.NewAccount{Username: "root", Email: "root@example.org", Password: "correct horse battery"}
	expired, _ := s.CreateSetupToken(ctx)
	c.Add(identity.SetupLinkTTL)
	if _, err := s.UseSetupToken(ctx, expired, admin); !errors.Is(err, identity.ErrSetupExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := s.UseSetupToken(ctx, "made-up", admin); !errors.Is(err, identity.ErrSetupInvalid) {
		t.Fatalf("made up: %v", err)
	}
	tok, _ := s.CreateSetupToken(ctx)
	bad := admin
	bad.Email = "nope"
	if _, err := s.UseSetupToken(ctx, tok, bad); !errors.Is(err, identity.ErrInvalid) {
		t.Fatalf("invalid form: %v", err)
	}
	a, err := s.UseSetupToken(ctx, tok, admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Groups) != 1 || a.Groups[0] != identity.AdminGroup {
		t.Fatalf("first account is not admin: %v", a.Groups)
	}
	if _, err := s.UseSetupToken(ctx, tok, admin); !errors.Is(err, identity.ErrSetupInvalid) {
		t.Fatalf("reused: %v", err)
	}
	other, _ := s.CreateSetupToken(ctx)
	if _, err := s.UseSetupToken(ctx, other, identity.NewAccount{Username: "root2", Email: "r2@example.org", Password: "correct horse battery"}); !errors.Is(err, identity.ErrSetupDone) {
		t.Fatalf("second setup: %v", err)
	}
}
