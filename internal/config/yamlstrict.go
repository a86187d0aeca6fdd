package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeStrict decodes node into out, a pointer, as the top-level decoder
// does with KnownFields: yaml.v3 forgets that setting inside a type's own
// UnmarshalYAML, so unknown keys are looked for here, at any depth. It
// also sets each struct's `Line int yaml:"-"` field, when it has one, to
// the line the struct starts at, for errors found later.
// Errors name the key from path, the section's own key (e.g. "notify").
func decodeStrict(node *yaml.Node, out any, path string) error {
	v := reflect.ValueOf(out).Elem()
	if err := checkKeys(node, v.Type(), path); err != nil {
		return err
	}
	if err := node.Decode(out); err != nil {
		return err
	}
	setLines(node, v)
	return nil
}

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// customDecoded tells the types that read themselves.
func customDecoded(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(unmarshalerType) || p.Implements(unmarshalerType) ||
		t.Implements(textUnmarshalerType) || p.Implements(textUnmarshalerType)
}

// yamlFields maps a struct's YAML keys to field indexes, inline structs
// included.
func yamlFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range yamlFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

func checkKeys(n *yaml.Node, t reflect.Type, path string) error {
	for n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if p := reflect.PointerTo(t); p.Implements(textUnmarshalerType) && n.Kind == yaml.ScalarNode {
		// Checked here too, because yaml.v3 does not say where a value
		// it hands to UnmarshalText is.
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			return fmt.Errorf("line %d: %s: %v", n.Line, path, err)
		}
		return nil
	}
	if customDecoded(t) {
		return nil
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			idx, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("line %d: unknown key %q in %s", k.Line, k.Value, path)
			}
			if err := checkKeys(n.Content[i+1], t.FieldByIndex(idx).Type, path+"."+k.Value); err != nil {
				return err
			}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkKeys(n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value); err != nil {
				return err
			}
		}
	}
	return nil
}

func setLines(n *yaml.Node, v reflect.Value) {
	for n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		if f, ok := v.Type().FieldByName("Line"); ok && f.Tag.Get("yaml") == "-" && f.Type.Kind() == reflect.Int {
			v.FieldByIndex(f.Index).SetInt(int64(n.Line))
		}
		if customDecoded(v.Type()) {
			return
		}
		fields := yamlFields(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			if idx, ok := fields[n.Content[i].Value]; ok {
				setLines(n.Content[i+1], v.FieldByIndex(idx))
			}
		}
	case v.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i := 0; i < len(n.Content) && i < v.Len(); i++ {
			setLines(n.Content[i], v.Index(i))
		}
	}
}
