package ldap

import (
	"slices"
	"strings"
	"sync/atomic"
)

// Entry is one directory entry as the snapshot holds it. It is made once
// per snapshot and then only read: its values, each value's comparison
// form under its attribute's rule (so that a search compares strings
// instead of parsing DNs), and its last answer's encoding.
type Entry struct {
	DN string
	// norm is the canonical DN (package dn).
	norm  string
	attrs []entryAttr // in attrTable order, without empty ones
	vals  []string    // all values, attribute after attribute
	// norms holds the comparison forms of the valid values of the
	// attributes where they differ from the values.
	norms []string
	// answer is the last SearchResultEntry made of it, with the
	// selection it answered: applications ask for the same attributes
	// again and again.
	answer atomic.Pointer[answer]
}

// answer is an entry's SearchResultEntry for one attribute selection.
type answer struct {
	sel       selection
	typesOnly bool
	op        []byte
}

// entryAttr locates one attribute's values and comparison forms in its
// entry; same says the comparison forms are the values.
type entryAttr struct {
	id     attrID
	same   bool
	v0, v1 uint32
	n0, n1 uint32
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
	a := e.find(id)
	switch {
	case a == nil:
		return nil
	case a.same:
		return e.vals[a.v0:a.v1]
	}
	return e.norms[a.n0:a.n1]
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
	e := &Entry{DN: dn, norm: norm}
	total, kept := 0, 0
	for _, a := range attrs {
		if len(a.values) > 0 && a.id != noAttr {
			total += len(a.values)
			kept++
		}
	}
	e.vals = make([]string, 0, total)
	e.attrs = make([]entryAttr, 0, kept)
	var norms []string
	for _, a := range attrs {
		if len(a.values) == 0 || a.id == noAttr {
			continue
		}
		def := &attrTable[a.id]
		ea := entryAttr{id: a.id, v0: uint32(len(e.vals)), n0: uint32(len(norms)), same: true}
		for _, v := range a.values {
			e.vals = append(e.vals, v)
			nv, ok := norm, true
			if a.id != idEntryDN {
				// entryDN's comparison form is the entry's canonical DN.
				nv, ok = n.normalize(def, v)
			}
			if ok {
				norms = append(norms, nv)
			}
			ea.same = ea.same && ok && nv == v
		}
		ea.v1, ea.n1 = uint32(len(e.vals)), uint32(len(norms))
		if ea.same {
			norms = norms[:ea.n0]
			ea.n0, ea.n1 = 0, 0
		}
		e.attrs = append(e.attrs, ea)
	}
	if len(norms) > 0 {
		e.norms = slices.Clip(norms)
	}
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
