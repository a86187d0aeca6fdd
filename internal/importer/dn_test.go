package importer

import (
	"slices"
	"testing"
)

// TestMemberDNs: a group's member DNs find their people however they are
// spelled, in the directory's canonical DN form.
func TestMemberDNs(t *testing.T) {
	ldif := `dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
mail: alice@example.org

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
mail: bob@example.org

dn: cn=staff,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: staff
member: UID=Alice , OU=People, DC=Example, DC=Org
member: uid=bob\20,ou=people,dc=example,dc=org
member: uid=carol,ou=people,dc=example,dc=org
`
	_, groups, err := ReadLDIF([]byte(ldif))
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || !slices.Equal(groups[0].Members, []string{"alice", "bob"}) {
		t.Fatalf("groups: %+v", groups)
	}
}
