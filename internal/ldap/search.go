package ldap

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"pelote/internal/ldap/wire"
)

// selection is a set of attribute IDs (attrTable has at most 64).
type selection uint64

func (s selection) has(id attrID) bool { return id < 64 && s&(1<<id) != 0 }

// Attributes "*" and "+" select, as masks.
var userAttrs, operationalAttrs = func() (selection, selection) {
	var u, o selection
	for _, d := range attrTable {
		if d.operational {
			o |= 1 << d.id
		} else {
			u |= 1 << d.id
		}
	}
	return u, o
}()

// searchRequest is a search once checked.
type searchRequest struct {
	base      string // canonical
	scope     wire.Scope
	filter    Filter
	attrs     selection
	typesOnly bool
	limit     int
	deadline  time.Time
	page      *wire.Paging
}

// searchError is an LDAP result code with its message.
type searchError struct {
	code int64
	msg  string
}

func (e *searchError) Error() string { return e.msg }

func fail(code int64, format string, args ...any) error {
	return &searchError{code: code, msg: fmt.Sprintf(format, args...)}
}

// search answers a search: its entries, then its SearchResultDone.
func (c *conn) search(m *wire.Message, r *wire.SearchRequest) {
	done := wire.Result{Code: wire.Success}
	var paging *wire.Paging
	var err error
	if strings.TrimSpace(r.Base) == "" && r.Scope == wire.ScopeBase {
		err = c.rootDSE(m, r)
	} else if c.who.kind == anonymous && !c.s.cfg.AllowAnonymous {
		// Before the filter is compiled: an unbound client costs nothing.
		err = fail(wire.InsufficientAccessRights, "bind first: anonymous reads are off")
	} else {
		var req *searchRequest
		if req, err = c.s.checkSearch(m, r); err == nil {
			paging, err = c.answer(m, req)
		}
	}
	var se *searchError
	switch {
	case errors.As(err, &se):
		done = wire.Result{Code: se.code, Message: se.msg}
	case err != nil:
		// The client went away while entries were being written.
		return
	}
	c.w.SearchDone(m.ID, done, paging)
}

func (s *Server) checkSearch(m *wire.Message, r *wire.SearchRequest) (*searchRequest, error) {
	req := &searchRequest{scope: r.Scope, typesOnly: r.TypesOnly, limit: s.cfg.SizeLimit}
	for _, ctl := range m.Controls {
		switch {
		case ctl.OID == wire.OIDPagedResults:
			p, err := wire.DecodePaging(ctl.Value)
			if err != nil {
				return nil, fail(wire.ProtocolError, "paged results control not understood")
			}
			req.page = &p
		case ctl.Critical:
			return nil, fail(wire.UnavailableCriticalExtension, "control %s is not supported", ctl.OID)
		}
	}
	if s.dir.Current().entry(r.Base) != nil {
		// Applications name their bases as the directory spells them,
		// which is already the canonical form: no parse.
		req.base = r.Base
	} else {
		req.base = normDN(r.Base)
	}
	if req.base == "" {
		return nil, fail(wire.InvalidDNSyntax, "base %q is not a DN", r.Base)
	}
	if !underOrAt(req.base, s.cfg.Tree.base) {
		return nil, fail(wire.NoSuchObject, "%q is outside this directory (%s)", r.Base, s.cfg.Tree.Base)
	}
	if r.Scope != wire.ScopeBase && r.Scope != wire.ScopeSingleLevel && r.Scope != wire.ScopeSubtree {
		return nil, fail(wire.ProtocolError, "unknown scope %d", r.Scope)
	}
	f, err := compileSearchFilter(r)
	if err != nil {
		return nil, err
	}
	req.filter = f
	if r.SizeLimit > 0 && r.SizeLimit < int64(req.limit) {
		req.limit = int(r.SizeLimit)
	}
	if r.TimeLimit > 0 {
		req.deadline = time.Now().Add(time.Duration(min(r.TimeLimit, 1<<31)) * time.Second)
	}
	req.attrs = parseAttrs(r.Attributes)
	return req, nil
}

// compileSearchFilter compiles a request's filter; a filter the directory
// refuses is an answer, not a broken session.
func compileSearchFilter(r *wire.SearchRequest) (Filter, error) {
	f, err := CompileFilter(r.Filter)
	if err != nil {
		code := int64(wire.ProtocolError)
		if errors.Is(err, ErrUnsupportedFilter) || errors.Is(err, ErrFilterTooDeep) || errors.Is(err, ErrFilterTooLong) {
			code = wire.UnwillingToPerform
		}
		return nil, fail(code, "filter: %v", err)
	}
	return f, nil
}

// readable is the access rule: a member reads its own entry; a service
// account (or anyone, when anonymous reads are on) reads the whole tree.
func (s *Server) readable(p principal, dn string) bool {
	switch p.kind {
	case service:
		return true
	case member:
		return dn == p.dn
	}
	return s.cfg.AllowAnonymous
}

// answer writes the entries req selects, a page at a time when asked, and
// returns the paged results control for the SearchResultDone.
func (c *conn) answer(m *wire.Message, req *searchRequest) (*wire.Paging, error) {
	s := c.s
	snap := s.dir.Current()
	if snap.entry(req.base) == nil {
		return nil, fail(wire.NoSuchObject, "no such entry %q", req.base)
	}
	offset, size := 0, 0
	if req.page != nil {
		var err error
		if offset, err = pageOffset(req.page.Cookie, snap.Version); err != nil {
			return nil, err
		}
		size = int(min(req.page.Size, 1<<31))
		if size == 0 {
			// A page size of 0 abandons the paged search.
			return &wire.Paging{}, nil
		}
	}
	// The cookie holds the position in the candidates where the next page
	// starts, so that a page costs its own entries, not all those before.
	sel := snap.selected(req.filter)
	sent := 0
	for i := min(offset, len(sel)); i < len(sel); i++ {
		e := sel[i]
		if !inScope(e.norm, req.base, req.scope) || !s.readable(c.who, e.norm) || !req.filter.Match(e) {
			continue
		}
		if req.page != nil && sent == size {
			return &wire.Paging{Cookie: []byte(pageCookie(snap.Version, i))}, nil
		}
		if sent == req.limit {
			return nil, fail(wire.SizeLimitExceeded, "more than %d entries match; narrow the search or page it", req.limit)
		}
		if !req.deadline.IsZero() && time.Now().After(req.deadline) {
			return nil, fail(wire.TimeLimitExceeded, "time limit reached")
		}
		if err := c.writeEntry(m.ID, e, req.attrs, req.typesOnly); err != nil {
			return nil, err
		}
		sent++
	}
	if req.page != nil {
		return &wire.Paging{}, nil
	}
	return nil, nil
}

// writeEntry writes e with the attributes sel names. The encoding is
// kept with the entry for the next search that selects the same.
func (c *conn) writeEntry(id int64, e *Entry, sel selection, typesOnly bool) error {
	if a := e.answer.Load(); a != nil && a.sel == sel && a.typesOnly == typesOnly {
		return c.w.Entry(id, a.op)
	}
	attrs := c.scratch[:0]
	var values []string
	for _, a := range e.attrs {
		switch {
		case !sel.has(a.id):
		case typesOnly:
			attrs = append(attrs, wire.Attribute(attrTable[a.id].canon, nil)...)
		default:
			values = strs{e, a.v0, a.v1}.list(values[:0])
			attrs = append(attrs, wire.Attribute(attrTable[a.id].canon, values)...)
		}
	}
	c.scratch = attrs
	op := wire.SearchEntry(wire.Octets(e.DN), attrs)
	e.answer.Store(&answer{sel: sel, typesOnly: typesOnly, op: op})
	return c.w.Entry(id, op)
}

func inScope(dn, base string, scope wire.Scope) bool {
	switch scope {
	case wire.ScopeBase:
		return dn == base
	case wire.ScopeSingleLevel:
		return underOrAt(dn, base) && depthBelow(dn, base) == 1
	default:
		return underOrAt(dn, base)
	}
}

// pageCookie names the position of the next page in one snapshot's
// candidates for the filter; a page asked of another snapshot is refused
// rather than shifted silently.
func pageCookie(version int64, offset int) string {
	return strconv.FormatInt(version, 36) + "." + strconv.Itoa(offset)
}

func pageOffset(cookie []byte, version int64) (int, error) {
	if len(cookie) == 0 {
		return 0, nil
	}
	v, o, ok := strings.Cut(string(cookie), ".")
	ver, err1 := strconv.ParseInt(v, 36, 64)
	off, err2 := strconv.Atoi(o)
	if !ok || err1 != nil || err2 != nil || off < 0 {
		return 0, fail(wire.ProtocolError, "paging cookie not understood")
	}
	if ver != version {
		return 0, fail(wire.UnwillingToPerform, "the directory changed during this paged search; start it again")
	}
	return off, nil
}

// rootDSE describes the server to clients that ask before they bind. Its
// attributes but objectClass are operational, as in OpenLDAP: shown when
// named or with "+".
func (c *conn) rootDSE(m *wire.Message, r *wire.SearchRequest) error {
	f, err := compileSearchFilter(r)
	if err != nil {
		return err
	}
	if f.Match(c.s.root) {
		return c.writeEntry(m.ID, c.s.root, parseAttrs(r.Attributes), r.TypesOnly)
	}
	return nil
}

// parseAttrs reads a requested attribute list (RFC 4511 section 4.5.1.8):
// none or "*" is every user attribute, "+" every operational one, "1.1"
// none; names, aliases and OIDs in any case; unknown ones are not there.
func parseAttrs(list []string) selection {
	if len(list) == 0 {
		return userAttrs
	}
	var sel selection
	for _, a := range list {
		switch a = strings.TrimSpace(a); a {
		case "*":
			sel |= userAttrs
		case "+":
			sel |= operationalAttrs
		case "1.1":
		default:
			// Options (cn;lang-fr) name values the directory does not hold.
			if d := lookupAttrDef(a); d.id != noAttr {
				sel |= 1 << d.id
			}
		}
	}
	return sel
}
