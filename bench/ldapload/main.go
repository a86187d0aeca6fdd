// Command ldapload prepares and drives bench/ldap.sh: it writes one
// directory (N accounts in G groups) as LDIF, which slapd loads with
// slapadd and Pelote with `pelote import`, then measures searches and binds
// per second against a running server with concurrent LDAP connections.
// The search and bind modes print "operations/s operations", argon2
// "verifications/s KiB CPU-ms-per-verification".
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"pelote/internal/identity"
)

var (
	mode         = flag.String("mode", "", "ldif (the directory both servers load), search, bind, warm (each bind account once) or argon2")
	ldifOut      = flag.String("ldif", "", "LDIF file to write (ldif)")
	accounts     = flag.Int("accounts", 10000, "accounts to create")
	groups       = flag.Int("groups", 500, "groups to spread them in")
	base         = flag.String("base", "dc=example,dc=org", "base DN")
	url          = flag.String("url", "", "LDAP URL to measure")
	bindDN       = flag.String("D", "", "DN to bind as for searches")
	password     = flag.String("w", "", "its password; also every account's password")
	conc         = flag.Int("c", 8, "concurrent connections")
	duration     = flag.Duration("d", 5*time.Second, "duration of a measure")
	memKiB       = flag.Uint("memory-kib", uint(identity.DefaultArgon2.MemoryKiB), "argon2id memory (argon2 mode); the default is what a hoster deploys")
	bindAccounts = flag.Int("bind-accounts", 100, "accounts the bind measure cycles through")
)

func main() {
	flag.Parse()
	switch *mode {
	case "ldif":
		writeLDIF()
	case "search":
		// The generator's own CPU share is printed too: a generator near
		// 100% of its CPU is what limits the rate, not the server.
		start, cpu0 := time.Now(), cpuTime()
		rate, n := measure(searchOnce)
		fmt.Printf("%.1f %d %.2f\n", rate, n, (cpuTime()-cpu0).Seconds()/time.Since(start).Seconds())
	case "bind":
		rate, n := measure(bindOnce)
		fmt.Printf("%.1f %d\n", rate, n)
	case "warm":
		warm()
	case "argon2":
		rate, cpu := argon2Rate()
		fmt.Printf("%.1f %d %.2f\n", rate, *memKiB, cpu)
	default:
		log.Fatal("-mode must be ldif, search, bind, warm or argon2")
	}
}

func params() identity.Argon2Params {
	p := identity.DefaultArgon2
	p.MemoryKiB = uint32(*memKiB)
	return p
}

func user(i int) string  { return fmt.Sprintf("user%05d", i) }
func group(g int) string { return fmt.Sprintf("group%03d", g) }

// writeLDIF writes the same tree for slapd, passwords as {SSHA}.
func writeLDIF() {
	f, err := os.Create(*ldifOut)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	salt := make([]byte, 8)
	rand.Read(salt)
	sum := sha1.Sum(append([]byte(*password), salt...))
	ssha := "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
	fmt.Fprintf(f, "dn: %s\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example\n\n", *base)
	fmt.Fprintf(f, "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n", *base)
	fmt.Fprintf(f, "dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n", *base)
	fmt.Fprintf(f, "dn: uid=bench,%s\nobjectClass: inetOrgPerson\nuid: bench\ncn: bench\nsn: bench\nmail: bench@example.org\nuserPassword: %s\n\n", *base, ssha)
	for i := 1; i <= *accounts; i++ {
		g := (i-1)%*groups + 1
		if i%*groups == 0 {
			g = *groups
		}
		fmt.Fprintf(f, "dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: %s\ncn: User %d\nsn: %d\nmail: %s@example.org\nuidNumber: %d\ngidNumber: %d\nhomeDirectory: /home/%s\nuserPassword: %s\nmemberOf: cn=%s,ou=groups,%s\n\n",
			user(i), *base, user(i), i, i, user(i), 100000+i, 100000+i, user(i), ssha, group(g), *base)
	}
	for g := 1; g <= *groups; g++ {
		fmt.Fprintf(f, "dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: %s\n", group(g), *base, group(g))
		for i := g; i <= *accounts; i += *groups {
			fmt.Fprintf(f, "member: uid=%s,ou=people,%s\n", user(i), *base)
		}
		fmt.Fprintln(f)
	}
}

// measure runs op on -c connections for -d and returns operations/s and
// the operations that succeeded.
func measure(op func(c *goldap.Conn, i int64) error) (float64, int64) {
	var n, failed atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(*duration)
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := goldap.DialURL(*url)
			if err != nil {
				log.Fatal(err)
			}
			defer c.Close()
			if *mode == "search" {
				if err := c.Bind(*bindDN, *password); err != nil {
					log.Fatalf("bind %s: %v", *bindDN, err)
				}
			}
			for time.Now().Before(stop) {
				if err := op(c, n.Add(1)); err != nil {
					failed.Add(1)
					if failed.Load() < 3 {
						log.Print(err)
					}
				}
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	if failed.Load() > 0 {
		log.Printf("%d operations failed", failed.Load())
	}
	ok := n.Load() - failed.Load()
	return float64(ok) / time.Since(start).Seconds(), ok
}

// warm binds as each of the first -bind-accounts people once, so that
// imported hashes are replaced by argon2id before binds are measured.
func warm() {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := goldap.DialURL(*url)
			if err != nil {
				log.Fatal(err)
			}
			defer c.Close()
			for i := next.Add(1); i <= int64(*bindAccounts); i = next.Add(1) {
				if err := bindOnce(c, i-1); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
}

// searchOnce is the mix applications make: a person by uid, the members
// of a group by memberOf, a group by name.
func searchOnce(c *goldap.Conn, i int64) error {
	var at, filter string
	switch i % 3 {
	case 0:
		at, filter = "ou=people,"+*base, fmt.Sprintf("(&(objectClass=inetOrgPerson)(uid=%s))", user(int(i)%*accounts+1))
	case 1:
		at, filter = *base, fmt.Sprintf("(memberOf=cn=%s,ou=groups,%s)", group(int(i)%*groups+1), *base)
	default:
		at, filter = "ou=groups,"+*base, fmt.Sprintf("(&(objectClass=groupOfNames)(cn=%s))", group(int(i)%*groups+1))
	}
	res, err := c.Search(goldap.NewSearchRequest(at, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false, filter, []string{"uid", "cn", "mail"}, nil))
	if err == nil && len(res.Entries) == 0 {
		err = fmt.Errorf("%s: nothing found", filter)
	}
	return err
}

// bindOnce binds as one of the first -bind-accounts people in turn.
func bindOnce(c *goldap.Conn, i int64) error {
	return c.Bind(fmt.Sprintf("uid=%s,ou=people,%s", user(int(i)%*bindAccounts+1), *base), *password)
}

// argon2Rate is the raw verification rate of this machine's cores with the
// accounts' parameters, the limit of a bind, and the CPU time of one.
func argon2Rate() (float64, float64) {
	ctx := context.Background()
	h := identity.NewHasher(params())
	hash, err := h.Hash(ctx, *password)
	if err != nil {
		log.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(*duration)
	start := time.Now()
	cpu0 := cpuTime()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if ok, _, _ := h.Verify(ctx, *password, hash); ok {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), float64((cpuTime() - cpu0).Microseconds()) / 1000 / float64(n.Load())
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
