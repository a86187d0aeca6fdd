package ldap

import (
	goldap "github.com/go-ldap/ldap/v3"

	"pelote/internal/dn"
)

// normDN is the canonical form DNs are compared in (package dn). A DN
// that does not parse yields "", as the root does: callers that need a
// real entry check for it.
func normDN(s string) string {
	c, _ := dn.Canonical(s)
	return c
}

// escapeRDN escapes a value for use in a DN (RFC 4514).
func escapeRDN(v string) string {
	return goldap.EscapeDN(v)
}

// underOrAt reports whether dn (canonical) is base or below it.
func underOrAt(d, base string) bool { return dn.Under(d, base) }

// depthBelow is how many RDNs d has below base (0 for base itself).
func depthBelow(d, base string) int { return dn.Depth(d, base) }
