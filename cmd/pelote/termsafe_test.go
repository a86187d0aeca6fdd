package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"pelote/internal/store"
)

// TestListingsEscapeControls stores names with terminal escapes behind
// the domain's back (as rows from before the rule would hold them) and
// checks that no listing hands them to the terminal raw.
func TestListingsEscapeControls(t *testing.T) {
	p := newPelote(t)
	p.ok("correct horse battery\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	p.ok("", "group", "add", "staff")
	p.ok("", "group", "member", "add", "staff", "alice")
	p.ok("", "invite", "create", "--note", "for Bob")
	// Written straight into the database: the domain refuses them now.
	evil := "Alice\x1b]0;pwned\x07\u009b2J\u202eexe.txt"
	p.sql(`UPDATE accounts SET display_name = ?`, evil)
	p.sql(`UPDATE account_groups SET description = ? WHERE name = 'staff'`, evil)
	p.sql(`UPDATE invitations SET note = ?`, evil)

	for _, args := range [][]string{
		{"user", "list"}, {"user", "show", "alice"}, {"group", "list"}, {"group", "show", "staff"}, {"invite", "list"},
		{"user", "list", "--json"}, {"user", "show", "alice", "--json"}, {"invite", "list", "--json"},
	} {
		out := p.ok("", args...)
		if strings.ContainsAny(out, "\x1b\x07\u009b\u202e") {
			t.Errorf("pelote %s printed a control character raw: %q", strings.Join(args, " "), out)
		}
		if !strings.Contains(out, `\u001B`) && !strings.Contains(out, `\u001b`) {
			t.Errorf("pelote %s does not show the escape: %q", strings.Join(args, " "), out)
		}
		if args[len(args)-1] == "--json" {
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("pelote %s: not JSON any more: %v", strings.Join(args, " "), err)
			} else if !strings.Contains(mustJSON(t, v), "pwned") {
				t.Errorf("pelote %s: the text is lost: %s", strings.Join(args, " "), out)
			}
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTermSafeSplitsAndBadBytes(t *testing.T) {
	var buf bytes.Buffer
	w := newTermSafe(&buf)
	rlo := []byte("\u202e")
	w.Write([]byte("a"))
	w.Write(rlo[:1])
	w.Write(rlo[1:])
	w.Write([]byte("é\xffz\n\tok"))
	é := []byte("é")
	w.Write(é[:1])
	w.Flush()
	if got, want := buf.String(), "a\\u202Eé\\xffz\n\tok\\xc3"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// sql runs one statement on the CLI's database, behind the domain's back.
func (p *pelote) sql(query string, args ...any) {
	p.t.Helper()
	db, err := store.Open(p.t.Context(), p.dsn, p.data)
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(p.t.Context(), query, args...); err != nil {
		p.t.Fatalf("%s: %v", query, err)
	}
}
