package ldap

import (
	"slices"
	"strings"

	"pelote/internal/ldap/wire"
)

// Entry is one directory entry as the snapshot holds it. It is made once
// per snapshot and then only read: its values, each value's comparison
// form under its attribute's rule (so that a search compares strings
// instead of parsing DNs), and its encoding for answers.
type Entry struct {
	DN string
	// norm is the canonical DN (package dn).
	norm  string
	attrs []entryAttr // in attrTable order, without empty ones
	vals  []string    // all values, attribute after attribute
	norms []string    // the comparison forms of the valid ones, likewise
	dnEnc []byte      // DN, BER-encoded
	enc   []byte      // each attribute's PartialAttribute, back to back
}

// entryAttr locates one attribute's values, comparison forms and
// encoding in its entry.
type entryAttr struct {
	id     attrID
	v0, v1 uint32
	n0, n1 uint32
	e0, e1 uint32
}

// attrValues is one attribute of an entry being made.
type attrValues struct {
	id     attrID
	values []string
}

// Get returns the values of attr, whatever the case of its name.
func (e *Entry) Get(attr string) []string {
	return e.values(lookupAttrDef(attr).id)
}

func (e *Entry) find(id attrID) *entryAttr {
	for i := range e.attrs {
		if e.attrs[i].id == id {
			return &e.attrs[i]
		}
	}
	return nil
}

// values are the entry's values of attribute id, as served.
func (e *Entry) values(id attrID) []string {
	if a := e.find(id); a != nil {
		return e.vals[a.v0:a.v1]
	}
	return nil
}

// normalized are the comparison forms of the entry's valid values of
// attribute id, in no particular order.
func (e *Entry) normalized(id attrID) []string {
	if a := e.find(id); a != nil {
		return e.norms[a.n0:a.n1]
	}
	return nil
}

// normalizer makes comparison forms while a snapshot is built, once per
// distinct value of the attributes that repeat across entries (group DNs
// in memberOf, objectClass names) so that entries share one string.
type normalizer struct {
	shared map[normKey]normValue
}

type normKey struct {
	rule  matchRule
	value string
}

type normValue struct {
	form string
	ok   bool
}

// repeats are the attributes whose values many entries share.
var repeats = map[string]bool{"objectclass": true, "memberof": true, "member": true, "loginshell": true, "hassubordinates": true}

func (n *normalizer) normalize(def *attrDef, v string) (string, bool) {
	if n == nil || !repeats[def.name] {
		return def.rule.normalize(v)
	}
	k := normKey{def.rule, v}
	if got, ok := n.shared[k]; ok {
		return got.form, got.ok
	}
	form, ok := def.rule.normalize(v)
	if form == v {
		form = v
	}
	if n.shared == nil {
		n.shared = map[normKey]normValue{}
	}
	n.shared[k] = normValue{form, ok}
	return form, ok
}

// newEntry makes an entry of dn (canonical form norm) with attrs, in any
// order; attributes without values are left out. entryDN is added.
func newEntry(dn, norm string, attrs []attrValues, n *normalizer) *Entry {
	if dn != "" {
		attrs = append(attrs, attrValues{idEntryDN, []string{dn}})
	}
	slices.SortStableFunc(attrs, func(a, b attrValues) int { return int(a.id) - int(b.id) })
	e := &Entry{DN: dn, norm: norm, dnEnc: wire.Octets(dn)}
	total, size := 0, 0
	for _, a := range attrs {
		total += len(a.values)
		for _, v := range a.values {
			size += len(v) + 8
		}
	}
	e.vals = make([]string, 0, total)
	e.norms = make([]string, 0, total)
	e.enc = make([]byte, 0, size+len(attrs)*24)
	for _, a := range attrs {
		if len(a.values) == 0 || a.id == noAttr {
			continue
		}
		def := &attrTable[a.id]
		ea := entryAttr{id: a.id, v0: uint32(len(e.vals)), n0: uint32(len(e.norms)), e0: uint32(len(e.enc))}
		for _, v := range a.values {
			e.vals = append(e.vals, v)
			if a.id == idEntryDN {
				// The canonical DN is the entry's own.
				e.norms = append(e.norms, norm)
			} else if nv, ok := n.normalize(def, v); ok {
				e.norms = append(e.norms, nv)
			}
		}
		e.enc = append(e.enc, wire.Attribute(def.canon, a.values)...)
		ea.v1, ea.n1, ea.e1 = uint32(len(e.vals)), uint32(len(e.norms)), uint32(len(e.enc))
		e.attrs = append(e.attrs, ea)
	}
	e.enc = slices.Clip(e.enc)
	return e
}

// entryFromMap makes an entry from attribute names and values, as tests
// and the root DSE describe them.
func entryFromMap(dn string, attrs map[string][]string) *Entry {
	list := make([]attrValues, 0, len(attrs))
	for name, values := range attrs {
		list = append(list, attrValues{lookupAttrDef(strings.ToLower(name)).id, values})
	}
	return newEntry(dn, normDN(dn), list, nil)
}
