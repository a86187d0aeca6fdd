package ldap

import (
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// normDN is the form DNs are compared in: attribute types and values in
// lower case, no spaces around separators, escapes resolved. A DN that
// does not parse yields "", which matches nothing.
func normDN(dn string) string {
	if strings.TrimSpace(dn) == "" {
		return ""
	}
	parsed, err := goldap.ParseDN(dn)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for i, rdn := range parsed.RDNs {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, a := range rdn.Attributes {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strings.ToLower(a.Type))
			b.WriteByte('=')
			b.WriteString(strings.ToLower(a.Value))
		}
	}
	return b.String()
}

// escapeRDN escapes a value for use in a DN (RFC 4514).
func escapeRDN(v string) string {
	return goldap.EscapeDN(v)
}

// underOrAt reports whether dn (normalised) is base or below it.
func underOrAt(dn, base string) bool {
	if base == "" {
		return true
	}
	return dn == base || strings.HasSuffix(dn, ","+base)
}

// depthBelow is how many RDNs dn has below base (0 for base itself).
func depthBelow(dn, base string) int {
	if dn == base {
		return 0
	}
	rest := strings.TrimSuffix(dn, ","+base)
	if base == "" {
		rest = dn
	}
	return strings.Count(rest, ",") + 1
}
