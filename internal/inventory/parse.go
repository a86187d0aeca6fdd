package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// position is where an entry was written.
type position struct {
	File string
	Line int
	// keys are the lines of the entry's own keys, for errors about one field.
	keys map[string]int
}

func (p position) String() string {
	if p.File == "" {
		return "line " + strconv.Itoa(p.Line)
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// of returns the position of one of the entry's keys, or the entry's.
func (p position) of(key string) position {
	if l, ok := p.keys[key]; ok {
		return position{File: p.File, Line: l}
	}
	return p
}

// Problem is one thing wrong in the inventory, with where it was written.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	return position{File: p.File, Line: p.Line}.String() + ": " + p.Msg
}

// Problems is every problem found, in file order; it is the error Parse
// returns.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return "inventory: " + strings.Join(lines, "\n  ")
}

// ErrInvalid is what every Problems error matches with errors.Is.
var ErrInvalid = errors.New("inventory: invalid")

// Is lets errors.Is(err, ErrInvalid) find a Problems.
func (ps Problems) Is(target error) bool { return target == ErrInvalid }

// maxFileSize bounds one inventory file: a thousand services fit in a
// fraction of it.
const maxFileSize = 4 << 20

// Parse reads the inventory from a YAML node (the inventory: section of the
// configuration file) and checks it. file names the node's file in errors.
func Parse(file string, node *yaml.Node) (*Inventory, error) {
	inv, probs := parseNode(file, node)
	probs = append(probs, inv.check()...)
	if len(probs) > 0 {
		return nil, sortProblems(probs)
	}
	return inv, nil
}

// ParseBytes reads one YAML document shaped like the inventory: section.
func ParseBytes(file string, b []byte) (*Inventory, error) {
	inv, probs := parseBytes(file, b)
	probs = append(probs, inv.check()...)
	if len(probs) > 0 {
		return nil, sortProblems(probs)
	}
	return inv, nil
}

// LoadDir reads every *.yaml and *.yml file of dir (not its
// subdirectories), in name order, as parts of one inventory: machines and
// services add up; the organization and access sections may each be
// written in one file only.
func LoadDir(dir string) (*Inventory, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("inventory: cannot read the directory %s: %w", dir, errors.Unwrap(err))
	}
	all := &Inventory{}
	var probs Problems
	var orgFrom, accessFrom string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || (!strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml")) {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := readCapped(path)
		if err != nil {
			probs = append(probs, Problem{File: path, Msg: err.Error()})
			continue
		}
		inv, ps := parseBytes(path, b)
		probs = append(probs, ps...)
		if !orgEmpty(inv.Organization) {
			if orgFrom != "" {
				probs = append(probs, Problem{File: path, Line: 1, Msg: "organization is already described in " + orgFrom + ": describe it in one file"})
			} else {
				orgFrom, all.Organization = path, inv.Organization
			}
		}
		if len(inv.Access.Groups) > 0 || inv.Access.ShowNames {
			if accessFrom != "" {
				probs = append(probs, Problem{File: path, Line: 1, Msg: "access is already described in " + accessFrom + ": describe it in one file"})
			} else {
				accessFrom, all.Access = path, inv.Access
			}
		}
		all.Machines = append(all.Machines, inv.Machines...)
		all.Services = append(all.Services, inv.Services...)
	}
	probs = append(probs, all.check()...)
	if len(probs) > 0 {
		return nil, sortProblems(probs)
	}
	return all, nil
}

func orgEmpty(o Organization) bool {
	o.at = position{}
	return reflect.ValueOf(o).IsZero()
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %v", errors.Unwrap(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %v", err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("larger than %d MiB", maxFileSize>>20)
	}
	return b, nil
}

func parseBytes(file string, b []byte) (*Inventory, Problems) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Inventory{}, nil
		}
		return &Inventory{}, yamlProblems(file, err)
	}
	return parseNode(file, &doc)
}

func parseNode(file string, node *yaml.Node) (*Inventory, Problems) {
	inv := &Inventory{}
	if node == nil {
		return inv, nil
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	if node.Kind == 0 || (node.Kind == yaml.ScalarNode && node.Tag == "!!null") {
		return inv, nil
	}
	// Unknown keys first, each with its line: yaml.v3 would only say it
	// for the whole document, and not at all through a Node.
	probs := strictKeys(file, node, reflect.TypeFor[Inventory](), "")
	if err := node.Decode(inv); err != nil {
		return &Inventory{}, append(probs, yamlProblems(file, err)...)
	}
	probs = append(probs, refuseAliases(file, node)...)
	locate(file, node, inv)
	return inv, probs
}

// refuseAliases refuses YAML aliases and merge keys: a list of services
// shared by reference would hide which entry a line belongs to.
func refuseAliases(file string, n *yaml.Node) Problems {
	var probs Problems
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			probs = append(probs, Problem{File: file, Line: n.Line, Msg: "aliases (*name) are not accepted: write the entry out"})
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return probs
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlProblems turns yaml.v3's errors ("line 4: cannot unmarshal…") into
// Problems.
func yamlProblems(file string, err error) Problems {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var probs Problems
	for _, m := range msgs {
		p := Problem{File: file, Msg: m}
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			p.Line, _ = strconv.Atoi(g[1])
			p.Msg = g[2]
		}
		probs = append(probs, p)
	}
	return probs
}

// strictKeys reports every mapping key that names no field of t.
func strictKeys(file string, n *yaml.Node, t reflect.Type, path string) Problems {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var probs Problems
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // yaml.v3 reports the type mismatch
		}
		fields := map[string]reflect.Type{}
		for f := range t.Fields() {
			if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag != "" && tag != "-" && f.IsExported() {
				fields[tag] = f.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				probs = append(probs, Problem{File: file, Line: k.Line, Msg: fmt.Sprintf("unknown key %q in %s (known: %s)", k.Value, orTop(path), strings.Join(sortedKeys(fields), ", "))})
				continue
			}
			probs = append(probs, strictKeys(file, v, ft, join(path, k.Value))...)
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				probs = append(probs, strictKeys(file, c, t.Elem(), path)...)
			}
		}
	}
	return probs
}

func orTop(path string) string {
	if path == "" {
		return "inventory"
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// locate records where each machine and service was written.
func locate(file string, root *yaml.Node, inv *Inventory) {
	if root.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "organization":
			inv.Organization.at = entryPosition(file, v)
		case "access":
			inv.Access.at = entryPosition(file, v)
		}
		if v.Kind != yaml.SequenceNode {
			continue
		}
		for j, entry := range v.Content {
			at := entryPosition(file, entry)
			switch {
			case k.Value == "machines" && j < len(inv.Machines):
				inv.Machines[j].at = at
			case k.Value == "services" && j < len(inv.Services):
				inv.Services[j].at = at
			}
		}
	}
}

func sortProblems(ps Problems) Problems {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return ps
}

func entryPosition(file string, entry *yaml.Node) position {
	at := position{File: file, Line: entry.Line, keys: map[string]int{}}
	if entry.Kind == yaml.MappingNode {
		for x := 0; x+1 < len(entry.Content); x += 2 {
			at.keys[entry.Content[x].Value] = entry.Content[x].Line
		}
	}
	return at
}
