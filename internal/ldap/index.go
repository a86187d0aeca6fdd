package ldap

import "slices"

// indexed are the attributes applications search by: an equality on one
// of them reads a posting list instead of every entry.
var indexed = []string{"objectclass", "uid", "cn", "mail", "memberof", "member", "memberuid", "uidnumber", "gidnumber", "host"}

// index maps attribute, then comparison form, to entry positions in
// ascending order; attributes not indexed have a nil map.
type index []map[string][]int32

func buildIndex(entries []*Entry) index {
	ix := make(index, len(attrTable))
	for _, name := range indexed {
		id := lookupAttrDef(name).id
		postings := map[string][]int32{}
		for i, e := range entries {
			for _, nv := range e.normalized(id) {
				if p := postings[nv]; len(p) == 0 || p[len(p)-1] != int32(i) {
					postings[nv] = append(p, int32(i))
				}
			}
		}
		ix[id] = postings
	}
	return ix
}

// postings returns the index of attribute id, if it has one.
func (ix index) postings(id attrID) (map[string][]int32, bool) {
	if int(id) >= len(ix) || ix[id] == nil {
		return nil, false
	}
	return ix[id], true
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
		return postings[f.want], false
	case *setFilter:
		postings, ok := ix.postings(f.attr.def.id)
		if !ok {
			return nil, true
		}
		var union []int32
		for v := range f.want {
			union = append(union, postings[v]...)
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
