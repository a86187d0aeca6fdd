package identity_test

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pelote/internal/identity"
	"pelote/internal/store"
)

func newcomer(name string) identity.NewAccount {
	return identity.NewAccount{Username: name, Email: name + "@example.net", Password: "a long enough password"}
}

func TestOpenSignUp(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	a, token, err := s.SignUp(ctx, newcomer("carol"), identity.SignUpOptions{})
	if err != nil || a.State != identity.Pending || token == "" {
		t.Fatalf("sign-up: %+v %v", a, err)
	}
	if _, err := s.Authenticate(ctx, "carol", "a long enough password"); !errors.Is(err, identity.ErrPending) {
		t.Fatalf("login before confirming: %v", err)
	}
	got, awaiting, err := s.VerifyEmail(ctx, token)
	if err != nil || awaiting || got.State != identity.Active {
		t.Fatalf("verify: %+v awaiting=%v %v", got, awaiting, err)
	}
	if _, _, err := s.VerifyEmail(ctx, token); !errors.Is(err, identity.ErrVerificationInvalid) {
		t.Fatalf("link used twice: %v", err)
	}
	if list, err := s.SignUps(ctx); err != nil || len(list) != 0 {
		t.Fatalf("nothing should wait: %+v %v", list, err)
	}
	if _, err := s.Authenticate(ctx, "carol", "a long enough password"); err != nil {
		t.Fatalf("login: %v", err)
	}
}

func TestSignUpRefusals(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	alice := mustAccount(t, s, "alice", false)
	long := strings.Repeat("x", 2001)
	for _, tc := range []struct {
		name string
		n    identity.NewAccount
		o    identity.SignUpOptions
		want error
	}{
		{"reserved name", newcomer("postmaster"), identity.SignUpOptions{}, identity.ErrInvalid},
		{"taken name", identity.NewAccount{Username: "alice", Email: "other@example.net", Password: "a long enough password"}, identity.SignUpOptions{}, store.ErrConflict},
		{"reason too long", newcomer("dave"), identity.SignUpOptions{Moderated: true, Reason: long}, identity.ErrInvalid},
		{"reason not UTF-8", newcomer("dave"), identity.SignUpOptions{Moderated: true, Reason: "caf\xe9"}, identity.ErrInvalid},
		{"short password", identity.NewAccount{Username: "erin", Email: "erin@example.net", Password: "short"}, identity.SignUpOptions{}, identity.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := s.SignUp(ctx, tc.n, tc.o); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// A known address: the caller gets its account, to tell its owner,
	// and nothing is created.
	owner, token, err := s.SignUp(ctx, identity.NewAccount{Username: "mallory", Email: "ALICE@example.org", Password: "a long enough password"}, identity.SignUpOptions{})
	if !errors.Is(err, identity.ErrEmailTaken) || owner.ID != alice.ID || token != "" {
		t.Fatalf("known address: %+v %q %v", owner, token, err)
	}
	if _, err := s.Account(ctx, "mallory"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("mallory was created: %v", err)
	}
}

func TestModeratedSignUp(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mod := identity.SignUpOptions{Moderated: true, Reason: "  I sing in the choir.  "}
	_, token, err := s.SignUp(ctx, newcomer("carol"), mod)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApproveSignUp(ctx, "carol"); !errors.Is(err, identity.ErrNotVerified) {
		t.Fatalf("approved before the address is confirmed: %v", err)
	}
	a, awaiting, err := s.VerifyEmail(ctx, token)
	if err != nil || !awaiting || a.State != identity.Pending {
		t.Fatalf("verify: %+v awaiting=%v %v", a, awaiting, err)
	}
	list, err := s.SignUps(ctx)
	if err != nil || len(list) != 1 || !list[0].Verified || !list[0].Moderated || list[0].Reason != "I sing in the choir." || list[0].Account.Username != "carol" {
		t.Fatalf("waiting list: %+v %v", list, err)
	}
	if a, err = s.ApproveSignUp(ctx, "carol"); err != nil || a.State != identity.Active {
		t.Fatalf("approve: %+v %v", a, err)
	}
	if _, err := s.ApproveSignUp(ctx, "carol"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("approved twice: %v", err)
	}
	if _, err := s.Authenticate(ctx, "carol", "a long enough password"); err != nil {
		t.Fatalf("login: %v", err)
	}
	// Refused: the account goes, freeing its name and address.
	if _, _, err := s.SignUp(ctx, newcomer("dave"), mod); err != nil {
		t.Fatal(err)
	}
	if a, err = s.RefuseSignUp(ctx, "dave"); err != nil || a.Email != "dave@example.net" {
		t.Fatalf("refuse: %+v %v", a, err)
	}
	if _, _, err := s.SignUp(ctx, newcomer("dave"), mod); err != nil {
		t.Fatalf("name and address not freed: %v", err)
	}
	// An active account is not a sign-up.
	if _, err := s.RefuseSignUp(ctx, "carol"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused an active account: %v", err)
	}
}

// Two moderators deciding at once: one decision wins, the other is told
// the sign-up is gone, and the account is either open or deleted.
func TestSignUpDecisionRace(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	for round := range 5 {
		name := fmt.Sprintf("racer%d", round)
		_, token, err := s.SignUp(ctx, newcomer(name), identity.SignUpOptions{Moderated: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.VerifyEmail(ctx, token); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		go func() { _, err := s.ApproveSignUp(ctx, name); errs <- err }()
		go func() { _, err := s.RefuseSignUp(ctx, name); errs <- err }()
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) {
			t.Fatalf("round %d: both or neither decided: %v / %v", round, e1, e2)
		}
		if lost := cmp.Or(e1, e2); !errors.Is(lost, store.ErrNotFound) {
			t.Fatalf("round %d: the loser got %v", round, lost)
		}
		a, err := s.Account(ctx, name)
		if err == nil && a.State != identity.Active || err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("round %d: %+v %v", round, a, err)
		}
	}
}

func TestPurgeSignUps(t *testing.T) {
	s, c := newStore(t)
	ctx := t.Context()
	_, _, err := s.SignUp(ctx, newcomer("late"), identity.SignUpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, waiting, _ := s.SignUp(ctx, newcomer("waiting"), identity.SignUpOptions{Moderated: true})
	if _, _, err := s.VerifyEmail(ctx, waiting); err != nil {
		t.Fatal(err)
	}
	c.Add(identity.VerificationTTL + time.Minute)
	_, _, err = s.SignUp(ctx, newcomer("fresh"), identity.SignUpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeSignUps(ctx); err != nil || n != 1 {
		t.Fatalf("purged %d: %v", n, err)
	}
	if _, err := s.Account(ctx, "late"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("late still there: %v", err)
	}
	for _, name := range []string{"waiting", "fresh"} {
		if _, err := s.Account(ctx, name); err != nil {
			t.Fatalf("%s purged: %v", name, err)
		}
	}
}

func TestInvitationList(t *testing.T) {
	s, c := newStore(t)
	ctx := t.Context()
	if _, err := s.CreateGroup(ctx, "choir", ""); err != nil {
		t.Fatal(err)
	}
	used, err := s.CreateInvitation(ctx, []string{"choir"}, time.Hour, "for carol")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateInvitation(ctx, nil, time.Hour, "for dave"); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute)
	if _, err := s.CreateInvitation(ctx, nil, 24*time.Hour, "for erin"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SignUpWithInvitation(ctx, used, newcomer("carol")); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	list, err := s.Invitations(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("%+v %v", list, err)
	}
	byNote := map[string]identity.Invitation{}
	for _, i := range list {
		byNote[i.Note] = i
	}
	if i := byNote["for carol"]; !i.Used || i.UsedBy != "carol" || len(i.Groups) != 1 || i.Groups[0] != "choir" {
		t.Fatalf("used one: %+v", i)
	}
	if !byNote["for dave"].Expired(c.Now()) || byNote["for erin"].Expired(c.Now()) {
		t.Fatalf("expiry: %+v", list)
	}
	if err := s.RevokeInvitation(ctx, byNote["for carol"].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked a used invitation: %v", err)
	}
	for _, bad := range []string{"", "xyz", "' OR 1=1 --", strings.Repeat("g", 16)} {
		if err := s.RevokeInvitation(ctx, bad); !errors.Is(err, identity.ErrInvalid) {
			t.Fatalf("revoke %q: %v", bad, err)
		}
	}
	if err := s.RevokeInvitation(ctx, byNote["for erin"].ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Invitations(ctx); len(list) != 2 {
		t.Fatalf("after revoking: %+v", list)
	}
}
