package inventory

import "reflect"

// located is one string value of the inventory and where it was written.
type located struct {
	what string
	s    string
	at   position
}

// reflectStrings lists every string of the inventory, with the position
// of the entry it belongs to.
func reflectStrings(inv *Inventory) []located {
	var out []located
	var walk func(v reflect.Value, what string, at position)
	walk = func(v reflect.Value, what string, at position) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), what, at)
			}
		case reflect.String:
			if v.Len() > 0 {
				out = append(out, located{what: what, s: v.String(), at: at})
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i), what, at)
			}
		case reflect.Struct:
			t := v.Type()
			if p, ok := v.Addr().Interface().(interface{ where() position }); ok {
				at = p.where()
			}
			for i := range t.NumField() {
				f := t.Field(i)
				if !f.IsExported() {
					continue
				}
				walk(v.Field(i), what+"."+f.Tag.Get("yaml"), at.of(f.Tag.Get("yaml")))
			}
		}
	}
	walk(reflect.ValueOf(inv).Elem(), "inventory", position{})
	return out
}

func (m *Machine) where() position      { return m.at }
func (s *Service) where() position      { return s.at }
func (o *Organization) where() position { return o.at }
func (a *Access) where() position       { return a.at }
