package dn

import "testing"

func TestCanonical(t *testing.T) {
	want, _ := Canonical("cn=staff,ou=groups,dc=example,dc=org")
	if want != "cn=staff,ou=groups,dc=example,dc=org" {
		t.Fatalf("canonical form of a plain DN changed it: %q", want)
	}
	for _, in := range []string{
		"CN=Staff,OU=Groups,DC=Example,DC=Org",
		"cn = staff , ou = groups , dc = example , dc = org",
		"cn=\\53taff,ou=groups,dc=example,dc=org",
		"cn=staff;ou=groups;dc=example;dc=org",
		"cn=staff\\20,ou=groups,dc=example,dc=org",
		"cn=\\20 staff,ou=groups,dc=example,dc=org",
		"cn=#04057374616666,ou=groups,dc=example,dc=org", // BER-encoded "staff"
	} {
		if got, ok := Canonical(in); !ok || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	a, _ := Canonical("cn=a+uid=b,dc=org")
	b, _ := Canonical("UID=B + CN=A,dc=org")
	if a != b {
		t.Errorf("multi-valued RDN order matters: %q vs %q", a, b)
	}
	c, _ := Canonical("cn=a\\,b,dc=org")
	d, _ := Canonical("cn=a,cn=b,dc=org")
	if c == d {
		t.Errorf("escaped comma lost: both are %q", c)
	}
	if got, ok := Canonical("  "); !ok || got != "" {
		t.Errorf("root DN: %q, %v", got, ok)
	}
	for _, bad := range []string{"not a dn", "uid=a,", "=x", "uid=a\\"} {
		if got, ok := Canonical(bad); ok {
			t.Errorf("Canonical(%q) accepted: %q", bad, got)
		}
	}
}

func TestUnderAndDepth(t *testing.T) {
	base := "dc=example,dc=org"
	for _, tt := range []struct {
		dn    string
		under bool
		depth int
	}{
		{"dc=example,dc=org", true, 0},
		{"ou=people,dc=example,dc=org", true, 1},
		{"uid=a,ou=people,dc=example,dc=org", true, 2},
		{`uid=a\,ou=people,dc=example,dc=org`, true, 1},
		{"dc=other,dc=org", false, 0},
		{"xdc=example,dc=org", false, 0},
	} {
		c, ok := Canonical(tt.dn)
		if !ok {
			t.Fatalf("%q does not parse", tt.dn)
		}
		if got := Under(c, base); got != tt.under {
			t.Errorf("Under(%q) = %v", c, got)
		}
		if tt.under {
			if got := Depth(c, base); got != tt.depth {
				t.Errorf("Depth(%q) = %d, want %d", c, got, tt.depth)
			}
		}
	}
	// An escaped comma followed by the base's first RDN is inside a value:
	// this entry is below dc=org, not below the base.
	c, _ := Canonical(`uid=x\,dc=example,dc=org`)
	if Under(c, "dc=example,dc=org") {
		t.Errorf("%q taken as below the base", c)
	}
	if !Under("anything", "") || Depth("a=b,c=d", "") != 2 {
		t.Error("the root DN is above everything")
	}
}
