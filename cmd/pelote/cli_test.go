package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pelote/internal/mail/mailtest"
	"pelote/internal/store/storetest"
)

// pelote runs the CLI in-process against one data directory and database.
type pelote struct {
	t    *testing.T
	data string
	dsn  string
}

func newPelote(t *testing.T) *pelote {
	return &pelote{t: t, data: t.TempDir(), dsn: storetest.DSN(t)}
}

// fastHash keeps CLI tests quick; production parameters are tested in
// identity and config.
var fastHash = []string{"PELOTE_PASSWORD_MEMORY_KIB=19456"}

func (p *pelote) run(stdin string, args ...string) (code int, stdout, stderr string) {
	p.t.Helper()
	var out, errOut bytes.Buffer
	env := append([]string{"PELOTE_DATA=" + p.data, "PELOTE_DATABASE=" + p.dsn}, fastHash...)
	code = run(args, strings.NewReader(stdin), &out, &errOut, env)
	return code, out.String(), errOut.String()
}

func (p *pelote) ok(stdin string, args ...string) string {
	p.t.Helper()
	code, out, errOut := p.run(stdin, args...)
	if code != exitOK {
		p.t.Fatalf("pelote %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func (p *pelote) fails(code int, wantErr string, stdin string, args ...string) {
	p.t.Helper()
	got, _, errOut := p.run(stdin, args...)
	if got != code || !strings.Contains(errOut, wantErr) {
		p.t.Fatalf("pelote %s: exit %d, stderr %q; want exit %d with %q", strings.Join(args, " "), got, errOut, code, wantErr)
	}
}

func TestUserVerbs(t *testing.T) {
	p := newPelote(t)
	p.ok("correct horse battery\n", "user", "add", "root", "--email", "root@example.org", "--admin", "--password-stdin")
	out := p.ok("correct horse battery\n", "user", "add", "Alice", "--email", "alice@example.org", "--name", "Alice A.", "--password-stdin", "--json")
	var a struct {
		Username string   `json:"username"`
		Email    string   `json:"email"`
		Groups   []string `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.Username != "alice" {
		t.Fatalf("--json output %q: %v", out, err)
	}

	p.fails(exitFail, `username "alice" is taken`, "correct horse battery\n", "user", "add", "alice", "--email", "x@example.org", "--password-stdin")
	p.fails(exitFail, "email: is not an e-mail address", "correct horse battery\n", "user", "add", "bob", "--email", "bob@", "--password-stdin")
	p.fails(exitFail, "password: must be at least 10 characters", "short\n", "user", "add", "bob", "--email", "bob@example.org", "--password-stdin")
	p.fails(exitFail, "no password on standard input", "", "user", "add", "bob", "--email", "bob@example.org", "--password-stdin")
	p.fails(exitUsage, "needs --password-stdin", "", "user", "add", "bob", "--email", "bob@example.org")
	p.fails(exitUsage, "takes one username", "", "user", "add", "--email", "bob@example.org", "--password-stdin")
	p.fails(exitUsage, "flag provided but not defined", "", "user", "list", "--frobnicate")
	p.fails(exitUsage, "unknown command", "", "frobnicate")

	var list []map[string]any
	if err := json.Unmarshal([]byte(p.ok("", "user", "list", "--json")), &list); err != nil || len(list) != 2 {
		t.Fatalf("user list --json: %v %v", list, err)
	}
	if out := p.ok("", "user", "list"); !strings.Contains(out, "alice@example.org") || !strings.HasPrefix(out, "USERNAME") {
		t.Fatalf("user list: %q", out)
	}
	p.ok("", "user", "disable", "alice")
	p.fails(exitFail, "last administrator", "", "user", "disable", "root")
	p.fails(exitFail, "not found", "", "user", "disable", "ghost")
	if out := p.ok("", "user", "show", "alice"); !strings.Contains(out, "disabled") {
		t.Fatalf("user show: %q", out)
	}
	p.ok("", "user", "enable", "alice")
	p.ok("a much longer secret\n", "user", "passwd", "alice", "--password-stdin")
	// A member moving in from OpenLDAP keeps the password it had there.
	p.ok("{SSHA}dKg6Zicv/OsorPie/dsk/WgPGu3uJBX1\n", "user", "passwd", "alice", "--hash-stdin")
	p.fails(exitFail, "not a hash Pelote can check", "{MD5}X03MO1qnZdYdgyfeuILPmQ==\n", "user", "passwd", "alice", "--hash-stdin")
	p.fails(exitUsage, "--password-stdin or --hash-stdin", "x\n", "user", "passwd", "alice", "--hash-stdin", "--password-stdin")

	secret := strings.TrimSpace(p.ok("", "apppass", "add", "alice", "Thunderbird"))
	if len(secret) != 23 || strings.Count(secret, "-") != 3 {
		t.Fatalf("apppass add printed %q", secret)
	}
	p.fails(exitFail, "exists already", "", "apppass", "add", "alice", "Thunderbird")
	p.fails(exitFail, "not found", "", "apppass", "add", "ghost", "phone")
	p.fails(exitUsage, "takes USER NAME", "", "apppass", "add", "alice")
	if out := p.ok("", "apppass", "list", "alice"); !strings.Contains(out, "Thunderbird") || !strings.Contains(out, "never") {
		t.Fatalf("apppass list: %q", out)
	}
	p.ok("", "apppass", "rm", "alice", "Thunderbird")
	p.fails(exitFail, "not found", "", "apppass", "rm", "alice", "Thunderbird")
}

func TestGroupServiceProfileVerbs(t *testing.T) {
	p := newPelote(t)
	p.ok("correct horse battery\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	p.ok("", "group", "add", "staff", "--description", "The staff")
	p.fails(exitFail, "exists already", "", "group", "add", "staff")
	p.ok("", "group", "member", "add", "staff", "alice")
	p.fails(exitFail, "already in group", "", "group", "member", "add", "staff", "alice")
	var g struct{ Members []string }
	if err := json.Unmarshal([]byte(p.ok("", "group", "show", "staff", "--json")), &g); err != nil || len(g.Members) != 1 {
		t.Fatalf("group show: %+v %v", g, err)
	}
	var groups []struct {
		Name    string
		Members int
	}
	if err := json.Unmarshal([]byte(p.ok("", "group", "list", "--json")), &groups); err != nil || len(groups) != 2 {
		t.Fatalf("group list: %+v %v", groups, err)
	}
	p.fails(exitUsage, "needs a flag to change", "", "group", "set", "staff")
	p.fails(exitFail, "not found", "", "group", "set", "ghosts", "--require-totp=true")
	if out := p.ok("", "group", "set", "staff", "--require-totp=true"); !strings.Contains(out, "required") {
		t.Fatalf("group set: %q", out)
	}
	if out := p.ok("", "group", "list"); !strings.Contains(out, "staff  1        required") {
		t.Fatalf("group list: %q", out)
	}
	p.ok("", "group", "set", "staff", "--require-totp=false")
	p.fails(exitFail, "two-step verification is not enabled", "", "user", "totp-reset", "alice")
	p.fails(exitFail, "not found", "", "user", "totp-reset", "ghost")
	p.ok("", "group", "member", "rm", "staff", "alice")
	p.ok("", "group", "rm", "staff")

	p.ok("", "service", "add", "mastodon", "--quota", "1", "--extra", "approval")
	p.fails(exitFail, "extra: must be refuse or approval", "", "service", "add", "pixelfed", "--extra", "maybe")
	if out := p.ok("", "service", "list"); !strings.Contains(out, "mastodon  1      approval") {
		t.Fatalf("service list: %q", out)
	}
	p.ok("", "profile", "add", "alice", "mastodon", "alice")
	// The shell is the administrator: past the quota is allowed.
	p.ok("", "profile", "add", "alice", "mastodon", "alice2")
	p.fails(exitFail, "taken", "", "profile", "add", "alice", "mastodon", "alice2")
	var ps []struct{ Name, State string }
	if err := json.Unmarshal([]byte(p.ok("", "profile", "list", "--user", "alice", "--json")), &ps); err != nil || len(ps) != 2 {
		t.Fatalf("profile list: %+v %v", ps, err)
	}
	p.fails(exitUsage, "not a profile id", "", "profile", "approve", "x")
	p.fails(exitFail, "not found", "", "profile", "approve", "999")
}

func TestConfigErrors(t *testing.T) {
	p := newPelote(t)
	conf := filepath.Join(t.TempDir(), "pelote.yaml")
	if err := os.WriteFile(conf, []byte("listen: 127.0.0.1:1\nlisen: oops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.fails(exitFail, "lisen", "", "user", "list", "--config", conf)
	var out, errOut bytes.Buffer
	code := run([]string{"user", "list"}, strings.NewReader(""), &out, &errOut, []string{"PELOTE_DATABASE=postgres://x:secret@127.0.0.1:1/db?connect_timeout=2"})
	if code != exitFail || !strings.Contains(errOut.String(), "does not answer") || strings.Contains(errOut.String(), "secret") {
		t.Fatalf("unreachable database: exit %d, %q", code, errOut.String())
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	code = run([]string{"user", "list"}, strings.NewReader(""), &out, &errOut, []string{"PELOTE_DATA=" + filepath.Join(file, "sub")})
	if code != exitFail || !strings.Contains(errOut.String(), "data directory") {
		t.Fatalf("unusable data directory: exit %d, %q", code, errOut.String())
	}
}

func TestMailTest(t *testing.T) {
	sink := mailtest.Start(t)
	p := newPelote(t)
	host, port, _ := net.SplitHostPort(sink.Addr)
	env := []string{"PELOTE_MAIL_HOST=" + host, "PELOTE_MAIL_PORT=" + port, "PELOTE_MAIL_TLS=none", "PELOTE_MAIL_USERNAME=pelote",
		"PELOTE_MAIL_PASSWORD=relay password", "PELOTE_MAIL_FROM=Pelote <id@example.org>"}
	run := func(extra []string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errOut, append([]string{"PELOTE_DATA=" + p.data, "PELOTE_DATABASE=" + p.dsn}, extra...))
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := run(env, "mail", "test", "alice@example.org", "--lang", "fr"); code != exitOK || !strings.Contains(out, "sent") {
		t.Fatalf("mail test: %d %s %s", code, out, errOut)
	}
	got := sink.Messages()
	if len(got) != 1 || !strings.Contains(got[0].Data, "les r=C3=A9glages") && !strings.Contains(got[0].Data, "réglages") {
		t.Fatalf("delivered: %+v", got)
	}
	if code, _, errOut := run(env, "mail", "test", "refused@example.org"); code != exitFail || !strings.Contains(errOut, "refused") {
		t.Fatalf("refused recipient: %d %s", code, errOut)
	}
	if code, _, errOut := run(nil, "mail", "test", "alice@example.org"); code != exitFail || !strings.Contains(errOut, "mail.host") {
		t.Fatalf("no server configured: %d %s", code, errOut)
	}
	if code, _, _ := run(env, "mail", "test", "not an address"); code != exitUsage {
		t.Fatalf("bad address: %d", code)
	}
}
