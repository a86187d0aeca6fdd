package ldap_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"pelote/internal/identity"
	"pelote/internal/ldap"
	"pelote/internal/testkit"
)

// synthetic is a directory of n accounts in groups of groupSize, the shape
// bench/ldap.sh loads into both Pelote and slapd.
type synthetic struct{ d identity.Directory }

func (s synthetic) DirectoryVersion(context.Context) (int64, error) { return s.d.Version, nil }
func (s synthetic) LoadDirectory(context.Context) (identity.Directory, error) {
	return s.d, nil
}

func makeDirectory(accounts, groups int) identity.Directory {
	d := identity.Directory{Version: 1}
	for i := 1; i <= accounts; i++ {
		d.Accounts = append(d.Accounts, identity.DirAccount{ID: int64(i), Username: fmt.Sprintf("user%05d", i),
			DisplayName: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%05d@example.org", i)})
	}
	for g := 1; g <= groups; g++ {
		grp := identity.DirGroup{ID: int64(g), Name: fmt.Sprintf("group%03d", g)}
		for i := g; i <= accounts; i += groups {
			grp.Members = append(grp.Members, int64(i))
		}
		d.Groups = append(d.Groups, grp)
	}
	return d
}

// BenchmarkSearch drives a directory of 10,000 accounts in 500 groups with
// real LDAP clients: a search by uid, one by memberOf, one group listing.
func BenchmarkSearch(b *testing.B) {
	ctx := b.Context()
	tree, _ := ldap.NewTree(base)
	log := testkit.Quiet
	dir, err := ldap.NewDirectory(ctx, tree, synthetic{makeDirectory(10000, 500)}, nil, log)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := ldap.NewServer(ldap.Config{Tree: tree, AllowAnonymous: true}, dir, nil, nil, log)
	if err != nil {
		b.Fatal(err)
	}
	ln := freeAddrB(b)
	go srv.Serve(ln)
	defer srv.Stop()
	for deadline := time.Now().Add(5 * time.Second); !srv.Ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("server did not start")
		}
	}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := goldap.DialURL("ldap://" + ln)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		for pb.Next() {
			i := n.Add(1)
			var filter, at string
			switch i % 3 {
			case 0:
				at, filter = base, fmt.Sprintf("(uid=user%05d)", i%10000+1)
			case 1:
				at, filter = base, fmt.Sprintf("(memberOf=cn=group%03d,ou=groups,%s)", i%500+1, base)
			default:
				at, filter = "ou=groups,"+base, fmt.Sprintf("(&(objectClass=groupOfNames)(cn=group%03d))", i%500+1)
			}
			res, err := c.Search(goldap.NewSearchRequest(at, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false, filter, []string{"uid", "cn"}, nil))
			if err != nil || len(res.Entries) == 0 {
				b.Errorf("%s: %v", filter, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "searches/s")
}

func freeAddrB(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// BenchmarkLargeGroupFilter is one search with the filter Nextcloud writes
// for 500 groups, over 10,000 accounts in 500 groups.
func BenchmarkLargeGroupFilter(b *testing.B) {
	ctx := b.Context()
	tree, _ := ldap.NewTree(base)
	log := testkit.Quiet
	dir, err := ldap.NewDirectory(ctx, tree, synthetic{makeDirectory(10000, 500)}, nil, log)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := ldap.NewServer(ldap.Config{Tree: tree, AllowAnonymous: true}, dir, nil, nil, log)
	if err != nil {
		b.Fatal(err)
	}
	ln := freeAddrB(b)
	go srv.Serve(ln)
	defer srv.Stop()
	for deadline := time.Now().Add(5 * time.Second); !srv.Ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("server did not start")
		}
	}
	var f strings.Builder
	f.WriteString("(&(|(objectclass=inetOrgPerson))(|")
	for g := 1; g <= 500; g++ {
		fmt.Fprintf(&f, "(memberof=cn=group%03d,ou=groups,%s)", g, base)
	}
	f.WriteString("))")
	c, err := goldap.DialURL("ldap://" + ln)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for b.Loop() {
		// SearchWithPaging leaves its control in the request: a new one each time.
		req := goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false, f.String(), []string{"1.1"}, nil)
		res, err := c.SearchWithPaging(req, 500)
		if err != nil || len(res.Entries) != 10000 {
			b.Fatalf("%d entries: %v", len(res.Entries), err)
		}
	}
	b.ReportMetric(float64(f.Len()), "filter-bytes")
}

// BenchmarkSnapshot builds the snapshot of 10,000 accounts in 500 groups
// and reports what it keeps live on the heap: bytes, and objects, which
// each collection visits.
func BenchmarkSnapshot(b *testing.B) {
	ctx := b.Context()
	tree, _ := ldap.NewTree(base)
	log := testkit.Quiet
	src := synthetic{makeDirectory(10000, 500)}
	var live, objects uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		dir, err := ldap.NewDirectory(ctx, tree, src, nil, log)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		live, objects = after.HeapAlloc-before.HeapAlloc, after.HeapObjects-before.HeapObjects
		runtime.KeepAlive(dir)
	}
	b.ReportMetric(float64(live)/1e6, "MB-live")
	b.ReportMetric(float64(objects), "objects-live")
}

// BenchmarkMemberBind is a member's password bind with the argon2id
// parameters a hoster deploys, over a real connection, beside
// identity's BenchmarkArgon2idRaw: what a bind costs beyond its hash.
func BenchmarkMemberBind(b *testing.B) {
	w := newWorldHashing(b, ldap.Config{}, identity.DefaultArgon2)
	c := w.conn()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Bind("uid=alice,ou=people,"+base, memberPW); err != nil {
			b.Fatal(err)
		}
	}
}
