package ldap

import (
	"strings"

	"pelote/internal/dn"
)

// matchRule is how values of an attribute compare in search filters.
type matchRule uint8

const (
	// ruleCaseIgnore is caseIgnoreMatch/caseIgnoreOrderingMatch.
	ruleCaseIgnore matchRule = iota
	// ruleCaseExact is caseExactMatch and caseExactIA5Match.
	ruleCaseExact
	// ruleDN is distinguishedNameMatch.
	ruleDN
	// ruleInteger is integerMatch/integerOrderingMatch.
	ruleInteger
	// ruleNever is for secrets: the attribute never looks present, so a
	// filter cannot be used to probe its values.
	ruleNever
)

// attrID numbers the attributes of attrTable; entries, indexes and
// attribute selections use it instead of the name.
type attrID uint8

// noAttr is the ID of an attribute the directory does not serve: no entry
// holds it.
const noAttr attrID = 255

// attrDef is one attribute the directory serves. name is its lower-case
// key, canon its spelling in answers.
type attrDef struct {
	id      attrID
	name    string
	canon   string
	oid     string
	aliases []string
	rule    matchRule
	// operational attributes are returned only when named or with "+".
	operational bool
}

// attrTable lists the attributes the directory serves, in the order
// entries hold and send them; anything else compares as caseIgnore and is
// never present. At most 64: an attribute selection is a bit mask.
var attrTable = func() []attrDef {
	t := []attrDef{
		{name: "objectclass", canon: "objectClass", oid: "2.5.4.0", rule: ruleCaseIgnore},
		{name: "uid", canon: "uid", oid: "0.9.2342.19200300.100.1.1", aliases: []string{"userid"}, rule: ruleCaseIgnore},
		{name: "cn", canon: "cn", oid: "2.5.4.3", aliases: []string{"commonname"}, rule: ruleCaseIgnore},
		{name: "sn", canon: "sn", oid: "2.5.4.4", aliases: []string{"surname"}, rule: ruleCaseIgnore},
		{name: "givenname", canon: "givenName", oid: "2.5.4.42", aliases: []string{"gn"}, rule: ruleCaseIgnore},
		{name: "displayname", canon: "displayName", oid: "2.16.840.1.113730.3.1.241", rule: ruleCaseIgnore},
		{name: "mail", canon: "mail", oid: "0.9.2342.19200300.100.1.3", aliases: []string{"rfc822mailbox"}, rule: ruleCaseIgnore},
		{name: "uidnumber", canon: "uidNumber", oid: "1.3.6.1.1.1.1.0", rule: ruleInteger},
		{name: "gidnumber", canon: "gidNumber", oid: "1.3.6.1.1.1.1.1", rule: ruleInteger},
		{name: "homedirectory", canon: "homeDirectory", oid: "1.3.6.1.1.1.1.3", rule: ruleCaseExact},
		{name: "loginshell", canon: "loginShell", oid: "1.3.6.1.1.1.1.4", rule: ruleCaseExact},
		{name: "sshpublickey", canon: "sshPublicKey", oid: "1.3.6.1.4.1.24552.500.1.1.1.13", rule: ruleCaseExact},
		{name: "host", canon: "host", oid: "0.9.2342.19200300.100.1.9", rule: ruleCaseExact},
		{name: "memberof", canon: "memberOf", oid: "1.2.840.113556.1.2.102", rule: ruleDN},
		{name: "description", canon: "description", oid: "2.5.4.13", rule: ruleCaseIgnore},
		{name: "member", canon: "member", oid: "2.5.4.31", rule: ruleDN},
		{name: "uniquemember", canon: "uniqueMember", oid: "2.5.4.50", rule: ruleDN},
		{name: "memberuid", canon: "memberUid", oid: "1.3.6.1.1.1.1.12", rule: ruleCaseIgnore},
		{name: "ou", canon: "ou", oid: "2.5.4.11", aliases: []string{"organizationalunitname"}, rule: ruleCaseIgnore},
		{name: "dc", canon: "dc", oid: "0.9.2342.19200300.100.1.25", aliases: []string{"domaincomponent"}, rule: ruleCaseIgnore},
		{name: "o", canon: "o", oid: "2.5.4.10", aliases: []string{"organizationname"}, rule: ruleCaseIgnore},
		{name: "userpassword", canon: "userPassword", oid: "2.5.4.35", rule: ruleNever},
		{name: "entrydn", canon: "entryDN", oid: "1.3.6.1.1.20", rule: ruleDN, operational: true},
		{name: "hassubordinates", canon: "hasSubordinates", oid: "2.5.18.9", rule: ruleCaseIgnore, operational: true},
		// The root DSE's (RFC 4512 section 5.1).
		{name: "namingcontexts", canon: "namingContexts", oid: "1.3.6.1.4.1.1466.101.120.5", rule: ruleDN, operational: true},
		{name: "supportedldapversion", canon: "supportedLDAPVersion", oid: "1.3.6.1.4.1.1466.101.120.15", rule: ruleInteger, operational: true},
		{name: "supportedcontrol", canon: "supportedControl", oid: "1.3.6.1.4.1.1466.101.120.13", rule: ruleCaseIgnore, operational: true},
		{name: "supportedextension", canon: "supportedExtension", oid: "1.3.6.1.4.1.1466.101.120.7", rule: ruleCaseIgnore, operational: true},
		{name: "vendorname", canon: "vendorName", oid: "1.3.6.1.1.4", rule: ruleCaseExact, operational: true},
	}
	for i := range t {
		t[i].id = attrID(i)
	}
	return t
}()

// Attribute IDs the code names.
var (
	idObjectClass     = lookupAttrDef("objectclass").id
	idEntryDN         = lookupAttrDef("entrydn").id
	idHasSubordinates = lookupAttrDef("hassubordinates").id
)

// attrIndex finds an attrDef by lower-case name, alias or OID.
var attrIndex = func() map[string]*attrDef {
	m := make(map[string]*attrDef)
	for i := range attrTable {
		d := &attrTable[i]
		m[d.name] = d
		m[d.oid] = d
		for _, a := range d.aliases {
			m[a] = d
		}
	}
	return m
}()

// lookupAttrDef resolves an attribute type (no options) to its definition;
// unknown types compare as caseIgnore under their lower-case name, with
// ID noAttr.
func lookupAttrDef(attrType string) attrDef {
	if d, ok := attrIndex[attrType]; ok {
		return *d
	}
	key := strings.ToLower(attrType)
	if d, ok := attrIndex[key]; ok {
		return *d
	}
	return attrDef{id: noAttr, name: key, canon: key, rule: ruleCaseIgnore}
}

// normalize puts a whole value into the rule's comparison form; ok is
// false when the value is not valid for the rule's syntax.
func (r matchRule) normalize(v string) (string, bool) {
	switch r {
	case ruleCaseIgnore:
		return prepString(v, true, true, true), true
	case ruleCaseExact:
		return prepString(v, false, true, true), true
	case ruleDN:
		return dnMatchForm(v)
	case ruleInteger:
		return intMatchForm(v)
	}
	return "", false
}

// normalizeSubstring prepares one substring assertion part. trimLeft and
// trimRight say which ends touch the value's (already trimmed) edges.
func (r matchRule) normalizeSubstring(v string, trimLeft, trimRight bool) string {
	switch r {
	case ruleCaseIgnore:
		return prepString(v, true, trimLeft, trimRight)
	case ruleDN:
		return dnLooseForm(v, trimLeft, trimRight)
	default:
		// Integers match substrings as plain strings.
		return prepString(v, false, trimLeft, trimRight)
	}
}

// compare orders two values already in normalize form.
func (r matchRule) compare(a, b string) int {
	if r == ruleInteger {
		return compareInts(a, b)
	}
	return strings.Compare(a, b)
}

// prepString is RFC 4518 string preparation (package dn).
func prepString(s string, fold, trimLeft, trimRight bool) string {
	return dn.Prepare(s, fold, trimLeft, trimRight)
}

// dnMatchForm is the distinguishedNameMatch form: the canonical DN form
// of package dn, shared with the snapshot, binds and the importer.
func dnMatchForm(v string) (string, bool) { return dn.Canonical(v) }

// dnLooseForm is for substring parts, which are not DNs on their own: case
// folded, with spaces next to unescaped ',', '+', '=' and ';' removed.
// Whole values go through it too, so both sides agree.
func dnLooseForm(v string, trimLeft, trimRight bool) string {
	s := prepString(v, true, trimLeft, trimRight)
	if !strings.ContainsAny(s, ",+=;") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	escaped := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == ' ' && (nextIsSep(s, i) || prevIsSep(b.String())):
			continue
		case c == ';':
			c = ',' // RFC 4514 accepts ';' as an RDN separator.
		}
		b.WriteByte(c)
	}
	return b.String()
}

func nextIsSep(s string, i int) bool {
	j := i
	for j < len(s) && s[j] == ' ' {
		j++
	}
	return j < len(s) && strings.IndexByte(",+=;", s[j]) >= 0
}

// prevIsSep reports whether the output ends in an unescaped separator.
func prevIsSep(out string) bool {
	if out == "" || strings.IndexByte(",+=", out[len(out)-1]) < 0 {
		return false
	}
	n := 0
	for i := len(out) - 2; i >= 0 && out[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}

// intMatchForm is the canonical decimal form ("-12", "0", "10001"), so
// equality is string equality and compareInts needs no parsing or
// overflow handling.
func intMatchForm(v string) (string, bool) {
	s := strings.TrimSpace(v)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0", true
	}
	if neg {
		return "-" + s, true
	}
	return s, true
}

// compareInts orders two intMatchForm values numerically.
func compareInts(a, b string) int {
	an, bn := strings.HasPrefix(a, "-"), strings.HasPrefix(b, "-")
	switch {
	case an && !bn:
		return -1
	case !an && bn:
		return 1
	case an && bn:
		return compareMagnitudes(b[1:], a[1:])
	}
	return compareMagnitudes(a, b)
}

func compareMagnitudes(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// validAttrDesc checks an attribute description (RFC 4512 section 2.5):
// a descr or numericoid, then ;options. It returns the type and whether
// options were given.
func validAttrDesc(desc string) (attrType string, hasOptions, ok bool) {
	attrType, opts, hasOptions := strings.Cut(desc, ";")
	if !validDescr(attrType) && !validNumericOID(attrType) {
		return "", false, false
	}
	if hasOptions {
		for opt := range strings.SplitSeq(opts, ";") {
			if opt == "" || !allKeychars(opt) {
				return "", false, false
			}
		}
	}
	return attrType, hasOptions, true
}

func validDescr(s string) bool {
	if s == "" || !isASCIIAlpha(s[0]) {
		return false
	}
	return allKeychars(s)
}

func allKeychars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIIAlpha(c) && !(c >= '0' && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

func isASCIIAlpha(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func validNumericOID(s string) bool {
	if s == "" {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if part == "" || (len(part) > 1 && part[0] == '0') {
			return false
		}
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false
			}
		}
	}
	return true
}
