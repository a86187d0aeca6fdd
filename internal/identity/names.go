package identity

import (
	"net/mail"
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// nameRE is the shape of usernames, profile, group and service names: what
// LDAP DNs, Unix accounts and most hosted apps accept without escaping.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// NormalizeName lower-cases and trims a name and checks its shape.
func NormalizeName(field, s string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	if n == "" {
		return "", invalid(field, "must not be empty")
	}
	if !nameRE.MatchString(n) {
		return "", invalid(field, "use 1 to 64 letters a-z, digits, '.', '_' or '-', starting with a letter or digit")
	}
	return n, nil
}

// lookupName is s as usernames are stored, and whether it can name an
// account at all. A lookup by a string outside the rule of names finds
// nothing without asking the database: PostgreSQL refuses some of what a
// URL or a form can carry (a NUL byte) with an error, not an empty answer.
func lookupName(s string) (string, bool) {
	n, err := NormalizeName("username", s)
	return n, err == nil
}

// NormalizeEmail checks that s is one bare address (no display name) and
// returns it in NFC, the form it is stored in (see EmailKey for the form
// it is compared in).
func NormalizeEmail(s string) (string, error) {
	s = norm.NFC.String(strings.TrimSpace(s))
	if s == "" {
		return "", invalid("email", "must not be empty")
	}
	if len(s) > 254 {
		return "", invalid("email", "is longer than 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", invalid("email", "is not an e-mail address like name@example.org")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return "", invalid("email", "needs a domain like example.org after the @")
	}
	return s, nil
}

// checkDisplayName bounds a free-text name (see CheckText).
func checkDisplayName(s string) (string, error) { return CheckText("display_name", s, 128, false) }

// localeRE accepts "fr" or "pt-BR"; which locales exist is the UI's business.
var localeRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)

func checkLocale(s string) (string, error) {
	if !localeRE.MatchString(s) {
		return "", invalid("locale", "must be a language tag such as en or fr")
	}
	return s, nil
}
