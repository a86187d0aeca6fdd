// Package i18n holds the translations of everything Pelote shows people.
//
// JSON files in locales/ map message keys to text (with fmt verbs for
// arguments): LANG.json, plus LANG.PART.json for a domain's or a page
// area's own messages (fr.oidc.json), merged, a key defined twice refused.
// Every key of LANG.PART.json starts with "PART.", and no key of LANG.json
// does: a key's first word says which file holds it. A message that
// counts something is an object of plural forms ({"one": …, "other": …},
// the CLDR categories the language uses), chosen by N. English is the
// reference: every other language must carry exactly its keys, which a
// test checks, so adding German or Dutch is adding de*.json or nl*.json
// and nothing else.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
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
	msgs map[string]map[string]string
	// plurals are the messages with plural forms, by language, key and
	// CLDR category.
	plurals map[string]map[string]map[string]string
	// byRest finds a part's key by what follows its namespace, for the
	// families looked up by name (see Family).
	byRest  map[string]string
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
	c := &Catalog{msgs: map[string]map[string]string{}, plurals: map[string]map[string]map[string]string{}, byRest: map[string]string{}}
	parts := map[string]bool{}
	for _, n := range names {
		if _, part, ok := strings.Cut(strings.TrimSuffix(path.Base(n), ".json"), "."); ok {
			parts[part] = true
		}
	}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", n, err)
		}
		lang, part, _ := strings.Cut(strings.TrimSuffix(path.Base(n), ".json"), ".")
		all := c.msgs[lang]
		if all == nil {
			all = map[string]string{}
			c.msgs[lang], c.plurals[lang] = all, map[string]map[string]string{}
		}
		for k, raw := range m {
			ns, rest, _ := strings.Cut(k, ".")
			switch {
			case part != "" && ns != part:
				return nil, fmt.Errorf("i18n: %s: key %q is not in the %s namespace: it belongs in %s.json or %s.%s.json", n, k, part, lang, lang, ns)
			case part == "" && parts[ns]:
				return nil, fmt.Errorf("i18n: %s: key %q belongs in %s.%s.json", n, k, lang, ns)
			}
			if _, dup := all[k]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q is already defined in another %s file", n, k, lang)
			}
			var text string
			if err := json.Unmarshal(raw, &text); err != nil {
				forms := map[string]string{}
				if err := json.Unmarshal(raw, &forms); err != nil || forms["other"] == "" {
					return nil, fmt.Errorf("i18n: %s: key %q is neither a text nor plural forms with \"other\"", n, k)
				}
				c.plurals[lang][k] = forms
				text = forms["other"]
			}
			all[k] = text
			if part != "" && lang == Fallback {
				if prev, dup := c.byRest[rest]; dup && isFamily(rest) {
					return nil, fmt.Errorf("i18n: %s: %q and %q answer the same name %q", n, prev, k, rest)
				}
				c.byRest[rest] = k
			}
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

// families are the keys looked up by a name that comes from elsewhere (a
// notice in a redirect, the field of a refused value): the core's
// "ok.NAME", or one part's "PART.ok.NAME".
var families = []string{"ok.", "err.invalid."}

func isFamily(rest string) bool {
	for _, f := range families {
		if strings.HasPrefix(rest, f) {
			return true
		}
	}
	return false
}

// Family finds the key of name in a family ("ok", "err.invalid"): the
// core's "FAMILY.NAME", else the one part's "PART.FAMILY.NAME".
func (c *Catalog) Family(family, name string) (string, bool) {
	k := family + "." + name
	if _, ok := c.msgs[Fallback][k]; ok {
		return k, true
	}
	k, ok := c.byRest[k]
	return k, ok
}

// T returns the message key in locale, formatted with args; a key missing
// from locale falls back to English, then to the key itself. A message
// with plural forms counts its first whole-number argument (see N).
func (c *Catalog) T(locale, key string, args ...any) string {
	if _, plural := c.plurals[Fallback][key]; plural {
		for _, a := range args {
			if n, ok := count(a); ok {
				return c.N(locale, key, n, args...)
			}
		}
	}
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

// N returns the plural form of key for the count n in locale, formatted
// with args (which usually hold n too). A key without plural forms is T's.
func (c *Catalog) N(locale, key string, n int, args ...any) string {
	forms, ok := c.plurals[locale][key]
	if !ok {
		if forms, ok = c.plurals[Fallback][key]; !ok {
			return c.T(locale, key, args...)
		}
		locale = Fallback
	}
	msg, ok := forms[pluralCategory(locale, n)]
	if !ok {
		msg = forms["other"]
	}
	return fmt.Sprintf(msg, args...)
}

// count reads a whole-number argument; counts past int's range are
// plenty anyway.
func count(a any) (int, bool) {
	switch n := a.(type) {
	case int:
		return n, true
	case int64:
		return int(min(n, math.MaxInt32)), true
	case int32:
		return int(n), true
	case uint32:
		return int(n), true
	case uint64:
		return int(min(n, math.MaxInt32)), true
	}
	return 0, false
}

// pluralCategory is the CLDR plural category of a whole number n in
// locale: French counts 0 and 1 as one; English, German and Dutch only 1.
func pluralCategory(locale string, n int) string {
	switch {
	case n == 1, locale == "fr" && n == 0:
		return "one"
	}
	return "other"
}

// pluralCategories are the categories a language's messages must give.
var pluralCategories = []string{"one", "other"}

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
			_, refPlural := c.plurals[Fallback][k]
			forms, plural := c.plurals[l][k]
			switch {
			case !ok:
			case refPlural != plural:
				out[l] = append(out[l], fmt.Sprintf("%s: plural forms in one language and not in the other", k))
			case plural:
				for _, cat := range pluralCategories {
					if f, has := forms[cat]; !has {
						out[l] = append(out[l], fmt.Sprintf("%s: no %q form", k, cat))
					} else if !slices.Equal(verbs(f), verbs(text)) {
						out[l] = append(out[l], fmt.Sprintf("%s: the %q form has arguments %v, English has %v", k, cat, verbs(f), verbs(text)))
					}
				}
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
