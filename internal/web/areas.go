package web

import (
	"net/http"
	"slices"
)

// An area is one part of the site: a handler struct holding the narrow
// interfaces its pages need, which mounts its own routes and its own menu
// entries. Server.areas lists them, one line each.
type area interface {
	mount(m *mounter)
}

// visitFunc is a handler for a signed-in person.
type visitFunc func(w http.ResponseWriter, r *http.Request, v *visit)

// mounter is what an area mounts its routes and menu entries on.
type mounter struct {
	s    *Server
	mux  *http.ServeMux
	menu []menuEntry
}

// public mounts a handler anyone may reach.
func (m *mounter) public(pattern string, h http.HandlerFunc) { m.mux.HandleFunc(pattern, h) }

// handle mounts a handler that brings its own checks (bearer tokens,
// the OpenID provider's endpoints).
func (m *mounter) handle(pattern string, h http.Handler) { m.mux.Handle(pattern, h) }

// member mounts a handler for signed-in members.
func (m *mounter) member(pattern string, h visitFunc) { m.mux.Handle(pattern, m.s.signedIn(h, false)) }

// admin mounts a handler for administrators.
func (m *mounter) admin(pattern string, h visitFunc) { m.mux.Handle(pattern, m.s.signedIn(h, true)) }

// entry adds a link to the menu of signed-in people.
func (m *mounter) entry(e menuEntry) { m.menu = append(m.menu, e) }

// menuEntry is one link of the menu: Order sorts it (members' pages
// below 100, administrators' from 100), Key is its label's message key.
type menuEntry struct {
	Order int
	Path  string
	Key   string
	Admin bool
}

// menuLink is a menu entry as a page shows it.
type menuLink struct {
	Path, Label string
	Current     bool
}

// menuFor is the menu of the page at path, for an administrator or not.
func (s *Server) menuFor(p *page) []menuLink {
	var out []menuLink
	for _, e := range s.menu {
		if e.Admin && !p.IsAdmin {
			continue
		}
		out = append(out, menuLink{Path: e.Path, Label: p.tr(e.Key), Current: e.Path == p.Path})
	}
	return out
}

// mountAreas mounts every area on mux and keeps their menu, sorted.
func (s *Server) mountAreas(mux *http.ServeMux) {
	m := &mounter{s: s, mux: mux}
	for _, a := range s.areas() {
		a.mount(m)
	}
	slices.SortStableFunc(m.menu, func(a, b menuEntry) int { return a.Order - b.Order })
	s.menu = m.menu
}
