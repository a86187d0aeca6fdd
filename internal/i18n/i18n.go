// Package i18n holds the translations of everything Pelote shows people.
//
// JSON files in locales/ map message keys to text (with fmt verbs for
// arguments): LANG.json, plus LANG.PART.json for a domain's own messages
// (fr.oidc.json), merged, a key defined twice refused. English is the
// reference: every other language must carry exactly its keys, which a test
// checks, so adding German or Dutch is adding de*.json or nl*.json and
// nothing else.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

//go:embed locales/*.json
var files embed.FS

// Fallback is the reference language.
const Fallback = "en"

// Catalog is the set of languages and their messages.
type Catalog struct {
	msgs    map[string]map[string]string
	locales []string
	matcher language.Matcher
}

// Load reads the embedded catalogue.
func Load() (*Catalog, error) { return load(files) }

func load(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", n, err)
		}
		lang, _, _ := strings.Cut(strings.TrimSuffix(path.Base(n), ".json"), ".")
		all := c.msgs[lang]
		if all == nil {
			all = map[string]string{}
			c.msgs[lang] = all
		}
		for k, v := range m {
			if _, dup := all[k]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q is already defined in another %s file", n, k, lang)
			}
			all[k] = v
		}
	}
	if _, ok := c.msgs[Fallback]; !ok {
		return nil, fmt.Errorf("i18n: no %s.json", Fallback)
	}
	// The fallback comes first: the matcher's default when nothing matches.
	c.locales = []string{Fallback}
	for l := range c.msgs {
		if l != Fallback {
			c.locales = append(c.locales, l)
		}
	}
	sort.Strings(c.locales[1:])
	tags := make([]language.Tag, len(c.locales))
	for i, l := range c.locales {
		tags[i] = language.MustParse(l)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// Locales lists the available languages, the fallback first.
func (c *Catalog) Locales() []string { return c.locales }

// Has reports whether locale is available.
func (c *Catalog) Has(locale string) bool { _, ok := c.msgs[locale]; return ok }

// Match picks the best available language for an Accept-Language header.
func (c *Catalog) Match(acceptLanguage string) string {
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	_, i, _ := c.matcher.Match(tags...)
	return c.locales[i]
}

// T returns the message key in locale, formatted with args; a key missing
// from locale falls back to English, then to the key itself.
func (c *Catalog) T(locale, key string, args ...any) string {
	msg, ok := c.msgs[locale][key]
	if !ok {
		if msg, ok = c.msgs[Fallback][key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Missing lists, per locale, the keys of the fallback it lacks and the keys
// it has that the fallback does not.
func (c *Catalog) Missing() map[string][]string {
	out := map[string][]string{}
	ref := c.msgs[Fallback]
	for l, m := range c.msgs {
		for k, text := range ref {
			got, ok := m[k]
			switch {
			case !ok:
				out[l] = append(out[l], "missing "+k)
			case !slices.Equal(verbs(got), verbs(text)):
				out[l] = append(out[l], fmt.Sprintf("%s: arguments %v, English has %v", k, verbs(got), verbs(text)))
			}
		}
		for k := range m {
			if _, ok := ref[k]; !ok {
				out[l] = append(out[l], "extra "+k)
			}
		}
	}
	return out
}

// verb finds fmt verbs, with an explicit argument index if any.
var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// verbs lists a message's fmt verbs, sorted: a translation may reorder its
// arguments (with %[n]s), but must use the same ones.
func verbs(text string) []string {
	vs := verb.FindAllString(text, -1)
	for i, v := range vs {
		if v == "%%" {
			vs[i] = ""
		}
	}
	slices.Sort(vs)
	return slices.DeleteFunc(vs, func(v string) bool { return v == "" })
}

// HasKey reports whether the fallback catalogue defines key.
func (c *Catalog) HasKey(key string) bool { _, ok := c.msgs[Fallback][key]; return ok }
