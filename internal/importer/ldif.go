package importer

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/go-ldap/ldif"

	"pelote/internal/dn"
	"pelote/internal/identity"
)

// An LDIF file is read in two steps. unfold cuts it into logical lines
// (RFC 2849: a line starting with a space continues the one before, "#"
// starts a comment, an empty line ends a record), keeping the line each
// starts on. Each record's logical lines are checked, then handed alone
// to go-ldap/ldif, which decodes the values. The library is never given a
// folded line: what it parses is exactly what was checked, so no way of
// folding can slip an "attr:< file://" value past the check, and the
// library, which would read that file, never sees one.

// errStop ends unfold early without an error.
var errStop = errors.New("stop")

// unfold calls fn with each logical line and the line it starts on; an
// empty text is an empty line (the end of a record). It stops at the first
// error fn returns.
func unfold(data []byte, fn func(line int, text string) error) error {
	var pending []byte
	start, n := 0, 0
	comment := false
	flush := func() error {
		if start == 0 {
			return nil
		}
		text, at := string(pending), start
		pending, start = pending[:0], 0
		return fn(at, text)
	}
	for len(data) > 0 {
		raw := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		n++
		raw = bytes.TrimRight(raw, "\r")
		switch {
		case len(raw) == 0:
			comment = false
			if err := flush(); err != nil {
				return err
			}
			if err := fn(n, ""); err != nil {
				return err
			}
		case raw[0] == '#':
			// A comment, folded or not, also ends the line before it.
			comment = true
			if err := flush(); err != nil {
				return err
			}
		case raw[0] == ' ':
			if comment {
				continue
			}
			if start == 0 {
				return fmt.Errorf("line %d: a folded line (starting with a space) continues no line", n)
			}
			pending = append(pending, raw[1:]...)
		default:
			comment = false
			if err := flush(); err != nil {
				return err
			}
			start, pending = n, append(pending[:0], raw...)
		}
	}
	return flush()
}

// looksLikeLDIF reports whether the first logical line is "dn:" or
// "version:".
func looksLikeLDIF(data []byte) bool {
	var first string
	_ = unfold(data, func(_ int, text string) error {
		if text == "" {
			return nil
		}
		first = strings.ToLower(text)
		return errStop
	})
	return strings.HasPrefix(first, "dn:") || strings.HasPrefix(first, "version:")
}

// ReadLDIF reads people (inetOrgPerson, posixAccount, account with a uid)
// and groups (groupOfNames, groupOfUniqueNames with member DNs, posixGroup
// with memberUid) from an OpenLDAP export. Other entries are skipped.
// Values read from URLs ("attr:< file://…") and change records are refused.
func ReadLDIF(data []byte) ([]identity.ImportAccount, []identity.ImportGroup, error) {
	var accounts []identity.ImportAccount
	groups, err := streamLDIF(data, func(batch []identity.ImportAccount) bool {
		accounts = append(accounts, batch...)
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	return accounts, groups, nil
}

// streamLDIF reads data as ReadLDIF does, handing the accounts to emit in
// batches, in the file's order, as soon as the records before them are
// decoded; emit returns false to stop the reading (the import ended).
// The groups come last: their member DNs need every person first.
func streamLDIF(data []byte, emit func([]identity.ImportAccount) bool) ([]identity.ImportGroup, error) {
	var recs []ldifRecord
	var rec []string
	recLine := 0
	end := func() {
		if len(rec) > 0 {
			recs = append(recs, ldifRecord{line: recLine, lines: rec})
			rec = nil
		}
	}
	err := unfold(data, func(line int, text string) error {
		if text == "" {
			end()
			return nil
		}
		// The type of a value is the character after the first colon, as
		// the library reads it: "::" base64, ":<" a URL.
		attr, value, found := strings.Cut(text, ":")
		if found && strings.HasPrefix(value, "<") {
			return fmt.Errorf("line %d: values read from URLs (attr:< …) are refused: an import never reads the server's files", line)
		}
		if found && strings.EqualFold(attr, "control") {
			// The library skips them today, but their values may also be
			// read from URLs; no export has any.
			return fmt.Errorf("line %d: LDIF controls are refused: a directory export has none, and their values may come from URLs", line)
		}
		if found && len(rec) > 0 && strings.Trim(value, " ") == "" {
			// Empty values are legal LDIF (slapcat writes "creatorsName:"
			// for entries slapadd loaded) but the library refuses them;
			// none matters here.
			return nil
		}
		if len(rec) == 0 {
			recLine = line
		}
		rec = append(rec, text)
		return nil
	})
	if err == nil {
		end()
	}
	// The records before a refused line are parsed, and a problem in one
	// of them, being earlier in the file, is the one reported.
	r := ldifReader{uidOf: map[string]string{}, uidOfRaw: map[string]string{}}
	var stopped bool
	perr := parseRecords(recs, func(rec ldifRecord, p parsedRecord) error {
		if p.err != nil {
			return p.err
		}
		for _, e := range p.entries {
			r.entry(rec.line, e)
		}
		return nil
	}, func() bool {
		if len(r.accounts) > 0 && !emit(r.accounts) {
			stopped = true
			return false
		}
		r.accounts = nil
		return true
	})
	switch {
	case stopped:
		return nil, errStop
	case perr != nil:
		return nil, fmt.Errorf("importer: %w", perr)
	case err != nil:
		return nil, fmt.Errorf("importer: %w", err)
	}
	return r.resolve(), nil
}

// ldifRecord is one record's logical lines, checked, and the line it
// starts on.
type ldifRecord struct {
	line  int
	lines []string
}

// parsedRecord is what the library made of a record: its entries, each
// with its DN's canonical form, or the problem.
type parsedRecord struct {
	entries []parsedEntry
	err     error
}

type parsedEntry struct {
	*goldap.Entry
	canonical string
}

// recordChunk is how many records a worker decodes at a time, and how
// often the accounts read so far are handed over.
const recordChunk = 256

// parseRecords decodes the records on every core (a record's decoding
// needs nothing from the others, and it is most of an import's reading)
// and gives each, in the file's order, to use; after each chunk of
// records, flush hands over what use gathered, and false from it stops
// everything. The first error from use ends the reading and is returned.
func parseRecords(recs []ldifRecord, use func(ldifRecord, parsedRecord) error, flush func() bool) error {
	chunks := (len(recs) + recordChunk - 1) / recordChunk
	out := make([]parsedRecord, len(recs))
	done := make([]chan struct{}, chunks)
	for i := range done {
		done[i] = make(chan struct{})
	}
	var next atomic.Int64
	var quit atomic.Bool
	var wg sync.WaitGroup
	defer wg.Wait()
	defer quit.Store(true) // workers stop at their next chunk once the reading ends
	for range min(runtime.GOMAXPROCS(0), chunks) {
		wg.Go(func() {
			for !quit.Load() {
				c := int(next.Add(1)) - 1
				if c >= chunks {
					return
				}
				for i := c * recordChunk; i < min(len(recs), (c+1)*recordChunk); i++ {
					out[i] = parseRecord(recs[i])
				}
				close(done[c])
			}
		})
	}
	for c := range chunks {
		<-done[c]
		for i := c * recordChunk; i < min(len(recs), (c+1)*recordChunk); i++ {
			if err := use(recs[i], out[i]); err != nil {
				return err
			}
			out[i] = parsedRecord{} // used: the collector may have it
		}
		if !flush() {
			return nil
		}
	}
	return nil
}

func parseRecord(rec ldifRecord) parsedRecord {
	var l ldif.LDIF
	if err := ldif.Unmarshal(strings.NewReader(strings.Join(rec.lines, "\n")+"\n"), &l); err != nil {
		// The library counts lines in what it was given: the record's
		// line is the one that helps.
		msg := err.Error()
		var pe *ldif.ParseError
		if errors.As(err, &pe) {
			msg = pe.Message
		}
		return parsedRecord{err: fmt.Errorf("line %d: %s", rec.line, printable(msg))}
	}
	var p parsedRecord
	for _, e := range l.Entries {
		var entry *goldap.Entry
		switch {
		case e.Entry != nil:
			entry = e.Entry
		case e.Add != nil:
			// "changetype: add" records, as written for ldapadd, are entries.
			attrs := map[string][]string{}
			for _, a := range e.Add.Attributes {
				attrs[a.Type] = append(attrs[a.Type], a.Vals...)
			}
			entry = goldap.NewEntry(e.Add.DN, attrs)
		default:
			return parsedRecord{err: fmt.Errorf("line %d: a change record (changetype: modify or delete) is not a directory export: export the directory with slapcat or ldapsearch", rec.line)}
		}
		pe := parsedEntry{Entry: entry}
		if entry.GetEqualFoldAttributeValue("uid") != "" {
			pe.canonical = normDN(entry.DN) // a person, whom groups name by DN
		}
		p.entries = append(p.entries, pe)
	}
	return p
}

// ldifReader gathers the people and groups of an LDIF file.
type ldifReader struct {
	accounts []identity.ImportAccount
	uidOf    map[string]string // person DN (canonical) → uid
	uidOfRaw map[string]string // person DN as written → uid
	withDNs  []pendingGroup
}

// pendingGroup is a group whose member DNs are resolved once every person
// is read.
type pendingGroup struct {
	g   identity.ImportGroup
	dns []string
}

// record parses one record (checked logical lines) with the library.
// entry keeps a person or a group; other entries are skipped. Attribute
// names are compared without regard to case, as LDAP does.
func (r *ldifReader) entry(line int, e parsedEntry) {
	classes := lower(e.GetEqualFoldAttributeValues("objectClass"))
	uid := e.GetEqualFoldAttributeValue("uid")
	switch {
	case uid != "" && (slices.Contains(classes, "inetorgperson") || slices.Contains(classes, "posixaccount") || slices.Contains(classes, "account")):
		r.uidOf[e.canonical] = uid
		r.uidOfRaw[e.DN] = uid
		name := e.GetEqualFoldAttributeValue("displayName")
		if name == "" {
			name = e.GetEqualFoldAttributeValue("cn")
		}
		r.accounts = append(r.accounts, identity.ImportAccount{Line: line, Username: uid, Email: e.GetEqualFoldAttributeValue("mail"),
			DisplayName: name, PasswordHash: e.GetEqualFoldAttributeValue("userPassword")})
	case slices.Contains(classes, "groupofnames") || slices.Contains(classes, "groupofuniquenames") || slices.Contains(classes, "posixgroup"):
		g := identity.ImportGroup{Line: line, Name: e.GetEqualFoldAttributeValue("cn"), Description: e.GetEqualFoldAttributeValue("description"),
			Members: e.GetEqualFoldAttributeValues("memberUid")}
		dns := append(e.GetEqualFoldAttributeValues("member"), e.GetEqualFoldAttributeValues("uniqueMember")...)
		r.withDNs = append(r.withDNs, pendingGroup{g, dns})
	}
}

// resolve turns member DNs into the uids of the people in the file. A DN
// written as its person's entry writes it (what exports do) is found
// without being parsed; others are compared in canonical form.
func (r *ldifReader) resolve() []identity.ImportGroup {
	var groups []identity.ImportGroup
	for _, p := range r.withDNs {
		in := make(map[string]bool, len(p.g.Members)+len(p.dns))
		for _, m := range p.g.Members {
			in[m] = true
		}
		for _, d := range p.dns {
			uid, ok := r.uidOfRaw[d]
			if !ok {
				uid, ok = r.uidOf[normDN(d)]
			}
			if ok && !in[uid] {
				in[uid] = true
				p.g.Members = append(p.g.Members, uid)
			}
		}
		groups = append(groups, p.g)
	}
	return groups
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

// printable keeps the library's messages, which quote the file, from
// sending control characters to the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '?'
		}
		return r
	}, s)
}
