package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pelote/internal/identity"
	"pelote/internal/store"
)

func slappasswd(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("slappasswd", args...).Output()
	if err != nil {
		t.Fatalf("slappasswd %v: %v (./test.sh installs slapd)", args, err)
	}
	return strings.TrimSpace(string(out))
}

// TestImportFromOpenLDAP loads a directory into Debian's slapd (offline,
// with slapadd), exports it with slapcat as a hoster would, and imports
// the export: people keep their passwords, groups their members.
func TestImportFromOpenLDAP(t *testing.T) {
	dir := t.TempDir()
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "dc=example,dc=org"
directory %s
`, dir)
	os.WriteFile(filepath.Join(dir, "slapd.conf"), []byte(conf), 0o600)
	src := fmt.Sprintf(`dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: posixAccount
uid: alice
cn: Alice Martin
sn: Martin
mail: alice@example.org
uidNumber: 1001
gidNumber: 1001
homeDirectory: /home/alice
userPassword: %s

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Bob
mail: bob@example.org
userPassword: %s

dn: uid=carol,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: carol
cn: Carol
sn: Carol
mail: carol@example.org

dn: cn=staff,dc=example,dc=org
objectClass: groupOfNames
cn: staff
description: The staff
member: uid=alice,ou=people,dc=example,dc=org
member: UID=Bob, ou=People, dc=example, dc=org

dn: cn=devs,dc=example,dc=org
objectClass: posixGroup
cn: devs
gidNumber: 2000
memberUid: carol
`, slappasswd(t, "-h", "{SSHA}", "-s", "alice's old password"), slappasswd(t, "-c", "$6$%.16s", "-s", "bob's old password"))
	os.WriteFile(filepath.Join(dir, "src.ldif"), []byte(src), 0o600)
	for _, cmd := range [][]string{{"slapadd", "-q", "-f", filepath.Join(dir, "slapd.conf"), "-l", filepath.Join(dir, "src.ldif")}} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
	}
	export, err := exec.Command("slapcat", "-f", filepath.Join(dir, "slapd.conf")).Output()
	if err != nil {
		t.Fatalf("slapcat: %v", err)
	}
	if !strings.Contains(string(export), "userPassword::") || !strings.Contains(string(export), "entryUUID:") {
		t.Fatalf("slapcat's export is not what hosters get:\n%s", export)
	}
	file := filepath.Join(dir, "export.ldif")
	os.WriteFile(file, export, 0o600)

	p := newPelote(t)
	if out := p.ok("", "import", file, "--dry-run"); !strings.Contains(out, "would import 3 accounts, 2 new groups, 3 memberships") {
		t.Fatalf("dry run: %q", out)
	}
	if out := p.ok("", "user", "list"); strings.Contains(out, "alice") {
		t.Fatalf("a dry run wrote: %q", out)
	}
	if out := p.ok("", "import", file); !strings.Contains(out, "imported 3 accounts, 2 new groups, 3 memberships") {
		t.Fatalf("import: %q", out)
	}
	// Again: every account conflicts, and nothing changes.
	code, _, stderr := p.run("", "import", file)
	if code != exitFail || strings.Count(stderr, "exists already") != 3 || !strings.Contains(stderr, "nothing was imported") {
		t.Fatalf("second import: exit %d\n%s", code, stderr)
	}

	ctx := context.Background()
	db, err := store.Open(ctx, p.dsn, p.data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := identity.NewStore(db, identity.NewHasher(identity.Argon2Params{MemoryKiB: 19456, Time: 1, Threads: 1}))
	for user, pw := range map[string]string{"alice": "alice's old password", "bob": "bob's old password"} {
		a, err := ids.Authenticate(ctx, user, pw)
		if err != nil {
			t.Fatalf("%s with the password from OpenLDAP: %v", user, err)
		}
		if user == "alice" && (a.DisplayName != "Alice Martin" || a.Email != "alice@example.org" || !strings.Contains(strings.Join(a.Groups, ","), "staff")) {
			t.Fatalf("alice imported as %+v", a)
		}
	}
	if _, err := ids.Authenticate(ctx, "carol", ""); err == nil {
		t.Fatal("an account imported without a password logs in")
	}
	members, _ := ids.Members(ctx, "devs")
	if len(members) != 1 || members[0].Username != "carol" {
		t.Fatalf("devs: %+v", members)
	}
}

func TestImportCSV(t *testing.T) {
	p := newPelote(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("username,email,name,hash,groups\n"+
		"dave,dave@example.org,Dave,,staff\n"+
		"dave,other@example.org,Dave again,,\n"+
		"erin,not-an-address,Erin,,\n"+
		"frank,frank@example.org,Frank,{MD5}X03MO1qnZdYdgyfeuILPmQ==,\n"), 0o600)
	code, _, stderr := p.run("", "import", bad)
	for _, want := range []string{"bad.csv:3: dave: already on line 2", "bad.csv:4: erin:", "bad.csv:5: frank: the password hash", "nothing was imported"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("problems lack %q:\n%s", want, stderr)
		}
	}
	if code != exitFail {
		t.Fatalf("exit %d", code)
	}
	if out := p.ok("", "user", "list"); strings.Contains(out, "dave") {
		t.Fatalf("half imported: %q", out)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("dave,dave@example.org,Dave,,staff;ops\nerin,erin@example.org,\"Erin, E.\",,ops\n"), 0o600)
	if out := p.ok("", "import", good); !strings.Contains(out, "imported 2 accounts, 2 new groups, 3 memberships") {
		t.Fatalf("import: %q", out)
	}
	p.fails(exitFail, "line 1", "", "import", writeFile(t, dir, "short.csv", "onlyone\n"))
	p.fails(exitFail, "refused", "", "import", writeFile(t, dir, "url.ldif", "dn: uid=x,dc=example,dc=org\nuid: x\nuserPassword:< file:///etc/shadow\n"))
	p.fails(exitFail, "line", "", "import", writeFile(t, dir, "broken.ldif", "dn: uid=x,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: x\nuserPassword:: !!!not base64\n"))
	// An unknown scheme names the account; nothing else is imported.
	code, _, stderr = p.run("", "import", writeFile(t, dir, "md5.ldif", "dn: uid=zed,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: zed\ncn: Zed\nsn: Zed\nmail: zed@example.org\nuserPassword: {MD5}X03MO1qnZdYdgyfeuILPmQ==\n\ndn: uid=yan,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: yan\ncn: Yan\nsn: Yan\nmail: yan@example.org\n"))
	if code != exitFail || !strings.Contains(stderr, "md5.ldif:1: zed: the password hash") {
		t.Fatalf("unknown scheme: %d\n%s", code, stderr)
	}
	if out := p.ok("", "user", "list"); strings.Contains(out, "yan") {
		t.Fatalf("half imported: %q", out)
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
