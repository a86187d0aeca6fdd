package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInventorySection(t *testing.T) {
	path := write(t, "log_level: info\ninventory:\n  machines:\n    - name: alice\n  services:\n    - name: cloud\n      machines: [alice, bob]\n")
	_, err := load(path, nil, nil)
	if err == nil || !strings.Contains(err.Error(), path+`:7: service cloud runs on "bob"`) {
		t.Fatalf("err = %v, want the file and line of the missing machine", err)
	}
	os.WriteFile(path, []byte("inventory:\n  machines:\n    - name: alice\n  services:\n    - name: cloud\n      machines: [alice]\n"), 0o600)
	c, err := load(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := c.LoadInventory()
	if err != nil || len(inv.Services) != 1 || inv.Services[0].Where() != path+":5" {
		t.Fatalf("inventory %+v, %v", inv, err)
	}
}

func TestInventoryDirAndTokens(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "m.yaml"), []byte("machines:\n  - name: alice\n    wats: 3\n"), 0o600)
	_, err := load("", []string{"PELOTE_INVENTORY_DIR=" + dir}, nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "m.yaml")+`:3: unknown key "wats"`) {
		t.Fatalf("err = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "m.yaml"), []byte("machines:\n  - name: alice\n"), 0o600)
	both := write(t, "inventory:\n  machines: []\n")
	if _, err := load(both, []string{"PELOTE_INVENTORY_DIR=" + dir}, nil); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both: %v", err)
	}

	token := filepath.Join(t.TempDir(), "gh.token")
	os.WriteFile(token, []byte("ghp_secret\n"), 0o600)
	cfg := write(t, "releases:\n  interval: 1h\n  forges:\n    - url: https://github.com\n      token_file: "+token+"\n")
	c, err := load(cfg, []string{"PELOTE_INVENTORY_DIR=" + dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := c.ReleaseTokens()
	if err != nil || tokens["github.com"] != "ghp_secret" {
		t.Fatalf("tokens %v, %v", tokens, err)
	}
	bad := write(t, "releases:\n  interval: 1m\n  forges:\n    - url: codeberg\n    - url: https://codeberg.org\n      token_file: /nonexistent\n")
	_, err = load(bad, nil, nil)
	for _, w := range []string{"releases.interval", "releases.forges[0].url", "releases.forges[1].token_file: cannot read /nonexistent"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("err %v does not say %q", err, w)
		}
	}
	if err != nil && strings.Contains(err.Error(), "ghp_") {
		t.Error("a token leaked into an error")
	}
}
