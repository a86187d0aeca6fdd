package main

import (
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"pelote/internal/identity"
)

// termSafe escapes, in everything the CLI prints, the characters that
// would act on the administrator's terminal instead of showing: ESC and
// the other C0 and C1 controls, DEL, bidirectional overrides and isolates
// (identity.IsControl), the Unicode line separators, and bytes that are not
// UTF-8. Names and texts are refused with such characters today, but rows
// stored before that, or written behind Pelote's back, may still hold
// them. Escapes are written \uXXXX (\xXX for a stray byte), which keeps
// JSON output valid: in JSON these characters can only sit inside
// strings. Line feeds and tabs pass.
type termSafe struct {
	mu sync.Mutex
	w  io.Writer
	// pending holds the start of a character split across two writes.
	pending []byte
}

func newTermSafe(w io.Writer) *termSafe { return &termSafe{w: w} }

func (t *termSafe) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(t.pending) > 0 {
		p = append(t.pending, p...)
		t.pending = nil
	}
	out := make([]byte, 0, len(p))
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		switch {
		case r == utf8.RuneError && size <= 1:
			if !utf8.FullRune(p) {
				t.pending = append(t.pending, p...)
				p = nil
				continue
			}
			out = fmt.Appendf(out, `\x%02x`, p[0])
		case r == '\n' || r == '\t':
			out = append(out, p[:size]...)
		case identity.IsControl(r) || r == '\u2028' || r == '\u2029':
			out = fmt.Appendf(out, `\u%04X`, r)
		default:
			out = append(out, p[:size]...)
		}
		p = p[size:]
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

// Flush writes what is left of a character cut short, escaped.
func (t *termSafe) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []byte
	for _, b := range t.pending {
		out = fmt.Appendf(out, `\x%02x`, b)
	}
	t.pending = nil
	if len(out) == 0 {
		return nil
	}
	_, err := t.w.Write(out)
	return err
}
