package identity_test

import (
	"errors"
	"testing"

	"pelote/internal/identity"
	"pelote/internal/store"
)

// TestLookupsByMalformedNames: a name no account can have (a NUL byte, as
// a URL can carry, which PostgreSQL refuses outright) finds nothing, on
// either engine, instead of failing.
func TestLookupsByMalformedNames(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "alice", false)
	for _, bad := range []string{"\x00", "alice\x00", "\xff"} {
		if _, err := s.Account(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Account(%q): %v", bad, err)
		}
		if err := s.SetPassword(ctx, bad, "a long new password", 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetPassword(%q): %v", bad, err)
		}
		if _, err := s.Authenticate(ctx, bad, "correct horse battery"); !errors.Is(err, identity.ErrBadCredentials) {
			t.Errorf("Authenticate(%q): %v", bad, err)
		}
		if _, err := s.AuthenticateAppPassword(ctx, bad, "abcde-fghjk-mnpqr-stuvw"); !errors.Is(err, identity.ErrBadCredentials) {
			t.Errorf("AuthenticateAppPassword(%q): %v", bad, err)
		}
		if _, _, found, err := s.RequestPasswordReset(ctx, bad); found || err != nil {
			t.Errorf("RequestPasswordReset(%q): %v %v", bad, found, err)
		}
	}
}
