package web

import (
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"pelote/internal/identity"
)

// totpArea is the second-factor pages: the member's own under
// /account/totp, the administrators' under /admin.
type totpArea struct {
	*Server
	ids totpStore
}

// totpStore is what the two-step verification pages need of identity.
type totpStore interface {
	BeginTOTP(ctx context.Context, accountID int64, issuer, password string) (identity.TOTPEnrolment, error)
	ConfirmTOTP(ctx context.Context, accountID int64, code string) ([]string, error)
	DisableTOTP(ctx context.Context, accountID int64, password string) error
	PendingTOTP(ctx context.Context, accountID int64, issuer string) (identity.TOTPEnrolment, error)
	RegenerateRecoveryCodes(ctx context.Context, accountID int64, password string) ([]string, error)
	ResetTOTP(ctx context.Context, username string) error
	SetGroupRequireTOTP(ctx context.Context, group string, require bool) error
	TOTPStatus(ctx context.Context, accountID int64) (identity.TOTPStatus, error)
}

func (s *totpArea) mount(m *mounter) {
	member, admin := m.member, m.admin
	member("GET /account/totp", s.totpPage)
	member("POST /account/totp/begin", s.totpBegin)
	member("POST /account/totp/confirm", s.totpConfirm)
	member("POST /account/totp/recovery-codes", s.totpRegenerate)
	member("POST /account/totp/disable", s.totpDisable)
	admin("POST /admin/accounts/{name}/totp/reset", s.adminResetTOTP)
	admin("POST /admin/groups/{name}/require-totp", s.adminGroupRequireTOTP)
}

type totpView struct {
	page
	Status identity.TOTPStatus
	// Enrolment is set while the member scans the QR code.
	Enrolment *identity.TOTPEnrolment
	// QR is the enrolment's PNG as a data: URL (the CSP allows data: images).
	QR template.URL
	// Codes are fresh recovery codes, shown once.
	Codes []string
}

// totpRender shows the page in the state view describes, with the
// account's current status filled in.
func (s *totpArea) totpRender(w http.ResponseWriter, r *http.Request, v *visit, view *totpView, status int) {
	st, err := s.ids.TOTPStatus(r.Context(), v.account.ID)
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Status = st
	if view.Enrolment != nil {
		view.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(view.Enrolment.PNG))
	}
	s.render(w, r, status, "account_totp", view)
}

func (s *totpArea) totpPage(w http.ResponseWriter, r *http.Request, v *visit) {
	s.totpRender(w, r, v, &totpView{page: s.newPage(r, v, "totp.title")}, http.StatusOK)
}

// issuer is the name authenticator apps show next to the code.
func (s *totpArea) issuer() string {
	if s.opts.PublicURL != nil && s.opts.PublicURL.Hostname() != "" {
		return s.opts.PublicURL.Hostname()
	}
	return "Pelote"
}

// totpBegin makes a new seed and shows it, once the current password is
// given. An enabled second factor stays in force until the new one is
// confirmed, so a person can move to a new phone without a window where
// the account has none.
func (s *totpArea) totpBegin(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	var e identity.TOTPEnrolment
	ok := s.totpWithPassword(w, r, v, func(password string) (err error) {
		e, err = s.ids.BeginTOTP(r.Context(), v.account.ID, s.issuer(), password)
		return err
	})
	if !ok {
		return
	}
	view := &totpView{page: s.newPage(r, v, "totp.title")}
	view.Enrolment = &e
	s.totpRender(w, r, v, view, http.StatusOK)
}

func (s *totpArea) totpConfirm(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	view := &totpView{page: s.newPage(r, v, "totp.title")}
	codes, err := s.ids.ConfirmTOTP(r.Context(), v.account.ID, strings.ReplaceAll(formValue(r, "code"), " ", ""))
	switch {
	case errors.Is(err, identity.ErrBadCode):
		// Show the same seed again: it is already in the person's app.
		e, perr := s.ids.PendingTOTP(r.Context(), v.account.ID, s.issuer())
		if perr != nil {
			s.totpRender(w, r, v, view, s.explain(r, &view.page, perr, "err.internal"))
			return
		}
		view.Enrolment = &e
		view.Errors = []string{view.T("totp.bad_code")}
		s.totpRender(w, r, v, view, http.StatusUnprocessableEntity)
		return
	case errors.Is(err, identity.ErrNoTOTP):
		view.Errors = []string{view.T("totp.no_enrolment")}
		s.totpRender(w, r, v, view, http.StatusConflict)
		return
	case err != nil:
		s.totpRender(w, r, v, view, s.explain(r, &view.page, err, "err.internal"))
		return
	}
	s.log.Info("second factor enabled", "request_id", reqID(r), "account_id", v.account.ID)
	view.Notice = view.T("totp.ok.totp_enabled")
	view.Codes = codes
	s.totpRender(w, r, v, view, http.StatusOK)
}

// totpWithPassword runs a change that needs the current password under the
// same failure limit as logins: a stolen session must not become a
// password-guessing oracle. It renders the page itself when it fails.
func (s *totpArea) totpWithPassword(w http.ResponseWriter, r *http.Request, v *visit, change func(password string) error) bool {
	view := &totpView{page: s.newPage(r, v, "totp.title")}
	if blocked, _ := s.failedByAccount.Blocked(v.account.Username); blocked {
		view.Errors = []string{view.T("err.rate_limited", int(s.opts.LoginWindow.Minutes()))}
		s.totpRender(w, r, v, view, http.StatusTooManyRequests)
		return false
	}
	err := change(r.PostFormValue("password"))
	switch {
	case isBadCredentials(err):
		s.failedByAccount.Fail(v.account.Username)
		view.Errors = []string{view.T("err.current_password")}
		s.totpRender(w, r, v, view, http.StatusUnprocessableEntity)
		return false
	case errors.Is(err, identity.ErrTOTPRequired):
		view.Errors = []string{view.T("totp.required_by_group")}
		s.totpRender(w, r, v, view, http.StatusConflict)
		return false
	case errors.Is(err, identity.ErrNoTOTP):
		view.Errors = []string{view.T("totp.not_enabled")}
		s.totpRender(w, r, v, view, http.StatusConflict)
		return false
	case err != nil:
		s.totpRender(w, r, v, view, s.explain(r, &view.page, err, "err.internal"))
		return false
	}
	return true
}

func (s *totpArea) totpRegenerate(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	var codes []string
	ok := s.totpWithPassword(w, r, v, func(password string) (err error) {
		codes, err = s.ids.RegenerateRecoveryCodes(r.Context(), v.account.ID, password)
		return err
	})
	if !ok {
		return
	}
	s.log.Info("recovery codes replaced", "request_id", reqID(r), "account_id", v.account.ID)
	view := &totpView{page: s.newPage(r, v, "totp.title"), Codes: codes}
	view.Notice = view.T("totp.ok.recovery_codes")
	s.totpRender(w, r, v, view, http.StatusOK)
}

func (s *totpArea) totpDisable(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	ok := s.totpWithPassword(w, r, v, func(password string) error {
		return s.ids.DisableTOTP(r.Context(), v.account.ID, password)
	})
	if !ok {
		return
	}
	s.log.Info("second factor disabled", "request_id", reqID(r), "account_id", v.account.ID)
	http.Redirect(w, r, "/account/totp?ok=totp_disabled", http.StatusSeeOther)
}

func (s *totpArea) adminResetTOTP(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminAccountDo(w, r, v, "totp_reset", "", func(name string) error {
		return s.ids.ResetTOTP(r.Context(), name)
	})
}

func (s *totpArea) adminGroupRequireTOTP(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminGroupDo(w, r, v, "group_saved", "", func(group string) error {
		return s.ids.SetGroupRequireTOTP(r.Context(), group, r.PostFormValue("require_totp") == "on")
	})
}
