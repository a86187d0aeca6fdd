package importer

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"pelote/internal/identity"
)

// drain reads a Source as an import does.
func drain(t *testing.T, s *Source) ([]identity.ImportAccount, []identity.ImportGroup, int, error) {
	t.Helper()
	var accounts []identity.ImportAccount
	batches := 0
	for {
		batch, err := s.Accounts()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return accounts, nil, batches, err
		}
		accounts = append(accounts, batch...)
		batches++
	}
	groups, err := s.Groups()
	return accounts, groups, batches, err
}

// Streamed, a file gives the accounts and groups Read gives, in batches.
func TestStreamGivesWhatReadGives(t *testing.T) {
	data := syntheticLDIF(3000, 20)
	wantAccounts, wantGroups, err := ReadLDIF(data)
	if err != nil {
		t.Fatal(err)
	}
	s := Stream(strings.NewReader(string(data)))
	defer s.Close()
	accounts, groups, batches, err := drain(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if batches < 2 || !slices.EqualFunc(accounts, wantAccounts, func(a, b identity.ImportAccount) bool { return a.Line == b.Line && a.Username == b.Username }) ||
		len(groups) != len(wantGroups) || !slices.Equal(groups[0].Members, wantGroups[0].Members) {
		t.Fatalf("%d accounts in %d batches, %d groups; want %d accounts, %d groups", len(accounts), batches, len(groups), len(wantAccounts), len(wantGroups))
	}

	// CSV comes in one batch.
	s = Stream(strings.NewReader("username,email\nalice,alice@example.org\nbob,bob@example.org\n"))
	defer s.Close()
	accounts, _, batches, err = drain(t, s)
	if err != nil || batches != 1 || len(accounts) != 2 {
		t.Fatalf("CSV: %d accounts in %d batches, %v", len(accounts), batches, err)
	}
}

// A problem late in the file comes after the batches before it, as an
// error the import stops on, and is the Source's Err.
func TestStreamProblemAfterBatches(t *testing.T) {
	people := string(syntheticLDIF(2000, 20))
	bad := "dn: uid=bad,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: bad\ncn:: !!not base64!!\n\n"
	s := Stream(strings.NewReader(people + bad))
	defer s.Close()
	accounts, _, batches, err := drain(t, s)
	want := fmt.Sprintf("line %d:", strings.Count(people, "\n")+1)
	if err == nil || !strings.Contains(err.Error(), want) || batches == 0 || len(accounts) == 0 {
		t.Fatalf("%d accounts in %d batches, then %v (want %q)", len(accounts), batches, err, want)
	}
	if s.Err() == nil || s.Err().Error() != err.Error() {
		t.Fatalf("Err: %v", s.Err())
	}
}

// An import that ends early stops the reading: Close returns.
func TestStreamClosedEarly(t *testing.T) {
	s := Stream(strings.NewReader(string(syntheticLDIF(20000, 20))))
	if _, err := s.Accounts(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s.Err() != nil {
		t.Fatalf("a stopped reading is no problem of the file's: %v", s.Err())
	}
}
