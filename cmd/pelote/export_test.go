package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pelote/internal/transparency"
)

func TestExportChatonsInfos(t *testing.T) {
	p := newPelote(t)
	inv, _ := os.ReadFile("testdata/inventory.yaml")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "inv.yaml"), inv, 0o600)
	out := filepath.Join(t.TempDir(), "chatonsinfos")
	p.ok("correct horse battery\n", "user", "add", "root", "--email", "root@example.org", "--admin", "--password-stdin")
	got := p.ok("", "export", "chatonsinfos", out, "--inventory-dir", dir, "--base-url", "https://chaton.example/ci")
	if !strings.Contains(got, "16 files written") {
		t.Fatalf("export said %q", got)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.properties"))
	if len(files) != 16 {
		t.Fatalf("%d files", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		props, err := transparency.ParseProperties(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if errs := transparency.CheckProperties(props); len(errs) > 0 {
			t.Fatalf("%s: %v", f, errs)
		}
	}
	org, _ := os.ReadFile(filepath.Join(out, "organization.properties"))
	if !strings.Contains(string(org), "subs.cloud = https://chaton.example/ci/cloud.properties") {
		t.Fatalf("organization:\n%s", org)
	}
	p.fails(exitUsage, `unknown verb export "csv"`, "", "export", "csv")
	p.fails(exitFail, "no organization.name", "", "export", "chatonsinfos", out)
}
