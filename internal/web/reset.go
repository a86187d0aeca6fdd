package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"pelote/internal/identity"
)

// mailsPerAccountHour bounds the mails the public forms send one account.
const mailsPerAccountHour = 3

// mailBudget counts one form-triggered mail to an account; past the
// budget the mail is not sent, and the form answers as if it were: the
// answer must not tell either.
func (s *Server) mailBudget(r *http.Request, a identity.Account) bool {
	key := mailBudgetKey(a)
	if blocked, _ := s.mailedTo.Blocked(key); blocked {
		s.log.Warn("mail to an account held back: too many asked for this hour", "request_id", reqID(r), "account_id", a.ID)
		return false
	}
	s.mailedTo.Fail(key)
	return true
}

// mailBudgetKey names an account's budget of mails in s.mailedTo.
func mailBudgetKey(a identity.Account) string { return "account:" + strconv.FormatInt(a.ID, 10) }

// mailBudgetOpen tells whether the account may get one more mail this
// hour, without counting one.
func (s *Server) mailBudgetOpen(a identity.Account) bool {
	blocked, _ := s.mailedTo.Blocked(mailBudgetKey(a))
	return !blocked
}

// addressBudget counts one request of kind from the client's address, as
// failed logins are counted, and returns how long to wait when over it.
func (s *Server) addressBudget(w http.ResponseWriter, r *http.Request, kind string) (time.Duration, bool) {
	key := kind + ":" + addrKey(s.clientAddr(r))
	if blocked, wait := s.failedByAddress.Blocked(key); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return wait, false
	}
	s.failedByAddress.Fail(key)
	return 0, true
}

type resetView struct {
	page
	Login string
	Token string
	Sent  bool
}

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	v := &resetView{page: s.newPage(r, nil, "reset.title")}
	s.withPoW(&v.page)
	s.render(w, r, http.StatusOK, "login_forgot", v)
}

// forgot sends a reset link to the account named by username or e-mail.
// The answer is the same whether an account matched or not; requests count
// against the client address, like failed logins.
func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
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

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	v := &resetView{page: s.newPage(r, nil, "reset.title"), Token: r.PathValue("token")}
	if err := s.ids.CheckPasswordReset(r.Context(), v.Token); err != nil {
		s.resetFailed(w, r, v, err)
		return
	}
	s.render(w, r, http.StatusOK, "login_reset", v)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
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

func (s *Server) resetFailed(w http.ResponseWriter, r *http.Request, v *resetView, err error) {
	if errors.Is(err, identity.ErrResetInvalid) {
		v.Errors = []string{v.T("reset.invalid")}
		v.Token = ""
		s.withPoW(&v.page)
		s.render(w, r, http.StatusGone, "login_forgot", v)
		return
	}
	s.render(w, r, s.explain(r, &v.page, err, "err.internal"), "login_reset", v)
}
