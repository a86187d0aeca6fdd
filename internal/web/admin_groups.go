package web

import (
	"context"
	"net/http"
	"net/url"

	"pelote/internal/identity"
)

type adminGroupsView struct {
	page
	Groups []identity.Group
	Form   struct{ Name, Description string }
}

func (s *groupsArea) adminGroupsPage(w http.ResponseWriter, r *http.Request, view *adminGroupsView, status int) {
	groups, err := s.ids.Groups(r.Context())
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Groups = groups
	s.render(w, r, status, "admin_groups", view)
}

func (s *groupsArea) adminGroups(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminGroupsPage(w, r, &adminGroupsView{page: s.newPage(r, v, "admin.groups.title")}, http.StatusOK)
}

func (s *groupsArea) adminCreateGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	view := &adminGroupsView{page: s.newPage(r, v, "admin.groups.title")}
	view.Form.Name, view.Form.Description = formValue(r, "name"), formValue(r, "description")
	g, err := s.ids.CreateGroup(r.Context(), view.Form.Name, view.Form.Description)
	if err != nil {
		s.adminGroupsPage(w, r, view, s.explain(r, &view.page, err, "err.group_taken"))
		return
	}
	http.Redirect(w, r, "/admin/groups/"+url.PathEscape(g.Name)+"?ok=group_created", http.StatusSeeOther)
}

type adminGroupView struct {
	page
	Group   identity.Group
	Members []identity.Account
}

func (s *Server) adminGroupPage(w http.ResponseWriter, r *http.Request, view *adminGroupView, status int) {
	g, err := s.ids.Group(r.Context(), r.PathValue("name"))
	if err == nil {
		view.Group = g
		view.Members, err = s.ids.Members(r.Context(), g.Name)
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
		if view.Group.ID == 0 {
			s.render(w, r, status, "error", &errorView{page: view.page, Status: status})
			return
		}
	}
	s.render(w, r, status, "admin_group", view)
}

func (s *groupsArea) adminGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminGroupPage(w, r, &adminGroupView{page: s.newPage(r, v, "admin.group.title")}, http.StatusOK)
}

func (s *Server) adminGroupDo(w http.ResponseWriter, r *http.Request, v *visit, notice, conflictKey string, change func(group string) error) {
	if !s.parseForm(w, r) {
		return
	}
	group := r.PathValue("name")
	if err := change(group); err != nil {
		view := &adminGroupView{page: s.newPage(r, v, "admin.group.title")}
		s.adminGroupPage(w, r, view, s.explain(r, &view.page, err, conflictKey))
		return
	}
	s.log.Info("group changed", "request_id", reqID(r), "by", v.account.ID, "change", notice)
	http.Redirect(w, r, "/admin/groups/"+url.PathEscape(group)+"?ok="+notice, http.StatusSeeOther)
}

func (s *groupsArea) adminGroupAddMember(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminGroupDo(w, r, v, "member_added", "err.already_member", func(group string) error {
		return s.ids.AddMember(r.Context(), group, formValue(r, "username"))
	})
}

func (s *groupsArea) adminGroupRemoveMember(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminGroupDo(w, r, v, "member_removed", "", func(group string) error {
		return s.ids.RemoveMember(r.Context(), group, r.PathValue("user"))
	})
}

func (s *groupsArea) adminDeleteGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := s.ids.DeleteGroup(r.Context(), r.PathValue("name")); err != nil {
		view := &adminGroupView{page: s.newPage(r, v, "admin.group.title")}
		s.adminGroupPage(w, r, view, s.explain(r, &view.page, err, ""))
		return
	}
	http.Redirect(w, r, "/admin/groups?ok=group_deleted", http.StatusSeeOther)
}

// groupsArea is the administrators' pages of groups.
type groupsArea struct {
	*Server
	ids groupsStore
}

// groupsStore is what the administrators' group pages need of identity.
type groupsStore interface {
	AddMember(ctx context.Context, group, username string) error
	CreateGroup(ctx context.Context, name, description string) (identity.Group, error)
	DeleteGroup(ctx context.Context, name string) error
	Groups(ctx context.Context) ([]identity.Group, error)
	RemoveMember(ctx context.Context, group, username string) error
}

func (s *groupsArea) mount(m *mounter) {
	m.entry(menuEntry{Order: 110, Path: "/admin/groups", Key: "nav.groups", Admin: true})
	m.admin("GET /admin/groups", s.adminGroups)
	m.admin("POST /admin/groups", s.adminCreateGroup)
	m.admin("GET /admin/groups/{name}", s.adminGroup)
	m.admin("POST /admin/groups/{name}/members", s.adminGroupAddMember)
	m.admin("POST /admin/groups/{name}/members/{user}/remove", s.adminGroupRemoveMember)
	m.admin("POST /admin/groups/{name}/delete", s.adminDeleteGroup)
}
