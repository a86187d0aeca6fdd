package web

import "testing"

// Pages are parsed at their first render, not at start: every page must
// parse, and the required ones must exist.
func TestEveryPageParses(t *testing.T) {
	p, err := loadPages(templateFS)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range pageNames {
		if _, ok := p.byName[n]; !ok {
			t.Errorf("page %s missing", n)
		}
	}
	for n := range p.byName {
		if _, err := p.get(n); err != nil {
			t.Errorf("page %s: %v", n, err)
		}
	}
	if _, err := p.get("nowhere"); err == nil {
		t.Error("an unknown page is found")
	}
}
