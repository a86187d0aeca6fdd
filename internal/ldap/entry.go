package ldap

import (
	"slices"
	"strings"
	"sync/atomic"
)

// Entry is one directory entry as the snapshot holds it. It is made once
// per snapshot and then only read: its values, each value's comparison
// form under its attribute's rule (so that a search compares strings
// instead of parsing DNs), and its last answer's encoding. The strings of
// an entry live in one, so that the collector has a handful of objects to
// visit per entry rather than dozens.
type Entry struct {
	DN string
	// norm is the canonical DN (package dn).
	norm string
	// blob holds the entry's strings back to back: values, attribute
	// after attribute, then the comparison forms that differ from them.
	blob string
	// ends[k] is where string k ends in blob; it starts where k-1 ends.
	ends  []uint32
	attrs []entryAttr // in attrTable order, without empty ones
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

// entryAttr locates one attribute's values (strings v0 to v1) and
// comparison forms (n0 to n1, or the values themselves when same).
type entryAttr struct {
	id     attrID
	same   bool
	v0, v1 uint32
	n0, n1 uint32
}

// strs are strings k0 to k1 of an entry.
type strs struct {
	e      *Entry
	k0, k1 uint32
}

func (s strs) len() int { return int(s.k1 - s.k0) }

// at is the i-th string.
func (s strs) at(i int) string {
	k := s.k0 + uint32(i)
	start := uint32(0)
	if k > 0 {
		start = s.e.ends[k-1]
	}
	return s.e.blob[start:s.e.ends[k]]
}

// list copies the strings into dst.
func (s strs) list(dst []string) []string {
	for i := range s.len() {
		dst = append(dst, s.at(i))
	}
	return dst
}

// attrValues is one attribute of an entry being made.
type attrValues struct {
	id     attrID
	values []string
}

// Get returns the values of attr, whatever the case of its name.
func (e *Entry) Get(attr string) []string {
	return e.values(lookupAttrDef(attr).id).list(nil)
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
func (e *Entry) values(id attrID) strs {
	if a := e.find(id); a != nil {
		return strs{e, a.v0, a.v1}
	}
	return strs{}
}

// normalized are the comparison forms of the entry's valid values of
// attribute id, in no particular order.
func (e *Entry) normalized(id attrID) strs {
	a := e.find(id)
	switch {
	case a == nil:
		return strs{}
	case a.same:
		return strs{e, a.v0, a.v1}
	}
	return strs{e, a.n0, a.n1}
}

// normalizer makes comparison forms while a snapshot is built, once per
// distinct value of the attributes that repeat across entries (group DNs
// in memberOf and member, objectClass names).
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
	total, kept, size := 0, 0, len(dn)+len(norm)
	for _, a := range attrs {
		if len(a.values) > 0 && a.id != noAttr {
			total += len(a.values)
			kept++
			for _, v := range a.values {
				size += len(v)
			}
		}
	}
	var blob strings.Builder
	blob.Grow(size)
	ends := make([]uint32, 0, total+4)
	put := func(v string) {
		blob.WriteString(v)
		ends = append(ends, uint32(blob.Len()))
	}
	attrList := make([]entryAttr, 0, kept)
	// Comparison forms go after all values; they are collected first.
	var norms []string
	for _, a := range attrs {
		if len(a.values) == 0 || a.id == noAttr {
			continue
		}
		def := &attrTable[a.id]
		ea := entryAttr{id: a.id, v0: uint32(len(ends)), n0: uint32(len(norms)), same: true}
		for _, v := range a.values {
			put(v)
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
		ea.v1, ea.n1 = uint32(len(ends)), uint32(len(norms))
		if ea.same {
			norms = norms[:ea.n0]
			ea.n0, ea.n1 = 0, 0
		}
		attrList = append(attrList, ea)
	}
	first := uint32(len(ends))
	for i := range attrList {
		if a := &attrList[i]; !a.same {
			a.n0, a.n1 = a.n0+first, a.n1+first
		}
	}
	for _, nv := range norms {
		put(nv)
	}
	// The DN and its canonical form end the blob, so that they are
	// substrings of it too.
	put(dn)
	if norm != dn {
		put(norm)
	}
	b := blob.String()
	e := &Entry{blob: b, ends: slices.Clip(ends), attrs: attrList}
	k := len(ends) - 1
	if norm != dn {
		e.norm = strs{e, uint32(k), uint32(k + 1)}.at(0)
		k--
	}
	e.DN = strs{e, uint32(k), uint32(k + 1)}.at(0)
	if norm == dn {
		e.norm = e.DN
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
