package identity_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pelote/internal/identity"
)

// hostile are characters that act on a terminal or reorder text instead of
// printing: an administrator reading `pelote user list` must see what was
// typed, not what it makes the terminal do.
var hostile = map[string]string{
	"ESC":          "Alice\x1b[2J\x1b]0;pwned\x07",
	"BEL":          "Alice\a",
	"DEL":          "Alice\x7f",
	"C1 CSI":       "Alice\u009b31m",
	"NEL":          "Ali\u0085ce",
	"RLO":          "Alice\u202egpj.exe",
	"LRE":          "Alice\u202a",
	"isolate RLI":  "Alice\u2067x\u2069",
	"line sep":     "Alice\u2028Bob",
	"tab":          "Alice\tBob",
	"invalid UTF8": "Alice\xff",
}

func TestCheckTextRefusesControls(t *testing.T) {
	for name, s := range hostile {
		t.Run(name, func(t *testing.T) {
			if _, err := identity.CheckText("display_name", s, 128, false); !errors.Is(err, identity.ErrInvalid) {
				t.Fatalf("CheckText(%q) = %v, want ErrInvalid", s, err)
			}
			if _, err := identity.CheckText("reason", s, 2000, true); !errors.Is(err, identity.ErrInvalid) {
				t.Fatalf("multi-line CheckText(%q) = %v, want ErrInvalid", s, err)
			}
		})
	}
	for _, ok := range []string{"Alice Martin", "Zoë Ångström", "محمد", "李雷", "Anne-Marie O'Neil 🙂", "  trimmed  "} {
		if got, err := identity.CheckText("display_name", ok, 128, false); err != nil || got != strings.TrimSpace(ok) {
			t.Errorf("CheckText(%q) = %q, %v", ok, got, err)
		}
	}
	if got, err := identity.CheckText("reason", "line one\r\nline two\n", 2000, true); err != nil || got != "line one\nline two" {
		t.Errorf("multi-line text: %q, %v", got, err)
	}
	if _, err := identity.CheckText("display_name", "line one\nline two", 128, false); !errors.Is(err, identity.ErrInvalid) {
		t.Errorf("a new line in a one-line field: %v", err)
	}
	if _, err := identity.CheckText("display_name", strings.Repeat("é", 129), 128, false); !errors.Is(err, identity.ErrInvalid) {
		t.Errorf("129 characters: %v", err)
	}
}

// TestFreeTextRefusesControls goes through every domain call that stores
// text a person typed: the rule is the domain's, so web, CLI and import
// share it.
func TestFreeTextRefusesControls(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	a := mustAccount(t, s, "alice", false)
	n := 0
	for name, bad := range hostile {
		t.Run(name, func(t *testing.T) {
			// Each call gets its own name and address, so that a call
			// wrongly accepted does not make the next one fail for
			// another reason.
			fresh := func() (string, string) {
				n++
				u := fmt.Sprintf("mallory%d", n)
				return u, u + "@example.org"
			}
			calls := map[string]func() error{
				"create account": func() error {
					u, e := fresh()
					_, err := s.CreateAccount(ctx, identity.NewAccount{Username: u, Email: e, Password: "correct horse battery", DisplayName: bad})
					return err
				},
				"update account": func() error {
					_, err := s.UpdateAccount(ctx, a.ID, identity.AccountUpdate{DisplayName: &bad})
					return err
				},
				"sign-up name": func() error {
					u, e := fresh()
					_, _, err := s.SignUp(ctx, identity.NewAccount{Username: u, Email: e, Password: "correct horse battery", DisplayName: bad}, identity.SignUpOptions{})
					return err
				},
				"sign-up reason": func() error {
					u, e := fresh()
					_, _, err := s.SignUp(ctx, identity.NewAccount{Username: u, Email: e, Password: "correct horse battery"}, identity.SignUpOptions{Moderated: true, Reason: bad})
					return err
				},
				"invitation note": func() error {
					_, err := s.CreateInvitation(ctx, nil, time.Hour, bad)
					return err
				},
				"group description": func() error {
					g, _ := fresh()
					_, err := s.CreateGroup(ctx, g, bad)
					return err
				},
				"app password name": func() error {
					_, _, err := s.CreateAppPassword(ctx, a.ID, bad+"x")
					return err
				},
				"import display name": func() error {
					_, err := s.Import(ctx, []identity.ImportAccount{{Line: 1, Username: "imported", Email: "imported@example.org", DisplayName: bad}}, nil, identity.ImportOptions{DryRun: true})
					return err
				},
				"import group description": func() error {
					_, err := s.Import(ctx, nil, []identity.ImportGroup{{Line: 1, Name: "imported", Description: bad}}, identity.ImportOptions{DryRun: true})
					return err
				},
			}
			for what, call := range calls {
				if err := call(); err == nil {
					t.Errorf("%s accepted %q", what, bad)
				}
			}
		})
	}
	if n, _ := s.CountAccounts(ctx); n != 1 {
		t.Fatalf("%d accounts, want only alice", n)
	}
}
