package main

import (
	"context"
	"encoding/base64"
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

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestImportNeverReadsFiles: a folded "attr:< file://" value in an LDIF
// file once brought the master secret into a group's description.
func TestImportNeverReadsFiles(t *testing.T) {
	p := newPelote(t)
	p.ok("", "user", "list") // makes the master secret
	key := filepath.Join(p.data, "secret.key")
	if _, err := os.Stat(key); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, t.TempDir(), "url.ldif", "dn: cn=staff,dc=example,dc=org\nobjectClass: groupOfNames\ncn: staff\n"+
		"member: cn=nobody\ndescr\n iption:< file://"+key+"\n")
	p.fails(exitFail, "url.ldif", "", "import", file)
	code, _, stderr := p.run("", "import", file)
	if code != exitFail || !strings.Contains(stderr, "line 5: values read from URLs") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out := p.ok("", "group", "list"); strings.Contains(out, "staff") {
		t.Fatalf("imported: %s", out)
	}
}

// TestImportChecksEveryField: values from the file are checked as the
// administrators' pages check them, base64 or not; the report never prints
// a control character from the file.
func TestImportChecksEveryField(t *testing.T) {
	p := newPelote(t)
	person := func(uid, extra string) string {
		return "dn: uid=" + uid + ",dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: " + uid + "\nsn: X\n" + extra + "\n"
	}
	ldif := person("alice", "cn: Alice\nmail: alice@example.org\n") + // 1
		person("mallory", "displayName:: "+b64("\x1b[2J\x1b[1;31mAlice")+"\nmail: mallory@example.org\n") + // 8
		person("trudy", "displayName:: "+b64("Trudy \u202eexe.gnp")+"\nmail: trudy@example.org\n") + // 15
		person("oscar", "cn: "+strings.Repeat("o", 129)+"\nmail: oscar@example.org\n") + // 22
		person("eve", "cn: Eve\nmail:: "+b64("eve@example.org\nBcc: all@example.org")+"\n") + // 29
		"dn: uid=x,dc=example,dc=org\nobjectClass: account\nuid:: " + b64("\x1b]0;owned\x07") + "\nmail: x@example.org\n\n" + // 36
		person("zed", "cn: Zed\nmail: zed@example.org\nuserPassword:: "+b64("{CRYPT}$6$saltsalt$"+strings.Repeat("a", 86)+"\nx")+"\n") + // 41
		"dn: cn=staff,dc=example,dc=org\nobjectClass: groupOfNames\ncn: staff\ndescription:: " + b64("The staff\nSecond line") + "\nmember: uid=alice,dc=example,dc=org\n\n" + // 49
		"dn: cn=ops,dc=example,dc=org\nobjectClass: posixGroup\ncn: ops\ngidNumber: 1\ndescription:: " + b64("\x1b[31mops") + "\nmemberUid: alice\n\n" + // 55
		"dn: cn=bad name,dc=example,dc=org\nobjectClass: posixGroup\ncn: Bad Name\ngidNumber: 2\nmemberUid: alice\n" // 62
	file := writeFile(t, t.TempDir(), "fields.ldif", ldif)
	code, _, stderr := p.run("", "import", file)
	if code != exitFail {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"fields.ldif:8: mallory: display_name", "fields.ldif:15: trudy: display_name", "fields.ldif:22: oscar: display_name",
		"fields.ldif:29: eve: email", `fields.ldif:36: "\x1b]0;owned\a": username`, "fields.ldif:41: zed: the password hash",
		"fields.ldif:49: group staff: description", "fields.ldif:55: group ops: description", `fields.ldif:62: group "Bad Name": group`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "fields.ldif:1:") {
		t.Errorf("alice refused:\n%s", stderr)
	}
	if strings.ContainsAny(stderr, "\x1b\x07\u202e") {
		t.Errorf("the report prints control characters from the file: %q", stderr)
	}
	if out := p.ok("", "user", "list"); strings.Contains(out, "alice") {
		t.Fatalf("half imported: %q", out)
	}
}

// TestImportAdminGroup: an import adds no one to admin unless told to,
// and the dry run and the report say who would become an administrator.
func TestImportAdminGroup(t *testing.T) {
	p := newPelote(t)
	dir := t.TempDir()
	csv := writeFile(t, dir, "admins.csv", "eve,eve@example.org,Eve,,staff admin\nbob,bob@example.org,Bob,,staff\n")
	code, stdout, stderr := p.run("", "import", csv)
	if code != exitFail || !strings.Contains(stderr, "admins.csv:1: group admin: eve would become an administrator") || !strings.Contains(stderr, "--allow-admin") {
		t.Fatalf("without --allow-admin: exit %d\n%s%s", code, stdout, stderr)
	}
	if out := p.ok("", "user", "list"); strings.Contains(out, "eve") {
		t.Fatalf("imported: %q", out)
	}
	// Existing admin group named by a directory's group: the same.
	ldif := writeFile(t, dir, "admins.ldif", "dn: uid=carol,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: carol\ncn: Carol\nsn: C\nmail: carol@example.org\n\n"+
		"dn: cn=admin,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: admin\nmember: uid=carol,dc=example,dc=org\n")
	p.fails(exitFail, "admins.ldif:8: group admin: carol would become an administrator", "", "import", ldif, "--skip-invalid")
	if out := p.ok("", "import", csv, "--dry-run", "--allow-admin"); !strings.Contains(out, "would make administrators (group admin): eve\n") {
		t.Fatalf("dry run: %q", out)
	}
	if out := p.ok("", "group", "show", "admin"); strings.Contains(out, "eve") {
		t.Fatalf("a dry run wrote: %q", out)
	}
	if out := p.ok("", "import", csv, "--allow-admin", "--json"); !strings.Contains(out, `"administrators": [`) || !strings.Contains(out, `"eve"`) {
		t.Fatalf("report: %q", out)
	}
	if out := p.ok("", "group", "show", "admin"); !strings.Contains(out, "eve") || strings.Contains(out, "bob") {
		t.Fatalf("admin group: %q", out)
	}
}

// TestImportSkipInvalid: a directory's service entries have no address;
// --skip-invalid leaves them (and what they would join) out with a line
// and a reason, and imports the rest in one go.
func TestImportSkipInvalid(t *testing.T) {
	p := newPelote(t)
	ldif := writeFile(t, t.TempDir(), "dir.ldif", "dn: uid=nextcloud,ou=services,dc=example,dc=org\nobjectClass: account\nobjectClass: simpleSecurityObject\nuid: nextcloud\n"+
		"userPassword: "+slappasswd(t, "-h", "{SSHA}", "-s", "service secret")+"\n\n"+ // 1
		"dn: uid=bob,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: bob\ncn: Bob\nsn: B\nmail: bob@example.org\n\n"+ // 7
		"dn: uid=zed,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: zed\ncn: Zed\nsn: Z\nmail: zed@example.org\nuserPassword: $2y$31$"+strings.Repeat("a", 53)+"\n\n"+ // 14
		"dn: cn=staff,dc=example,dc=org\nobjectClass: groupOfNames\ncn: staff\nmember: uid=bob,dc=example,dc=org\nmember: uid=nextcloud,ou=services,dc=example,dc=org\n") // 22
	code, _, stderr := p.run("", "import", ldif)
	if code != exitFail || !strings.Contains(stderr, "dir.ldif:1: nextcloud: email: missing") || !strings.Contains(stderr, "dir.ldif:14: zed: the password hash is refused: it asks for more work than Pelote allows: bcrypt cost 31 is over the cap of 14") ||
		!strings.Contains(stderr, "--skip-invalid") {
		t.Fatalf("without --skip-invalid: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := p.run("", "import", ldif, "--skip-invalid", "--dry-run")
	if code != exitOK || !strings.Contains(stdout, "would import 1 accounts, 1 new groups, 1 memberships; 3 entries skipped") ||
		!strings.Contains(stderr, "dir.ldif:1: skipped: nextcloud: email: missing") || !strings.Contains(stderr, "dir.ldif:22: skipped: group staff: member nextcloud left out: its entry on line 1 is skipped") {
		t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	out := p.ok("", "import", ldif, "--skip-invalid", "--json")
	for _, want := range []string{`"accounts": 1`, `"skipped": [`, `"line": 14`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %s: %s", want, out)
		}
	}
	if out := p.ok("", "user", "list"); !strings.Contains(out, "bob") || strings.Contains(out, "nextcloud") || strings.Contains(out, "zed") {
		t.Fatalf("accounts: %q", out)
	}
}

// TestHashStdinCostCap: `user passwd --hash-stdin` refuses a hash over the
// cost caps and names the cap.
func TestHashStdinCostCap(t *testing.T) {
	p := newPelote(t)
	p.ok("correct horse battery\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	p.fails(exitFail, "cap of 14", "$2y$31$"+strings.Repeat("a", 53)+"\n", "user", "passwd", "alice", "--hash-stdin")
	p.fails(exitFail, "cap of 1000000", "{CRYPT}$6$rounds=999999999$salt$"+strings.Repeat("a", 86)+"\n", "user", "passwd", "alice", "--hash-stdin")
	p.fails(exitFail, "cap of 8", "$argon2id$v=19$m=65536,t=1,p=255$"+strings.Repeat("A", 22)+"$"+strings.Repeat("A", 43)+"\n", "user", "passwd", "alice", "--hash-stdin")
}

// TestImportProblemLateInTheFile: the accounts are written while the rest
// of the file is read; a problem in the file after a thousand of them
// still means nothing is imported, and the message names its line.
func TestImportProblemLateInTheFile(t *testing.T) {
	p := newPelote(t)
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "dn: uid=m%04d,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: m%04d\ncn: Member %d\nsn: M\nmail: m%04d@example.org\n\n", i, i, i, i)
	}
	line := strings.Count(b.String(), "\n") + 1
	b.WriteString("dn: uid=bad,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: bad\ncn:: !!not base64!!\n")
	file := writeFile(t, t.TempDir(), "late.ldif", b.String())
	for _, args := range [][]string{{"import", file}, {"import", "--dry-run", file}, {"import", "--skip-invalid", file}} {
		code, _, stderr := p.run("", args...)
		if code != exitFail || !strings.Contains(stderr, fmt.Sprintf("late.ldif: importer: line %d:", line)) {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	if out := p.ok("", "user", "list"); strings.Contains(out, "m0001") {
		t.Fatalf("half imported: %q", out[:min(len(out), 200)])
	}
}
