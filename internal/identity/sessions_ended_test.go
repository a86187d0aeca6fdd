package identity_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"pelote/internal/identity"
	"pelote/internal/store"
)

// TestSessionsEnded checks every way a session is signed out reports it,
// in the transaction, and that a failing hook keeps the sessions.
func TestSessionsEnded(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "root", true)
	a := mustAccount(t, s, "alice", false)
	var got []int64
	var fail error
	s.SessionsEnded = func(_ context.Context, _ *store.Tx, ids []int64) error {
		if fail != nil {
			return fail
		}
		got = append(got, ids...)
		return nil
	}
	session := func() int64 {
		t.Helper()
		_, ss, err := s.CreateSession(ctx, a.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		return ss.ID
	}
	expect := func(what string, want ...int64) {
		t.Helper()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: ended %v, want %v", what, got, want)
		}
		got = nil
	}

	one, two, three := session(), session(), session()
	if err := s.RevokeSession(ctx, a.ID, one); err != nil {
		t.Fatal(err)
	}
	expect("revoke one", one)
	if err := s.RevokeSession(ctx, a.ID, one); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking a gone session: %v", err)
	}
	expect("revoke a gone session")
	if err := s.RevokeOtherSessions(ctx, a.ID, two); err != nil {
		t.Fatal(err)
	}
	expect("revoke others", three)
	four := session()
	if err := s.ChangePassword(ctx, "alice", "correct horse battery", "another long password", two, nil); err != nil {
		t.Fatal(err)
	}
	expect("password change", four)
	if err := s.SetState(ctx, "alice", identity.Disabled); err != nil {
		t.Fatal(err)
	}
	expect("disable", two)

	// The hook failing fails the change: the session stays.
	if err := s.SetState(ctx, "alice", identity.Active); err != nil {
		t.Fatal(err)
	}
	five := session()
	fail = errors.New("queue down")
	if err := s.RevokeSession(ctx, a.ID, five); !errors.Is(err, fail) {
		t.Fatalf("revoke with a failing hook: %v", err)
	}
	list, err := s.ListSessions(ctx, a.ID)
	if err != nil || len(list) != 1 || list[0].ID != five {
		t.Fatalf("sessions after a failed revoke: %+v %v", list, err)
	}
}
