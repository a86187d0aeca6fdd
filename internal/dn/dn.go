package dn

import (
	"slices"
	"strings"
	"unicode"

	goldap "github.com/go-ldap/ldap/v3"
	"golang.org/x/text/unicode/norm"
)

// Canonical parses s and returns its canonical form; ok is false when s
// is not a DN. The root DN (empty or blank) is "".
func Canonical(s string) (string, bool) {
	if strings.TrimSpace(s) == "" {
		return "", true
	}
	d, err := goldap.ParseDN(s)
	if err != nil {
		return "", false
	}
	return Of(d.RDNs), true
}

// Of is the canonical form of already parsed RDNs, leaf first.
func Of(rdns []*goldap.RelativeDN) string {
	var b strings.Builder
	for i, rdn := range rdns {
		if i > 0 {
			b.WriteByte(',')
		}
		avas := make([]string, 0, len(rdn.Attributes))
		for _, a := range rdn.Attributes {
			avas = append(avas, strings.ToLower(a.Type)+"="+goldap.EscapeDN(Prepare(a.Value, true, true, true)))
		}
		slices.Sort(avas)
		b.WriteString(strings.Join(avas, "+"))
	}
	return b.String()
}

// Under reports whether the canonical DN d is base or below it.
func Under(d, base string) bool {
	if base == "" || d == base {
		return true
	}
	// The ',' before base must separate RDNs, not be an escaped one
	// inside a value.
	return strings.HasSuffix(d, ","+base) && !escaped(d, len(d)-len(base)-1)
}

// Depth is how many RDNs the canonical DN d has below base (0 for base
// itself); d must be Under base.
func Depth(d, base string) int {
	if d == base {
		return 0
	}
	rest := d
	if base != "" {
		rest = d[:len(d)-len(base)-1]
	}
	n := 1
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++ // the escaped character
		case ',':
			n++
		}
	}
	return n
}

// escaped reports whether s[i] is preceded by an odd run of backslashes.
func escaped(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// Prepare is a small RFC 4518 string preparation: NFKC, optional case
// folding, and insignificant-space handling (runs of white space become
// one space; the ends are trimmed when asked).
func Prepare(s string, fold, trimLeft, trimRight bool) string {
	s = norm.NFKC.String(s)
	if fold {
		s = strings.ToLower(s)
	}
	if !needsSpacePrep(s, trimLeft, trimRight) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && (b.Len() > 0 || !trimLeft) {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	if space && !trimRight && (b.Len() > 0 || !trimLeft) {
		b.WriteByte(' ')
	}
	return b.String()
}

// needsSpacePrep reports whether Prepare must rewrite spaces, so the
// common case costs no allocation.
func needsSpacePrep(s string, trimLeft, trimRight bool) bool {
	prevSpace := false
	for i, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (r != ' ' || prevSpace || (i == 0 && trimLeft)) {
			return true
		}
		prevSpace = sp
	}
	return prevSpace && trimRight
}
