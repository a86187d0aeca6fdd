package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"pelote/internal/identity"
)

type loginView struct {
	page
	Username string
	Next     string
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if v, _ := s.currentVisit(r); v != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	if l := r.URL.Query().Get("lang"); s.cat.Has(l) {
		// A visitor's language choice, before any account is known.
		http.SetCookie(w, &http.Cookie{Name: "pelote_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: s.secure})
		r.AddCookie(&http.Cookie{Name: "pelote_lang", Value: l})
	}
	v := &loginView{page: s.newPage(r, nil, "login.title"), Next: r.URL.Query().Get("next")}
	s.render(w, r, http.StatusOK, "login", v)
}

// login checks the limits before the password, so a blocked guesser costs
// no argon2id work, and counts a failure against both the account and the
// client address.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	username := strings.ToLower(formValue(r, "username"))
	v := &loginView{page: s.newPage(r, nil, "login.title"), Username: username, Next: formValue(r, "next")}
	if username == "" || r.PostFormValue("password") == "" {
		v.Errors = []string{v.T("err.login_empty")}
		s.render(w, r, http.StatusUnprocessableEntity, "login", v)
		return
	}
	addr := addrKey(s.clientAddr(r))
	blockedAccount, waitAccount := s.failedByAccount.Blocked(username)
	blockedAddr, waitAddr := s.failedByAddress.Blocked(addr)
	if blockedAccount || blockedAddr {
		wait := max(waitAccount, waitAddr)
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		v.Errors = []string{v.T("err.rate_limited", int(math.Ceil(wait.Minutes())))}
		s.log.Info("login refused: rate limit", "request_id", reqID(r))
		s.render(w, r, http.StatusTooManyRequests, "login", v)
		return
	}
	a, err := s.ids.Authenticate(r.Context(), username, r.PostFormValue("password"))
	switch {
	case errors.Is(err, identity.ErrBadCredentials):
		s.failedByAccount.Fail(username)
		s.failedByAddress.Fail(addr)
		s.log.Info("login failed", "request_id", reqID(r))
		v.Errors = []string{v.T("err.bad_credentials")}
		s.render(w, r, http.StatusUnauthorized, "login", v)
		return
	case errors.Is(err, identity.ErrDisabled):
		v.Errors = []string{v.T("err.disabled")}
		s.render(w, r, http.StatusForbidden, "login", v)
		return
	case errors.Is(err, identity.ErrPending):
		v.Errors = []string{v.T("err.pending")}
		s.render(w, r, http.StatusForbidden, "login", v)
		return
	case err != nil:
		status := s.explain(r, &v.page, err, "err.internal")
		s.render(w, r, status, "login", v)
		return
	}
	s.failedByAccount.Reset(username)
	s.startSession(w, r, a, localPath(v.Next))
}

// startSession signs a in and redirects to next.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, a identity.Account, next string) {
	token, _, err := s.ids.CreateSession(r.Context(), a.ID, clientName(r.UserAgent()))
	if err != nil {
		p := s.newPage(r, nil, "login.title")
		status := s.explain(r, &p, err, "err.internal")
		s.render(w, r, status, "login", &loginView{page: p, Username: a.Username})
		return
	}
	s.log.Info("login", "request_id", reqID(r), "account_id", a.ID)
	s.setSession(w, token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if v, _ := s.currentVisit(r); v != nil {
		if err := s.ids.RevokeSession(r.Context(), v.account.ID, v.session.ID); err != nil {
			s.log.Warn("logout", "request_id", reqID(r), "err", err)
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/login?ok=logged_out", http.StatusSeeOther)
}
