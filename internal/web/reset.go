package web

import (
	"errors"
	"math"
	"net/http"

	"pelote/internal/identity"
)

type resetView struct {
	page
	Login string
	Token string
	Sent  bool
}

func (s *signInArea) forgotForm(w http.ResponseWriter, r *http.Request) {
	v := &resetView{page: s.newPage(r, nil, "reset.title")}
	s.withPoW(&v.page)
	s.render(w, r, http.StatusOK, "login_forgot", v)
}

// forgot sends a reset link to the account named by username or e-mail.
// The answer is the same whether an account matched or not; requests count
// against the client address, like failed logins.
func (s *signInArea) forgot(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	v := &resetView{page: s.newPage(r, nil, "reset.title"), Login: formValue(r, "login")}
	s.withPoW(&v.page)
	if !s.letters.On() {
		v.Errors = []string{v.T("reset.no_mail")}
		s.render(w, r, http.StatusServiceUnavailable, "login_forgot", v)
		return
	}
	if err := s.redeemPoW(r); err != nil {
		s.render(w, r, s.explain(r, &v.page, err, ""), "login_forgot", v)
		return
	}
	if wait, ok := s.addressBudget(w, r, "reset"); !ok {
		v.Errors = []string{v.T("err.rate_limited", int(math.Ceil(wait.Minutes())))}
		s.render(w, r, http.StatusTooManyRequests, "login_forgot", v)
		return
	}
	token, a, found, err := s.ids.RequestPasswordReset(r.Context(), v.Login)
	if err == nil && found && s.mailBudget(r, a) {
		err = s.letters.ToAccount(r.Context(), a, v.Lang, "mail.reset.subject", "mail.reset.body",
			a.Username, s.letters.Link("/login/reset/"+token), int(identity.ResetLinkTTL.Minutes()))
	}
	if err != nil {
		s.render(w, r, s.explain(r, &v.page, err, "err.internal"), "login_forgot", v)
		return
	}
	s.log.Info("password reset asked", "request_id", reqID(r))
	v.Sent, v.PoW = true, nil
	s.render(w, r, http.StatusOK, "login_forgot", v)
}

func (s *signInArea) resetForm(w http.ResponseWriter, r *http.Request) {
	v := &resetView{page: s.newPage(r, nil, "reset.title"), Token: r.PathValue("token")}
	if err := s.ids.CheckPasswordReset(r.Context(), v.Token); err != nil {
		s.resetFailed(w, r, v, err)
		return
	}
	s.render(w, r, http.StatusOK, "login_reset", v)
}

func (s *signInArea) reset(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	v := &resetView{page: s.newPage(r, nil, "reset.title"), Token: r.PathValue("token")}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		v.Errors = []string{v.T("err.password_mismatch")}
		s.render(w, r, http.StatusUnprocessableEntity, "login_reset", v)
		return
	}
	a, err := s.ids.ResetPassword(r.Context(), v.Token, pw)
	if err != nil {
		s.resetFailed(w, r, v, err)
		return
	}
	s.log.Info("password reset", "request_id", reqID(r), "account_id", a.ID)
	http.Redirect(w, r, "/login?ok=password_reset_done", http.StatusSeeOther)
}

func (s *signInArea) resetFailed(w http.ResponseWriter, r *http.Request, v *resetView, err error) {
	if errors.Is(err, identity.ErrResetInvalid) {
		v.Errors = []string{v.T("reset.invalid")}
		v.Token = ""
		s.withPoW(&v.page)
		s.render(w, r, http.StatusGone, "login_forgot", v)
		return
	}
	s.render(w, r, s.explain(r, &v.page, err, "err.internal"), "login_reset", v)
}
