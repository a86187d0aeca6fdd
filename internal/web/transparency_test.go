package web

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"pelote/internal/access"
	"pelote/internal/identity"
	"pelote/internal/inventory"
	"pelote/internal/notify"
	"pelote/internal/openid"
	"pelote/internal/releases"
	"pelote/internal/store"
	"pelote/internal/testkit"
	"pelote/internal/transparency"
)

// facts joins the stores the report counts from, as serve does.
type facts struct {
	ids *identity.Store
	acc *access.Store
	oid *openid.Store
}

func (f facts) ActiveAccountCount(ctx context.Context) (int, error) {
	return f.ids.ActiveAccountCount(ctx)
}
func (f facts) ActiveMemberNames(ctx context.Context, g []string) (map[string][]string, error) {
	return f.ids.ActiveMemberNames(ctx, g)
}
func (f facts) ReachNames(ctx context.Context) (map[string][]string, error) {
	return f.acc.ReachNames(ctx)
}
func (f facts) ProfileAccounts(ctx context.Context) (map[string]int, error) {
	return f.ids.ProfileAccounts(ctx)
}
func (f facts) ActiveSignIns(ctx context.Context, since time.Time) (map[string]int, error) {
	return f.oid.ActiveSignIns(ctx, since)
}

type noNotify struct{}

func (noNotify) Enqueue(context.Context, *store.Tx, notify.Message) error { return nil }

func transparencyEnv(t *testing.T) *env {
	t.Helper()
	b, err := os.ReadFile("../../cmd/pelote/testdata/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.ParseBytes("inventory.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	holder := inventory.NewHolder(inv)
	return newEnv(t, "http://pelote.test", func(db *store.DB, o *Options) {
		if err := db.Migrate(context.Background(), openid.Migrations(), access.Migrations(), releases.Migrations()); err != nil {
			t.Fatal(err)
		}
		log := testkit.Quiet
		ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
		o.Access = access.NewStore(db)
		w := releases.New(db, holder.Load, noNotify{}, log)
		o.Releases = w
		o.Transparency = &transparency.Builder{Inventory: holder.Load, Facts: facts{ids: ids, acc: o.Access, oid: openid.NewStore(db, ids, nil, log)},
			Versions: w, CacheFor: time.Minute}
	})
}

func TestTransparencyPage(t *testing.T) {
	e := transparencyEnv(t)
	ctx := t.Context()
	e.account("root", true)
	e.account("zoe", false)
	e.account("yann", false)
	if _, err := e.ids.CreateGroup(ctx, "sysadmins", ""); err != nil {
		t.Fatal(err)
	}
	e.ids.AddMember(ctx, "sysadmins", "zoe")
	e.ids.AddMember(ctx, "sysadmins", "yann")
	acc := e.srv.opts.Access
	acc.AddHost(ctx, "pica01")
	acc.Grant(ctx, "pica01", "sysadmins", true)
	acc.Grant(ctx, "pica01", "root", false)

	b := e.browser()
	r := b.get("/transparency")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	for _, want := range []string{
		"Chaton du coin", "Association", "pavonina", "Odroid H3", "10 W", "100 W", "29.0.1", "AGPL-3.0-or-later",
		`href="https://github.com/nextcloud/server"`, "Backed up every day, copies kept 30 days, on alice (Toulouse), encrypted, in another place than the service.",
		"Group admin", "Group sysadmins", "May log in to pica01", "2 people", "3 people", "1 person", "0 accounts, 0 active this month",
		`src="/transparency/services.svg"`, "Page generated from the inventory on", "on invitation",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	for _, name := range []string{"zoe", "yann", "root@"} {
		if strings.Contains(r.body, name) {
			t.Errorf("the page names %q without show_names", name)
		}
	}
	if r.header.Get("Content-Security-Policy") == "" {
		t.Error("no CSP")
	}
	svg := b.get("/transparency/services.svg")
	if svg.status != 200 || svg.header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(svg.body, "<svg") {
		t.Fatalf("graph %d %q", svg.status, svg.header.Get("Content-Type"))
	}

	org := b.get("/.well-known/chatonsinfos/organization.properties")
	props, err := transparency.ParseProperties([]byte(org.body))
	if err != nil || org.status != 200 || len(transparency.CheckProperties(props)) != 0 || props["subs.cloud"] != "http://pelote.test/.well-known/chatonsinfos/cloud.properties" {
		t.Fatalf("organization file %d %v %v", org.status, err, transparency.CheckProperties(props))
	}
	cloud := b.get("/.well-known/chatonsinfos/cloud.properties")
	props, _ = transparency.ParseProperties([]byte(cloud.body))
	if cloud.status != 200 || props["software.version"] != "29.0.1" || len(transparency.CheckProperties(props)) != 0 {
		t.Fatalf("cloud file %d %v", cloud.status, props)
	}
	for _, p := range []string{"/.well-known/chatonsinfos/nope.properties", "/.well-known/chatonsinfos/organization", "/.well-known/chatonsinfos/..%2Fsecret.properties"} {
		if r := b.get(p); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.status)
		}
	}

	// The operators' page is for administrators.
	if r := b.get("/admin/inventory"); !strings.Contains(r.url, "/login") {
		t.Fatalf("anonymous admin page: %s", r.url)
	}
	b.login("root", "correct horse battery")
	r = b.get("/admin/inventory")
	if r.status != 200 || !strings.Contains(r.body, "not known yet") || !strings.Contains(r.body, "inventory.yaml:") {
		t.Fatalf("admin page %d:\n%s", r.status, r.body)
	}
}

// TestTransparencyInChromium: a real browser renders the page under its
// CSP; landmarks, the language, alt texts and the figures are there.
func TestTransparencyInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (test.sh installs it)")
	}
	e := transparencyEnv(t)
	e.account("root", true)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	var out []byte
	for try := 1; ; try++ {
		out, err = exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--user-data-dir="+t.TempDir(), "--lang=fr", "--accept-lang=fr", "--dump-dom", e.url+"/transparency").Output()
		var exit *exec.ExitError
		if err == nil || !errors.As(err, &exit) || exit.Exited() || try == 3 {
			break
		}
		t.Logf("chromium crashed (%v), trying again", err)
	}
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	for _, want := range []string{`<html lang="fr">`, "<main", "<header", "<nav", "<footer", "Transparence", "Chaton du coin", "29.0.1",
		"Sauvegardé chaque jour", "Qui a accès à quoi"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	for _, img := range regexp.MustCompile(`<img[^>]*>`).FindAllString(dom, -1) {
		if !regexp.MustCompile(`alt="[^"]{10,}"`).MatchString(img) {
			t.Errorf("image without a useful alt text: %s", img)
		}
	}
	if n := strings.Count(dom, "<caption>"); n < 3 {
		t.Errorf("%d tables with a caption, want 3", n)
	}
}
