// Package importer reads the exports hosters move in from: a CSV of
// accounts, or an OpenLDAP export (slapcat, ldapsearch) in LDIF. It only
// reads; identity.Import checks and stores.
package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"pelote/internal/identity"
)

// MaxFile bounds what is read: 100,000 accounts fit in far less.
const MaxFile = 64 << 20

// Read parses data as LDIF when it looks like one (a "dn:" or "version:"
// line first, once comments and folding are read as LDIF reads them), as
// CSV otherwise.
func Read(r io.Reader) ([]identity.ImportAccount, []identity.ImportGroup, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, nil, err
	}
	if looksLikeLDIF(data) {
		return ReadLDIF(data)
	}
	accounts, err := ReadCSV(data)
	return accounts, nil, err
}

// readAll reads the whole file, refusing one over MaxFile.
func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFile {
		return nil, fmt.Errorf("importer: the file is larger than %d MiB", MaxFile>>20)
	}
	return data, nil
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
		if err != nil {
			// FieldPos panics when no record was read: the error says where.
			if pe, ok := errors.AsType[*csv.ParseError](err); ok {
				return nil, fmt.Errorf("importer: line %d: %w", pe.StartLine, pe.Err)
			}
			return nil, fmt.Errorf("importer: %w", err)
		}
		line, _ := r.FieldPos(0)
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
