package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"pelote/internal/i18n"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

var quiet = testkit.Quiet

func catalog(t testing.TB) *i18n.Catalog {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// newNotifier is a notifier over a fresh database (db nil) or db, on a
// fixed clock, configured with s.
func newNotifier(t testing.TB, db *store.DB, o Options, s Settings) (*Notifier, *testkit.Clock) {
	t.Helper()
	if db == nil {
		db = storetest.Open(t, Migrations())
	}
	if o.Translator == nil {
		o.Translator = catalog(t)
	}
	n := New(db, quiet, o)
	c := testkit.NewClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	n.Now = c.Now
	if err := n.Configure(s); err != nil {
		t.Fatal(err)
	}
	return n, c
}

// file writes a secret file and returns its path.
func file(t testing.TB, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// received is one request a receiver got.
type received struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// receiver is an HTTP server standing for Mattermost, Matrix, ntfy or a
// webhook: it records each request and answers status(n) to the nth.
type receiver struct {
	URL    string
	mu     sync.Mutex
	got    []received
	status func(n int) int
	answer string
}

func newReceiver(t testing.TB, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{Method: req.Method, Path: req.URL.EscapedPath(), Header: req.Header.Clone(), Body: body})
		n := len(r.got)
		answer := r.answer
		r.mu.Unlock()
		code := http.StatusOK
		if r.status != nil {
			code = r.status(n)
		}
		w.WriteHeader(code)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func always(code int) func(int) int { return func(int) int { return code } }

// sameJSON fails unless got is the JSON document want, key order aside.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("payload\n%s\nwant\n%s", got, want)
	}
}

// deliverAll runs the workers' loop by hand until nothing is due.
func deliverAll(t *testing.T, n *Notifier) int {
	t.Helper()
	k, err := n.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var down = Message{Source: "check", Subject: "web", Event: "down", Severity: Critical, Tags: []string{"http", "web"},
	Title: "web is down", Text: "GET https://example.org: 502 Bad Gateway", URL: "https://id.example.org/admin/checks/web",
	At: time.Date(2026, 11, 1, 11, 59, 0, 0, time.UTC)}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}
