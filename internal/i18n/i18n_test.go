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
		"locales/en.more.json": {Data: []byte(`{"more.b":"B"}`)},
	})
	if err != nil || parts.T("en", "more.b") != "B" || parts.T("en", "a") != "A" {
		t.Errorf("parts not merged: %v", err)
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

// One namespace per file: a part's keys start with its name, and the
// core file holds no key of a part's namespace.
func TestOneNamespacePerFile(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"a part's key outside its namespace": {
			"locales/en.json":      {Data: []byte(`{"a":"A"}`)},
			"locales/en.more.json": {Data: []byte(`{"err.b":"B"}`)},
		},
		"a core key in a part's namespace": {
			"locales/en.json":      {Data: []byte(`{"more.a":"A"}`)},
			"locales/en.more.json": {Data: []byte(`{"more.b":"B"}`)},
		},
		"two parts answering one notice": {
			"locales/en.json":   {Data: []byte(`{"a":"A"}`)},
			"locales/en.x.json": {Data: []byte(`{"x.ok.saved":"Saved"}`)},
			"locales/en.y.json": {Data: []byte(`{"y.ok.saved":"Saved too"}`)},
		},
	} {
		if _, err := load(fsys); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	c, err := load(fstest.MapFS{
		"locales/en.json":   {Data: []byte(`{"ok.done":"Done","err.invalid.name":"Bad name"}`)},
		"locales/en.x.json": {Data: []byte(`{"x.ok.saved":"Saved","x.err.invalid.color":"Bad color"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ family, name, want string }{
		{"ok", "done", "ok.done"}, {"ok", "saved", "x.ok.saved"},
		{"err.invalid", "name", "err.invalid.name"}, {"err.invalid", "color", "x.err.invalid.color"},
	} {
		if got, ok := c.Family(tc.family, tc.name); !ok || got != tc.want {
			t.Errorf("Family(%q, %q) = %q, %v; want %q", tc.family, tc.name, got, ok, tc.want)
		}
	}
	if _, ok := c.Family("ok", "nothing"); ok {
		t.Error("an unknown notice was found")
	}
}

// Plural forms follow each language's rule: French counts 0 as one. The
// catalogue's own "1 minutes" is gone.
func TestPlurals(t *testing.T) {
	c, err := load(fstest.MapFS{
		"locales/en.json": {Data: []byte(`{"wait":{"one":"Wait %d minute.","other":"Wait %d minutes."},"plain":"%d things"}`)},
		"locales/fr.json": {Data: []byte(`{"wait":{"one":"Attends %d minute.","other":"Attends %d minutes."},"plain":"%d choses"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "Wait 1 minute."}, {"en", 0, "Wait 0 minutes."}, {"en", 5, "Wait 5 minutes."},
		{"fr", 1, "Attends 1 minute."}, {"fr", 0, "Attends 0 minute."}, {"fr", 2, "Attends 2 minutes."},
	} {
		if got := c.N(tc.lang, "wait", tc.n, tc.n); got != tc.want {
			t.Errorf("N(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	if got := c.N("en", "plain", 1, 1); got != "1 things" {
		t.Errorf("a message without plural forms: %q", got)
	}
	if got := c.T("en", "wait", 1); got != "Wait 1 minute." {
		t.Errorf("T counts the first whole-number argument: %q", got)
	}
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"en": "Wait 1 minute,", "fr": "Attendez 1 minute puis", "de": "Warte 1 Minute und", "nl": "Wacht 1 minuut en"} {
		if got := cat.T(lang, "err.rate_limited", 1); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", lang, got, want)
		}
	}
	bad, err := load(fstest.MapFS{
		"locales/en.json": {Data: []byte(`{"wait":{"one":"Wait %d minute.","other":"Wait %d minutes."}}`)},
		"locales/fr.json": {Data: []byte(`{"wait":{"other":"Attends %d minutes."}}`)},
		"locales/de.json": {Data: []byte(`{"wait":"Warte %d Minuten."}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := bad.Missing()
	if !strings.Contains(strings.Join(m["fr"], "\n"), `no "one" form`) || !strings.Contains(strings.Join(m["de"], "\n"), "plural forms in one language") {
		t.Errorf("Missing does not check plural forms: %v", m)
	}
}
