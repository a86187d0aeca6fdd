package ldap_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
	"github.com/pquerna/otp/totp"

	"pelote/internal/identity"
	"pelote/internal/ldap"
	"pelote/internal/ratelimit"
	"pelote/internal/secret"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

const (
	base        = "dc=example,dc=org"
	servicePW   = "a long service password"
	memberPW    = "correct horse battery"
	nextcloudDN = "uid=nextcloud,ou=services," + base
)

type world struct {
	t     testing.TB
	db    *store.DB
	ids   *identity.Store
	binds *ldap.BindUsers
	dir   *ldap.Directory
	addr  string
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newWorld(t testing.TB, cfg ldap.Config) *world {
	t.Helper()
	return newWorldHashing(t, cfg, testkit.FastArgon2)
}

// newWorldHashing is newWorld with the members' passwords hashed with
// params.
func newWorldHashing(t testing.TB, cfg ldap.Config, params identity.Argon2Params) *world {
	t.Helper()
	ctx := t.Context()
	db := storetest.Open(t, store.Own(), identity.Migrations(), ldap.Migrations(), ratelimit.Migrations())
	ids := identity.NewStore(db, identity.NewHasher(params))
	keys, _ := secret.New(bytes.Repeat([]byte{5}, secret.Size))
	ids.Seal = keys.Sealer("totp")
	for _, a := range []identity.NewAccount{
		{Username: "alice", Email: "alice@example.org", DisplayName: "Alice Martin", Password: memberPW},
		{Username: "bob", Email: "bob@example.org", Password: memberPW},
		{Username: "carol", Email: "carol@example.org", DisplayName: "Carol", Password: memberPW},
	} {
		if _, err := ids.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ids.CreateGroup(ctx, "staff", "The staff"); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"alice", "bob"} {
		if err := ids.AddMember(ctx, "staff", m); err != nil {
			t.Fatal(err)
		}
	}
	binds := ldap.NewBindUsers(db, ids.Hasher())
	if err := binds.Add(ctx, "nextcloud", servicePW, "Nextcloud"); err != nil {
		t.Fatal(err)
	}
	tree := cfg.Tree
	if tree.Base == "" {
		var err error
		if tree, err = ldap.NewTree(base); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := ldap.NewDirectory(ctx, tree, ids, nil, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tree = tree
	w := &world{t: t, db: db, ids: ids, binds: binds, dir: dir}
	w.addr = w.node(cfg)
	return w
}

// node starts another LDAP server on the world's database, as a second
// node would, and returns its address.
func (w *world) node(cfg ldap.Config) string {
	w.t.Helper()
	if cfg.Tree.Base == "" {
		cfg.Tree, _ = ldap.NewTree(base)
	}
	srv, err := ldap.NewServer(cfg, w.dir, w.ids, w.binds, testkit.Quiet)
	if err != nil {
		w.t.Fatal(err)
	}
	addr := freeAddr(w.t)
	go srv.Serve(addr)
	w.t.Cleanup(func() { srv.Stop() })
	for deadline := time.Now().Add(5 * time.Second); !srv.Ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			w.t.Fatal("ldap server did not start")
		}
	}
	return addr
}

func (w *world) conn() *goldap.Conn {
	w.t.Helper()
	c, err := goldap.DialURL("ldap://" + w.addr)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { c.Close() })
	return c
}

func (w *world) service() *goldap.Conn {
	w.t.Helper()
	c := w.conn()
	if err := c.Bind(nextcloudDN, servicePW); err != nil {
		w.t.Fatalf("service bind: %v", err)
	}
	return c
}

func search(c *goldap.Conn, baseDN string, scope int, filter string, attrs ...string) (*goldap.SearchResult, error) {
	return c.Search(goldap.NewSearchRequest(baseDN, scope, goldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
}

func dns(res *goldap.SearchResult) []string {
	var out []string
	for _, e := range res.Entries {
		out = append(out, strings.ToLower(e.DN))
	}
	slices.Sort(out)
	return out
}

func code(err error) uint16 {
	var le *goldap.Error
	if errors.As(err, &le) {
		return le.ResultCode
	}
	return 0
}

func TestSearches(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	c := w.service()
	tests := []struct {
		name   string
		base   string
		scope  int
		filter string
		want   []string
	}{
		{"members of staff", base, goldap.ScopeWholeSubtree, "(memberOf=cn=staff,ou=groups," + base + ")",
			[]string{"uid=alice,ou=people," + base, "uid=bob,ou=people," + base}},
		{"memberOf with other spacing and case", base, goldap.ScopeWholeSubtree, "(memberof=CN=Staff, OU=Groups, DC=Example, DC=Org)",
			[]string{"uid=alice,ou=people," + base, "uid=bob,ou=people," + base}},
		{"by uid", "ou=people," + base, goldap.ScopeSingleLevel, "(&(objectClass=inetOrgPerson)(uid=CAROL))",
			[]string{"uid=carol,ou=people," + base}},
		{"groups", "ou=groups," + base, goldap.ScopeSingleLevel, "(objectClass=groupOfNames)",
			[]string{"cn=admin,ou=groups," + base, "cn=staff,ou=groups," + base}},
		{"substring and or", base, goldap.ScopeWholeSubtree, "(|(mail=*@example.org)(cn=nobody))",
			[]string{"uid=alice,ou=people," + base, "uid=bob,ou=people," + base, "uid=carol,ou=people," + base}},
		{"not", "ou=people," + base, goldap.ScopeSingleLevel, "(!(memberOf=cn=staff,ou=groups," + base + "))",
			[]string{"uid=carol,ou=people," + base}},
		{"base scope", "uid=alice,ou=people," + base, goldap.ScopeBaseObject, "(objectClass=*)",
			[]string{"uid=alice,ou=people," + base}},
		{"one level below the base", base, goldap.ScopeSingleLevel, "(objectClass=*)",
			[]string{"ou=groups," + base, "ou=people," + base}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := search(c, tt.base, tt.scope, tt.filter, "uid")
			if err != nil {
				t.Fatal(err)
			}
			if got := dns(res); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}

	res, err := search(c, "uid=alice,ou=people,"+base, goldap.ScopeBaseObject, "(objectClass=*)")
	if err != nil || len(res.Entries) != 1 {
		t.Fatal(err)
	}
	e := res.Entries[0]
	for attr, want := range map[string]string{"uid": "alice", "cn": "Alice Martin", "sn": "Martin", "givenName": "Alice",
		"mail": "alice@example.org", "homeDirectory": "/home/alice", "memberOf": "cn=staff,ou=groups," + base} {
		if got := e.GetAttributeValue(attr); got != want {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}
	if e.GetAttributeValue("entryDN") != "" {
		t.Error("operational attribute returned without +")
	}
	res, _ = search(c, "uid=alice,ou=people,"+base, goldap.ScopeBaseObject, "(objectClass=*)", "+", "uid")
	if got := res.Entries[0]; got.GetAttributeValue("entryDN") == "" || got.GetAttributeValue("uid") != "alice" || got.GetAttributeValue("mail") != "" {
		t.Errorf("+ and uid: %+v", got.Attributes)
	}
	res, _ = search(c, "cn=staff,ou=groups,"+base, goldap.ScopeBaseObject, "(objectClass=*)", "memberUid", "gidNumber")
	if got := res.Entries[0].GetAttributeValues("memberUid"); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Errorf("memberUid = %v", got)
	}
}

func TestErrors(t *testing.T) {
	w := newWorld(t, ldap.Config{SizeLimit: 2})
	c := w.service()
	_, err := search(c, "dc=other,dc=org", goldap.ScopeWholeSubtree, "(objectClass=*)")
	if code(err) != goldap.LDAPResultNoSuchObject {
		t.Errorf("outside the base: %v", err)
	}
	_, err = search(c, "uid=nobody,ou=people,"+base, goldap.ScopeBaseObject, "(objectClass=*)")
	if code(err) != goldap.LDAPResultNoSuchObject {
		t.Errorf("missing entry: %v", err)
	}
	res, err := search(c, base, goldap.ScopeWholeSubtree, "(objectClass=*)")
	if code(err) != goldap.LDAPResultSizeLimitExceeded || res == nil || len(res.Entries) != 2 {
		t.Errorf("size limit: %v", err)
	}
	deep := strings.Repeat("(&", 60) + "(uid=alice)" + strings.Repeat(")", 60)
	if _, err := search(c, base, goldap.ScopeWholeSubtree, deep); err == nil {
		t.Error("a filter nested 60 deep was accepted")
	}
	if _, err := search(c, base, goldap.ScopeWholeSubtree, "(:caseExactMatch:=alice)"); code(err) != goldap.LDAPResultUnwillingToPerform {
		t.Errorf("extensible match without an attribute: %v", err)
	}
	critical := goldap.NewControlString("1.2.3.4.5", true, "")
	req := goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false, "(uid=alice)", nil, []goldap.Control{critical})
	if _, err := c.Search(req); code(err) != goldap.LDAPResultUnavailableCriticalExtension {
		t.Errorf("unknown critical control: %v", err)
	}
	// The connection survived all of that.
	if res, err := search(c, base, goldap.ScopeWholeSubtree, "(uid=alice)"); err != nil || len(res.Entries) != 1 {
		t.Fatalf("after errors: %v", err)
	}
	if err := c.Add(goldap.NewAddRequest("uid=eve,ou=people,"+base, nil)); code(err) != goldap.LDAPResultUnwillingToPerform {
		t.Errorf("add on a read-only directory: %v", err)
	}
}

func TestBinds(t *testing.T) {
	w := newWorld(t, ldap.Config{BindFailures: 3, BindWindow: time.Minute})
	ctx := context.Background()
	c := w.conn()
	tests := []struct {
		name, dn, pw string
		want         uint16
	}{
		{"wrong password", "uid=alice,ou=people," + base, "wrong", goldap.LDAPResultInvalidCredentials},
		{"unknown account", "uid=zed,ou=people," + base, memberPW, goldap.LDAPResultInvalidCredentials},
		{"service name under people", "uid=nextcloud,ou=people," + base, servicePW, goldap.LDAPResultInvalidCredentials},
		{"account under services", "uid=alice,ou=services," + base, memberPW, goldap.LDAPResultInvalidCredentials},
		{"not a DN", "alice", memberPW, goldap.LDAPResultInvalidCredentials},
		{"outside the tree", "uid=alice,ou=people,dc=other", memberPW, goldap.LDAPResultInvalidCredentials},
	}
	for _, tt := range tests {
		if err := c.Bind(tt.dn, tt.pw); code(err) != tt.want {
			t.Errorf("%s: %v, want code %d", tt.name, err, tt.want)
		}
	}
	// An empty password is an unauthenticated bind: never the account.
	if err := c.UnauthenticatedBind("uid=alice,ou=people," + base); code(err) != goldap.LDAPResultUnwillingToPerform {
		t.Errorf("unauthenticated bind: %v", err)
	}
	if _, err := search(c, base, goldap.ScopeWholeSubtree, "(uid=*)"); code(err) != goldap.LDAPResultInsufficientAccessRights {
		t.Errorf("anonymous search: %v", err)
	}

	// A member reads its own entry and nothing else.
	if err := c.Bind("uid=alice,ou=people,"+base, memberPW); err != nil {
		t.Fatal(err)
	}
	res, err := search(c, base, goldap.ScopeWholeSubtree, "(objectClass=*)")
	if err != nil || !slices.Equal(dns(res), []string{"uid=alice,ou=people," + base}) {
		t.Fatalf("member's view: %v %v", dns(res), err)
	}

	// Wrong passwords are limited per bind name, then even the right one waits.
	for range 3 {
		c.Bind("uid=bob,ou=people,"+base, "wrong")
	}
	if err := c.Bind("uid=bob,ou=people,"+base, memberPW); code(err) != goldap.LDAPResultInvalidCredentials {
		t.Errorf("bind past the limit: %v", err)
	}

	// A disabled account cannot bind; one with TOTP needs an app password.
	if err := w.ids.SetState(ctx, "carol", identity.Disabled); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind("uid=carol,ou=people,"+base, memberPW); code(err) != goldap.LDAPResultInvalidCredentials {
		t.Errorf("disabled account: %v", err)
	}
}

func TestSnapshotFollowsChanges(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	c := w.service()
	ctx := context.Background()
	filter := "(memberOf=cn=staff,ou=groups," + base + ")"
	if err := w.ids.AddMember(ctx, "staff", "carol"); err != nil {
		t.Fatal(err)
	}
	if err := w.ids.SetState(ctx, "bob", identity.Disabled); err != nil {
		t.Fatal(err)
	}
	if err := w.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := search(c, base, goldap.ScopeWholeSubtree, filter, "uid")
	if err != nil {
		t.Fatal(err)
	}
	if got := dns(res); !slices.Equal(got, []string{"uid=alice,ou=people," + base, "uid=carol,ou=people," + base}) {
		t.Fatalf("after changes: %v", got)
	}
}

func TestPaging(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	c := w.service()
	req := goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"1.1"}, nil)
	res, err := c.SearchWithPaging(req, 2)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := search(c, base, goldap.ScopeWholeSubtree, "(objectClass=*)", "1.1")
	if !slices.Equal(dns(res), dns(all)) || len(res.Entries) != 8 {
		t.Fatalf("paged %v, unpaged %v", dns(res), dns(all))
	}
}

func TestRootDSEAndLDAPSearch(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	c := w.conn()
	res, err := search(c, "", goldap.ScopeBaseObject, "(objectClass=*)", "+")
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("root DSE: %v", err)
	}
	if got := res.Entries[0].GetAttributeValue("namingContexts"); got != base {
		t.Errorf("namingContexts = %q", got)
	}
	if !slices.Contains(res.Entries[0].GetAttributeValues("supportedControl"), "1.2.840.113556.1.4.319") {
		t.Error("paged results not advertised")
	}

	// OpenLDAP's own client, as a hoster would run it.
	bin, err := exec.LookPath("ldapsearch")
	if err != nil {
		t.Fatal("ldapsearch is missing: install Debian's ldap-utils (./test.sh does)")
	}
	out, err := exec.Command(bin, "-x", "-LLL", "-H", "ldap://"+w.addr, "-D", nextcloudDN, "-w", servicePW,
		"-b", base, "-E", "pr=1/noprompt", "(memberOf=cn=staff,ou=groups,"+base+")", "uid").CombinedOutput()
	if err != nil {
		t.Fatalf("ldapsearch: %v\n%s", err, out)
	}
	var uids []string
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "uid: "); ok {
			uids = append(uids, v)
		}
	}
	if !slices.Equal(uids, []string{"alice", "bob"}) {
		t.Fatalf("ldapsearch found %v:\n%s", uids, out)
	}
	out, err = exec.Command(bin, "-x", "-H", "ldap://"+w.addr, "-D", nextcloudDN, "-w", "wrong", "-b", base, "(uid=alice)").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Invalid credentials (49)") {
		t.Fatalf("ldapsearch with a wrong password: %v\n%s", err, out)
	}
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool, []byte) {
	t.Helper()
	ca := testkit.NewCA(t)
	return ca.Leaf(t, time.Hour), ca.Pool(), ca.PEM
}

func TestStartTLS(t *testing.T) {
	cert, pool, certPEM := selfSigned(t)
	w := newWorld(t, ldap.Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	c := w.conn()
	if err := c.StartTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if err := c.Bind(nextcloudDN, servicePW); err != nil {
		t.Fatalf("bind over TLS: %v", err)
	}
	if res, err := search(c, base, goldap.ScopeWholeSubtree, "(uid=alice)"); err != nil || len(res.Entries) != 1 {
		t.Fatalf("search over TLS: %v", err)
	}

	// ldapsearch -ZZ: StartTLS required, certificate checked.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ldapsearch", "-x", "-ZZ", "-LLL", "-H", "ldap://"+w.addr, "-D", nextcloudDN, "-w", servicePW, "-b", base, "(uid=bob)", "uid")
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+ca, "LDAPTLS_REQCERT=demand")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "uid: bob") {
		t.Fatalf("ldapsearch -ZZ: %v\n%s", err, out)
	}
}

func TestMalformedInput(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	inputs := map[string][]byte{
		"garbage":         []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"oversized":       {0x30, 0x84, 0x10, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01},
		"truncated":       {0x30, 0x0c, 0x02, 0x01},
		"wrong inner tag": {0x30, 0x05, 0x04, 0x01, 0x01, 0x60, 0x00},
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", w.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.Write(in)
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			io.Copy(io.Discard, conn) // the server answers or closes; it must not hang
		})
	}
	// The server still serves everyone else.
	c := w.service()
	if res, err := search(c, base, goldap.ScopeWholeSubtree, "(uid=alice)"); err != nil || len(res.Entries) != 1 {
		t.Fatalf("after malformed input: %v", err)
	}
}

func TestAppPasswords(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	ctx := context.Background()
	alice, err := w.ids.Account(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	e, err := w.ids.BeginTOTP(ctx, alice.ID, "test", memberPW)
	if err != nil {
		t.Fatal(err)
	}
	otp, _ := totp.GenerateCode(e.Secret, time.Now())
	if _, err := w.ids.ConfirmTOTP(ctx, alice.ID, otp); err != nil {
		t.Fatal(err)
	}
	c := w.conn()
	dn := "uid=alice,ou=people," + base
	err = c.Bind(dn, memberPW)
	if code(err) != goldap.LDAPResultInvalidCredentials || !strings.Contains(err.Error(), "app password") {
		t.Fatalf("password of a TOTP account: %v", err)
	}
	_, pw, err := w.ids.CreateAppPassword(ctx, alice.ID, "Thunderbird")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.ids.CreateAppPassword(ctx, alice.ID, "Thunderbird"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	for _, typed := range []string{pw, strings.ToUpper(strings.ReplaceAll(pw, "-", " "))} {
		if err := c.Bind(dn, typed); err != nil {
			t.Fatalf("bind with app password %q: %v", typed, err)
		}
	}
	if err := c.Bind("uid=bob,ou=people,"+base, pw); code(err) != goldap.LDAPResultInvalidCredentials {
		t.Fatalf("alice's app password as bob: %v", err)
	}
	if err := w.ids.RevokeAppPassword(ctx, alice.ID, 0, "Thunderbird"); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind(dn, pw); code(err) != goldap.LDAPResultInvalidCredentials {
		t.Fatalf("revoked app password: %v", err)
	}
}

func TestProfileSubtree(t *testing.T) {
	tree, err := ldap.NewTree(base, "mastodon")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ldap.NewTree(base, "people"); err == nil {
		t.Fatal("a profile subtree named people was accepted")
	}
	w := newWorld(t, ldap.Config{Tree: tree})
	ctx := context.Background()
	if _, err := w.ids.CreateService(ctx, identity.Service{Name: "mastodon", ProfileQuota: 3, ExtraProfiles: identity.RefuseExtra}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice-toots", "alice-art"} {
		if _, err := w.ids.AddProfile(ctx, "alice", "mastodon", name, identity.ByAdmin(true)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	c := w.service()
	res, err := search(c, "ou=mastodon,"+base, goldap.ScopeSingleLevel, "(objectClass=inetOrgPerson)", "uid", "mail", "memberOf")
	if err != nil {
		t.Fatal(err)
	}
	if got := dns(res); !slices.Equal(got, []string{"uid=alice-art,ou=mastodon," + base, "uid=alice-toots,ou=mastodon," + base}) {
		t.Fatalf("profiles: %v", got)
	}
	if e := res.Entries[0]; e.GetAttributeValue("mail") != "alice@example.org" || e.GetAttributeValue("memberOf") != "cn=staff,ou=groups,"+base {
		t.Fatalf("profile entry: %+v", e.Attributes)
	}
	for _, e := range res.Entries {
		if slices.Contains(e.GetAttributeValues("uid"), "alice") {
			t.Fatal("a profile entry names its account")
		}
	}

	// A profile binds with its account's password and reads itself.
	m := w.conn()
	if err := m.Bind("uid=alice-toots,ou=mastodon,"+base, memberPW); err != nil {
		t.Fatalf("profile bind: %v", err)
	}
	res, err = search(m, base, goldap.ScopeWholeSubtree, "(objectClass=*)", "1.1")
	if err != nil || !slices.Equal(dns(res), []string{"uid=alice-toots,ou=mastodon," + base}) {
		t.Fatalf("profile's view: %v %v", dns(res), err)
	}
	for _, dn := range []string{"uid=bob-toots,ou=mastodon," + base, "uid=alice-toots,ou=pixelfed," + base} {
		if err := m.Bind(dn, memberPW); code(err) != goldap.LDAPResultInvalidCredentials {
			t.Errorf("bind as %s: %v", dn, err)
		}
	}
	if err := m.Bind("uid=alice-toots,ou=mastodon,"+base, "wrong"); code(err) != goldap.LDAPResultInvalidCredentials {
		t.Errorf("profile with a wrong password: %v", err)
	}
}

// TestBindFailuresPerAccount: failures count against the account or
// service account a bind name resolves to, however the name is spelled,
// and a uid that is not exactly a username never binds.
func TestBindFailuresPerAccount(t *testing.T) {
	tree, err := ldap.NewTree(base, "mastodon")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, ldap.Config{Tree: tree, BindFailures: 3, BindWindow: time.Minute})
	ctx := context.Background()
	if _, err := w.ids.CreateService(ctx, identity.Service{Name: "mastodon", ProfileQuota: 3, ExtraProfiles: identity.RefuseExtra}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ids.AddProfile(ctx, "carol", "mastodon", "carol-toots", identity.ByAdmin(true)); err != nil {
		t.Fatal(err)
	}
	if err := w.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	c := w.conn()

	// Not exactly a username: refused even with the right password.
	for _, dn := range []string{
		`uid=alice\20,ou=people,` + base,
		`uid=\20alice,ou=people,` + base,
		`uid=ali\20ce,ou=people,` + base,
		`uid=alice\00,ou=people,` + base,
		`uid=alice+cn=x,ou=people,` + base,
		`uid=nextcloud\20,ou=services,` + base,
	} {
		pw := memberPW
		if strings.Contains(dn, "services") {
			pw = servicePW
		}
		if err := c.Bind(dn, pw); code(err) != goldap.LDAPResultInvalidCredentials {
			t.Errorf("bind as %s: %v, want invalid credentials", dn, err)
		}
	}

	// Three spellings of bob, one counter; escaped spaces are refused
	// above without a look at the password.
	for _, dn := range []string{
		`uid=Bob,ou=people,` + base,
		`UID=BOB,OU=People,DC=Example,DC=Org`,
		`uid=bob, ou=people, ` + base,
	} {
		c.Bind(dn, "wrong")
	}
	if err := c.Bind("uid=bob,ou=people,"+base, memberPW); code(err) != goldap.LDAPResultInvalidCredentials ||
		!strings.Contains(err.Error(), "too many") {
		t.Errorf("bob after three failures under other spellings: %v", err)
	}

	// A profile's failures are its account's.
	for range 3 {
		c.Bind("uid=carol-toots,ou=mastodon,"+base, "wrong")
	}
	if err := c.Bind("uid=carol,ou=people,"+base, memberPW); code(err) != goldap.LDAPResultInvalidCredentials ||
		!strings.Contains(err.Error(), "too many") {
		t.Errorf("carol after three failures through her profile: %v", err)
	}

	// A service account counts its own, whatever the spelling.
	for _, dn := range []string{`uid=nextcloud,ou=services,dc=EXAMPLE,dc=org`, `UID=NextCloud,ou=services,` + base, nextcloudDN} {
		c.Bind(dn, "wrong")
	}
	if err := c.Bind(nextcloudDN, servicePW); code(err) != goldap.LDAPResultInvalidCredentials ||
		!strings.Contains(err.Error(), "too many") {
		t.Errorf("service account after three failures: %v", err)
	}

	// Others are untouched.
	if err := c.Bind("uid=alice,ou=people,"+base, memberPW); err != nil {
		t.Errorf("alice: %v", err)
	}
}

// TestBindTOTPRequired: a member whom a group requires to use two-step
// verification binds with nothing until enrolled, then only with an app
// password.
func TestBindTOTPRequired(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	ctx := context.Background()
	alice, err := w.ids.Account(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, appPW, err := w.ids.CreateAppPassword(ctx, alice.ID, "Thunderbird")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ids.SetGroupRequireTOTP(ctx, "staff", true); err != nil {
		t.Fatal(err)
	}
	c := w.conn()
	dn := "uid=alice,ou=people," + base
	for name, pw := range map[string]string{"password": memberPW, "app password": appPW} {
		err := c.Bind(dn, pw)
		if code(err) != goldap.LDAPResultInvalidCredentials || !strings.Contains(err.Error(), "requires two-step verification") {
			t.Errorf("%s of a member who must enrol: %v", name, err)
		}
	}
	// carol is in no such group.
	if err := c.Bind("uid=carol,ou=people,"+base, memberPW); err != nil {
		t.Errorf("carol: %v", err)
	}

	e, err := w.ids.BeginTOTP(ctx, alice.ID, "test", memberPW)
	if err != nil {
		t.Fatal(err)
	}
	otp, _ := totp.GenerateCode(e.Secret, time.Now())
	if _, err := w.ids.ConfirmTOTP(ctx, alice.ID, otp); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind(dn, appPW); err != nil {
		t.Errorf("app password once enrolled: %v", err)
	}
	if err := c.Bind(dn, memberPW); code(err) != goldap.LDAPResultInvalidCredentials {
		t.Errorf("password once enrolled: %v", err)
	}
}

// TestExtensibleMatch: RFC 4511 extensible matches, with and without
// :dn:, are answered on a connection that stays open.
func TestExtensibleMatch(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	c := w.service()
	people := []string{"uid=alice,ou=people," + base, "uid=bob,ou=people," + base, "uid=carol,ou=people," + base}
	for _, tt := range []struct {
		filter string
		want   []string
	}{
		{"(ou:dn:=people)", append([]string{"ou=people," + base}, people...)},
		{"(&(objectClass=inetOrgPerson)(OU:dn:=People))", people},
		{"(ou:=people)", []string{"ou=people," + base}},
		{"(cn:dn:=staff)", []string{"cn=staff,ou=groups," + base}},
		{"(uid:caseExactMatch:=alice)", []string{"uid=alice,ou=people," + base}},
		{"(uid:2.5.13.5:=Alice)", nil},
		{"(uid:dn:2.5.13.2:=ALICE)", []string{"uid=alice,ou=people," + base}},
		{"(gidNumber:integerMatch:=0200001)", []string{"cn=admin,ou=groups," + base}},
		{"(memberOf:distinguishedNameMatch:=CN=Staff,OU=Groups," + base + ")", people[:2]},
		{"(uid:1.2.3.4:=alice)", nil},
		{"(!(uid:dn:1.2.3.4:=alice))", nil},
	} {
		res, err := search(c, base, goldap.ScopeWholeSubtree, tt.filter, "1.1")
		if err != nil {
			t.Errorf("%s: %v", tt.filter, err)
			continue
		}
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if got := dns(res); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", tt.filter, got, want)
		}
	}
	// OpenLDAP's client sends the same.
	out, err := exec.Command("ldapsearch", "-x", "-LLL", "-H", "ldap://"+w.addr, "-D", nextcloudDN, "-w", servicePW,
		"-b", base, "(&(objectClass=posixAccount)(ou:dn:=people)(uid=bob))", "uid").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "uid: bob") {
		t.Fatalf("ldapsearch with :dn:: %v\n%s", err, out)
	}
}

// nextcloudFilter is the user filter Nextcloud's LDAP wizard writes when
// a hoster picks groups: every group's DN in one OR.
func nextcloudFilter(groups int) string {
	var b strings.Builder
	b.WriteString("(&(|(objectclass=inetOrgPerson))(|")
	for i := range groups {
		fmt.Fprintf(&b, "(memberof=cn=Association members %03d,ou=groups,%s)", i, base)
	}
	b.WriteString("(memberof=cn=staff,ou=groups," + base + ")))")
	return b.String()
}

// TestLargeGroupFilter: a Nextcloud user filter naming 500 groups is
// within the filter cap and answered.
func TestLargeGroupFilter(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	c := w.service()
	f := nextcloudFilter(500)
	if len(f) > ldap.MaxFilterLength {
		t.Fatalf("a 500-group filter is %d bytes, over the %d-byte cap", len(f), ldap.MaxFilterLength)
	}
	res, err := search(c, base, goldap.ScopeWholeSubtree, f, "uid")
	if err != nil {
		t.Fatalf("%d-byte filter: %v", len(f), err)
	}
	if got := dns(res); !slices.Equal(got, []string{"uid=alice,ou=people," + base, "uid=bob,ou=people," + base}) {
		t.Fatalf("got %v", got)
	}
	t.Logf("a Nextcloud filter of 500 groups is %d bytes", len(f))
}

// TestRequireTLS: with RequireTLS, a password is refused on a clear
// connection with confidentialityRequired, and accepted after StartTLS.
func TestRequireTLS(t *testing.T) {
	cert, pool, _ := selfSigned(t)
	w := newWorld(t, ldap.Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, RequireTLS: true})
	c := w.conn()
	for _, dn := range []string{nextcloudDN, "uid=alice,ou=people," + base} {
		err := c.Bind(dn, servicePW)
		if code(err) != goldap.LDAPResultConfidentialityRequired || !strings.Contains(err.Error(), "StartTLS") {
			t.Errorf("clear bind as %s: %v", dn, err)
		}
	}
	// Anonymous binds carry no password.
	if err := c.UnauthenticatedBind(""); err != nil {
		t.Errorf("anonymous bind: %v", err)
	}
	if err := c.StartTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind(nextcloudDN, servicePW); err != nil {
		t.Fatalf("bind after StartTLS: %v", err)
	}
	// Another connection is still in clear.
	if err := w.conn().Bind(nextcloudDN, servicePW); code(err) != goldap.LDAPResultConfidentialityRequired {
		t.Errorf("other clear connection: %v", err)
	}

	// ldapsearch without -ZZ says why.
	out, err := exec.Command("ldapsearch", "-x", "-H", "ldap://"+w.addr, "-D", nextcloudDN, "-w", servicePW, "-b", base, "(uid=bob)").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Confidentiality required (13)") {
		t.Fatalf("ldapsearch in clear: %v\n%s", err, out)
	}
}

// TestRequireTLSWithLDAPS: every LDAPS connection is encrypted.
func TestRequireTLSWithLDAPS(t *testing.T) {
	cert, pool, _ := selfSigned(t)
	w := newWorld(t, ldap.Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, LDAPS: true, RequireTLS: true})
	var c *goldap.Conn
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err = goldap.DialURL("ldaps://"+w.addr, goldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(nextcloudDN, servicePW); err != nil {
		t.Fatalf("bind over LDAPS: %v", err)
	}
}

// TestBindFailuresPerAddress: one password tried against many names, known
// or not, is stopped by the client address's budget, checked before any
// password is; OpenLDAP's ldapwhoami sees the refusal too. Applications'
// addresses count per account only, and nodes sharing the database share
// each address's budget.
func TestBindFailuresPerAddress(t *testing.T) {
	spray := func(addr string, names ...string) {
		t.Helper()
		c, err := goldap.DialURL("ldap://" + addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, n := range names {
			if err := c.Bind("uid="+n+",ou=people,"+base, "Summer2026!"); code(err) != goldap.LDAPResultInvalidCredentials {
				t.Fatalf("%s with a guessed password: %v", n, err)
			}
		}
	}
	t.Run("a stranger's address", func(t *testing.T) {
		w := newWorld(t, ldap.Config{BindFailures: 3, BindFailuresPerAddress: 4, BindWindow: time.Minute})
		spray(w.addr, "alice", "bob", "nobody", "carol") // one each: no account is locked
		c := w.conn()
		err := c.Bind("uid=alice,ou=people,"+base, memberPW)
		if code(err) != goldap.LDAPResultInvalidCredentials || !strings.Contains(err.Error(), "from this address") {
			t.Fatalf("the right password after four failures from this address: %v", err)
		}
		out, err := exec.Command("ldapwhoami", "-x", "-H", "ldap://"+w.addr, "-D", nextcloudDN, "-w", servicePW).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "Invalid credentials") {
			t.Fatalf("ldapwhoami from a blocked address: %v\n%s", err, out)
		}
	})
	t.Run("an application's address", func(t *testing.T) {
		loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		w := newWorld(t, ldap.Config{BindFailures: 3, BindFailuresPerAddress: 4, BindWindow: time.Minute, Applications: loopback})
		spray(w.addr, "alice", "bob", "nobody", "carol", "alice", "bob")
		c := w.conn()
		if err := c.Bind("uid=carol,ou=people,"+base, memberPW); err != nil {
			t.Fatalf("carol through an application that failed six times for others: %v", err)
		}
		// The account's own budget still holds.
		spray(w.addr, "alice")
		if err := c.Bind("uid=alice,ou=people,"+base, memberPW); code(err) != goldap.LDAPResultInvalidCredentials ||
			!strings.Contains(err.Error(), "too many failed binds;") {
			t.Fatalf("alice after three failures through an application: %v", err)
		}
	})
	t.Run("two nodes", func(t *testing.T) {
		w := newWorld(t, ldap.Config{})
		cfg := func() ldap.Config {
			return ldap.Config{BindFailures: 10, BindFailuresPerAddress: 4, BindWindow: time.Minute, Limits: ratelimit.Shared(w.db, nil)}
		}
		nodes := []string{w.node(cfg()), w.node(cfg())}
		spray(nodes[0], "alice", "bob")
		spray(nodes[1], "carol", "nobody")
		for _, addr := range nodes {
			c, err := goldap.DialURL("ldap://" + addr)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Bind(nextcloudDN, servicePW)
			c.Close()
			if code(err) != goldap.LDAPResultInvalidCredentials || !strings.Contains(err.Error(), "from this address") {
				t.Errorf("node %s after four failures from this address over two nodes: %v", addr, err)
			}
		}
	})
}

// TestBindFailuresAcrossNodes: two nodes on one database share each
// account's budget of wrong passwords.
func TestBindFailuresAcrossNodes(t *testing.T) {
	w := newWorld(t, ldap.Config{BindFailures: 4, BindWindow: time.Minute})
	cfg := func() ldap.Config {
		return ldap.Config{BindFailures: 4, BindWindow: time.Minute, Limits: ratelimit.Shared(w.db, nil)}
	}
	nodes := []string{w.node(cfg()), w.node(cfg())}
	for i := range 4 {
		c, err := goldap.DialURL("ldap://" + nodes[i%2])
		if err != nil {
			t.Fatal(err)
		}
		c.Bind("uid=bob,ou=people,"+base, "wrong")
		c.Close()
	}
	for _, addr := range nodes {
		c, err := goldap.DialURL("ldap://" + addr)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Bind("uid=bob,ou=people,"+base, memberPW)
		c.Close()
		if code(err) != goldap.LDAPResultInvalidCredentials || !strings.Contains(err.Error(), "too many") {
			t.Errorf("node %s after four failures spread over two nodes: %v", addr, err)
		}
	}
}

// TestWhoAmI: RFC 4532's answer carries the bound DN as the directory
// spells it, for go-ldap and for OpenLDAP's ldapwhoami.
func TestWhoAmI(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	c := w.conn()
	res, err := c.WhoAmI(nil)
	if err != nil || res.AuthzID != "" {
		t.Fatalf("anonymous: %+v %v", res, err)
	}
	if err := c.Bind("UID=Alice,ou=people,"+base, memberPW); err != nil {
		t.Fatal(err)
	}
	if res, err = c.WhoAmI(nil); err != nil || res.AuthzID != "dn:uid=alice,ou=people,"+base {
		t.Fatalf("alice: %+v %v", res, err)
	}
	out, err := exec.Command("ldapwhoami", "-x", "-H", "ldap://"+w.addr, "-D", nextcloudDN, "-w", servicePW).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "dn:"+nextcloudDN {
		t.Fatalf("ldapwhoami: %v\n%s", err, out)
	}
}

// TestStartTLSPipelined: bytes sent after a StartTLS request, before its
// answer, are never read as if they had come under TLS.
func TestStartTLSPipelined(t *testing.T) {
	cert, _, _ := selfSigned(t)
	w := newWorld(t, ldap.Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	startTLS := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 23, nil, "")
	startTLS.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "1.3.6.1.4.1.1466.20037", ""))
	bind := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 0, nil, "")
	bind.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(3), ""))
	bind.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, nextcloudDN, ""))
	bind.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, servicePW, ""))
	conn, err := net.Dial("tcp", w.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write(append(message(1, startTLS), message(2, bind)...))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	p, err := ber.ReadPacket(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := goldap.GetLDAPError(p); !goldap.IsErrorWithCode(err, goldap.LDAPResultOperationsError) {
		t.Errorf("StartTLS with a request behind it: %v", err)
	}
	if p, err := ber.ReadPacket(conn); err == nil {
		t.Errorf("the request sent behind StartTLS was answered: %v", goldap.GetLDAPError(p))
	}
}

// message wraps a protocolOp in an LDAPMessage.
func message(id int64, op *ber.Packet) []byte {
	env := ber.NewSequence("")
	env.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	env.AppendChild(op)
	return env.Bytes()
}

// TestNoticeOfDisconnection: a message that does not decode gets RFC
// 4511's Notice of Disconnection, then the connection ends.
func TestNoticeOfDisconnection(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	conn, err := net.Dial("tcp", w.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	bad := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 3, nil, "") // a search of nothing
	conn.Write(message(4, bad))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	p, err := ber.ReadPacket(conn)
	if err != nil {
		t.Fatal(err)
	}
	if id := p.Children[0].Value.(int64); id != 0 || !goldap.IsErrorWithCode(goldap.GetLDAPError(p), goldap.LDAPResultProtocolError) ||
		p.Children[1].Children[3].Data.String() != "1.3.6.1.4.1.1466.20036" {
		t.Errorf("notice: id %d, %v", id, goldap.GetLDAPError(p))
	}
	if _, err := ber.ReadPacket(conn); err == nil {
		t.Error("connection still open")
	}
}

// TestOtherOperations: an unknown extended operation gets protocolError
// (RFC 4511 section 4.12), a compare unwillingToPerform, each in the
// response its request expects, on a connection that goes on.
func TestOtherOperations(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	c := w.service()
	if _, err := c.PasswordModify(goldap.NewPasswordModifyRequest("", "a", "b")); code(err) != goldap.LDAPResultProtocolError {
		t.Errorf("password modify: %v", err)
	}
	if _, err := c.Compare("uid=alice,ou=people,"+base, "uid", "alice"); code(err) != goldap.LDAPResultUnwillingToPerform {
		t.Errorf("compare: %v", err)
	}
	if err := c.Del(goldap.NewDelRequest("uid=alice,ou=people,"+base, nil)); code(err) != goldap.LDAPResultUnwillingToPerform {
		t.Errorf("delete: %v", err)
	}
	if res, err := search(c, base, goldap.ScopeWholeSubtree, "(uid=alice)"); err != nil || len(res.Entries) != 1 {
		t.Fatalf("after: %v", err)
	}
}

// TestAttributeSelections: an entry answered with one attribute list and
// then another gets each list, names, aliases and OIDs alike.
func TestAttributeSelections(t *testing.T) {
	w := newWorld(t, ldap.Config{})
	c := w.service()
	dn := "uid=alice,ou=people," + base
	for _, tt := range []struct {
		attrs []string
		want  []string
	}{
		{[]string{"uid", "mail"}, []string{"mail", "uid"}},
		{[]string{"CN", "0.9.2342.19200300.100.1.3"}, []string{"cn", "mail"}},
		{[]string{"uid", "mail"}, []string{"mail", "uid"}},
		{[]string{"1.1"}, nil},
		{[]string{"+"}, []string{"entryDN", "hasSubordinates"}},
		{[]string{"commonName", "memberOf", "nothing"}, []string{"cn", "memberOf"}},
	} {
		res, err := search(c, dn, goldap.ScopeBaseObject, "(objectClass=*)", tt.attrs...)
		if err != nil || len(res.Entries) != 1 {
			t.Fatalf("%v: %v", tt.attrs, err)
		}
		var got []string
		for _, a := range res.Entries[0].Attributes {
			got = append(got, a.Name)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%v: got %v, want %v", tt.attrs, got, tt.want)
		}
	}
	req := goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, true, "(objectClass=*)", []string{"uid"}, nil)
	res, err := c.Search(req)
	if err != nil || len(res.Entries) != 1 || len(res.Entries[0].Attributes) != 1 || len(res.Entries[0].Attributes[0].Values) != 0 {
		t.Fatalf("types only: %+v %v", res, err)
	}
}
