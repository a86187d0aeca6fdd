package web

import (
	"context"
	"net/http"
	"strconv"

	"pelote/internal/access"
	"pelote/internal/identity"
)

type accountView struct {
	page
	Me             identity.Account
	Profiles       []identity.Profile
	Services       []identity.Service
	Sessions       []identity.Session
	CurrentSession int64
	TOTP           identity.TOTPStatus
	AppPasswords   []identity.AppPassword
	SSHKeys        []access.Key
	AccessOn       bool
	// MailOn offers to mail a link that confirms the address.
	MailOn bool
	// NewAppPassword is shown once, on the answer that made it.
	NewAppPassword, NewAppPasswordName string
}

// accountPage renders the account page with status and the messages already
// in p (a failed form re-renders the whole page with its error).
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, v *visit, p page, status int) {
	s.accountPageWith(w, r, v, &accountView{page: p}, status)
}

// accountPageWith renders view, filled with the account's data.
func (s *Server) accountPageWith(w http.ResponseWriter, r *http.Request, v *visit, view *accountView, status int) {
	view.Me, view.CurrentSession, view.MailOn = v.account, v.session.ID, s.letters.On()
	var err error
	if view.Profiles, err = s.ids.Profiles(r.Context(), identity.ProfileQuery{Account: v.account.Username}); err == nil {
		if view.Services, err = s.ids.Services(r.Context()); err == nil {
			if view.Sessions, err = s.ids.ListSessions(r.Context(), v.account.ID); err == nil {
				if view.TOTP, err = s.ids.TOTPStatus(r.Context(), v.account.ID); err == nil {
					view.AppPasswords, err = s.ids.AppPasswords(r.Context(), v.account.ID)
					if err == nil && s.opts.Access != nil {
						view.AccessOn = true
						view.SSHKeys, err = s.opts.Access.Keys(r.Context(), v.account.ID)
					}
				}
			}
		}
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	s.render(w, r, status, "account", view)
}

func (s *accountArea) account(w http.ResponseWriter, r *http.Request, v *visit) {
	s.accountPage(w, r, v, s.newPage(r, v, "account.title"), http.StatusOK)
}

// accountDone redirects after a successful change, with a notice key.
func accountDone(w http.ResponseWriter, r *http.Request, notice string) {
	http.Redirect(w, r, "/account?ok="+notice, http.StatusSeeOther)
}

// accountFailed re-renders the account page with err explained.
func (s *Server) accountFailed(w http.ResponseWriter, r *http.Request, v *visit, err error, conflictKey string) {
	p := s.newPage(r, v, "account.title")
	status := s.explain(r, &p, err, conflictKey)
	s.accountPage(w, r, v, p, status)
}

func (s *accountArea) accountDetails(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	email, name, locale := formValue(r, "email"), formValue(r, "display_name"), formValue(r, "locale")
	if !s.cat.Has(locale) {
		s.accountFailed(w, r, v, &identity.InvalidError{Field: "locale", Reason: "unknown language"}, "")
		return
	}
	// A new address needs the current password (see changeEmail); the
	// name and language do not.
	notice := "details_saved"
	if email != v.account.Email {
		var err error
		if notice, err = s.changeEmail(r, v, email); err != nil {
			s.accountCheckFailed(w, r, v, err, "err.email_taken")
			return
		}
	}
	a, err := s.ids.UpdateAccount(r.Context(), v.account.ID, identity.AccountUpdate{DisplayName: &name, Locale: &locale})
	if err != nil {
		s.accountFailed(w, r, v, err, "")
		return
	}
	v.account = a
	accountDone(w, r, notice)
}

func (s *accountArea) accountPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	next := r.PostFormValue("new_password")
	if next != r.PostFormValue("new_password2") {
		p := s.newPage(r, v, "account.title")
		p.Errors = []string{p.T("err.password_mismatch")}
		s.accountPage(w, r, v, p, http.StatusUnprocessableEntity)
		return
	}
	// The current password is checked under the same limit as logins: a
	// stolen session must not become a password-guessing oracle.
	if blocked, _ := s.failedByAccount.Blocked(v.account.Username); blocked {
		p := s.newPage(r, v, "account.title")
		p.Errors = []string{p.T("err.rate_limited", int(s.opts.LoginWindow.Minutes()))}
		s.accountPage(w, r, v, p, http.StatusTooManyRequests)
		return
	}
	// The app passwords ticked on the form survive the change; the others
	// stop working with the old password.
	var keep []int64
	for _, k := range r.PostForm["keep_app_password"] {
		if id, err := strconv.ParseInt(k, 10, 64); err == nil {
			keep = append(keep, id)
		}
	}
	err := s.ids.ChangePassword(r.Context(), v.account.Username, r.PostFormValue("current_password"), next, v.session.ID, keep)
	if err != nil {
		if isBadCredentials(err) {
			s.failedByAccount.Fail(v.account.Username)
			p := s.newPage(r, v, "account.title")
			p.Errors = []string{p.T("err.current_password")}
			s.accountPage(w, r, v, p, http.StatusUnprocessableEntity)
			return
		}
		s.accountFailed(w, r, v, err, "")
		return
	}
	accountDone(w, r, "password_changed")
}

func (s *accountArea) accountAddProfile(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	p, err := s.ids.AddProfile(r.Context(), v.account.Username, formValue(r, "service"), formValue(r, "name"), false)
	if err != nil {
		s.accountFailed(w, r, v, err, "err.profile_taken")
		return
	}
	if p.State == identity.ProfilePending {
		accountDone(w, r, "profile_pending")
		return
	}
	accountDone(w, r, "profile_added")
}

func (s *accountArea) accountDeleteProfile(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = s.ids.DeleteProfile(r.Context(), v.account.ID, id)
	} else {
		err = &identity.InvalidError{Field: "profile", Reason: "not a number"}
	}
	if err != nil {
		s.accountFailed(w, r, v, err, "")
		return
	}
	accountDone(w, r, "profile_deleted")
}

func (s *accountArea) accountRevokeSession(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = s.ids.RevokeSession(r.Context(), v.account.ID, id)
	} else {
		err = &identity.InvalidError{Field: "session", Reason: "not a number"}
	}
	if err != nil {
		s.accountFailed(w, r, v, err, "")
		return
	}
	if id == v.session.ID {
		s.clearSession(w)
		http.Redirect(w, r, "/login?ok=logged_out", http.StatusSeeOther)
		return
	}
	accountDone(w, r, "session_revoked")
}

func (s *accountArea) accountRevokeOthers(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := s.ids.RevokeOtherSessions(r.Context(), v.account.ID, v.session.ID); err != nil {
		s.accountFailed(w, r, v, err, "")
		return
	}
	accountDone(w, r, "sessions_revoked")
}

func (s *accountArea) accountAddAppPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	var p identity.AppPassword
	var secret string
	err := s.passwordChecked(v, func() (err error) {
		p, secret, err = s.ids.AddOwnAppPassword(r.Context(), v.account.ID, r.PostFormValue("password"), r.PostFormValue("name"))
		return err
	})
	if err != nil {
		s.accountCheckFailed(w, r, v, err, "apppass.err.app_password_taken")
		return
	}
	s.log.Info("app password created", "request_id", reqID(r), "account_id", v.account.ID)
	view := &accountView{page: s.newPage(r, v, "account.title"), NewAppPassword: secret, NewAppPasswordName: p.Name}
	view.Notice = view.T("apppass.ok.app_password_created")
	s.accountPageWith(w, r, v, view, http.StatusOK)
}

func (s *accountArea) accountRevokeAppPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil && id > 0 {
		err = s.ids.RevokeAppPassword(r.Context(), v.account.ID, id, "")
	} else {
		err = &identity.InvalidError{Field: "app_password", Reason: "not a number"}
	}
	if err != nil {
		s.accountFailed(w, r, v, err, "")
		return
	}
	accountDone(w, r, "app_password_revoked")
}

// accountArea is the member's own account page: details, address,
// password, profiles, browsers signed in, app passwords.
type accountArea struct {
	*Server
	ids accountStore
}

// accountStore is what the member's own account page needs of identity.
type accountStore interface {
	AddOwnAppPassword(ctx context.Context, accountID int64, password, name string) (identity.AppPassword, string, error)
	AddProfile(ctx context.Context, username, service, name string, admin identity.ByAdmin) (identity.Profile, error)
	ChangeEmail(ctx context.Context, accountID int64, password, email string, byMail bool) (identity.EmailChange, error)
	ChangePassword(ctx context.Context, username, current, next string, keepSession int64, keepApps []int64) error
	ConfirmEmailChange(ctx context.Context, token string) (identity.Account, error)
	DeleteProfile(ctx context.Context, accountID, id int64) error
	RequestEmailConfirmation(ctx context.Context, accountID int64) (string, identity.Account, error)
	RevokeAppPassword(ctx context.Context, accountID, id int64, name string) error
	RevokeOtherSessions(ctx context.Context, accountID, keep int64) error
	RevokeSession(ctx context.Context, accountID, id int64) error
	UpdateAccount(ctx context.Context, id int64, u identity.AccountUpdate) (identity.Account, error)
}

func (s *accountArea) mount(m *mounter) {
	m.entry(menuEntry{Order: 10, Path: "/account", Key: "nav.account"})
	m.member("GET /account", s.account)
	m.member("POST /account/details", s.accountDetails)
	m.member("POST /account/email/confirm", s.accountConfirmEmail)
	m.public("GET /account/email/{token}", s.confirmEmail)
	m.member("POST /account/password", s.accountPassword)
	m.member("POST /account/profiles", s.accountAddProfile)
	m.member("POST /account/profiles/{id}/delete", s.accountDeleteProfile)
	m.member("POST /account/sessions/{id}/revoke", s.accountRevokeSession)
	m.member("POST /account/sessions/revoke-others", s.accountRevokeOthers)
	m.member("POST /account/app-passwords", s.accountAddAppPassword)
	m.member("POST /account/app-passwords/{id}/revoke", s.accountRevokeAppPassword)
}
