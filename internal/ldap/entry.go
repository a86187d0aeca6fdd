package ldap

import "strings"

// Entry is one directory entry as the snapshot holds it: attribute names
// in lower case, values as served.
type Entry struct {
	DN    string
	Attrs map[string][]string
}

// Get returns the values of attr, whatever the case of its name.
func (e *Entry) Get(attr string) []string {
	return e.Attrs[strings.ToLower(attr)]
}
