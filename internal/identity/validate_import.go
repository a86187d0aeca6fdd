package identity

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// An import brings values no person typed into a form: base64 in an LDIF
// file holds any byte. Each field is checked as the administrators' pages
// check it, and the free texts also by checkOneLine.

// checkOneLine refuses, in a display name or a description, what shows
// differently from what it is: control characters (C0, DEL, C1; an escape
// sequence in a name rewrites the terminal of an administrator running
// `user list`), bidirectional controls (they reorder what is shown, so
// that one name reads as another) and line or paragraph separators.
func checkOneLine(field, s string) error {
	for _, r := range s {
		if IsControl(r) || r == '\u2028' || r == '\u2029' {
			return invalid(field, "must not hold control characters, line breaks or text-direction marks")
		}
	}
	return nil
}

// errNoEmail is an imported account without an address. Pelote mails
// reset links and notices to it, and applications receive it in the
// email claim: an account needs one.
var errNoEmail = invalid("email", "missing: an account needs an e-mail address (reset links, notices); directories' own bind and service entries usually have none")

// checkImportAccount normalises a's username, address and display name,
// and reports every field that fails, in one error.
func checkImportAccount(a ImportAccount) (username, email, name string, err error) {
	var errs []string
	if username, err = NormalizeName("username", a.Username); err != nil {
		errs = append(errs, err.Error())
	}
	switch {
	case strings.TrimSpace(a.Email) == "":
		errs = append(errs, errNoEmail.Error())
	default:
		if email, err = NormalizeEmail(a.Email); err == nil {
			err = checkOneLine("email", email)
		}
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	if name, err = checkDisplayName(a.DisplayName); err == nil {
		err = checkOneLine("display_name", name)
	}
	if err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return "", "", "", &InvalidError{Field: "account", Reason: strings.Join(errs, "; ")}
	}
	return username, email, name, nil
}

// checkImportGroup normalises an imported group's name and checks its
// description as the group page does.
func checkImportGroup(g ImportGroup) (name, description string, err error) {
	if name, err = NormalizeName("group", g.Name); err != nil {
		return "", "", err
	}
	description, err = checkDisplayName(g.Description)
	if err != nil {
		return "", "", invalid("description", "must be one line of at most 128 characters")
	}
	if err := checkOneLine("description", description); err != nil {
		return "", "", err
	}
	return name, description, nil
}

// shown is a name from the file as a report may print it: as is when it
// is a valid name, quoted (control characters escaped) and shortened
// otherwise.
func shown(s string) string {
	if n, err := NormalizeName("username", s); err == nil {
		return n
	}
	if utf8.RuneCountInString(s) > 64 {
		s = string([]rune(s)[:64]) + "…"
	}
	return strconv.QuoteToGraphic(s)
}

// reason is err's message for the report, without the field name when it
// is clear from the context (a whole account, a password hash).
func reason(err error) string {
	if ie, ok := errors.AsType[*InvalidError](err); ok && (ie.Field == "account" || ie.Field == "password_hash") {
		return ie.Reason
	}
	return err.Error()
}
