package ldap

import (
	"fmt"
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"

	"pelote/internal/ldap/wire"
)

// matchingRules are the equality rules an extensible match may name, by
// name (lower case) or OID; a rule not here makes the match Undefined
// (RFC 4511 4.5.1.7).
var matchingRules = map[string]matchRule{
	"caseignorematch": ruleCaseIgnore, "2.5.13.2": ruleCaseIgnore,
	"caseignoreia5match": ruleCaseIgnore, "1.3.6.1.4.1.1466.109.114.2": ruleCaseIgnore,
	"caseexactmatch": ruleCaseExact, "2.5.13.5": ruleCaseExact,
	"caseexactia5match": ruleCaseExact, "1.3.6.1.4.1.1466.109.114.1": ruleCaseExact,
	"distinguishednamematch": ruleDN, "2.5.13.1": ruleDN,
	"integermatch": ruleInteger, "2.5.13.14": ruleInteger,
}

// compileExtensible handles attr[:dn][:rule]:=value (RFC 4511 4.5.1.7.7):
// an equality with the rule named, or the attribute's own, also applied
// to the entry's DN when :dn: is given, so (ou:dn:=people) selects what
// lies under an ou=people. The form without an attribute, which asks the
// schema which attributes a rule applies to, is refused.
func compileExtensible(p *ber.Packet) (filterNode, error) {
	var rule, attr, value string
	var hasValue, dnAttrs bool
	for _, c := range p.Children {
		if c == nil || c.ClassType != ber.ClassContext {
			return nil, fmt.Errorf("%w: malformed extensible match", ErrInvalidFilter)
		}
		switch c.Tag {
		case wire.MatchingRule:
			rule = packetString(c)
		case wire.MatchingType:
			attr = packetString(c)
		case wire.MatchValue:
			value, hasValue = packetString(c), true
		case wire.DNAttributes:
			dnAttrs = packetBool(c)
		default:
			return nil, fmt.Errorf("%w: malformed extensible match", ErrInvalidFilter)
		}
	}
	if !hasValue {
		return nil, fmt.Errorf("%w: extensible match without a value", ErrInvalidFilter)
	}
	if attr == "" {
		return nil, fmt.Errorf("%w: an extensible match needs an attribute here, as in (ou:dn:=people)", ErrUnsupportedFilter)
	}
	a, err := filterAttr(attr)
	if err != nil || a.undefined || a.def.rule == ruleNever {
		return constOr(a, err)
	}
	r := a.def.rule
	if rule != "" {
		known, ok := matchingRules[strings.ToLower(rule)]
		if !ok {
			return constFilter(triUndefined), nil
		}
		r = known
	}
	want, ok := r.normalize(value)
	if !ok {
		return constFilter(triUndefined), nil
	}
	return extensibleFilter{attr: a, rule: r, want: want, dn: dnAttrs}, nil
}

// packetBool reads a BOOLEAN, whose value a context-specific element
// read from the wire keeps in its data.
func packetBool(p *ber.Packet) bool {
	if b, ok := p.Value.(bool); ok {
		return b
	}
	if p.Data == nil {
		return false
	}
	d := p.Data.Bytes()
	return len(d) > 0 && d[0] != 0
}

type extensibleFilter struct {
	attr filterAttribute
	rule matchRule
	want string
	// dn: the entry's DN takes part (attr:dn:=value).
	dn bool
}

func (f extensibleFilter) eval(e *Entry) tri {
	if f.rule == f.attr.def.rule {
		vs := f.attr.normalized(e)
		for i := range vs.len() {
			if vs.at(i) == f.want {
				return triTrue
			}
		}
	} else {
		vs := f.attr.values(e)
		for i := range vs.len() {
			if nv, ok := f.rule.normalize(vs.at(i)); ok && nv == f.want {
				return triTrue
			}
		}
	}
	if !f.dn || e.DN == "" {
		return triFalse
	}
	parsed, err := goldap.ParseDN(e.DN)
	if err != nil {
		return triFalse
	}
	for _, rdn := range parsed.RDNs {
		for _, ava := range rdn.Attributes {
			if lookupAttrDef(ava.Type).name != f.attr.def.name {
				continue
			}
			if nv, ok := f.rule.normalize(ava.Value); ok && nv == f.want {
				return triTrue
			}
		}
	}
	return triFalse
}
