package identity

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckText is the one rule for free text a person types and an
// administrator later reads, on a page or in a terminal (display names,
// group descriptions, sign-up words, invitation notes, app password names).
// It trims s and refuses invalid UTF-8, more than max characters, and the
// characters that act rather than print: C0 and C1 controls and DEL (ESC
// starts terminal sequences, U+009B is a one-character CSI), and the
// bidirectional controls that reorder what follows them (embeddings,
// overrides, isolates, and the marks). multiline allows line
// feeds, and drops the carriage returns browsers send before them; the
// Unicode line and paragraph separators are refused either way.
func CheckText(field, s string, max int, multiline bool) (string, error) {
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", invalid(field, "is not valid text")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", invalid(field, fmt.Sprintf("must be at most %d characters", max))
	}
	for _, r := range s {
		switch {
		case r == '\n':
			if !multiline {
				return "", invalid(field, "must be one line")
			}
		case IsControl(r) || r == '\u2028' || r == '\u2029':
			return "", invalid(field, fmt.Sprintf("must not contain control characters (found U+%04X)", r))
		}
	}
	return s, nil
}

// IsControl reports whether r is a character CheckText refuses wherever it
// is: a C0 or C1 control, DEL, or a bidirectional control (U+061C,
// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069). Imports check with it
// too (checkOneLine), and printing code escapes the same characters in
// what was stored before the rule existed.
func IsControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}
