package importer

import (
	"fmt"
	"strings"
	"testing"
)

// syntheticLDIF is an OpenLDAP-style export of n people in groups of
// size, the shape bench/import.sh loads.
func syntheticLDIF(n, size int) []byte {
	var b strings.Builder
	b.WriteString("dn: dc=example,dc=org\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "dn: uid=user%05d,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n"+
			"uid: user%05d\ncn: User %d\nsn: %d\ndisplayName: User number %d\nmail: user%05d@example.org\n"+
			"uidNumber: %d\ngidNumber: 100\nhomeDirectory: /home/user%05d\nuserPassword: {SSHA}c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0\n\n",
			i, i, i, i, i, i, 10000+i, i)
	}
	for g := 0; g < n/size; g++ {
		fmt.Fprintf(&b, "dn: cn=group%03d,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: group%03d\n", g, g)
		for i := g*size + 1; i <= (g+1)*size; i++ {
			fmt.Fprintf(&b, "member: uid=user%05d,ou=people,dc=example,dc=org\n", i)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// BenchmarkReadLDIF reads 10,000 people in 500 groups: the parsing half of
// `pelote import` (bench/import.sh times the whole command).
func BenchmarkReadLDIF(b *testing.B) {
	data := syntheticLDIF(10000, 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		accounts, groups, err := ReadLDIF(data)
		if err != nil || len(accounts) != 10000 || len(groups) != 500 {
			b.Fatalf("%d accounts, %d groups, %v", len(accounts), len(groups), err)
		}
	}
}

// Records are parsed on every core, but the problem reported is the
// first in the file, whether the library or the line check finds it.
func TestLDIFReportsTheFirstProblem(t *testing.T) {
	people := string(syntheticLDIF(1000, 20))
	lines := strings.Count(people, "\n")
	badValue := "dn: uid=bad,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: bad\ncn:: !!not base64!!\n\n"
	urlValue := "dn: uid=url,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: url\ndescription:< file:///etc/passwd\n\n"
	for _, tc := range []struct {
		name, text string
		want       string
	}{
		{"a bad value after a thousand people", people + badValue + people, fmt.Sprintf("line %d:", lines+1)},
		{"a bad value before a URL", people + badValue + people + urlValue, fmt.Sprintf("line %d:", lines+1)},
		{"a URL before a bad value", people + urlValue + people + badValue, fmt.Sprintf("line %d: values read from URLs", lines+4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadLDIF([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Members named by DN, as written or in another spelling, are found.
	text := people + "dn: cn=mixed,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: mixed\n" +
		"member: uid=user00001,ou=people,dc=example,dc=org\nmember: UID=user00002, OU=People,DC=example,DC=org\n" +
		"member: uid=user00001,ou=people,dc=example,dc=org\nmember: uid=nobody,ou=people,dc=example,dc=org\n\n"
	_, groups, err := ReadLDIF([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	got := groups[len(groups)-1]
	if got.Name != "mixed" || strings.Join(got.Members, " ") != "user00001 user00002" {
		t.Fatalf("group %s has %v", got.Name, got.Members)
	}
}
