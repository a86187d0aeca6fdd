package i18n

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestCatalogueComplete(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Locales()) < 2 || c.Locales()[0] != "en" {
		t.Fatalf("locales %v", c.Locales())
	}
	for l, probs := range c.Missing() {
		for _, p := range probs {
			t.Errorf("%s.json: %s", l, p)
		}
	}
	for _, l := range c.Locales() {
		if !c.HasKey("locale." + l) {
			t.Errorf("no locale.%s name", l)
		}
	}
}

func TestMatchAndFallback(t *testing.T) {
	fsys := fstest.MapFS{
		"locales/en.json": {Data: []byte(`{"hi":"Hello %s","only.en":"x"}`)},
		"locales/fr.json": {Data: []byte(`{"hi":"Bonjour %s"}`)},
	}
	c, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for accept, want := range map[string]string{"fr-CA,fr;q=0.9": "fr", "de,en;q=0.5": "en", "": "en", "garbage;;": "en", "de": "en"} {
		if got := c.Match(accept); got != want {
			t.Errorf("Match(%q) = %s, want %s", accept, got, want)
		}
	}
	if got := c.T("fr", "hi", "Anne"); got != "Bonjour Anne" {
		t.Errorf("got %q", got)
	}
	if got := c.T("fr", "only.en"); got != "x" {
		t.Errorf("fallback: got %q", got)
	}
	if got := c.T("fr", "nope"); got != "nope" {
		t.Errorf("unknown key: got %q", got)
	}
	parts, err := load(fstest.MapFS{
		"locales/en.json":      {Data: []byte(`{"a":"A"}`)},
		"locales/en.more.json": {Data: []byte(`{"b":"B"}`)},
	})
	if err != nil || parts.T("en", "b") != "B" || parts.T("en", "a") != "A" {
		t.Errorf("parts not merged: %v", err)
	}
	if _, err := load(fstest.MapFS{
		"locales/en.json":      {Data: []byte(`{"a":"A"}`)},
		"locales/en.more.json": {Data: []byte(`{"a":"again"}`)},
	}); err == nil {
		t.Error("a key defined in two files must be refused")
	}
	if _, err := load(fstest.MapFS{"locales/fr.json": {Data: []byte(`{}`)}}); err == nil {
		t.Error("a catalogue without English must be refused")
	}
}

// A translation must use the arguments English uses, in any order.
func TestMissingChecksArguments(t *testing.T) {
	fsys := fstest.MapFS{
		"locales/en.json": {Data: []byte(`{"a":"%s has %d","b":"100%% of %s","c":"%s then %[1]s"}`)},
		"locales/fr.json": {Data: []byte(`{"a":"%d chez %s","b":"100 %% de %q","c":"%s puis %[1]s"}`)},
	}
	c, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Missing()["fr"]
	if len(got) != 1 || !strings.HasPrefix(got[0], "b: arguments [%q]") {
		t.Fatalf("problems %q", got)
	}
}
