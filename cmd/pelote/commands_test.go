package main

import (
	"os"
	"strings"
	"testing"

	"pelote/internal/config"
)

// readmeCommands is the command list of the README's "Command line"
// section: the lines of its first code block.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Command line\n")
	if !ok {
		t.Fatal("README.md has no Command line section")
	}
	_, block, ok := strings.Cut(section, "```\n")
	if !ok {
		t.Fatal("the Command line section has no code block")
	}
	block, _, _ = strings.Cut(block, "```")
	return strings.Split(strings.TrimRight(block, "\n"), "\n")
}

// The README lists the commands of the table, in its order, with the same
// synopses.
func TestREADMEListsTheCommands(t *testing.T) {
	var want []string
	for _, cmd := range commands() {
		want = append(want, cmd.synopsis())
	}
	got := readmeCommands(t)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README.md's command list differs from the command table; it should read:\n%s", strings.Join(want, "\n"))
	}
}

// pelote help lists every command; each verb's -h shows its synopsis and
// its own flags, and of the settings only those the verb takes.
func TestHelpComesFromTheTable(t *testing.T) {
	p := newPelote(t)
	overview := p.ok("", "help")
	for _, cmd := range commands() {
		if !strings.Contains(overview, "  "+cmd.synopsis()+"\n      "+cmd.summary+"\n") {
			t.Errorf("pelote help does not list %q", cmd.synopsis())
		}
		if cmd.path == "version" || cmd.path == "help" {
			continue
		}
		words := append(strings.Fields(cmd.path), "-h")
		code, _, usage := p.run("", words...)
		if code != exitOK || !strings.HasPrefix(usage, "Usage: "+cmd.synopsis()+"\n") {
			t.Errorf("pelote %s -h: exit %d, %q", cmd.path, code, usage)
			continue
		}
		if byHelp := p.ok("", append([]string{"help"}, strings.Fields(cmd.path)...)...); byHelp != usage {
			t.Errorf("pelote help %s differs from -h:\n%s\n%s", cmd.path, byHelp, usage)
		}
		if cmd.path == "serve" || cmd.path == "run" || cmd.path == "ssh-keys" {
			continue
		}
		taken := map[string]bool{}
		for _, k := range cmd.keys {
			taken[config.FlagName(k)] = true
		}
		for _, k := range config.AllKeys() {
			f := config.FlagName(k)
			if strings.Contains(usage, "  -"+f+" ") && !taken[f] {
				t.Errorf("pelote %s -h offers --%s, a setting it does not use", cmd.path, f)
			}
		}
	}
	if _, _, usage := p.run("", "group", "add", "-h"); strings.Contains(usage, "argon2") || strings.Contains(usage, "oidc") {
		t.Errorf("group add -h shows the settings of other verbs:\n%s", usage)
	}
	p.fails(exitUsage, "flag provided but not defined: -password-memory-kib", "", "group", "add", "staff", "--password-memory-kib", "1024")
	p.fails(exitUsage, "user needs a verb: add, list", "", "user")
	p.fails(exitUsage, `unknown verb group member "frob"`, "", "group", "member", "frob")
}
