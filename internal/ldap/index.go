package ldap

import (
	"hash/maphash"
	"slices"
)

// indexed are the attributes applications search by: an equality on one
// of them reads a posting list instead of every entry.
var indexed = []string{"objectclass", "uid", "cn", "mail", "memberof", "member", "memberuid", "uidnumber", "gidnumber", "host"}

// index maps attribute, then a hash of the comparison form, to the
// positions of the entries holding it, in ascending order; attributes not
// indexed have a nil map. The index only narrows the search (the filter
// still decides each candidate), so two forms that share a hash cost a
// candidate, never a wrong answer. Hashes and one array of positions for
// all lists leave the collector nothing to visit in the index. The seed is
// the snapshot's own, so that nobody can choose values that collide.
type index struct {
	seed  maphash.Seed
	lists []map[uint64]posting
	pos   []int32
}

// posting is a list of positions: pos[at : at+n].
type posting struct{ at, n uint32 }

func buildIndex(entries []*Entry) index {
	ix := index{seed: maphash.MakeSeed(), lists: make([]map[uint64]posting, len(attrTable))}
	for _, name := range indexed {
		id := lookupAttrDef(name).id
		lists := map[uint64][]int32{}
		for i, e := range entries {
			vs := e.normalized(id)
			for j := range vs.len() {
				h := maphash.String(ix.seed, vs.at(j))
				if p := lists[h]; len(p) == 0 || p[len(p)-1] != int32(i) {
					lists[h] = append(p, int32(i))
				}
			}
		}
		m := make(map[uint64]posting, len(lists))
		for h, p := range lists {
			m[h] = posting{at: uint32(len(ix.pos)), n: uint32(len(p))}
			ix.pos = append(ix.pos, p...)
		}
		ix.lists[id] = m
	}
	ix.pos = slices.Clip(ix.pos)
	return ix
}

// postings returns the index of attribute id, if it has one: the
// positions of the entries that may hold a comparison form.
func (ix index) postings(id attrID) (func(string) []int32, bool) {
	if int(id) >= len(ix.lists) || ix.lists[id] == nil {
		return nil, false
	}
	m := ix.lists[id]
	return func(v string) []int32 {
		p, ok := m[maphash.String(ix.seed, v)]
		if !ok {
			return nil
		}
		return ix.pos[p.at : p.at+p.n : p.at+p.n]
	}, true
}

// candidates returns the positions of the entries n can be TRUE for, or
// all when the index cannot narrow it; the filter still decides each one.
func (ix index) candidates(n filterNode) (pos []int32, all bool) {
	switch f := n.(type) {
	case equalFilter:
		if f.attr.def.id == noAttr && !f.attr.undefined {
			return nil, false // no entry holds it
		}
		postings, ok := ix.postings(f.attr.def.id)
		if !ok || f.attr.undefined {
			return nil, true
		}
		return postings(f.want), false
	case *setFilter:
		postings, ok := ix.postings(f.attr.def.id)
		if !ok {
			return nil, true
		}
		var union []int32
		for v := range f.want {
			union = append(union, postings(v)...)
		}
		slices.Sort(union)
		return slices.Compact(union), false
	case constFilter:
		return nil, tri(f) == triTrue
	case andFilter:
		var best []int32
		found := false
		for _, c := range f {
			p, a := ix.candidates(c)
			if !a && (!found || len(p) < len(best)) {
				best, found = p, true
			}
		}
		return best, !found
	case orFilter:
		var union []int32
		for _, c := range f {
			p, a := ix.candidates(c)
			if a {
				return nil, true
			}
			union = append(union, p...)
		}
		slices.Sort(union)
		return slices.Compact(union), false
	}
	return nil, true
}
