package identity_test

import (
	"errors"
	"slices"
	"testing"

	"pelote/internal/identity"
)

// TestImportSkipInvalid: with SkipInvalid, an entry that conflicts with an
// existing account is left out, and so are its memberships: the existing
// account of that name joins nothing. A duplicate line is left out, its
// first line is imported. Admin memberships stay problems.
func TestImportSkipInvalid(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	mustAccount(t, s, "alice", false)
	accounts := []identity.ImportAccount{
		{Line: 1, Username: "alice", Email: "other-alice@example.org"},
		{Line: 2, Username: "bob", Email: "bob@example.org"},
		{Line: 3, Username: "Bob", Email: "bob2@example.org"},
		{Line: 4, Username: "carol"},
	}
	groups := []identity.ImportGroup{{Line: 10, Name: "staff", Members: []string{"alice", "bob", "carol"}}}
	rep, err := s.Import(ctx, accounts, groups, identity.ImportOptions{SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accounts != 1 || rep.Memberships != 1 || len(rep.Skipped) != 5 || len(rep.Problems) != 0 {
		t.Fatalf("report %+v", rep)
	}
	members, err := s.Members(ctx, "staff")
	if err != nil || len(members) != 1 || members[0].Username != "bob" {
		t.Fatalf("staff: %+v %v", members, err)
	}

	rep, err = s.Import(ctx, []identity.ImportAccount{{Line: 1, Username: "dave", Email: "dave@example.org", Groups: []string{"admin"}}}, nil,
		identity.ImportOptions{SkipInvalid: true})
	if !errors.Is(err, identity.ErrImportRefused) || !slices.Equal(rep.AdminRefused, []string{"dave"}) || len(rep.Problems) != 1 {
		t.Fatalf("admin with SkipInvalid: %+v %v", rep, err)
	}
	rep, err = s.Import(ctx, []identity.ImportAccount{{Line: 1, Username: "dave", Email: "dave@example.org", Groups: []string{"admin"}}}, nil,
		identity.ImportOptions{AllowAdmin: true})
	if err != nil || !slices.Equal(rep.Administrators, []string{"dave"}) {
		t.Fatalf("admin allowed: %+v %v", rep, err)
	}
	if a, err := s.Authenticate(ctx, "dave", "x"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("dave without a password: %+v %v", a, err)
	}
}
