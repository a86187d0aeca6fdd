package ldap

import (
	"errors"
	"strings"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
)

// filterTestEntries: two people, a group, and an entry without objectClass.
var filterTestEntries = []struct {
	name  string
	entry *Entry
}{
	{"alice", entryFromMap("uid=alice,ou=people,dc=example,dc=org", map[string][]string{
		"objectclass":   {"top", "inetOrgPerson", "posixAccount"},
		"uid":           {"alice"},
		"cn":            {"Alice Martin"},
		"sn":            {"Martin"},
		"givenname":     {"Alice"},
		"mail":          {"alice@example.org"},
		"uidnumber":     {"10001"},
		"gidnumber":     {"10001"},
		"homedirectory": {"/home/alice"},
		"loginshell":    {"/bin/bash"},
		"memberof":      {"cn=staff,ou=groups,dc=example,dc=org"},
		"userpassword":  {"{SSHA}secret"},
	}),
	},
	{"bob", entryFromMap("uid=bob,ou=people,dc=example,dc=org", map[string][]string{
		"objectclass": {"inetOrgPerson", "posixAccount"},
		"uid":         {"bob"},
		"cn":          {"Bob Dupont"},
		"mail":        {"bob@Example.ORG"},
		"uidnumber":   {"9999"},
		"memberof":    {"CN=Admins, OU=Groups, DC=example, DC=org"},
	}),
	},
	{"staff", entryFromMap("cn=staff,ou=groups,dc=example,dc=org", map[string][]string{
		"objectclass": {"groupOfNames", "posixGroup"},
		"cn":          {"staff"},
		"gidnumber":   {"5000"},
		"member":      {"uid=alice,ou=people,dc=example,dc=org"},
		"memberuid":   {"alice"},
		"description": {"Staff members of the example team"},
	}),
	},
	{"root", entryFromMap("dc=example,dc=org", map[string][]string{"dc": {"example"}})},
}

// matching returns the names of the test entries f matches, comma-joined.
func matching(f Filter) string {
	var names []string
	for _, te := range filterTestEntries {
		if f.Match(te.entry) {
			names = append(names, te.name)
		}
	}
	return strings.Join(names, ",")
}

func TestFilterMatch(t *testing.T) {
	const all = "alice,bob,staff,root"
	tests := []struct {
		filter string
		want   string
	}{
		// equality, case-insensitive names and values
		{"(uid=alice)", "alice"},
		{"(UID=ALICE)", "alice"},
		{"(Uid=Alice)", "alice"},
		{"(objectClass=INETORGPERSON)", "alice,bob"},
		{"(objectclass=posixgroup)", "staff"},
		{"(cn=alice martin)", "alice"},
		{"(cn=  Alice   Martin )", "alice"}, // insignificant spaces
		{"(cn=Alice\\20Martin)", "alice"},   // escaped value
		{"(mail=BOB@example.org)", "bob"},
		{"(uid=nobody)", ""},
		// aliases and OIDs resolve to the stored name
		{"(commonName=STAFF)", "staff"},
		{"(2.5.4.3=staff)", "staff"},
		{"(0.9.2342.19200300.100.1.1=bob)", "bob"},
		// unknown attributes: caseIgnore, absent means FALSE
		{"(foo=bar)", ""},
		{"(!(foo=bar))", all},
		// attribute options: Undefined, so neither it nor its negation matches
		{"(cn;lang-fr=staff)", ""},
		{"(!(cn;lang-fr=staff))", ""},
		// case-exact attributes
		{"(loginShell=/bin/bash)", "alice"},
		{"(loginShell=/BIN/BASH)", ""},
		{"(homeDirectory=/home/alice)", "alice"},
		{"(homeDirectory=/home/Alice)", ""},

		// presence
		{"(objectClass=*)", "alice,bob,staff"},
		{"(OBJECTCLASS=*)", "alice,bob,staff"},
		{"(mail=*)", "alice,bob"},
		{"(entryDN=*)", all},
		{"(nothing=*)", ""},

		// userPassword is never present nor matchable
		{"(userPassword=*)", ""},
		{"(userPassword={SSHA}secret)", ""},
		{"(userPassword={SSHA}*)", ""},
		{"(userPassword>=a)", ""},
		{"(!(userPassword=*))", all},

		// substrings
		{"(cn=Al*)", "alice"},
		{"(cn=*TIN)", "alice"},
		{"(cn=*ice m*)", "alice"},
		{"(cn=*LI*MAR*)", "alice"},
		{"(cn=A*i*e*M*n)", "alice"},
		{"(cn=*Martin*Alice*)", ""}, // any parts are ordered
		{"(uid=ali*lice)", ""},      // initial and final must not overlap
		{"(uid=al*ce)", "alice"},
		{"(description=staff*of*the*team)", "staff"},
		{"(description=*MEMBERS*EXAMPLE*)", "staff"},
		{"(description=*team*members*)", ""},
		{"(cn=*\\2a*)", ""}, // escaped '*' is a literal star
		{"(userPassword=*e*)", ""},
		// substrings on integers match as strings
		{"(uidNumber=100*)", "alice"},
		{"(uidNumber=*99)", "bob"},
		{"(gidNumber=*0*)", "alice,staff"},

		// integer ordering is numeric: "9999" > "10001" as strings
		{"(uidNumber>=9999)", "alice,bob"},
		{"(uidNumber>=10000)", "alice"},
		{"(uidNumber<=9999)", "bob"},
		{"(uidNumber<=10001)", "alice,bob"},
		{"(uidNumber>=-5)", "alice,bob"},
		{"(uidNumber=010001)", "alice"},
		{"(uidNumber=10001)", "alice"},
		{"(gidNumber<=5000)", "staff"},
		{"(gidNumber>=5001)", "alice"},
		// a non-numeric assertion is Undefined: matches nothing, even negated
		{"(uidNumber=abc)", ""},
		{"(uidNumber>=abc)", ""},
		{"(!(uidNumber>=abc))", ""},
		{"(|(uidNumber=abc)(uid=alice))", "alice"},
		{"(!(&(uidNumber=abc)(uid=alice)))", "bob,staff,root"},

		// string ordering uses the rule's normalisation
		{"(uid>=B)", "bob"},
		{"(cn>=b)", "bob,staff"},
		{"(cn<=ALICE MARTIN)", "alice"},
		{"(loginShell<=/bin/bash)", "alice"},
		{"(loginShell>=/bin/bashz)", ""},

		// DN-valued attributes
		{"(memberOf=CN=Staff, OU=Groups,DC=Example,DC=Org)", "alice"},
		{"(memberOf=cn=staff,ou=groups,dc=example,dc=org)", "alice"},
		{"(memberOf=cn=admins,ou=groups,dc=example,dc=org)", "bob"},
		{"(memberOf=cn=staff)", ""},
		{"(memberOf=not a dn)", ""},
		{"(!(memberOf=not a dn))", ""},
		{"(member=UID=alice , ou=people , dc=example , dc=org)", "staff"},
		{"(uniqueMember=*)", ""},
		{"(entryDN=UID=bob, ou=people, dc=example, dc=org)", "bob"},
		{"(entryDN=dc=example,dc=org)", "root"},
		{"(memberOf=*ou=groups*)", "alice,bob"},
		{"(memberOf=*OU = Groups , dc=example*)", "alice,bob"},
		{"(memberOf=cn=staff,*)", "alice"},
		{"(memberOf=cn=admins ,*)", "bob"},

		// extensible matches: an equality with the rule named, also on
		// the DN's values with :dn: (RFC 4511 4.5.1.7.7)
		{"(cn:=staff)", "staff"},
		{"(cn:caseExactMatch:=Alice Martin)", "alice"},
		{"(cn:caseExactMatch:=alice martin)", ""},
		{"(cn:2.5.13.2:=ALICE MARTIN)", "alice"},
		{"(ou:dn:=people)", "alice,bob"},
		{"(ou:=people)", ""},
		{"(ou:dn:caseExactMatch:=People)", ""},
		{"(organizationalUnitName:dn:=GROUPS)", "staff"},
		{"(dc:dn:=example)", all},
		{"(uid:dn:=alice)", "alice"},
		{"(uidNumber:integerMatch:=010001)", "alice"},
		{"(uidNumber:integerMatch:=abc)", ""},
		{"(!(uidNumber:integerMatch:=abc))", ""},
		{"(memberOf:distinguishedNameMatch:=CN=Staff,OU=Groups,DC=Example,DC=Org)", "alice"},
		{"(uid:1.2.3.4:=alice)", ""}, // an unknown rule is Undefined
		{"(!(uid:dn:1.2.3.4:=alice))", ""},
		{"(cn;lang-fr:dn:=staff)", ""},
		{"(userPassword:caseExactMatch:={SSHA}secret)", ""},

		// approximate is equality
		{"(cn~=alice martin)", "alice"},
		{"(uidNumber~=9999)", "bob"},
		{"(cn~=alice)", ""},

		// and, or, not
		{"(&(objectClass=posixAccount)(!(uid=alice)))", "bob"},
		{"(|(uid=alice)(cn=staff))", "alice,staff"},
		{"(&(|(uid=alice)(uid=bob))(uidNumber>=10000))", "alice"},
		{"(!(&(objectClass=posixAccount)(uid=alice)))", "bob,staff,root"},
		{"(&(objectClass=*)(|(memberUid=alice)(memberOf=cn=staff,ou=groups,dc=example,dc=org)))", "alice,staff"},
		{"(!(!(uid=bob)))", "bob"},
		{"(&)", all}, // RFC 4526 absolute true
		{"(|)", ""},  // absolute false
		{"(!(|))", all},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tt.filter, err)
			}
			if got := matching(f); got != tt.want {
				t.Errorf("%s matches %q, want %q", tt.filter, got, tt.want)
			}
			if f.Match(nil) {
				t.Errorf("%s matches a nil entry", tt.filter)
			}
		})
	}
}

func nested(n int) string {
	return strings.Repeat("(&", n-1) + "(uid=alice)" + strings.Repeat(")", n-1)
}

func TestFilterErrors(t *testing.T) {
	tests := []struct {
		filter string
		want   error
	}{
		{"", ErrInvalidFilter},
		{"uid=alice", ErrInvalidFilter},
		{"(uid=alice", ErrInvalidFilter},
		{"(uid=*", ErrInvalidFilter},
		{"(&(uid=alice)", ErrInvalidFilter},
		{"(uid=alice))", ErrInvalidFilter},
		{"(uid=alice)(uid=bob)", ErrInvalidFilter},
		{"garbage", ErrInvalidFilter},
		{"(", ErrInvalidFilter},
		{"((", ErrInvalidFilter},
		{")", ErrInvalidFilter},
		{"()", ErrInvalidFilter},
		{"(!)", ErrInvalidFilter},
		{"(&(uid=a)garbage)", ErrInvalidFilter},
		{"(=alice)", ErrInvalidFilter},
		{"(u id=alice)", ErrInvalidFilter},
		{"(1uid=alice)", ErrInvalidFilter},
		{"(cn;=x)", ErrInvalidFilter},
		{"(2.5..3=x)", ErrInvalidFilter},
		{"(uid=\\zz)", ErrInvalidFilter},
		{"(uid=\\4)", ErrInvalidFilter},
		{"(cn=**)", ErrInvalidFilter},
		{"(cn=\xff)", ErrInvalidFilter},
		{"(:dn:2.4.6.8.10:=Dino)", ErrUnsupportedFilter},
		{"(:caseExactMatch:=x)", ErrUnsupportedFilter},
		{nested(MaxFilterDepth + 1), ErrFilterTooDeep},
		{nested(100), ErrFilterTooDeep},
		{strings.Repeat("(!", 40) + "(uid=a)" + strings.Repeat(")", 40), ErrFilterTooDeep},
		{"(uid=" + strings.Repeat("a", MaxFilterLength) + ")", ErrFilterTooLong},
		{nested(5000), ErrFilterTooDeep},
		{nested(40000), ErrFilterTooLong},
	}
	for _, tt := range tests {
		name := tt.filter
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		t.Run(name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseFilter(%q) = %v, %v; want %v", name, f, err, tt.want)
			}
			if f != nil {
				t.Errorf("ParseFilter(%q) returned a filter with its error", name)
			}
		})
	}
}

func TestFilterLimitsInclusive(t *testing.T) {
	f, err := ParseFilter(nested(MaxFilterDepth))
	if err != nil {
		t.Fatalf("depth %d: %v", MaxFilterDepth, err)
	}
	if got := matching(f); got != "alice" {
		t.Errorf("depth %d matches %q", MaxFilterDepth, got)
	}
	long := "(description=" + strings.Repeat("x", MaxFilterLength-len("(description=)")) + ")"
	if len(long) != MaxFilterLength {
		t.Fatalf("test filter is %d bytes", len(long))
	}
	if _, err := ParseFilter(long); err != nil {
		t.Errorf("%d-byte filter: %v", MaxFilterLength, err)
	}
}

func TestIntegerMatchForm(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"10001", "10001", true},
		{"0010", "10", true},
		{"+7", "7", true},
		{"-0", "0", true},
		{"-042", "-42", true},
		{" 5 ", "5", true},
		{"", "", false},
		{"-", "", false},
		{"1e3", "", false},
		{"12a", "", false},
	} {
		got, ok := intMatchForm(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("intMatchForm(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"10001", "9999", 1},
		{"9999", "10001", -1},
		{"-10001", "-9999", -1},
		{"-1", "0", -1},
		{"0", "-1", 1},
		{"123456789012345678901234567890", "9", 1},
		{"42", "42", 0},
	} {
		if got := compareInts(tt.a, tt.b); got != tt.want {
			t.Errorf("compareInts(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"(uid=alice)", "(&(objectClass=person)(|(cn=a*b*c)(!(mail=*))))",
		"(uidNumber>=10)", "(cn~=x)", "(memberOf=cn=a,dc=b)", "(cn:dn:1.2.3:=x)",
		"(cn=\\2a\\28\\29)", "(&)", "(|)", "((uid=a))", "(cn;lang-fr=x)",
		"(uid=*", "(=)", "(!(!(!(a=b))))", "(memberOf=*cn=a , *)", "(uidNumber<=-01)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			if flt != nil {
				t.Fatalf("filter and error for %q", s)
			}
			if !errors.Is(err, ErrInvalidFilter) && !errors.Is(err, ErrUnsupportedFilter) &&
				!errors.Is(err, ErrFilterTooDeep) && !errors.Is(err, ErrFilterTooLong) {
				t.Fatalf("ParseFilter(%q): error %v wraps no sentinel", s, err)
			}
			return
		}
		if flt == nil {
			t.Fatalf("no filter and no error for %q", s)
		}
		for _, te := range filterTestEntries {
			flt.Match(te.entry)
		}
		flt.Match(nil)
		flt.Match(&Entry{})
	})
}

func BenchmarkFilterMatch(b *testing.B) {
	f, err := ParseFilter("(&(objectClass=posixAccount)(|(uid=bob)(memberOf=cn=staff,ou=groups,dc=example,dc=org))(cn=*mar*))")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, te := range filterTestEntries {
			f.Match(te.entry)
		}
	}
}

// FuzzCompileFilter feeds arbitrary BER, as a search request carries its
// filter, to the compiler: an error or a filter, never a panic, and the
// filter matches entries without one either.
func FuzzCompileFilter(f *testing.F) {
	for _, s := range []string{
		"(uid=alice)", "(&(objectClass=person)(|(cn=a*b*c)(!(mail=*))))", "(ou:dn:=people)",
		"(uid:dn:caseExactMatch:=alice)", "(uidNumber>=10)", "(memberOf=cn=staff,ou=groups,dc=example,dc=org)",
	} {
		p, err := goldap.CompileFilter(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p.Bytes())
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ber.DecodePacketErr(in)
		if err != nil {
			return
		}
		flt, err := CompileFilter(p)
		if err != nil {
			if !errors.Is(err, ErrInvalidFilter) && !errors.Is(err, ErrUnsupportedFilter) &&
				!errors.Is(err, ErrFilterTooDeep) && !errors.Is(err, ErrFilterTooLong) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		for _, te := range filterTestEntries {
			flt.Match(te.entry)
		}
	})
}
