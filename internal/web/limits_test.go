package web

import (
	"net/http/httptest"
	"testing"

	"pelote/internal/ratelimit"
	"pelote/internal/store"
	"pelote/internal/testkit"
)

// TestLoginLimitAcrossNodes: two nodes on one database share an
// account's budget of failed logins, as they share its sessions.
func TestLoginLimitAcrossNodes(t *testing.T) {
	var opts Options
	e := newEnv(t, "http://localhost", func(db *store.DB, o *Options) {
		if err := db.Migrate(t.Context(), ratelimit.Migrations()); err != nil {
			t.Fatal(err)
		}
		o.Limits = ratelimit.Shared(db, nil)
		opts = *o
	})
	e.account("alice", false)
	opts.Limits = ratelimit.Shared(e.db, nil)
	second, err := New(opts, e.ids, e.db, e.srv.cat, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(second.Handler())
	t.Cleanup(ts.Close)
	other := &env{t: t, url: ts.URL, ids: e.ids, db: e.db, srv: second}

	// LoginPerAccount is 3: two failures on one node, one on the other.
	expect(t, e.browser().login("alice", "wrong password!"), 401)
	expect(t, e.browser().login("alice", "wrong password!"), 401)
	expect(t, other.browser().login("alice", "wrong password!"), 401)
	for _, node := range []*env{e, other} {
		expect(t, node.browser().login("alice", "correct horse battery"), 429, "Too many failed attempts")
	}
}
