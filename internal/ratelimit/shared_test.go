package ratelimit_test

import (
	"strconv"
	"testing"
	"time"

	"pelote/internal/ratelimit"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

// TestNewCountsInPostgres: several nodes share PostgreSQL, so limits are
// counted there; SQLite has one node, which counts in memory.
func TestNewCountsInPostgres(t *testing.T) {
	db := storetest.Open(t, ratelimit.Migrations())
	if got, want := ratelimit.New(db, nil).IsShared(), db.Dialect() == store.Postgres; got != want {
		t.Fatalf("on %s: shared = %v", db.Dialect(), got)
	}
}

// TestSharedFailures: two nodes on one database count one budget: what
// one node counts, the other sees, and a success on either resets it.
func TestSharedFailures(t *testing.T) {
	db := storetest.Open(t, ratelimit.Migrations())
	c := testkit.NewClock(time.Unix(1_000_000, 0))
	a := ratelimit.Shared(db, nil).Failures("login-account", 3, time.Minute, c.Now)
	b := ratelimit.Shared(db, nil).Failures("login-account", 3, time.Minute, c.Now)
	other := ratelimit.Shared(db, nil).Failures("ldap-bind", 3, time.Minute, c.Now)
	a.Fail("alice")
	b.Fail("alice")
	if blocked, _ := a.Blocked("alice"); blocked {
		t.Fatal("blocked after two failures")
	}
	a.Fail("alice")
	for name, f := range map[string]*ratelimit.Failures{"a": a, "b": b} {
		blocked, wait := f.Blocked("alice")
		if !blocked || wait != time.Minute {
			t.Errorf("node %s after three failures on two nodes: blocked %v, wait %v", name, blocked, wait)
		}
	}
	if blocked, _ := other.Blocked("alice"); blocked {
		t.Error("another scope shares the count")
	}
	if blocked, _ := b.Blocked("bob"); blocked {
		t.Error("another key shares the count")
	}
	b.Reset("alice")
	if blocked, _ := a.Blocked("alice"); blocked {
		t.Error("a success on node b did not reset node a")
	}

	// A window ends for everyone, and a failure after it starts a new one.
	for range 3 {
		a.Fail("carol")
	}
	c.Add(time.Minute)
	if blocked, _ := b.Blocked("carol"); blocked {
		t.Error("blocked after the window")
	}
	b.Fail("carol")
	if blocked, _ := a.Blocked("carol"); blocked {
		t.Error("one failure in a new window blocks")
	}

	// Keys are stored hashed.
	var n int
	if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM ratelimit_failures WHERE key_hash LIKE '%carol%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("a key in clear: %d %v", n, err)
	}
	// Expired rows go at the next purge.
	c.Add(2 * time.Minute)
	a.Fail("dave")
	if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM ratelimit_failures`).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows after the purge: %d %v", n, err)
	}
}

// TestSharedBuckets: two nodes take from one bucket per client: together
// they get the burst, then the rate, never twice that.
func TestSharedBuckets(t *testing.T) {
	for _, rate := range []int{1, 10, 200} {
		t.Run("rate "+strconv.Itoa(rate), func(t *testing.T) {
			db := storetest.Open(t, ratelimit.Migrations())
			c := testkit.NewClock(time.Unix(1_000_000, 0))
			nodes := []*ratelimit.Buckets{
				ratelimit.Shared(db, nil).Buckets("oidc-token", rate, c.Now),
				ratelimit.Shared(db, nil).Buckets("oidc-token", rate, c.Now),
			}
			drain := func() int {
				n := 0
				for {
					allowed := 0
					for _, b := range nodes {
						if ok, _ := b.Allow("client"); ok {
							allowed++
						}
					}
					if allowed == 0 {
						return n
					}
					n += allowed
				}
			}
			if n := drain(); n != 2*rate {
				t.Fatalf("burst: %d allowed, want %d", n, 2*rate)
			}
			ok, wait := nodes[0].Allow("client")
			if ok || wait <= 0 || wait > time.Second/time.Duration(rate) {
				t.Fatalf("past the burst: %v, wait %v", ok, wait)
			}
			if ok, _ := nodes[1].Allow("other"); !ok {
				t.Fatal("another client shares the bucket")
			}
			c.Add(time.Second)
			// A node may hold part of a batch it took before: at most one
			// batch each beyond the rate.
			if n := drain(); n < rate || n > rate+2*max(1, rate/20) {
				t.Fatalf("after a second: %d allowed, want about %d", n, rate)
			}
		})
	}
}

// TestSharedFallsBackToMemory: a database that fails leaves each node
// counting on its own, never unlimited.
func TestSharedFallsBackToMemory(t *testing.T) {
	db, err := store.Open(t.Context(), storetest.DSN(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context(), store.Own(), ratelimit.Migrations()); err != nil {
		t.Fatal(err)
	}
	c := testkit.NewClock(time.Unix(1_000_000, 0))
	l := ratelimit.Shared(db, nil)
	f := l.Failures("login-account", 2, time.Minute, c.Now)
	b := l.Buckets("oidc-token", 1, c.Now)
	db.Close()
	f.Fail("alice")
	f.Fail("alice")
	if blocked, _ := f.Blocked("alice"); !blocked {
		t.Error("failures uncounted while the database is down")
	}
	n := 0
	for range 10 {
		if ok, _ := b.Allow("client"); ok {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d requests allowed while the database is down, want the burst of 2", n)
	}
}

// TestMigrations: the tables come and a second run changes nothing.
func TestMigrations(t *testing.T) {
	db := storetest.Open(t, ratelimit.Migrations())
	if err := db.Migrate(t.Context(), store.Own(), ratelimit.Migrations()); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"ratelimit_failures", "ratelimit_buckets"} {
		var n int
		if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Errorf("%s: %v", table, err)
		}
	}
}
