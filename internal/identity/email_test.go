package identity_test

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"pelote/internal/identity"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// TestAddressesCompareCaseFolded: one mailbox, one account, whatever the
// case (Unicode, not only ASCII) or the Unicode form it is typed in.
func TestAddressesCompareCaseFolded(t *testing.T) {
	db := storetest.Open(t, identity.Migrations())
	s := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	ctx := t.Context()
	owner, err := s.CreateAccount(ctx, identity.NewAccount{Username: "zoe", Email: "straße.zoë@example.org", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	variants := []string{
		"STRASSE.ZOË@example.org",       // full case folding: ß is ss
		"Straße.Zoë@EXAMPLE.ORG",        // non-ASCII upper case
		"strasse.zoe\u0308@example.org", // another Unicode form of ë
	}
	for i, v := range variants {
		t.Run(v, func(t *testing.T) {
			n := identity.NewAccount{Username: "other" + strconv.Itoa(i), Email: v, Password: "correct horse battery"}
			if _, err := s.CreateAccount(ctx, n); !errors.Is(err, identity.ErrEmailTaken) {
				t.Errorf("create account: %v, want ErrEmailTaken", err)
			}
			a, _, err := s.SignUp(ctx, n, identity.SignUpOptions{})
			if !errors.Is(err, identity.ErrEmailTaken) || a.ID != owner.ID {
				t.Errorf("sign-up: %v (account #%d), want ErrEmailTaken and the owner", err, a.ID)
			}
			if _, a, found, err := s.RequestPasswordReset(ctx, v); err != nil || !found || a.ID != owner.ID {
				t.Errorf("reset by address: found=%v #%d %v", found, a.ID, err)
			}
			rep, err := s.Import(ctx, []identity.ImportAccount{{Line: 1, Username: n.Username, Email: v}}, nil, identity.ImportOptions{DryRun: true})
			if !errors.Is(err, identity.ErrImportRefused) || len(rep.Problems) != 1 {
				t.Errorf("import: %v %+v", err, rep)
			}
			rep, err = s.Import(ctx, []identity.ImportAccount{{Line: 1, Username: "x" + n.Username, Email: "new@example.org"},
				{Line: 2, Username: "y" + n.Username, Email: "NEW@example.org"}}, nil, identity.ImportOptions{DryRun: true})
			if !errors.Is(err, identity.ErrImportRefused) || len(rep.Problems) != 1 || rep.Problems[0].Line != 2 {
				t.Errorf("import of one address twice: %v %+v", err, rep)
			}
		})
	}
	if n, _ := s.CountAccounts(ctx); n != 1 {
		t.Fatalf("%d accounts, want 1", n)
	}
	// The rule is the database's too, for writes that would forget it.
	_, err = db.Exec(ctx, `INSERT INTO accounts (username, email, email_key, state, created_at, updated_at) VALUES ('sneaky', 'x@x.org', ?, 'active', 0, 0)`,
		identity.EmailKey("STRASSE.ZOË@example.org"))
	if !store.IsUniqueViolation(err) {
		t.Fatalf("a second account with the same key: %v", err)
	}
}

// identityUpTo is identity's migrations numbered up to last, as a database
// made by an older Pelote has them.
func identityUpTo(t *testing.T, last int) store.Migrations {
	t.Helper()
	m := identity.Migrations()
	sub := fstest.MapFS{}
	err := fs.WalkDir(m.FS, "migrations", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := p[strings.LastIndexByte(p, '/')+1:]
		if n, _ := strconv.Atoi(strings.SplitN(base, "_", 2)[0]); n <= last {
			data, err := fs.ReadFile(m.FS, p)
			sub[p] = &fstest.MapFile{Data: data}
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var code []store.CodeMigration
	for _, c := range m.Code {
		if c.Version <= int64(last) {
			code = append(code, c)
		}
	}
	return store.Migrations{Owner: m.Owner, FS: sub, Code: code}
}

// TestEmailMigrations upgrades a database holding addresses from before
// canonical keys and confirmations.
func TestEmailMigrations(t *testing.T) {
	ctx := t.Context()
	t.Run("keys and confirmations of existing accounts", func(t *testing.T) {
		db := storetest.Open(t, identityUpTo(t, 9))
		for _, q := range []string{
			`INSERT INTO accounts (id, username, email, state, created_at, updated_at) VALUES (1, 'zoe', 'Zoë@Example.org', 'active', 0, 0)`,
			`INSERT INTO accounts (id, username, email, state, created_at, updated_at) VALUES (2, 'bob', 'bob@example.org', 'active', 0, 0)`,
			`INSERT INTO accounts (id, username, email, state, created_at, updated_at) VALUES (3, 'carl', 'carl@example.org', 'active', 0, 0)`,
			// bob opened a link for his address; carl for an older one.
			`INSERT INTO email_changes (token_hash, account_id, email, expires_at, used_at) VALUES ('h1', 2, 'Bob@example.org', 0, 1700000000)`,
			`INSERT INTO email_changes (token_hash, account_id, email, expires_at, used_at) VALUES ('h2', 3, 'old@example.org', 0, 1700000000)`,
		} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.Migrate(ctx, identity.Migrations()); err != nil {
			t.Fatal(err)
		}
		s := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
		zoe, _ := s.Account(ctx, "zoe")
		bob, _ := s.Account(ctx, "bob")
		carl, _ := s.Account(ctx, "carl")
		if zoe.EmailConfirmed() || carl.EmailConfirmed() {
			t.Errorf("addresses nobody confirmed are confirmed: %+v %+v", zoe, carl)
		}
		if bob.EmailConfirmedBy != identity.ConfirmedLink || !bob.EmailConfirmedAt.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("bob's confirmed address: %q at %v", bob.EmailConfirmedBy, bob.EmailConfirmedAt)
		}
		if _, err := s.CreateAccount(ctx, identity.NewAccount{Username: "zoe2", Email: "ZOË@example.org", Password: "correct horse battery"}); !errors.Is(err, identity.ErrEmailTaken) {
			t.Errorf("an existing address in other case: %v", err)
		}
	})
	t.Run("addresses that fold to one stop the upgrade", func(t *testing.T) {
		db := storetest.Open(t, identityUpTo(t, 9))
		// lower() of either engine keeps them apart; case folding does not.
		for _, q := range []string{
			`INSERT INTO accounts (id, username, email, state, created_at, updated_at) VALUES (7, 'a', 'STRASSE@example.org', 'active', 0, 0)`,
			`INSERT INTO accounts (id, username, email, state, created_at, updated_at) VALUES (9, 'b', 'straße@example.org', 'active', 0, 0)`,
		} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		err := db.Migrate(ctx, identity.Migrations())
		if err == nil || !strings.Contains(err.Error(), "#7 and #9") {
			t.Fatalf("got %v, want a refusal naming accounts #7 and #9", err)
		}
	})
}

// TestEmailConfirmation: each way an address arrives says whether and how
// it was confirmed; a change nobody checked is unconfirmed.
func TestEmailConfirmation(t *testing.T) {
	s, c := newStore(t)
	ctx := t.Context()
	want := func(who string, how identity.Confirmation) {
		t.Helper()
		a, err := s.Account(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		if a.EmailConfirmedBy != how || a.EmailConfirmed() != (how != identity.Unconfirmed) || a.EmailConfirmedAt.IsZero() != (how == identity.Unconfirmed) {
			t.Fatalf("%s: confirmed by %q at %v, want %q", who, a.EmailConfirmedBy, a.EmailConfirmedAt, how)
		}
	}
	alice := mustAccount(t, s, "alice", false)
	want("alice", identity.ConfirmedAdmin)

	const pw = "correct horse battery"
	if _, err := s.ChangeEmail(ctx, alice.ID, pw, "alice@elsewhere.example", false); err != nil {
		t.Fatal(err)
	}
	want("alice", identity.Unconfirmed)
	ch, err := s.ChangeEmail(ctx, alice.ID, pw, "alice@example.net", true)
	if err != nil || ch.Token == "" || ch.Owner != nil {
		t.Fatalf("change by mail: %+v %v", ch, err)
	}
	want("alice", identity.Unconfirmed)
	c.Add(time.Minute)
	if _, err := s.ConfirmEmailChange(ctx, ch.Token); err != nil {
		t.Fatal(err)
	}
	want("alice", identity.ConfirmedLink)
	// The same mailbox in another case stays confirmed.
	if _, err := s.ChangeEmail(ctx, alice.ID, pw, "ALICE@example.net", false); err != nil {
		t.Fatal(err)
	}
	want("alice", identity.ConfirmedLink)
	if _, err := s.SetEmail(ctx, "alice", "alice@example.org"); err != nil {
		t.Fatal(err)
	}
	want("alice", identity.ConfirmedAdmin)
	if _, err := s.ChangeEmail(ctx, alice.ID, pw, "alice@third.example", false); err != nil {
		t.Fatal(err)
	}
	want("alice", identity.Unconfirmed)
	token, _, err := s.RequestEmailConfirmation(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := s.ConfirmEmailChange(ctx, token); err != nil || a.Email != "alice@third.example" {
		t.Fatalf("confirming the current address: %+v %v", a, err)
	}
	want("alice", identity.ConfirmedLink)

	_, verify, err := s.SignUp(ctx, identity.NewAccount{Username: "bob", Email: "bob@example.org", Password: "correct horse battery"}, identity.SignUpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want("bob", identity.Unconfirmed)
	if _, _, err := s.VerifyEmail(ctx, verify); err != nil {
		t.Fatal(err)
	}
	want("bob", identity.ConfirmedSignUp)

	if _, err := s.Import(ctx, []identity.ImportAccount{{Line: 1, Username: "carol", Email: "carol@example.org"}}, nil, identity.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	want("carol", identity.ConfirmedImport)
}
