package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"pelote/internal/access"
	"pelote/internal/identity"
	"pelote/internal/store"
)

// Every route, asked with bad input by a signed-in administrator, answers
// with something other than a 5xx: a malformed form is the visitor's
// mistake, never the server's. The routes and the form fields are read
// from this package's sources, so a new page is covered the day it is
// written.

var (
	routeRE = regexp.MustCompile(`"((?:GET|POST|PUT|DELETE|PATCH) /[^"]*)"`)
	fieldRE = regexp.MustCompile(`(?:formValue|formInt|PostFormValue|FormValue)\((?:r, )?"([a-z_]+)"`)
	paramRE = regexp.MustCompile(`\{[a-z_]+\}`)
)

// routesAndFields lists the method-and-path patterns and the form field
// names the handlers of this package read.
func routesAndFields(t testing.TB) ([]string, []string) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes, fields []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routeRE.FindAllStringSubmatch(string(src), -1) {
			routes = append(routes, m[1])
		}
		for _, m := range fieldRE.FindAllStringSubmatch(string(src), -1) {
			fields = append(fields, m[1])
		}
	}
	slices.Sort(routes)
	slices.Sort(fields)
	routes = slices.Compact(routes)
	fields = slices.Compact(fields)
	// Routes named by constants.
	routes = append(routes, "GET /oidc/login", "GET /oidc/logout", "POST /oidc/logout", "GET /auth/forward")
	if len(routes) < 50 || len(fields) < 20 {
		t.Fatalf("found only %d routes and %d fields: has the code's shape changed?", len(routes), len(fields))
	}
	return routes, fields
}

// badValues are what clumsy people and hostile robots send.
var badValues = []string{
	"", " ", "0", "-1", "99999999999999999999", "abc", "admin", "root", "alice",
	"\x00", "\x1b[31mred", "\u202e" + "evil", "\xff\xfe", "%zz", "../../etc/passwd", "<script>alert(1)</script>",
	"javascript:alert(1)", strings.Repeat("a", 5000), "a@b", "x\r\nSet-Cookie: a=b", "1;DROP TABLE accounts",
}

// badPathValues fill a route's {parameters}.
var badPathValues = []string{"1", "0", "admin", "alice", "nothing", "%00", "%C3%BC", "%E2%80%AEx", strings.Repeat("z", 300)}

func newFuzzEnv(t testing.TB) *rpEnv {
	e := newRPEnv(t, func(db *store.DB, o *Options) {
		o.Access, o.Mailer, o.Registration = access.NewStore(db), &letters{}, "open"
		// One address sends everything here, failed logins included.
		o.LoginPerAddress, o.LoginPerAccount = 1_000_000, 1_000_000
	})
	e.account("root", true)
	ctx := context.Background()
	if _, err := e.ids.CreateGroup(ctx, "staff", "Staff"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ids.AddProfile(ctx, "alice", "cloud", "alice-work", identity.ByAdmin(true)); err != nil {
		t.Fatal(err)
	}
	return e
}

// askBadly sends one bad request as a signed-in administrator (signing in
// again when an earlier request ended the session) and reports a 5xx.
func askBadly(t testing.TB, e *rpEnv, admin *person, route, pathValue, value string, fields []string) {
	t.Helper()
	method, path, _ := strings.Cut(route, " ")
	path = strings.TrimSuffix(path, "{$}")
	path = paramRE.ReplaceAllString(path, pathValue)
	form := url.Values{}
	for _, f := range fields {
		form.Set(f, value)
	}
	var req *http.Request
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, e.url+path+"?"+form.Encode(), nil)
	} else {
		req, _ = http.NewRequest(method, e.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if req == nil {
		return // a path the client library itself refuses to send
	}
	r := admin.send(req)
	if r.status >= 500 && !(route == "GET /readyz" && r.status == http.StatusServiceUnavailable) {
		t.Errorf("%s %s with %q: %d\n%s", method, path, value, r.status, r.body)
	}
	if r.status == http.StatusUnauthorized || strings.Contains(r.url, "/login") {
		admin.signIn("root")
	}
}

func TestFormRoutesNeverFail(t *testing.T) {
	if testing.Short() {
		t.Skip("sends a few thousand requests")
	}
	routes, fields := routesAndFields(t)
	e := newFuzzEnv(t)
	admin := e.person()
	admin.signIn("root")
	for _, route := range routes {
		for i, v := range badValues {
			askBadly(t, e, admin, route, badPathValues[i%len(badPathValues)], v, fields)
		}
	}
}

func FuzzFormRoutes(f *testing.F) {
	routes, fields := routesAndFields(f)
	for i := range routes {
		for j, v := range badValues[:4] {
			f.Add(uint(i), badPathValues[j], v)
		}
	}
	// One server for the whole run: what a request changes stays for the
	// next ones, as on a real server.
	e := newFuzzEnv(f)
	admin := e.person()
	admin.signIn("root")
	f.Fuzz(func(t *testing.T, route uint, pathValue, value string) {
		e.t = t
		askBadly(t, e, admin, routes[int(route%uint(len(routes)))], url.PathEscape(pathValue), value, fields)
	})
}
