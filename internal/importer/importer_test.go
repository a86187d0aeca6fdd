package importer_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pelote/internal/importer"
)

const person = "objectClass: inetOrgPerson\nuid: alice\ncn: Alice\nsn: Alice\nmail: alice@example.org\n"

// TestLDIFNeverReadsFiles: an "attr:< URL" value would have the LDIF
// library read a file of the server (the master secret) into the import.
// Folding may split the attribute, the colon or the "<" over several
// physical lines; the value is refused however it is written, and the file
// is never read.
func TestLDIFNeverReadsFiles(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(secret, []byte("THE-MASTER-SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "file://" + secret
	group := "dn: cn=staff,dc=example,dc=org\nobjectClass: groupOfNames\ncn: staff\nmember: uid=alice,dc=example,dc=org\n"
	alice := "dn: uid=alice,dc=example,dc=org\n" + person + "\n"
	tests := []struct {
		name string
		ldif string
		line string
	}{
		{"plain", alice + group + "description:< " + url + "\n", "line 12"},
		{"folded attribute name", alice + group + "descr\n iption:< " + url + "\n", "line 12"},
		{"folded before the <", alice + group + "description:\n < " + url + "\n", "line 12"},
		{"folded in the URL", alice + group + "description:< fi\n le://" + secret + "\n", "line 12"},
		{"CRLF and folding", strings.ReplaceAll(alice+group+"descr\n iption:< "+url+"\n", "\n", "\r\n"), "line 12"},
		{"option and folding", alice + group + "description;lang-fr\n :< " + url + "\n", "line 12"},
		{"in the DN", "d\n n:< " + url + "\n" + person, "line 1"},
		{"in a person", "dn: uid=alice,dc=example,dc=org\n" + person + "display\n Name:< " + url + "\n", "line 7"},
		{"in a control", "dn: cn=x,dc=example,dc=org\ncontrol: 1.2.840.113556.1.4.805 true:< " + url + "\nchangetype: delete\n", "line 2"},
		{"after a comment", "# a comment\n  folded comment\n" + alice + group + "d\n escription:< " + url + "\n", "line 14"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			accounts, groups, err := importer.Read(strings.NewReader(tc.ldif))
			for _, a := range accounts {
				if strings.Contains(a.DisplayName+a.Email+a.Username, "MASTER") {
					t.Errorf("the file was read into account %+v", a)
				}
			}
			for _, g := range groups {
				if strings.Contains(g.Description, "MASTER") {
					t.Errorf("the file was read into group %+v", g)
				}
			}
			if err == nil || !strings.Contains(err.Error(), "URL") || !strings.Contains(err.Error(), tc.line+":") {
				t.Fatalf("got %v, want a refusal of URL values at %s", err, tc.line)
			}
			if strings.Contains(err.Error(), "MASTER") {
				t.Fatalf("the error shows the file: %v", err)
			}
		})
	}
}

// TestLDIFValues reads what the parser decoded, not the raw text: base64
// values, folded values, attribute names in any case, empty values as
// slapcat writes them, and the line each entry starts on.
func TestLDIFValues(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	ldif := "version: 1\n\n" +
		"# people\n" +
		"dn: ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: people\ncreatorsName:\n\n" +
		"dn: uid=alice,ou=people,dc=example,dc=org\nOBJECTCLASS: inetOrgPerson\nUID: alice\nDisplayName:: " + b64([]byte("Alice Érin")) + "\n" +
		"mail: alice@exam\n ple.org\nuserPassword:: " + b64([]byte("{SSHA}abc")) + "\ndescription:\n\n" +
		"dn: cn=old,dc=example,dc=org\nchangetype: delete\n\n" +
		"dn: cn=staff,dc=example,dc=org\nobjectClass: groupOfNames\ncn: staff\ndescription: The\n  staff\nmember: UID=Alice, ou=People, dc=example, dc=org\n"
	_, _, err := importer.ReadLDIF([]byte(ldif))
	if err == nil || !strings.Contains(err.Error(), "line 18:") || !strings.Contains(err.Error(), "changetype") {
		t.Fatalf("a change record: %v, want it refused at its line", err)
	}
	ldif = strings.Replace(ldif, "dn: cn=old,dc=example,dc=org\nchangetype: delete\n\n", "", 1)
	accounts, groups, err := importer.ReadLDIF([]byte(ldif))
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 1 || len(groups) != 1 {
		t.Fatalf("accounts %+v, groups %+v", accounts, groups)
	}
	a := accounts[0]
	if a.Line != 9 || a.Username != "alice" || a.DisplayName != "Alice Érin" || a.Email != "alice@example.org" || a.PasswordHash != "{SSHA}abc" {
		t.Fatalf("alice read as %+v", a)
	}
	g := groups[0]
	if g.Line != 18 || g.Name != "staff" || g.Description != "The staff" || len(g.Members) != 1 || g.Members[0] != "alice" {
		t.Fatalf("staff read as %+v", g)
	}
}

// FuzzRead: no input makes the reader panic or read a file.
func FuzzRead(f *testing.F) {
	f.Add([]byte("dn: uid=a,dc=x\nobjectClass: account\nuid: a\nmail: a@example.org\n"))
	f.Add([]byte("dn: cn=g,dc=x\nobjectClass: posixGroup\ncn: g\nmemberUid: a\n\ndn: x\nd\n escription:< file:///etc/passwd\n"))
	f.Add([]byte("username,email\nalice,alice@example.org\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		accounts, groups, _ := importer.Read(strings.NewReader(string(data)))
		for _, a := range accounts {
			if strings.Contains(a.DisplayName+a.Email+a.PasswordHash, "root:x:0:0") {
				t.Fatalf("read /etc/passwd: %+v", a)
			}
		}
		for _, g := range groups {
			if strings.Contains(g.Description, "root:x:0:0") {
				t.Fatalf("read /etc/passwd: %+v", g)
			}
		}
	})
}
