package releases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"pelote/internal/inventory"
	"pelote/internal/notify"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// forge serves recorded answers from testdata with ETags, as forges do,
// and counts what it was asked.
type forge struct {
	t  *testing.T
	mu sync.Mutex
	// pages maps a request path (with query) to what it answers.
	pages    map[string]page
	requests map[string]int
	auth     map[string]string
	srv      *httptest.Server
}

type page struct {
	file    string
	body    string
	status  int
	headers map[string]string
}

func newForge(t *testing.T) *forge {
	f := &forge{t: t, pages: map[string]page{}, requests: map[string]int{}, auth: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *forge) set(path string, p page) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pages[path] = p
}

func (f *forge) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[path]
}

func (f *forge) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	key := r.URL.RequestURI()
	f.requests[key]++
	f.auth[key] = r.Header.Get("Authorization") + r.Header.Get("Private-Token")
	p, ok := f.pages[key]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	body := []byte(p.body)
	if p.file != "" {
		b, err := os.ReadFile("testdata/" + p.file)
		if err != nil {
			f.t.Error(err)
		}
		body = b
	}
	for k, v := range p.headers {
		w.Header().Set(k, strings.ReplaceAll(v, "{base}", f.srv.URL))
	}
	if p.status != 0 {
		w.WriteHeader(p.status)
		w.Write(body)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}

// recorder is a notify.Enqueuer that keeps what it is handed.
type recorder struct {
	mu   sync.Mutex
	msgs []notify.Message
	fail error
}

func (r *recorder) Enqueue(_ context.Context, tx *store.Tx, m notify.Message) error {
	if tx == nil {
		return errors.New("enqueued outside a transaction")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	tx.AfterCommit(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.msgs = append(r.msgs, m)
	})
	return nil
}

func (r *recorder) all() []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Message(nil), r.msgs...)
}

func quiet() *slog.Logger { return testkit.Quiet }

func watcher(t *testing.T, db *store.DB, inv *inventory.Inventory, n notify.Enqueuer) *Watcher {
	t.Helper()
	w := New(db, func() *inventory.Inventory { return inv }, n, quiet())
	w.HTTP = newHTTPClient(5 * time.Second)
	return w
}

func inventoryOf(t *testing.T, yaml string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.ParseBytes("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestNewVersionNotifiedOnce(t *testing.T) {
	f := newForge(t)
	f.set("/api/v3/repos/nextcloud/server/releases?per_page=30", page{file: "github_releases.json"})
	inv := inventoryOf(t, fmt.Sprintf(`machines: [{name: m}]
services:
  - {name: cloud, software: Nextcloud, version: 29.0.1, machines: [m], upstream: {forge: github, url: %[1]s, repo: nextcloud/server}}
  - {name: cloud2, software: Nextcloud, version: 29.0.2, machines: [m], upstream: {forge: github, url: %[1]s, repo: nextcloud/server}}
`, f.srv.URL))
	db := storetest.Open(t, Migrations())
	rec := &recorder{}
	w := watcher(t, db, inv, rec)
	c, err := w.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Two services share one upstream: one request, one body.
	if c.Sources != 1 || c.Requests != 1 || c.Bodies != 1 || c.Notified != 1 {
		t.Fatalf("first poll %+v", c)
	}
	msgs := rec.all()
	if len(msgs) != 1 || msgs[0].Subject != "cloud" || msgs[0].Source != "release" || msgs[0].Event != "release" ||
		msgs[0].Severity != notify.Critical || !strings.Contains(msgs[0].Title, "29.0.2") {
		t.Fatalf("messages %+v", msgs)
	}

	// Unchanged upstream: one conditional request, no body, no message;
	// a new watcher (a restart, another node) does not tell again.
	for _, w := range []*Watcher{w, watcher(t, db, inv, rec)} {
		c, err = w.Poll(t.Context())
		if err != nil || c.Requests != 1 || c.NotModified != 1 || c.Bodies != 0 || c.Notified != 0 {
			t.Fatalf("second poll %+v, %v", c, err)
		}
	}
	if len(rec.all()) != 1 {
		t.Fatalf("told twice: %+v", rec.all())
	}
	list, err := w.List(t.Context())
	if err != nil || len(list) != 2 || list[0].Service != "cloud" || !list[0].Outdated || !list[0].Security || list[0].Latest != "29.0.2" || list[1].Outdated {
		t.Fatalf("list %+v, %v", list, err)
	}
}

// TestEnqueueFailureRetried: a message that cannot be stored leaves no
// notice behind, so the next poll tries again.
func TestEnqueueFailureRetried(t *testing.T) {
	f := newForge(t)
	f.set("/api/v1/repos/forgejo/forgejo/releases?limit=30", page{file: "gitea_releases.json"})
	inv := inventoryOf(t, fmt.Sprintf(`machines: [{name: m}]
services: [{name: git, version: 7.0.2, machines: [m], upstream: {forge: forgejo, url: %s, repo: forgejo/forgejo}}]
`, f.srv.URL))
	db := storetest.Open(t, Migrations())
	rec := &recorder{fail: errors.New("outbox full")}
	w := watcher(t, db, inv, rec)
	if _, err := w.Poll(t.Context()); err == nil || !strings.Contains(err.Error(), "outbox full") {
		t.Fatalf("poll err = %v", err)
	}
	rec.fail = nil
	if c, err := w.Poll(t.Context()); err != nil || c.Notified != 1 || len(rec.all()) != 1 || rec.all()[0].Severity != notify.Warning {
		t.Fatalf("retry %+v %v %+v", c, err, rec.all())
	}
}

func TestForges(t *testing.T) {
	f := newForge(t)
	f.set("/api/v3/repos/o/tagged/tags?per_page=30", page{file: "github_tags.json"})
	f.set("/api/v1/repos/forgejo/forgejo/releases?limit=30", page{file: "gitea_releases.json"})
	f.set("/api/v4/projects/framasoft%2Fframadate%2Fframadate/releases?per_page=30", page{file: "gitlab_releases.json"})
	f.set("/api/v4/projects/g%2Fp/repository/tags?per_page=30", page{file: "gitlab_tags.json"})
	f.set("/mastodon/releases.atom", page{file: "github_releases.atom"})
	f.set("/lstu.rss", page{file: "project.rss"})
	f.set("/nodates.rss", page{file: "nodates.rss"})
	inv := inventoryOf(t, fmt.Sprintf(`machines: [{name: m}]
services:
  - {name: gh-tags, version: 1.5.2, machines: [m], upstream: {forge: github, url: %[1]s, repo: o/tagged, tags: true, tag_pattern: '^release-(.*)$'}}
  - {name: gitea, version: 7.0.2, machines: [m], upstream: {forge: gitea, url: %[1]s, repo: forgejo/forgejo}}
  - {name: gitlab, version: 1.1.19, machines: [m], upstream: {forge: gitlab, url: %[1]s, repo: framasoft/framadate/framadate}}
  - {name: gitlab-tags, version: 1.0.0, machines: [m], upstream: {forge: gitlab, url: %[1]s, repo: g/p, tags: true}}
  - {name: atom, version: 4.2.8, machines: [m], upstream: {forge: feed, url: %[1]s/mastodon/releases.atom}}
  - {name: rss, version: 0.24.0, machines: [m], upstream: {forge: feed, url: %[1]s/lstu.rss}}
  - {name: nodates, version: 3.1.0, machines: [m], upstream: {forge: feed, url: %[1]s/nodates.rss}}
`, f.srv.URL))
	db := storetest.Open(t, Migrations())
	rec := &recorder{}
	w := watcher(t, db, inv, rec)
	if _, err := w.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		latest   string
		outdated bool
		problem  string
	}{
		"gh-tags":     {latest: "1.10.0", outdated: true},
		"gitea":       {latest: "7.0.3", outdated: true},
		"gitlab":      {latest: "1.1.19"}, // the beta and the upcoming release do not count
		"gitlab-tags": {latest: "1.0.1", outdated: true},
		"atom":        {latest: "4.2.9", outdated: true},
		"rss":         {latest: "0.25.0", outdated: true},
		"nodates":     {latest: "3.2.0", outdated: true, problem: ProblemNoDates},
	}
	list, err := w.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range list {
		wt := want[st.Service]
		gotProblem := ""
		if len(st.Problems) > 0 {
			gotProblem = st.Problems[0].Key
		}
		if st.Latest != wt.latest || st.Outdated != wt.outdated || gotProblem != wt.problem {
			t.Errorf("%s: latest %q outdated %v problems %v; want %+v", st.Service, st.Latest, st.Outdated, st.Problems, wt)
		}
	}
	if n := len(rec.all()); n != 6 {
		t.Errorf("%d messages, want 6", n)
	}
	for _, m := range rec.all() {
		if m.Subject == "atom" && m.Severity != notify.Critical {
			t.Errorf("a GHSA in the notes is a security fix: %+v", m)
		}
	}
}

func TestPagination(t *testing.T) {
	f := newForge(t)
	f.set("/api/v3/repos/o/p/releases?per_page=30", page{
		body:    `[{"tag_name":"v2.0.0-rc.2","prerelease":true},{"tag_name":"v2.0.0-rc.1","prerelease":true}]`,
		headers: map[string]string{"Link": `<{base}/api/v3/repos/o/p/releases?per_page=30&page=2>; rel="next", <{base}/api/v3/repos/o/p/releases?per_page=30&page=9>; rel="last"`}})
	f.set("/api/v3/repos/o/p/releases?per_page=30&page=2", page{body: `[{"tag_name":"v1.9.0","body":"stable"},{"tag_name":"v1.8.0"}]`})
	inv := inventoryOf(t, fmt.Sprintf("machines: [{name: m}]\nservices: [{name: s, version: 1.8.0, machines: [m], upstream: {forge: github, url: %s, repo: o/p}}]\n", f.srv.URL))
	db := storetest.Open(t, Migrations())
	w := watcher(t, db, inv, &recorder{})
	c, err := w.Poll(t.Context())
	if err != nil || c.Requests != 2 {
		t.Fatalf("poll %+v %v", c, err)
	}
	list, _ := w.List(t.Context())
	if list[0].Latest != "1.9.0" {
		t.Fatalf("latest %+v", list[0])
	}
}

func TestRateLimits(t *testing.T) {
	f := newForge(t)
	reset := time.Now().Add(30 * time.Minute).Unix()
	f.set("/api/v3/repos/o/a/releases?per_page=30", page{status: 403, body: `{"message":"API rate limit exceeded"}`,
		headers: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(reset)}})
	f.set("/api/v4/projects/o%2Fb/releases?per_page=30", page{status: 429, headers: map[string]string{"Retry-After": "120"}})
	g := newForge(t) // another host, with its own limits
	g.set("/api/v1/repos/o/c/releases?limit=30", page{status: 403, body: `{"message":"forbidden"}`})
	inv := inventoryOf(t, fmt.Sprintf(`machines: [{name: m}]
services:
  - {name: a, version: 1.0.0, machines: [m], upstream: {forge: github, url: %[1]s, repo: o/a}}
  - {name: b, version: 1.0.0, machines: [m], upstream: {forge: gitlab, url: %[1]s, repo: o/b}}
  - {name: c, version: 1.0.0, machines: [m], upstream: {forge: gitea, url: %[2]s, repo: o/c}}
`, f.srv.URL, g.srv.URL))
	db := storetest.Open(t, Migrations())
	w := watcher(t, db, inv, &recorder{})
	w.Concurrency = 1 // a and b share one host: the first limit holds for the other
	if _, err := w.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	list, _ := w.List(t.Context())
	problems := map[string]Problem{}
	for _, st := range list {
		if len(st.Problems) != 1 {
			t.Fatalf("%s: problems %+v", st.Service, st.Problems)
		}
		problems[st.Service] = st.Problems[0]
	}
	if p := problems["a"]; p.Key != ProblemRateLimited || p.Detail != time.Unix(reset, 0).UTC().Format(time.RFC3339) {
		t.Errorf("a: %+v", p)
	}
	// The forge asked to wait: nothing more is asked of it, in this poll
	// or the next.
	before := f.count("/api/v4/projects/o%2Fb/releases?per_page=30")
	if _, err := w.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	after := f.count("/api/v4/projects/o%2Fb/releases?per_page=30")
	if f.count("/api/v3/repos/o/a/releases?per_page=30") != 1 || before != 0 || after != 0 {
		t.Errorf("asked again while limited: a %d, others %d then %d", f.count("/api/v3/repos/o/a/releases?per_page=30"), before, after)
	}
	// Once the limit has passed, each forge is asked; a 429 with
	// Retry-After and a plain 403 say so.
	w.Now = func() time.Time { return time.Unix(reset+1, 0) }
	db.Exec(t.Context(), `DELETE FROM release_limits`)
	f.set("/api/v3/repos/o/a/releases?per_page=30", page{body: `[{"tag_name":"v1.0.0"}]`})
	if _, err := w.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	list, _ = w.List(t.Context())
	for _, st := range list {
		got := ""
		if len(st.Problems) > 0 {
			got = st.Problems[0].Key + " " + st.Problems[0].Detail
		}
		want := map[string]string{"a": "", "b": ProblemRateLimited + " " + time.Unix(reset+121, 0).UTC().Format(time.RFC3339), "c": ProblemStatus + " 403"}[st.Service]
		if got != want {
			t.Errorf("%s: problem %q, want %q", st.Service, got, want)
		}
	}
}

// TestBadInput: nothing a forge or a service answers crashes a poll or
// makes a false "new version".
func TestBadInput(t *testing.T) {
	f := newForge(t)
	f.set("/api/v3/repos/o/json/releases?per_page=30", page{body: `[{"tag_name": "v9.9.9", `})
	f.set("/api/v3/repos/o/shape/releases?per_page=30", page{body: `{"message": "Not Found"}`})
	f.set("/api/v3/repos/o/weird/releases?per_page=30", page{body: `[{"tag_name":"nightly"},{"tag_name":"latest"}]`})
	f.set("/api/v3/repos/o/ok/releases?per_page=30", page{body: `[{"tag_name":"v30.0.0"}]`})
	f.set("/feed.xml", page{body: `<html><body>not a feed</body></html>`})
	f.set("/status.php", page{body: `{"installed":true,"version":"29.0.1.2","versionstring":"29.0.1"}`})
	f.set("/broken.php", page{body: `<?php error`})
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	inv := inventoryOf(t, fmt.Sprintf(`machines: [{name: m}]
services:
  - {name: json, version: 1.0.0, machines: [m], upstream: {forge: github, url: %[1]s, repo: o/json}}
  - {name: shape, version: 1.0.0, machines: [m], upstream: {forge: github, url: %[1]s, repo: o/shape}}
  - {name: weird, version: 1.0.0, machines: [m], upstream: {forge: github, url: %[1]s, repo: o/weird}}
  - {name: notsemver, version: "2024-02-06a", machines: [m], upstream: {forge: github, url: %[1]s, repo: o/ok}}
  - {name: unreadable, machines: [m], version_from: {url: %[1]s/broken.php, json: version}, upstream: {forge: github, url: %[1]s, repo: o/ok}}
  - {name: missing, machines: [m], version_from: {url: %[1]s/status.php, json: data.version}, upstream: {forge: github, url: %[1]s, repo: o/ok}}
  - {name: read, machines: [m], version_from: {url: %[1]s/status.php, json: versionstring}, upstream: {forge: github, url: %[1]s, repo: o/ok}}
  - {name: regex, machines: [m], version_from: {url: %[1]s/status.php, regex: '"version":"([0-9.]+)"'}}
  - {name: feed, version: 1.0.0, machines: [m], upstream: {forge: feed, url: %[1]s/feed.xml}}
  - {name: dead, version: 1.0.0, machines: [m], upstream: {forge: github, url: %[2]s, repo: o/dead}}
`, f.srv.URL, deadURL))
	db := storetest.Open(t, Migrations())
	rec := &recorder{}
	w := watcher(t, db, inv, rec)
	c, err := w.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"json": ProblemBadAnswer, "shape": ProblemBadAnswer, "weird": ProblemNoVersion, "notsemver": ProblemNotSemver,
		"unreadable": ProblemBadAnswer, "missing": ProblemBadAnswer, "read": "", "regex": "", "feed": ProblemBadAnswer, "dead": ProblemUnreachable,
	}
	list, _ := w.List(t.Context())
	for _, st := range list {
		got := ""
		if len(st.Problems) > 0 {
			got = st.Problems[0].Key
		}
		if got != want[st.Service] {
			t.Errorf("%s: problems %+v, want %q", st.Service, st.Problems, want[st.Service])
		}
	}
	msgs := rec.all()
	if len(msgs) != 1 || msgs[0].Subject != "read" || c.Notified != 1 {
		t.Fatalf("only the service whose version was read is outdated: %+v", msgs)
	}
	running, _ := w.Running(t.Context())
	if running["read"] != "29.0.1" || running["regex"] != "29.0.1.2" || running["notsemver"] != "2024-02-06a" {
		t.Fatalf("running %v", running)
	}
}

// TestTokenStaysOnItsForge: a forge's token goes to its API, never to a
// feed or to the host a redirect leads to.
func TestTokenStaysOnItsForge(t *testing.T) {
	other := newForge(t)
	other.set("/api/v3/repos/o/moved/releases?per_page=30", page{body: `[{"tag_name":"v1.0.0"}]`})
	f := newForge(t)
	f.set("/api/v3/repos/o/p/releases?per_page=30", page{body: `[{"tag_name":"v1.0.0"}]`})
	f.set("/api/v3/repos/o/moved/releases?per_page=30", page{status: http.StatusMovedPermanently,
		headers: map[string]string{"Location": other.srv.URL + "/api/v3/repos/o/moved/releases?per_page=30"}})
	f.set("/feed.atom", page{file: "github_releases.atom"})
	inv := inventoryOf(t, fmt.Sprintf(`machines: [{name: m}]
services:
  - {name: p, version: 1.0.0, machines: [m], upstream: {forge: github, url: %[1]s, repo: o/p}}
  - {name: moved, version: 1.0.0, machines: [m], upstream: {forge: github, url: %[1]s, repo: o/moved}}
  - {name: feed, version: 4.2.9, machines: [m], upstream: {forge: feed, url: %[1]s/feed.atom}}
`, f.srv.URL))
	db := storetest.Open(t, Migrations())
	w := watcher(t, db, inv, &recorder{})
	host := strings.TrimPrefix(f.srv.URL, "http://")
	w.SetTokens(map[string]string{host: "s3cret"})
	if _, err := w.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := f.auth["/api/v3/repos/o/p/releases?per_page=30"]; got != "Bearer s3cret" {
		t.Errorf("the forge got %q", got)
	}
	if got := f.auth["/feed.atom"]; got != "" {
		t.Errorf("the feed got the token: %q", got)
	}
	if got := other.auth["/api/v3/repos/o/moved/releases?per_page=30"]; got != "" {
		t.Errorf("the redirect's host got the token: %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"github_releases.json", "gitlab_releases.json", "github_releases.atom", "project.rss"} {
		b, _ := os.ReadFile("testdata/" + name)
		f.Add(b, uint8(0))
	}
	srcs := []*source{}
	for _, u := range []inventory.Upstream{
		{Forge: "github", Repo: "o/p"}, {Forge: "github", Repo: "o/p", Tags: true}, {Forge: "gitlab", Repo: "o/p"},
		{Forge: "gitlab", Repo: "o/p", Tags: true}, {Forge: "feed", URL: "https://example.org/f"},
	} {
		s, _ := newSource(&u)
		srcs = append(srcs, s)
	}
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		s := srcs[int(which)%len(srcs)]
		rels, err := s.parse(body)
		if err != nil && !errors.Is(err, errBadBody) && !errors.Is(err, errNoDates) {
			t.Fatalf("unexpected error %v", err)
		}
		s.pick(rels)
	})
}

func FuzzJSONPath(f *testing.F) {
	f.Add([]byte(`{"version":"1.2.3","data":[{"v":2}]}`), "data.0.v")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		JSONPath(body, path)
	})
}
