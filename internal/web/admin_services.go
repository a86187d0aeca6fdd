package web

import (
	"context"
	"net/http"
	"strconv"

	"pelote/internal/identity"
)

type adminServicesView struct {
	page
	Services []identity.Service
	Form     struct {
		Name  string
		Quota int
		Extra string
	}
}

func (s *servicesArea) adminServicesPage(w http.ResponseWriter, r *http.Request, view *adminServicesView, status int) {
	list, err := s.ids.Services(r.Context())
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Services = list
	s.render(w, r, status, "admin_services", view)
}

func (s *servicesArea) adminServices(w http.ResponseWriter, r *http.Request, v *visit) {
	view := &adminServicesView{page: s.newPage(r, v, "admin.services.title")}
	view.Form.Quota = 1
	s.adminServicesPage(w, r, view, http.StatusOK)
}

// serviceForm reads name, quota and extra; a quota that is not a number is
// reported as an invalid quota.
func serviceForm(r *http.Request, name string) (identity.Service, error) {
	q, err := strconv.Atoi(formValue(r, "quota"))
	if err != nil {
		return identity.Service{}, &identity.InvalidError{Field: "quota", Reason: "not a number"}
	}
	return identity.Service{Name: name, ProfileQuota: q, ExtraProfiles: identity.ExtraProfiles(formValue(r, "extra"))}, nil
}

func (s *servicesArea) adminCreateService(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	view := &adminServicesView{page: s.newPage(r, v, "admin.services.title")}
	view.Form.Name, view.Form.Extra = formValue(r, "name"), formValue(r, "extra")
	view.Form.Quota, _ = strconv.Atoi(formValue(r, "quota"))
	sv, err := serviceForm(r, view.Form.Name)
	if err == nil {
		_, err = s.ids.CreateService(r.Context(), sv)
	}
	if err != nil {
		s.adminServicesPage(w, r, view, s.explain(r, &view.page, err, "err.service_taken"))
		return
	}
	http.Redirect(w, r, "/admin/services?ok=service_saved", http.StatusSeeOther)
}

func (s *servicesArea) adminUpdateService(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	sv, err := serviceForm(r, r.PathValue("name"))
	if err == nil {
		err = s.ids.UpdateService(r.Context(), sv)
	}
	if err != nil {
		view := &adminServicesView{page: s.newPage(r, v, "admin.services.title")}
		view.Form.Quota = 1
		s.adminServicesPage(w, r, view, s.explain(r, &view.page, err, ""))
		return
	}
	http.Redirect(w, r, "/admin/services?ok=service_saved", http.StatusSeeOther)
}

// adminApprovalsView is what waits for a moderator: sign-ups and extra
// profiles.
type adminApprovalsView struct {
	page
	SignUps []identity.SignUpRequest
	Pending []identity.Profile
}

func (s *Server) adminApprovalsPage(w http.ResponseWriter, r *http.Request, view *adminApprovalsView, status int) {
	list, err := s.ids.Profiles(r.Context(), identity.ProfileQuery{State: identity.ProfilePending})
	if err == nil {
		view.SignUps, err = s.ids.SignUps(r.Context())
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Pending = list
	s.render(w, r, status, "admin_approvals", view)
}

// approvalsFailed shows the approvals page with err explained.
func (s *Server) approvalsFailed(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	view := &adminApprovalsView{page: s.newPage(r, v, "admin.approvals.title")}
	s.adminApprovalsPage(w, r, view, s.explain(r, &view.page, err, ""))
}

func (s *servicesArea) adminApprovals(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminApprovalsPage(w, r, &adminApprovalsView{page: s.newPage(r, v, "admin.approvals.title")}, http.StatusOK)
}

func (s *servicesArea) adminDecide(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	notice := ""
	switch {
	case err != nil:
		err = &identity.InvalidError{Field: "profile", Reason: "not a number"}
	case r.PathValue("decision") == "approve":
		err, notice = s.ids.ApproveProfile(r.Context(), id), "profile_approved"
	case r.PathValue("decision") == "reject":
		err, notice = s.ids.RejectProfile(r.Context(), id), "profile_rejected"
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.approvalsFailed(w, r, v, err)
		return
	}
	s.log.Info("profile decided", "request_id", reqID(r), "by", v.account.ID, "decision", notice)
	http.Redirect(w, r, "/admin/approvals?ok="+notice, http.StatusSeeOther)
}

// servicesArea is the administrators' pages of services and of what
// waits for their approval (extra profiles, moderated sign-ups).
type servicesArea struct {
	*Server
	ids servicesStore
}

// servicesStore is what the services and approvals pages need of identity.
type servicesStore interface {
	ApproveProfile(ctx context.Context, id int64) error
	CreateService(ctx context.Context, sv identity.Service) (identity.Service, error)
	RejectProfile(ctx context.Context, id int64) error
	Services(ctx context.Context) ([]identity.Service, error)
	UpdateService(ctx context.Context, sv identity.Service) error
}

func (s *servicesArea) mount(m *mounter) {
	m.entry(menuEntry{Order: 120, Path: "/admin/services", Key: "nav.services", Admin: true})
	m.entry(menuEntry{Order: 160, Path: "/admin/approvals", Key: "nav.approvals", Admin: true})
	m.admin("GET /admin/services", s.adminServices)
	m.admin("POST /admin/services", s.adminCreateService)
	m.admin("POST /admin/services/{name}", s.adminUpdateService)
	m.admin("GET /admin/approvals", s.adminApprovals)
	m.admin("POST /admin/approvals/{id}/{decision}", s.adminDecide)
}
