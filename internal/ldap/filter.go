package ldap

import (
	"errors"
	"fmt"
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"

	"pelote/internal/ldap/wire"
)

// Limits on client filters: they bound parse work and recursion.
const (
	MaxFilterLength = 64 << 10 // bytes of its RFC 4515 text, or of its BER encoding
	MaxFilterDepth  = 32       // nesting levels; a lone (uid=x) is 1
)

var (
	// ErrInvalidFilter: the filter is malformed (RFC 4515).
	ErrInvalidFilter = errors.New("ldap: invalid search filter")
	// ErrUnsupportedFilter: valid, but uses a feature we do not evaluate.
	ErrUnsupportedFilter = errors.New("ldap: unsupported search filter")
	// ErrFilterTooDeep: nested deeper than MaxFilterDepth.
	ErrFilterTooDeep = errors.New("ldap: search filter nested too deeply")
	// ErrFilterTooLong: longer than MaxFilterLength.
	ErrFilterTooLong = errors.New("ldap: search filter too long")
)

// Filter is a compiled search filter. It is immutable, so one compiled
// filter can be matched from many goroutines.
type Filter interface {
	Match(e *Entry) bool
}

// ParseFilter compiles an RFC 4515 filter string: go-ldap's parser turns
// it into the filter's BER element, and CompileFilter takes it from there,
// as it does a filter read from the wire. Errors wrap ErrInvalidFilter,
// ErrUnsupportedFilter, ErrFilterTooDeep or ErrFilterTooLong.
func ParseFilter(s string) (f Filter, err error) {
	if len(s) > MaxFilterLength {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrFilterTooLong, len(s), MaxFilterLength)
	}
	if s == "" {
		return nil, fmt.Errorf("%w: empty filter", ErrInvalidFilter)
	}
	// go-ldap's parser takes time quadratic in the nesting (6 s for 20,000
	// levels): count it before. A valid filter has no bare parenthesis in
	// a value (RFC 4515 escapes them), so this is its depth.
	if depth := parenDepth(s); depth > MaxFilterDepth {
		return nil, fmt.Errorf("%w: more than %d levels", ErrFilterTooDeep, MaxFilterDepth)
	}
	// go-ldap's parser has recovered panics before; never let input crash
	// a connection.
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("%w: cannot parse %q", ErrInvalidFilter, s)
		}
	}()
	p, err := goldap.CompileFilter(s)
	if err != nil {
		// Keep go-ldap's reason but drop its result-code wrapping: the text
		// goes back to the client.
		var le *goldap.Error
		if errors.As(err, &le) && le.Err != nil {
			err = le.Err
		}
		return nil, fmt.Errorf("%w: %s", ErrInvalidFilter, strings.TrimPrefix(err.Error(), "ldap: "))
	}
	return compileFilter(p)
}

// CompileFilter compiles a filter's BER element (RFC 4511 section 4.5.1),
// as a search request carries it, once per search. MaxFilterLength bounds
// the element's encoding.
func CompileFilter(p *ber.Packet) (Filter, error) {
	if p != nil && p.Data != nil && p.Data.Len() > MaxFilterLength {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrFilterTooLong, p.Data.Len(), MaxFilterLength)
	}
	return compileFilter(p)
}

func compileFilter(p *ber.Packet) (Filter, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: no filter", ErrInvalidFilter)
	}
	n, err := compileFilterPacket(p, 1)
	if err != nil {
		return nil, err
	}
	return compiledFilter{n}, nil
}

// parenDepth is the deepest nesting of parentheses in s.
func parenDepth(s string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
			deepest = max(deepest, depth)
		case ')':
			depth--
		}
	}
	return deepest
}

// tri is RFC 4511 4.5.1.7 three-valued logic: an Undefined filter does
// not match, and neither does its negation.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUndefined
)

type filterNode interface {
	eval(e *Entry) tri
}

type compiledFilter struct{ root filterNode }

func (c compiledFilter) Match(e *Entry) bool {
	return e != nil && c.root.eval(e) == triTrue
}

func compileFilterPacket(p *ber.Packet, depth int) (filterNode, error) {
	if depth > MaxFilterDepth {
		return nil, fmt.Errorf("%w: more than %d levels", ErrFilterTooDeep, MaxFilterDepth)
	}
	if p == nil || p.ClassType != ber.ClassContext {
		return nil, fmt.Errorf("%w: bad filter element", ErrInvalidFilter)
	}
	switch p.Tag {
	case wire.FilterAnd, wire.FilterOr:
		kids := make([]filterNode, 0, len(p.Children))
		for _, c := range p.Children {
			n, err := compileFilterPacket(c, depth+1)
			if err != nil {
				return nil, err
			}
			kids = append(kids, n)
		}
		if p.Tag == wire.FilterAnd {
			return andFilter(kids), nil
		}
		return mergeEqualities(kids), nil
	case wire.FilterNot:
		if len(p.Children) != 1 {
			return nil, fmt.Errorf("%w: '!' takes exactly one filter", ErrInvalidFilter)
		}
		n, err := compileFilterPacket(p.Children[0], depth+1)
		if err != nil {
			return nil, err
		}
		return notFilter{n}, nil
	case wire.FilterPresent:
		a, err := filterAttr(packetString(p))
		if err != nil || a.undefined || a.def.rule == ruleNever {
			return constOr(a, err)
		}
		return presentFilter{a}, nil
	case wire.FilterEqualityMatch, wire.FilterApproxMatch,
		wire.FilterGreaterOrEqual, wire.FilterLessOrEqual:
		return compileAssertion(p)
	case wire.FilterSubstrings:
		return compileSubstrings(p)
	case wire.FilterExtensibleMatch:
		return compileExtensible(p)
	}
	return nil, fmt.Errorf("%w: unknown filter choice %d", ErrInvalidFilter, p.Tag)
}

// compileAssertion handles attr=value, attr~=value, attr>=value and
// attr<=value. Approximate matching is equality: no phonetic rules here.
func compileAssertion(p *ber.Packet) (filterNode, error) {
	if len(p.Children) != 2 {
		return nil, fmt.Errorf("%w: malformed assertion", ErrInvalidFilter)
	}
	a, err := filterAttr(packetString(p.Children[0]))
	if err != nil || a.undefined || a.def.rule == ruleNever {
		return constOr(a, err)
	}
	want, ok := a.def.rule.normalize(packetString(p.Children[1]))
	if !ok {
		// E.g. (uidNumber=abc): not a valid integer, so Undefined.
		return constFilter(triUndefined), nil
	}
	switch p.Tag {
	case wire.FilterGreaterOrEqual:
		return orderFilter{attr: a, want: want, ge: true}, nil
	case wire.FilterLessOrEqual:
		return orderFilter{attr: a, want: want}, nil
	}
	return equalFilter{attr: a, want: want}, nil
}

func compileSubstrings(p *ber.Packet) (filterNode, error) {
	if len(p.Children) != 2 || p.Children[1] == nil {
		return nil, fmt.Errorf("%w: malformed substring filter", ErrInvalidFilter)
	}
	a, err := filterAttr(packetString(p.Children[0]))
	if err != nil || a.undefined || a.def.rule == ruleNever {
		return constOr(a, err)
	}
	parts := p.Children[1].Children
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: substring filter without a value", ErrInvalidFilter)
	}
	sf := substringFilter{attr: a}
	rule := a.def.rule
	for i, c := range parts {
		if c == nil {
			return nil, fmt.Errorf("%w: malformed substring filter", ErrInvalidFilter)
		}
		v := packetString(c)
		switch {
		case c.Tag == wire.SubstringInitial && i == 0:
			sf.initial = rule.normalizeSubstring(v, true, false)
		case c.Tag == wire.SubstringAny:
			if s := rule.normalizeSubstring(v, false, false); s != "" {
				sf.any = append(sf.any, s)
			}
		case c.Tag == wire.SubstringFinal && i == len(parts)-1:
			sf.final = rule.normalizeSubstring(v, false, true)
		default:
			return nil, fmt.Errorf("%w: misplaced substring part", ErrInvalidFilter)
		}
	}
	return sf, nil
}

// packetString reads a primitive OCTET STRING element.
func packetString(p *ber.Packet) string {
	if p == nil {
		return ""
	}
	if p.Data != nil {
		return p.Data.String()
	}
	s, _ := p.Value.(string)
	return s
}

// filterAttribute is a resolved attribute description.
type filterAttribute struct {
	def attrDef
	// undefined: the description has options (e.g. cn;lang-fr); we hold
	// no tagged values, so the assertion is Undefined.
	undefined bool
}

func filterAttr(desc string) (filterAttribute, error) {
	t, hasOptions, ok := validAttrDesc(desc)
	if !ok {
		return filterAttribute{}, fmt.Errorf("%w: bad attribute description %q", ErrInvalidFilter, desc)
	}
	return filterAttribute{def: lookupAttrDef(t), undefined: hasOptions}, nil
}

// constOr turns an attribute that can never be evaluated into a constant:
// options give Undefined, a secret (userPassword) is never present.
func constOr(a filterAttribute, err error) (filterNode, error) {
	switch {
	case err != nil:
		return nil, err
	case a.undefined:
		return constFilter(triUndefined), nil
	}
	return constFilter(triFalse), nil
}

// values returns the entry's values for the attribute, as served.
func (a filterAttribute) values(e *Entry) strs { return e.values(a.def.id) }

// normalized returns the comparison forms of the entry's values, made
// with the snapshot.
func (a filterAttribute) normalized(e *Entry) strs { return e.normalized(a.def.id) }

type constFilter tri

func (c constFilter) eval(*Entry) tri { return tri(c) }

// andFilter with no elements is TRUE (RFC 4526).
type andFilter []filterNode

func (f andFilter) eval(e *Entry) tri {
	res := triTrue
	for _, n := range f {
		switch n.eval(e) {
		case triFalse:
			return triFalse
		case triUndefined:
			res = triUndefined
		}
	}
	return res
}

// orFilter with no elements is FALSE (RFC 4526).
type orFilter []filterNode

func (f orFilter) eval(e *Entry) tri {
	res := triFalse
	for _, n := range f {
		switch n.eval(e) {
		case triTrue:
			return triTrue
		case triUndefined:
			res = triUndefined
		}
	}
	return res
}

// mergeEqualities turns the equalities of an OR that test one attribute
// into one set lookup: Nextcloud ORs hundreds of (memberOf=GROUP), and
// testing each of them against each entry made such a search take
// minutes.
func mergeEqualities(kids []filterNode) filterNode {
	sets := map[attrID]*setFilter{}
	out := make(orFilter, 0, len(kids))
	for _, k := range kids {
		eq, ok := k.(equalFilter)
		if !ok || eq.attr.undefined {
			out = append(out, k)
			continue
		}
		set := sets[eq.attr.def.id]
		if set == nil || eq.attr.def.id == noAttr {
			set = &setFilter{attr: eq.attr, want: map[string]struct{}{}}
			sets[eq.attr.def.id] = set
			out = append(out, set)
		}
		set.want[eq.want] = struct{}{}
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

// setFilter is an OR of equalities on one attribute.
type setFilter struct {
	attr filterAttribute
	want map[string]struct{}
}

func (f *setFilter) eval(e *Entry) tri {
	vs := f.attr.normalized(e)
	for i := range vs.len() {
		if _, hit := f.want[vs.at(i)]; hit {
			return triTrue
		}
	}
	return triFalse
}

type notFilter struct{ n filterNode }

func (f notFilter) eval(e *Entry) tri {
	switch f.n.eval(e) {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUndefined
}

type presentFilter struct{ attr filterAttribute }

func (f presentFilter) eval(e *Entry) tri {
	return boolTri(f.attr.values(e).len() > 0)
}

type equalFilter struct {
	attr filterAttribute
	want string
}

func (f equalFilter) eval(e *Entry) tri {
	vs := f.attr.normalized(e)
	for i := range vs.len() {
		if vs.at(i) == f.want {
			return triTrue
		}
	}
	return triFalse
}

type orderFilter struct {
	attr filterAttribute
	want string
	ge   bool
}

func (f orderFilter) eval(e *Entry) tri {
	rule := f.attr.def.rule
	vs := f.attr.normalized(e)
	for i := range vs.len() {
		c := rule.compare(vs.at(i), f.want)
		if (f.ge && c >= 0) || (!f.ge && c <= 0) {
			return triTrue
		}
	}
	return triFalse
}

type substringFilter struct {
	attr    filterAttribute
	initial string
	any     []string
	final   string
}

func (f substringFilter) eval(e *Entry) tri {
	vs := f.attr.values(e)
	for i := range vs.len() {
		if f.matches(f.attr.def.rule.normalizeSubstring(vs.at(i), true, true)) {
			return triTrue
		}
	}
	return triFalse
}

// matches checks initial, then each any part left to right, then final,
// without letting parts overlap.
func (f substringFilter) matches(v string) bool {
	if !strings.HasPrefix(v, f.initial) {
		return false
	}
	rest := v[len(f.initial):]
	if len(rest) < len(f.final) || !strings.HasSuffix(rest, f.final) {
		return false
	}
	rest = rest[:len(rest)-len(f.final)]
	for _, part := range f.any {
		i := strings.Index(rest, part)
		if i < 0 {
			return false
		}
		rest = rest[i+len(part):]
	}
	return true
}

func boolTri(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}
