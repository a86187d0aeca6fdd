package transparency

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"pelote/internal/inventory"
)

type facts struct{ calls int }

func (f *facts) ActiveAccountCount(context.Context) (int, error) { f.calls++; return 42, nil }
func (f *facts) ActiveMemberNames(_ context.Context, groups []string) (map[string][]string, error) {
	return map[string][]string{"admin": {"Alice", "Bob"}, "sysadmins": {"Alice", "Chloé", "Dan"}}, nil
}
func (f *facts) ReachNames(context.Context) (map[string][]string, error) {
	return map[string][]string{"alice": {"Alice", "Dan"}, "pica01": {"Alice", "Bob", "Dan"}}, nil
}
func (f *facts) ProfileAccounts(context.Context) (map[string]int, error) {
	return map[string]int{"cloud": 30, "chat": 12}, nil
}
func (f *facts) ActiveSignIns(_ context.Context, since time.Time) (map[string]int, error) {
	return map[string]int{"cloud": 17}, nil
}

type versions map[string]string

func (v versions) Running(context.Context) (map[string]string, error) { return v, nil }

type uptime struct{}

func (uptime) Uptime(_ context.Context, check string) (Uptime, bool, error) {
	if check == "cloud" {
		return Uptime{Ratio: 0.9987, Days: 30}, true, nil
	}
	return Uptime{}, false, nil
}

func testInventory(t *testing.T) *inventory.Inventory {
	t.Helper()
	b, err := os.ReadFile("../../cmd/pelote/testdata/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.ParseBytes("inventory.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func builder(inv *inventory.Inventory, f Facts) *Builder {
	return &Builder{Inventory: func() *inventory.Inventory { return inv }, Facts: f, Versions: versions{"cloud": "29.0.1"},
		Uptime: uptime{}, Now: func() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) }, CacheFor: time.Minute}
}

func TestReport(t *testing.T) {
	inv := testInventory(t)
	f := &facts{}
	b := builder(inv, f)
	r, err := b.Report(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r.Accounts != 42 || len(r.Machines) != 3 || len(r.Services) != 15 || r.TotalWatts != 100 {
		t.Fatalf("report %+v", r)
	}
	levels := map[string]Level{}
	for _, l := range r.Levels {
		levels[l.Group+l.Machine] = l
	}
	if levels["admin"].Count != 2 || levels["sysadmins"].Count != 3 || levels["pica01"].Count != 3 || levels["pavonina"].Count != 0 {
		t.Fatalf("levels %+v", r.Levels)
	}
	for _, l := range r.Levels {
		if l.Names != nil {
			t.Fatalf("names published without show_names: %+v", l)
		}
	}
	var cloud Service
	for _, s := range r.Services {
		if s.Name == "cloud" {
			cloud = s
		}
		if s.Name == "pad" && (s.Accounts != -1 || s.Uptime != nil) {
			t.Fatalf("pad does not use the SSO: %+v", s)
		}
	}
	if cloud.Running != "29.0.1" || cloud.Accounts != 30 || cloud.ActiveSignIns != 17 || cloud.Uptime == nil {
		t.Fatalf("cloud %+v", cloud)
	}
	// Cached: a second visit costs no query.
	if _, err := b.Report(t.Context()); err != nil || f.calls != 1 {
		t.Fatalf("calls %d", f.calls)
	}
	inv.Access.ShowNames = true
	r2, _ := builder(inv, f).Report(t.Context())
	for _, l := range r2.Levels {
		if l.Group == "admin" && strings.Join(l.Names, ",") != "Alice,Bob" {
			t.Fatalf("names %+v", l)
		}
	}
}

// TestChatonsInfosParsesBack: the files parse back as properties, every
// key is a field of the format and every value of its type.
func TestChatonsInfosParsesBack(t *testing.T) {
	inv := testInventory(t)
	r, err := builder(inv, &facts{}).Report(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	files := r.ChatonsInfos("https://id.chaton.example/.well-known/chatonsinfos", "Pelote test")
	org, err := ParseProperties(files.Organization)
	if err != nil {
		t.Fatal(err)
	}
	if errs := CheckProperties(org); len(errs) > 0 {
		t.Fatalf("organization file:\n%s\n%v", files.Organization, errs)
	}
	if org["organization.type"] != "ASSOCIATION" || org["organization.memberof.chatons.startdate"] != "2020-03-01" ||
		org["file.datetime"] != "2026-03-14T15:09:26" || org["subs.cloud"] != "https://id.chaton.example/.well-known/chatonsinfos/cloud.properties" {
		t.Fatalf("organization %v", org)
	}
	subs := 0
	for k := range org {
		if strings.HasPrefix(k, "subs.") {
			subs++
		}
	}
	if subs != 15 || len(files.Services) != 15 {
		t.Fatalf("%d subs, %d files", subs, len(files.Services))
	}
	for name, b := range files.Services {
		p, err := ParseProperties(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if errs := CheckProperties(p); len(errs) > 0 {
			t.Fatalf("%s:\n%s\n%v", name, b, errs)
		}
	}
	cloud, _ := ParseProperties(files.Services["cloud"])
	for k, want := range map[string]string{
		"software.version": "29.0.1", "service.registration": "Member", "host.server.type": "NANO", "host.provider.type": "HOME",
		"host.name": "Le Bêta (tiers-lieu)", "metrics.service.accounts.2026.months": ";;30;;;;;;;;;", "metrics.service.accounts.active.2026.months": ";;17;;;;;;;;;",
		"metrics.service.uptime.2026.months": ";;99.87;;;;;;;;;", "service.status": "ON", "service.status.level": "OK",
	} {
		if cloud[k] != want {
			t.Errorf("cloud %s = %q, want %q", k, cloud[k], want)
		}
	}
	pad, _ := ParseProperties(files.Services["pad"])
	if pad["host.provider.hypervisor"] != "Proxmox VE 8" || pad["service.registration"] != "None" {
		t.Errorf("pad %v", pad)
	}
	// A value with a line break stays on its line.
	inv.Organization.Description = "Line one\nline two = \\ three"
	r, _ = builder(inv, &facts{}).Report(t.Context())
	org, _ = ParseProperties(r.ChatonsInfos("https://x.example", "g").Organization)
	if org["organization.description"] != "Line one\nline two = \\ three" {
		t.Fatalf("description %q", org["organization.description"])
	}
}

func TestCheckPropertiesRefuses(t *testing.T) {
	for _, tc := range []string{
		"file.class = service\nfile.protocol = ChatonsInfos-0.5\nfile.datetime = 2020-01-01T00:00:00\nfile.generator = x\nservice.name = a\nservice.status = UP\nservice.status.level = OK\n",
		"file.class = organization\nfile.protocol = ChatonsInfos-0.5\nfile.datetime = yesterday\nfile.generator = x\norganization.name = a\n",
		"file.class = organization\nfile.protocol = ChatonsInfos-0.5\nfile.datetime = 2020-01-01T00:00:00\nfile.generator = x\norganization.name = a\norganization.colour = red\n",
		"file.class = service\nfile.protocol = ChatonsInfos-0.5\nfile.datetime = 2020-01-01T00:00:00\nfile.generator = x\nservice.status = ON\nservice.status.level = OK\n",
	} {
		p, err := ParseProperties([]byte(tc))
		if err != nil || len(CheckProperties(p)) == 0 {
			t.Errorf("accepted:\n%s", tc)
		}
	}
}

func TestGraphIsEscapedSVG(t *testing.T) {
	inv := testInventory(t)
	inv.Organization.Name = `<script>alert("x")</script> & co`
	svg := Graph(inv)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && (se.Name.Local == "script" || se.Name.Local == "style") {
			t.Fatalf("%s element in the graph", se.Name.Local)
		}
	}
	for _, want := range []string{"pica01 · general services", "cloud · Nextcloud", "&lt;script&gt;"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("graph lacks %q", want)
		}
	}
}
