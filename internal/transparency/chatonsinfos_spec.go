package transparency

import (
	"bufio"
	"bytes"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The ChatonsInfos format, as far as Pelote writes it. ChatonsInfos is the
// CHATONS collective's profile of StatoolInfos: properties files
// ("key = value", UTF-8) whose keys are grouped in sections (file.,
// organization., service., software., host., metrics.), one organisation
// file linking one file per service with subs.NAME lines. Value types are
// StatoolInfos' primitives: STRING, URL, EMAIL, DATE (ISO 2020-07-06),
// DATETIME (ISO 2020-07-06T14:23:20), NUMERIC, MONTHS (12 NUMERIC
// separated by ";", empty for unknown) and STATUS (ON, MAINTENANCE, DOWN,
// OFF, DRAFT); the other enumerations are the collective's.

// Protocol is the file.protocol Pelote writes.
const Protocol = "ChatonsInfos-0.5"

// fieldType is a value type of the format.
type fieldType struct {
	name  string
	check func(string) bool
}

func enum(vals ...string) fieldType {
	return fieldType{name: "one of " + strings.Join(vals, ", "), check: func(s string) bool { return slices.Contains(vals, s) }}
}

var (
	tString   = fieldType{"STRING", func(s string) bool { return !strings.ContainsAny(s, "\r\n") }}
	tURL      = fieldType{"URL", isURL}
	tEmail    = fieldType{"EMAIL", func(s string) bool { a, err := mail.ParseAddress(s); return err == nil && a.Address == s }}
	tDate     = fieldType{"DATE", func(s string) bool { _, err := time.Parse(time.DateOnly, s); return err == nil }}
	tDateTime = fieldType{"DATETIME", func(s string) bool { _, err := time.Parse("2006-01-02T15:04:05", s); return err == nil }}
	tCountry  = fieldType{"country code (ISO 3166-1 alpha-2)", regexp.MustCompile(`^[A-Z]{2}$`).MatchString}
	tMonths   = fieldType{"MONTHS", isMonths}
	tStatus   = enum("ON", "MAINTENANCE", "DOWN", "OFF", "DRAFT")
	tLevel    = enum("ACTIVE", "IDLE", "AWAY")
)

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.ContainsAny(s, " \t")
}

func isMonths(s string) bool {
	parts := strings.Split(s, ";")
	if len(parts) > 12 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			continue
		}
		if _, err := strconv.ParseFloat(p, 64); err != nil {
			return false
		}
	}
	return true
}

// field is one key of the format: NAME stands for a service name, YYYY
// for a year.
type field struct {
	key       string
	typ       fieldType
	mandatory bool
}

// Fields lists the keys Pelote writes, per file class.
var Fields = map[string][]field{
	"organization": {
		{"file.class", enum("organization"), true}, {"file.protocol", enum(Protocol), true},
		{"file.datetime", tDateTime, true}, {"file.generator", tString, true},
		{"organization.name", tString, true}, {"organization.description", tString, false},
		{"organization.type", enum("ASSOCIATION", "INFORMAL", "COOPERATIVE", "MICROCOMPANY", "COMPANY", "INDIVIDUAL", "OTHER"), false},
		{"organization.status.level", tLevel, false}, {"organization.website", tURL, false}, {"organization.logo", tURL, false},
		{"organization.contact.url", tURL, false}, {"organization.contact.email", tEmail, false},
		{"organization.legal.url", tURL, false}, {"organization.guide.technical", tURL, false}, {"organization.guide.user", tURL, false},
		{"organization.country.name", tString, false}, {"organization.country.code", tCountry, false},
		{"organization.startdate", tDate, false},
		{"organization.memberof.chatons.startdate", tDate, false}, {"organization.memberof.chatons.status.level", tLevel, false},
		{"subs.NAME", tURL, false},
	},
	"service": {
		{"file.class", enum("service"), true}, {"file.protocol", enum(Protocol), true},
		{"file.datetime", tDateTime, true}, {"file.generator", tString, true},
		{"service.name", tString, true}, {"service.description", tString, false}, {"service.website", tURL, false},
		{"service.legal.url", tURL, false}, {"service.guide.user", tURL, false}, {"service.startdate", tDate, false},
		{"service.status", tStatus, true}, {"service.status.level", enum("OK", "WARNING", "ALERT", "ERROR", "OVER", "VOID"), true},
		{"service.registration", enum("None", "Free", "Member", "Client"), false},
		{"service.registration.load", enum("OPEN", "FULL"), false},
		{"service.install.type", enum("DISTRIBUTION", "PROVIDER", "PACKAGE", "TOOLING", "CLONEREPO", "ARCHIVE", "SOURCES", "CONTAINER"), false},
		{"software.name", tString, false}, {"software.website", tURL, false}, {"software.license.url", tURL, false},
		{"software.license.name", tString, false}, {"software.version", tString, false}, {"software.source.url", tURL, false},
		{"host.name", tString, false}, {"host.description", tString, false}, {"host.server.distribution", tString, false},
		{"host.server.type", enum("NANO", "PHYSICAL", "VIRTUAL", "SHARED", "CLOUD"), false},
		{"host.provider.type", enum("HOME", "HOSTEDBAY", "HOSTEDSERVER", "OUTSOURCED"), false},
		{"host.provider.hypervisor", tString, false}, {"host.country.name", tString, false}, {"host.country.code", tCountry, false},
		{"metrics.service.accounts.name", tString, false}, {"metrics.service.accounts.description", tString, false},
		{"metrics.service.accounts.YYYY.months", tMonths, false},
		{"metrics.service.accounts.active.name", tString, false}, {"metrics.service.accounts.active.description", tString, false},
		{"metrics.service.accounts.active.YYYY.months", tMonths, false},
		{"metrics.service.uptime.name", tString, false}, {"metrics.service.uptime.description", tString, false},
		{"metrics.service.uptime.YYYY.months", tMonths, false},
	},
}

var (
	subsKey = regexp.MustCompile(`^subs\.[a-z0-9][a-z0-9._-]*$`)
	yearKey = regexp.MustCompile(`\.\d{4}\.months$`)
)

// lookup finds the field a key is an instance of.
func lookup(class, key string) (field, bool) {
	generic := key
	switch {
	case subsKey.MatchString(key):
		generic = "subs.NAME"
	case yearKey.MatchString(key):
		generic = yearKey.ReplaceAllString(key, ".YYYY.months")
	}
	for _, f := range Fields[class] {
		if f.key == generic {
			return f, true
		}
	}
	return field{}, false
}

// ParseProperties reads a properties file as StatoolInfos does: one
// "key = value" per line, # comments, \n and \\ escapes in values.
func ParseProperties(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: no '=' in %q", n, line)
		}
		k = strings.TrimSpace(k)
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("line %d: %s is set twice", n, k)
		}
		out[k] = strings.NewReplacer(`\\`, `\`, `\n`, "\n").Replace(strings.TrimSpace(v))
	}
	return out, sc.Err()
}

// CheckProperties checks a parsed file against the format: every key
// known for its class, every value of its type, every mandatory key set.
func CheckProperties(props map[string]string) []error {
	class := props["file.class"]
	if _, ok := Fields[class]; !ok {
		return []error{fmt.Errorf("file.class %q is neither organization nor service", class)}
	}
	var errs []error
	for k, v := range props {
		f, ok := lookup(class, k)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: not a field of a %s file", k, class))
		case v == "" && !f.mandatory:
		case !f.typ.check(v):
			errs = append(errs, fmt.Errorf("%s = %q is not %s", k, v, f.typ.name))
		}
	}
	for _, f := range Fields[class] {
		if f.mandatory && props[f.key] == "" {
			errs = append(errs, fmt.Errorf("%s is mandatory", f.key))
		}
	}
	return errs
}
