// Package importer reads the exports hosters move in from: a CSV of
// accounts, or an OpenLDAP export (slapcat, ldapsearch) in LDIF. It only
// reads; identity.Import checks and stores.
package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/go-ldap/ldif"

	"pelote/internal/dn"
	"pelote/internal/identity"
)

// MaxFile bounds what is read: 100,000 accounts fit in far less.
const MaxFile = 64 << 20

// Read parses data as LDIF when it looks like one (a "dn:" or "version:"
// line first), as CSV otherwise.
func Read(r io.Reader) ([]identity.ImportAccount, []identity.ImportGroup, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFile+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxFile {
		return nil, nil, fmt.Errorf("importer: the file is larger than %d MiB", MaxFile>>20)
	}
	first := firstLine(data)
	if strings.HasPrefix(first, "dn:") || strings.HasPrefix(first, "version:") {
		return ReadLDIF(data)
	}
	accounts, err := ReadCSV(data)
	return accounts, nil, err
}

func firstLine(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			return strings.ToLower(l)
		}
	}
	return ""
}

// ReadCSV reads username, email, display name, password hash, groups
// (separated by spaces or semicolons); a first row naming the columns is
// skipped.
func ReadCSV(data []byte) ([]identity.ImportAccount, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.Comment = '#'
	var out []identity.ImportAccount
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("importer: line %d: %w", line, err)
		}
		if len(out) == 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "username") {
			continue
		}
		if len(rec) < 2 || len(rec) > 5 {
			return nil, fmt.Errorf("importer: line %d: expected username, email[, display name, password hash, groups], got %d columns", line, len(rec))
		}
		rec = append(rec, make([]string, 5-len(rec))...)
		out = append(out, identity.ImportAccount{Line: line, Username: strings.TrimSpace(rec[0]), Email: strings.TrimSpace(rec[1]),
			DisplayName: strings.TrimSpace(rec[2]), PasswordHash: strings.TrimSpace(rec[3]),
			Groups: strings.FieldsFunc(rec[4], func(r rune) bool { return r == ' ' || r == ';' })})
	}
}

// urlValue finds "attr:< URL" lines: the LDIF library would read the file
// they point to, and an import must not read the server's files.
var urlValue = regexp.MustCompile(`(?m)^[A-Za-z0-9][A-Za-z0-9;.-]*:<`)

var emptyValue = regexp.MustCompile(`(?m)^[A-Za-z0-9][A-Za-z0-9;.-]*:[ \t]*\r?\n`)

// ReadLDIF reads people (inetOrgPerson, posixAccount, account with a uid)
// and groups (groupOfNames, groupOfUniqueNames with member DNs, posixGroup
// with memberUid) from an OpenLDAP export. Other entries are skipped.
func ReadLDIF(data []byte) ([]identity.ImportAccount, []identity.ImportGroup, error) {
	if loc := urlValue.FindIndex(data); loc != nil {
		return nil, nil, fmt.Errorf("importer: line %d: values read from URLs (attr:< …) are refused", bytes.Count(data[:loc[0]], []byte("\n"))+1)
	}
	var l ldif.LDIF
	// Empty values are legal LDIF (slapcat writes "creatorsName:" for
	// entries slapadd loaded) but the parser refuses them; none matters here.
	if err := ldif.Unmarshal(bytes.NewReader(emptyValue.ReplaceAll(data, nil)), &l); err != nil {
		return nil, nil, fmt.Errorf("importer: %w", err)
	}
	lines := entryLines(data)
	var accounts []identity.ImportAccount
	var groups []identity.ImportGroup
	uidOf := map[string]string{} // person DN (normalised) → uid
	type pending struct {
		g   identity.ImportGroup
		dns []string
	}
	var withDNs []pending
	for i, e := range l.AllEntries() {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		classes := lower(e.GetAttributeValues("objectClass"))
		switch {
		case e.GetAttributeValue("uid") != "" && (slices.Contains(classes, "inetorgperson") || slices.Contains(classes, "posixaccount") || slices.Contains(classes, "account")):
			uid := e.GetAttributeValue("uid")
			uidOf[normDN(e.DN)] = uid
			name := e.GetAttributeValue("displayName")
			if name == "" {
				name = e.GetAttributeValue("cn")
			}
			accounts = append(accounts, identity.ImportAccount{Line: line, Username: uid, Email: e.GetAttributeValue("mail"),
				DisplayName: name, PasswordHash: e.GetAttributeValue("userPassword")})
		case slices.Contains(classes, "groupofnames") || slices.Contains(classes, "groupofuniquenames") || slices.Contains(classes, "posixgroup"):
			g := identity.ImportGroup{Line: line, Name: e.GetAttributeValue("cn"), Description: e.GetAttributeValue("description"),
				Members: e.GetAttributeValues("memberUid")}
			dns := append(e.GetAttributeValues("member"), e.GetAttributeValues("uniqueMember")...)
			withDNs = append(withDNs, pending{g, dns})
		}
	}
	// Member DNs name people by their entry: resolved once all are read.
	for _, p := range withDNs {
		for _, dn := range p.dns {
			if uid, ok := uidOf[normDN(dn)]; ok && !slices.Contains(p.g.Members, uid) {
				p.g.Members = append(p.g.Members, uid)
			}
		}
		groups = append(groups, p.g)
	}
	return accounts, groups, nil
}

// entryLines returns the line each entry starts on, for the report.
func entryLines(data []byte) []int {
	var out []int
	inEntry := false
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(l, "\r")
		switch {
		case strings.HasPrefix(strings.ToLower(l), "dn:") && !inEntry:
			out = append(out, i+1)
			inEntry = true
		case l == "":
			inEntry = false
		}
	}
	return out
}

func lower(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(v)
	}
	return out
}

// normDN is the directory's canonical DN form, so that member DNs find
// their people as the LDAP directory would; a DN that does not parse only
// matches the same text.
func normDN(s string) string {
	if c, ok := dn.Canonical(s); ok {
		return c
	}
	return strings.ToLower(s)
}
