package ldap

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jimlambrt/gldap"
)

// operational are the attributes "+" asks for; "*" returns the others.
var operational = map[string]bool{"entrydn": true, "hassubordinates": true}

// canonical spells attribute names as schemas do, for the answers.
var canonical = map[string]string{
	"objectclass": "objectClass", "uid": "uid", "cn": "cn", "sn": "sn", "givenname": "givenName",
	"displayname": "displayName", "mail": "mail", "uidnumber": "uidNumber", "gidnumber": "gidNumber",
	"homedirectory": "homeDirectory", "loginshell": "loginShell", "memberof": "memberOf",
	"member": "member", "memberuid": "memberUid", "description": "description", "dc": "dc", "o": "o",
	"ou": "ou", "sshpublickey": "sshPublicKey", "host": "host", "entrydn": "entryDN", "hassubordinates": "hasSubordinates",
	"namingcontexts": "namingContexts", "supportedldapversion": "supportedLDAPVersion",
	"supportedcontrol": "supportedControl", "supportedextension": "supportedExtension",
	"vendorname": "vendorName", "subschemasubentry": "subschemaSubentry",
}

func attrName(lower string) string {
	if c, ok := canonical[lower]; ok {
		return c
	}
	return lower
}

// searchRequest is a search once checked.
type searchRequest struct {
	base      string // normalised
	scope     gldap.Scope
	filter    Filter
	attrs     []string // lower case; empty means all user attributes
	all       bool     // "*" or no list
	ops       bool     // "+"
	none      bool     // "1.1"
	typesOnly bool
	limit     int
	deadline  time.Time
	page      *gldap.ControlPaging
}

// searchError is an LDAP result code with its message.
type searchError struct {
	code int
	msg  string
}

func (e *searchError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &searchError{code: code, msg: fmt.Sprintf(format, args...)}
}

func (s *Server) search(w *gldap.ResponseWriter, r *gldap.Request) {
	done := r.NewSearchDoneResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	m, err := r.GetSearchMessage()
	if err != nil {
		done.SetResultCode(gldap.ResultProtocolError)
		done.SetDiagnosticMessage("malformed search request")
		_ = w.Write(done)
		return
	}
	if strings.TrimSpace(m.BaseDN) == "" && m.Scope == gldap.BaseObject {
		s.rootDSE(w, r, m, done)
		return
	}
	p := s.principal(r.ConnectionID())
	var req *searchRequest
	if p.kind == anonymous && !s.cfg.AllowAnonymous {
		// Before the filter is parsed: an unbound client costs nothing.
		err = fail(gldap.ResultInsufficientAccessRights, "bind first: anonymous reads are off")
	} else if req, err = s.checkSearch(m); err == nil {
		err = s.answer(w, r, req, p, done)
	}
	var se *searchError
	switch {
	case errors.As(err, &se):
		done.SetResultCode(se.code)
		done.SetDiagnosticMessage(se.msg)
	case err != nil:
		// The client went away while entries were being written.
		return
	}
	_ = w.Write(done)
}

func (s *Server) checkSearch(m *gldap.SearchMessage) (*searchRequest, error) {
	req := &searchRequest{scope: m.Scope, typesOnly: m.TypesOnly, limit: s.cfg.SizeLimit}
	for _, c := range m.Controls {
		switch c := c.(type) {
		case *gldap.ControlPaging:
			req.page = c
		case *gldap.ControlString:
			if c.Criticality {
				return nil, fail(gldap.ResultUnavailableCriticalExtension, "control %s is not supported", c.ControlType)
			}
		default:
			if critical(c) {
				return nil, fail(gldap.ResultUnavailableCriticalExtension, "control %s is not supported", c.GetControlType())
			}
		}
	}
	req.base = normDN(m.BaseDN)
	if req.base == "" {
		return nil, fail(gldap.ResultInvalidDNSyntax, "base %q is not a DN", m.BaseDN)
	}
	if !underOrAt(req.base, s.cfg.Tree.base) {
		return nil, fail(gldap.ResultNoSuchObject, "%q is outside this directory (%s)", m.BaseDN, s.cfg.Tree.Base)
	}
	if m.Scope != gldap.BaseObject && m.Scope != gldap.SingleLevel && m.Scope != gldap.WholeSubtree {
		return nil, fail(gldap.ResultProtocolError, "unknown scope %d", m.Scope)
	}
	f, err := ParseFilter(m.Filter)
	if err != nil {
		code := gldap.ResultProtocolError
		if errors.Is(err, ErrUnsupportedFilter) || errors.Is(err, ErrFilterTooDeep) || errors.Is(err, ErrFilterTooLong) {
			code = gldap.ResultUnwillingToPerform
		}
		return nil, fail(code, "filter: %v", err)
	}
	req.filter = f
	if m.SizeLimit > 0 && int(m.SizeLimit) < req.limit {
		req.limit = int(m.SizeLimit)
	}
	if m.TimeLimit > 0 {
		req.deadline = time.Now().Add(time.Duration(m.TimeLimit) * time.Second)
	}
	parseAttrs(req, m.Attributes)
	return req, nil
}

// critical tells whether a control gldap decoded was marked critical; the
// ones it knows (password policy, manage DSA IT...) are not ours to honour.
func critical(c gldap.Control) bool {
	p := c.Encode()
	return p != nil && len(p.Children) > 1 && p.Children[1].Value == true
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

// answer writes the entries req selects, a page at a time when asked.
func (s *Server) answer(w *gldap.ResponseWriter, r *gldap.Request, req *searchRequest, p principal, done *gldap.SearchResponseDone) error {
	if p.kind == anonymous && !s.cfg.AllowAnonymous {
		return fail(gldap.ResultInsufficientAccessRights, "bind first: anonymous reads are off")
	}
	snap := s.dir.Current()
	if snap.entry(req.base) == nil {
		return fail(gldap.ResultNoSuchObject, "no such entry %q", req.base)
	}
	offset, size := 0, 0
	if req.page != nil {
		var err error
		if offset, err = pageOffset(req.page.Cookie, snap.Version); err != nil {
			return err
		}
		size = int(req.page.PagingSize)
		if size == 0 {
			// A page size of 0 abandons the paged search.
			done.SetControls(&gldap.ControlPaging{})
			return nil
		}
	}
	// The cookie holds the position in the candidates where the next page
	// starts, so that a page costs its own entries, not all those before.
	sel := snap.selected(req.filter)
	sent := 0
	for i := min(offset, len(sel)); i < len(sel); i++ {
		e := sel[i]
		dn := snap.norm[e]
		if !inScope(dn, req.base, req.scope) || !s.readable(p, dn) || !req.filter.Match(e) {
			continue
		}
		if req.page != nil && sent == size {
			done.SetControls(&gldap.ControlPaging{Cookie: []byte(pageCookie(snap.Version, i))})
			return nil
		}
		if sent == req.limit {
			return fail(gldap.ResultSizeLimitExceeded, "more than %d entries match; narrow the search or page it", req.limit)
		}
		if !req.deadline.IsZero() && time.Now().After(req.deadline) {
			return fail(gldap.ResultTimeLimitExceeded, "time limit reached")
		}
		if err := w.Write(s.entryResponse(r, e, req)); err != nil {
			return err
		}
		sent++
	}
	if req.page != nil {
		done.SetControls(&gldap.ControlPaging{})
	}
	return nil
}

func inScope(dn, base string, scope gldap.Scope) bool {
	switch scope {
	case gldap.BaseObject:
		return dn == base
	case gldap.SingleLevel:
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
		return 0, fail(gldap.ResultProtocolError, "paging cookie not understood")
	}
	if ver != version {
		return 0, fail(gldap.ResultUnwillingToPerform, "the directory changed during this paged search; start it again")
	}
	return off, nil
}

func (s *Server) entryResponse(r *gldap.Request, e *Entry, req *searchRequest) *gldap.SearchResponseEntry {
	res := r.NewSearchResponseEntry(e.DN)
	if req.none && !req.all && len(req.attrs) == 0 && !req.ops {
		return res
	}
	add := func(name string, values []string) {
		if req.typesOnly {
			values = nil
		}
		res.AddAttribute(attrName(name), values)
	}
	if req.all || req.ops {
		for name, values := range e.Attrs {
			if operational[name] && req.ops || !operational[name] && req.all {
				add(name, values)
			}
		}
	}
	for _, a := range req.attrs {
		if req.all && !operational[a] || req.ops && operational[a] {
			continue // already there
		}
		if values, ok := e.Attrs[a]; ok {
			add(a, values)
		}
	}
	return res
}

// rootDSE describes the server to clients that ask before they bind.
func (s *Server) rootDSE(w *gldap.ResponseWriter, r *gldap.Request, m *gldap.SearchMessage, done *gldap.SearchResponseDone) {
	attrs := map[string][]string{
		"objectclass":          {"top"},
		"namingcontexts":       {s.cfg.Tree.Base},
		"supportedldapversion": {"3"},
		"supportedcontrol":     {gldap.ControlTypePaging},
		"supportedextension":   {string(gldap.ExtendedOperationWhoAmI), string(gldap.ExtendedOperationStartTLS)},
		"vendorname":           {"Pelote"},
	}
	f, err := ParseFilter(m.Filter)
	if err != nil {
		done.SetResultCode(gldap.ResultProtocolError)
		done.SetDiagnosticMessage("filter: " + err.Error())
		_ = w.Write(done)
		return
	}
	req := &searchRequest{typesOnly: m.TypesOnly}
	parseAttrs(req, m.Attributes)
	if f.Match(&Entry{Attrs: attrs}) {
		// Its attributes are all operational, as in OpenLDAP: shown when
		// named or with "+".
		res := r.NewSearchResponseEntry("")
		for name, values := range attrs {
			if req.ops || slices.Contains(req.attrs, name) || name == "objectclass" && req.all {
				if req.typesOnly {
					values = nil
				}
				res.AddAttribute(attrName(name), values)
			}
		}
		_ = w.Write(res)
	}
	_ = w.Write(done)
}

// parseAttrs reads the requested attribute list into req.
func parseAttrs(req *searchRequest, list []string) {
	req.all = len(list) == 0
	for _, a := range list {
		switch a = strings.ToLower(strings.TrimSpace(a)); a {
		case "*":
			req.all = true
		case "+":
			req.ops = true
		case "1.1":
			req.none = true
		default:
			req.attrs = append(req.attrs, a)
		}
	}
}
