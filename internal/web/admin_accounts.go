package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"pelote/internal/identity"
)

// accountsPerPage keeps the list light on a hoster with thousands of members.
const accountsPerPage = 50

type adminAccountsView struct {
	page
	Accounts []identity.Account
	Search   string
	PageNo   int
	HasNext  bool
	// Form keeps what was typed when creation failed.
	Form struct{ Username, Email, Name string }
}

func (v *adminAccountsView) PrevURL() string { return v.pageURL(v.PageNo - 1) }
func (v *adminAccountsView) NextURL() string { return v.pageURL(v.PageNo + 1) }
func (v *adminAccountsView) pageURL(n int) string {
	q := url.Values{"page": {strconv.Itoa(n)}}
	if v.Search != "" {
		q.Set("q", v.Search)
	}
	return "/admin/accounts?" + q.Encode()
}

func (s *accountsArea) adminAccountsPage(w http.ResponseWriter, r *http.Request, view *adminAccountsView, status int) {
	view.Search = r.URL.Query().Get("q")
	view.PageNo, _ = strconv.Atoi(r.URL.Query().Get("page"))
	view.PageNo = max(view.PageNo, 1)
	list, err := s.ids.Accounts(r.Context(), identity.AccountQuery{Search: view.Search, Limit: accountsPerPage + 1, Offset: (view.PageNo - 1) * accountsPerPage})
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	if len(list) > accountsPerPage {
		list, view.HasNext = list[:accountsPerPage], true
	}
	view.Accounts = list
	s.render(w, r, status, "admin_accounts", view)
}

func (s *accountsArea) adminAccounts(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminAccountsPage(w, r, &adminAccountsView{page: s.newPage(r, v, "admin.accounts.title")}, http.StatusOK)
}

func (s *accountsArea) adminCreateAccount(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	view := &adminAccountsView{page: s.newPage(r, v, "admin.accounts.title")}
	view.Form.Username, view.Form.Email, view.Form.Name = formValue(r, "username"), formValue(r, "email"), formValue(r, "display_name")
	locale := formValue(r, "locale")
	if !s.cat.Has(locale) {
		locale = view.Lang
	}
	a, err := s.ids.CreateAccount(r.Context(), identity.NewAccount{
		Username: view.Form.Username, Email: view.Form.Email, DisplayName: view.Form.Name,
		Password: r.PostFormValue("password"), Locale: locale, Admin: r.PostFormValue("admin") == "on",
	})
	if err != nil {
		s.adminAccountsPage(w, r, view, s.explain(r, &view.page, err, "err.account_taken"))
		return
	}
	s.log.Info("account created", "request_id", reqID(r), "by", v.account.ID, "account_id", a.ID)
	http.Redirect(w, r, "/admin/accounts/"+url.PathEscape(a.Username)+"?ok=account_created", http.StatusSeeOther)
}

type adminAccountView struct {
	page
	Who      identity.Account
	Profiles []identity.Profile
	Groups   []identity.Group
	Services []identity.Service
	TOTP     identity.TOTPStatus
}

func (s *Server) adminAccountPage(w http.ResponseWriter, r *http.Request, view *adminAccountView, status int) {
	ctx := r.Context()
	who, err := s.ids.Account(ctx, r.PathValue("name"))
	if err == nil {
		view.Who = who
		if view.Profiles, err = s.ids.Profiles(ctx, identity.ProfileQuery{Account: who.Username}); err == nil {
			if view.Groups, err = s.ids.Groups(ctx); err == nil {
				if view.Services, err = s.ids.Services(ctx); err == nil {
					view.TOTP, err = s.ids.TOTPStatus(ctx, who.ID)
				}
			}
		}
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
		if view.Who.ID == 0 {
			s.render(w, r, status, "error", &errorView{page: view.page, Status: status})
			return
		}
	}
	s.render(w, r, status, "admin_account", view)
}

func (s *accountsArea) adminAccount(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminAccountPage(w, r, &adminAccountView{page: s.newPage(r, v, "admin.account.title")}, http.StatusOK)
}

// adminAccountDo runs one change on the account named in the path, then
// redirects back with a notice, or re-renders the page with the error.
func (s *Server) adminAccountDo(w http.ResponseWriter, r *http.Request, v *visit, notice, conflictKey string, change func(name string) error) {
	if !s.parseForm(w, r) {
		return
	}
	name := r.PathValue("name")
	if err := change(name); err != nil {
		view := &adminAccountView{page: s.newPage(r, v, "admin.account.title")}
		s.adminAccountPage(w, r, view, s.explain(r, &view.page, err, conflictKey))
		return
	}
	s.log.Info("account changed", "request_id", reqID(r), "by", v.account.ID, "change", notice)
	http.Redirect(w, r, "/admin/accounts/"+url.PathEscape(name)+"?ok="+notice, http.StatusSeeOther)
}

func (s *accountsArea) adminAccountState(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminAccountDo(w, r, v, "state_changed", "", func(name string) error {
		return s.ids.SetState(r.Context(), name, identity.State(r.PostFormValue("state")))
	})
}

func (s *accountsArea) adminAccountPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminAccountDo(w, r, v, "password_reset", "", func(name string) error {
		return s.ids.SetPassword(r.Context(), name, r.PostFormValue("password"), 0)
	})
}

func (s *accountsArea) adminAccountAddGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminAccountDo(w, r, v, "member_added", "err.already_member", func(name string) error {
		return s.ids.AddMember(r.Context(), formValue(r, "group"), name)
	})
}

func (s *accountsArea) adminAccountRemoveGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminAccountDo(w, r, v, "member_removed", "", func(name string) error {
		return s.ids.RemoveMember(r.Context(), r.PathValue("group"), name)
	})
}

func (s *accountsArea) adminAccountAddProfile(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminAccountDo(w, r, v, "profile_added", "err.profile_taken", func(name string) error {
		_, err := s.ids.AddProfile(r.Context(), name, formValue(r, "service"), formValue(r, "name"), true)
		return err
	})
}

// accountsArea is the administrators' pages of accounts.
type accountsArea struct {
	*Server
	ids accountsStore
}

// accountsStore is what the administrators' account pages need of identity.
type accountsStore interface {
	Accounts(ctx context.Context, q identity.AccountQuery) ([]identity.Account, error)
	AddMember(ctx context.Context, group, username string) error
	AddProfile(ctx context.Context, username, service, name string, admin identity.ByAdmin) (identity.Profile, error)
	CreateAccount(ctx context.Context, n identity.NewAccount) (identity.Account, error)
	RemoveMember(ctx context.Context, group, username string) error
	SetEmail(ctx context.Context, username, email string) (identity.Account, error)
	SetPassword(ctx context.Context, username, password string, keepSession int64) error
	SetState(ctx context.Context, username string, state identity.State) error
}

func (s *accountsArea) mount(m *mounter) {
	m.entry(menuEntry{Order: 100, Path: "/admin/accounts", Key: "nav.accounts", Admin: true})
	m.admin("GET /admin", func(w http.ResponseWriter, r *http.Request, _ *visit) {
		http.Redirect(w, r, "/admin/accounts", http.StatusSeeOther)
	})
	m.admin("GET /admin/accounts", s.adminAccounts)
	m.admin("POST /admin/accounts", s.adminCreateAccount)
	m.admin("GET /admin/accounts/{name}", s.adminAccount)
	m.admin("POST /admin/accounts/{name}/state", s.adminAccountState)
	m.admin("POST /admin/accounts/{name}/password", s.adminAccountPassword)
	m.admin("POST /admin/accounts/{name}/email", s.adminSetEmail)
	m.admin("POST /admin/accounts/{name}/groups", s.adminAccountAddGroup)
	m.admin("POST /admin/accounts/{name}/groups/{group}/remove", s.adminAccountRemoveGroup)
	m.admin("POST /admin/accounts/{name}/profiles", s.adminAccountAddProfile)
}
