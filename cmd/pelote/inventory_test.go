package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInventoryCheck(t *testing.T) {
	p := newPelote(t)
	inv, err := os.ReadFile("testdata/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "services.yaml"), inv, 0o600); err != nil {
		t.Fatal(err)
	}
	out := p.ok("", "inventory", "check", "--inventory-dir", dir)
	if !strings.Contains(out, "inventory valid: 3 machines, 15 services, 9 watched upstreams") {
		t.Fatalf("check said %q", out)
	}

	// Every problem at once, each with its file and line.
	bad := strings.Replace(string(inv), "machines: [pavonina]\n    data:", "machines: [pavonina, bob]\n    data:", 1)
	bad = strings.Replace(bad, "    on: alice\n", "    on: pica01\n", 1)
	os.WriteFile(filepath.Join(dir, "services.yaml"), []byte(bad), 0o600)
	code, _, errOut := p.run("", "inventory", "check", "--inventory-dir", dir)
	file := filepath.Join(dir, "services.yaml")
	if code != exitFail || !strings.Contains(errOut, file+`:58: service cloud runs on "bob"`) || !strings.Contains(errOut, file+":35: machine pica01 runs on itself") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	p.fails(exitUsage, "inventory needs a verb", "", "inventory")
}
