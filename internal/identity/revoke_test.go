package identity_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"pelote/internal/identity"
	"pelote/internal/store"
)

// TestPasswordChangeRevokes: whoever replaces a password (the member, an
// administrator, the CLI with a foreign hash, a reset link), what the old
// one gave stops: app passwords (but those the member keeps on their own
// change), links in flight, and, through the hook, the applications'
// grants, in the same transaction.
func TestPasswordChangeRevokes(t *testing.T) {
	type world struct {
		s       *identity.Store
		alice   identity.Account
		apps    map[string]string // name → secret
		ids     map[string]int64  // name → id
		change  string            // a pending address change's token
		reset   string            // a pending reset link
		session int64             // the member's own session
		hooked  [][]int64         // accounts and ended sessions the hook saw
	}
	setup := func(t *testing.T) *world {
		s, _ := newStore(t)
		ctx := t.Context()
		w := &world{s: s, apps: map[string]string{}, ids: map[string]int64{}}
		w.alice = mustAccount(t, s, "alice", false)
		bob := mustAccount(t, s, "bob", false)
		for _, n := range []string{"phone", "laptop", "nas"} {
			p, secret, err := s.CreateAppPassword(ctx, w.alice.ID, n)
			if err != nil {
				t.Fatal(err)
			}
			w.apps[n], w.ids[n] = secret, p.ID
		}
		bp, _, err := s.CreateAppPassword(ctx, bob.ID, "bob's")
		if err != nil {
			t.Fatal(err)
		}
		w.ids["bob's"] = bp.ID
		ch, err := s.ChangeEmail(ctx, w.alice.ID, "correct horse battery", "alice@elsewhere.example", true)
		if err != nil {
			t.Fatal(err)
		}
		w.change = ch.Token
		if w.reset, _, _, err = s.RequestPasswordReset(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		_, own, err := s.CreateSession(ctx, w.alice.ID, "own")
		if err != nil {
			t.Fatal(err)
		}
		w.session = own.ID
		if _, _, err := s.CreateSession(ctx, w.alice.ID, "other"); err != nil {
			t.Fatal(err)
		}
		s.PasswordChanged = func(_ context.Context, tx *store.Tx, account int64, ended []int64) error {
			if tx == nil {
				t.Error("hook outside the transaction")
			}
			w.hooked = append(w.hooked, append([]int64{account}, ended...))
			return nil
		}
		return w
	}
	check := func(t *testing.T, w *world, kept ...string) {
		t.Helper()
		ctx := t.Context()
		for n, secret := range w.apps {
			_, err := w.s.AuthenticateAppPassword(ctx, "alice", secret)
			if slices.Contains(kept, n) != (err == nil) {
				t.Errorf("app password %s: %v (kept: %v)", n, err, kept)
			}
		}
		if _, err := w.s.ConfirmEmailChange(ctx, w.change); !errors.Is(err, identity.ErrEmailChangeInvalid) {
			t.Errorf("a pending address change survives: %v", err)
		}
		if err := w.s.CheckPasswordReset(ctx, w.reset); !errors.Is(err, identity.ErrResetInvalid) {
			t.Errorf("a pending reset link survives: %v", err)
		}
		if len(w.hooked) != 1 || w.hooked[0][0] != w.alice.ID || len(w.hooked[0]) < 2 {
			t.Errorf("hook calls %v, want one for alice with her ended sessions", w.hooked)
		}
		bob, _ := w.s.Account(ctx, "bob")
		if list, _ := w.s.AppPasswords(ctx, bob.ID); len(list) != 1 {
			t.Errorf("bob's app passwords: %v", list)
		}
	}

	t.Run("the member keeps what they tick", func(t *testing.T) {
		w := setup(t)
		// bob's id is not alice's to keep, nor to revoke.
		if err := w.s.ChangePassword(t.Context(), "alice", "correct horse battery", "another long secret", w.session,
			[]int64{w.ids["laptop"], w.ids["bob's"]}); err != nil {
			t.Fatal(err)
		}
		check(t, w, "laptop")
		if slices.Contains(w.hooked[0][1:], w.session) {
			t.Errorf("the member's own session ended: %v", w.hooked)
		}
	})
	t.Run("an administrator's reset", func(t *testing.T) {
		w := setup(t)
		if err := w.s.SetPassword(t.Context(), "alice", "set by the admins", 0); err != nil {
			t.Fatal(err)
		}
		check(t, w)
	})
	t.Run("a foreign hash from the CLI", func(t *testing.T) {
		w := setup(t)
		if err := w.s.SetPasswordHash(t.Context(), "alice", "{SSHA}RWvgNPadsl2QqgEGUx2/1bF1zeFmoKOb"); err != nil {
			t.Fatal(err)
		}
		check(t, w)
	})
	t.Run("a reset link", func(t *testing.T) {
		w := setup(t)
		token, _, _, err := w.s.RequestPasswordReset(t.Context(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.ResetPassword(t.Context(), token, "reset by link!"); err != nil {
			t.Fatal(err)
		}
		check(t, w)
	})
	t.Run("a failing hook keeps the old password and everything", func(t *testing.T) {
		w := setup(t)
		boom := errors.New("boom")
		w.s.PasswordChanged = func(context.Context, *store.Tx, int64, []int64) error { return boom }
		if err := w.s.SetPassword(t.Context(), "alice", "set by the admins", 0); !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		if _, err := w.s.Authenticate(t.Context(), "alice", "correct horse battery"); err != nil {
			t.Errorf("old password: %v", err)
		}
		if _, err := w.s.AuthenticateAppPassword(t.Context(), "alice", w.apps["phone"]); err != nil {
			t.Errorf("app password: %v", err)
		}
	})
}
