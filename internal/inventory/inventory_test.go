package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const example = `organization:
  name: Chaton du coin
  description: Hébergeur associatif
  type: association
  status: active
  website: https://chaton.example
  contact: {email: contact@chaton.example}
  country: FR
  chatons: {since: 2020-03-01, status: active}
machines:
  - name: alice
    role: hypervisor
    type: physical
    provider: hostedbay
    hosted_by: Tetaneutral
    location: Toulouse
    country: FR
    hardware: 2 × Xeon, 64 GB RAM, RAID 1
    os: Proxmox VE 8
    watts: 90
    encrypted: true
  - name: pica01
    type: virtual
    provider: hostedbay
    on: alice
  - name: pavonina
    type: nano
    provider: home
    watts: 10
services:
  - name: cloud
    software: Nextcloud
    url: https://cloud.chaton.example
    license: AGPL-3.0-or-later
    source: https://github.com/nextcloud/server
    version_from: {url: https://cloud.chaton.example/status.php, json: versionstring}
    upstream: {forge: github, repo: nextcloud/server, tag_pattern: '^v(.*)$'}
    machines: [pica01]
    backup: {frequency: daily, retention_days: 30, where: bob, encrypted: true}
    registration: members
    sso: cloud
  - name: pad
    software: Etherpad
    version: 2.0.3
    machines: [pavonina]
    registration: none
access:
  groups: [admin, sysadmins]
`

func TestParseExample(t *testing.T) {
	inv, err := ParseBytes("inv.yaml", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Machines) != 3 || len(inv.Services) != 2 || inv.Organization.Name != "Chaton du coin" {
		t.Fatalf("parsed %+v", inv)
	}
	cloud, ok := inv.Service("cloud")
	if !ok || cloud.Upstream.Repo != "nextcloud/server" || cloud.VersionFrom.JSON != "versionstring" || cloud.Where() != "inv.yaml:31" {
		t.Fatalf("cloud = %+v at %s", cloud, cloud.Where())
	}
	if m, _ := inv.Machine("pica01"); m.AccessHost() != "pica01" || m.On != "alice" {
		t.Fatalf("pica01 = %+v", m)
	}
	if inv.Organization.Chatons.Since.Time().Year() != 2020 {
		t.Fatalf("since = %v", inv.Organization.Chatons.Since)
	}
}

// TestProblemsNameFileAndLine: every rule's error names the file and the
// line of the entry (or key) at fault, and all are reported together.
func TestProblemsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown machine", "machines:\n  - name: a\nservices:\n  - name: s\n    machines: [a, db9]\n",
			[]string{`inv.yaml:5: service s runs on "db9", which is not in the inventory's machines`}},
		{"duplicate machine", "machines:\n  - name: a\n  - name: a\n",
			[]string{`inv.yaml:3: machine "a" is described twice (first at inv.yaml:2)`}},
		{"duplicate service", "machines:\n  - name: a\nservices:\n  - name: s\n    machines: [a]\n  - name: s\n    machines: [a]\n",
			[]string{`inv.yaml:6: service "s" is described twice (first at inv.yaml:4)`}},
		{"loop", "machines:\n  - name: a\n    on: b\n  - name: b\n    on: c\n  - name: c\n    on: a\n",
			[]string{`inv.yaml:3: machines run on each other in a loop: a → b → c → a`}},
		{"runs on itself", "machines:\n  - name: a\n    on: a\n", []string{"inv.yaml:3: machine a runs on itself"}},
		{"missing parent", "machines:\n  - name: a\n    on: zz\n", []string{`inv.yaml:3: machine "a" runs on "zz", which is not in the inventory's machines`}},
		{"unknown key", "machines:\n  - name: a\n    wats: 3\n", []string{`inv.yaml:3: unknown key "wats" in machines`}},
		{"unknown top key", "servers: []\n", []string{`inv.yaml:1: unknown key "servers" in inventory`}},
		{"wrong type", "machines:\n  - name: a\n    watts: lots\n", []string{"inv.yaml:3: cannot unmarshal !!str `lots` into float64"}},
		{"enum", "machines:\n  - name: a\n    type: mainframe\n", []string{`inv.yaml:3: machine a: type "mainframe" must be one of nano, physical`}},
		{"no machines", "services:\n  - name: s\n", []string{"inv.yaml:2: service s: machines is missing"}},
		{"bad date", "organization:\n  name: x\n  start_date: 14/03/2021\n", []string{`inv.yaml:3: organization.start_date "14/03/2021" is not a date`}},
		{"bad regex", "machines:\n  - name: a\nservices:\n  - name: s\n    machines: [a]\n    upstream: {forge: github, repo: a/b, tag_pattern: '(('}\n",
			[]string{"inv.yaml:6: service s: upstream.tag_pattern"}},
		{"version twice", "machines:\n  - name: a\nservices:\n  - name: s\n    machines: [a]\n    version: 1.0.0\n    version_from: {url: https://s.example/v, json: version}\n",
			[]string{"inv.yaml:7: service s: set version or version_from, not both"}},
		{"control characters", "machines:\n  - name: a\n    role: \"web\\u202Eserver\"\n", []string{"inv.yaml:3: inventory.machines.role: control characters"}},
		{"not a mapping", "- a\n- b\n", []string{"inv.yaml:1: cannot unmarshal !!seq into inventory.Inventory"}},
		{"alias", "machines:\n  - &m {name: a}\nservices:\n  - name: s\n    machines: [a]\n    backup: *m\n", []string{"inv.yaml:6: "}},
		{"several at once", "machines:\n  - name: A\n  - name: b\n    watts: -1\n", []string{"inv.yaml:2: machine name \"A\"", "inv.yaml:4: machine b: watts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBytes("inv.yaml", []byte(tc.yaml))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want problems", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not say %q", err, w)
				}
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("00-org.yaml", "organization:\n  name: Chaton\n")
	write("10-machines.yaml", "machines:\n  - name: alice\n")
	write("20-cloud.yml", "services:\n  - name: cloud\n    machines: [alice]\n")
	write("README.md", "not yaml: [")
	inv, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Organization.Name != "Chaton" || len(inv.Machines) != 1 || len(inv.Services) != 1 {
		t.Fatalf("merged %+v", inv)
	}
	// A reference across files is checked across files, and errors name
	// the file they are in.
	write("30-pad.yaml", "services:\n  - name: pad\n    machines: [bob]\n")
	write("40-org.yaml", "organization:\n  name: Other\n")
	_, err = LoadDir(dir)
	for _, w := range []string{
		filepath.Join(dir, "30-pad.yaml") + `:3: service pad runs on "bob"`,
		filepath.Join(dir, "40-org.yaml") + ":1: organization is already described in " + filepath.Join(dir, "00-org.yaml"),
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not say %q", err, w)
		}
	}
	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "cannot read the directory") {
		t.Errorf("missing directory: %v", err)
	}
}

func TestHolderNeverNil(t *testing.T) {
	h := NewHolder(nil)
	if h.Load() == nil || !h.Load().Empty() {
		t.Fatal("empty holder")
	}
	inv, _ := ParseBytes("x", []byte(example))
	h.Store(inv)
	if h.Load().Organization.Name != "Chaton du coin" {
		t.Fatal("store")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte("machines:\n  - name: a\n    on: a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		inv, err := ParseBytes("f.yaml", b)
		if err == nil && inv == nil {
			t.Fatal("nil inventory without error")
		}
	})
}
