package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pelote/internal/identity"
	"pelote/internal/openid"
	"pelote/internal/ratelimit"
	"pelote/internal/store"
)

type loginView struct {
	page
	Username string
	Next     string
	// Client names the application asking, when the login is for one.
	Client string
	// Challenge carries the first step to the second-factor form.
	Challenge string
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *signInArea) loginForm(w http.ResponseWriter, r *http.Request) {
	if v, _ := s.currentVisit(r); v != nil {
		// Signed in already, perhaps before forward-auth was set up.
		s.setForwardCookie(w, v.session.ID)
		http.Redirect(w, r, s.nextTarget(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := &loginView{page: s.newPage(r, nil, "login.title"), Next: r.URL.Query().Get("next")}
	s.allowNextTarget(w, r, v.Next)
	s.render(w, r, http.StatusOK, "login", v)
}

// login checks the limits before the password, so a blocked guesser costs
// no argon2id work, and counts a failure against both the account and the
// client address.
func (s *signInArea) login(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	username := strings.ToLower(formValue(r, "username"))
	v := &loginView{page: s.newPage(r, nil, "login.title"), Username: username, Next: formValue(r, "next")}
	s.allowNextTarget(w, r, v.Next)
	if username == "" || r.PostFormValue("password") == "" {
		v.Errors = []string{v.T("err.login_empty")}
		s.render(w, r, http.StatusUnprocessableEntity, "login", v)
		return
	}
	addr := ratelimit.AddressKey(s.clientAddr(r))
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
	totp, err := s.ids.TOTPStatus(r.Context(), a.ID)
	if err != nil {
		status := s.explain(r, &v.page, err, "err.internal")
		s.render(w, r, status, "login", v)
		return
	}
	if totp.Enabled {
		s.allowNextTarget(w, r, v.Next)
		v.Title = v.T("oidc.login.totp_title")
		v.Challenge = s.challenge(a.ID)
		s.render(w, r, http.StatusOK, "login_totp", v)
		return
	}
	s.startSession(w, r, a, s.nextTarget(v.Next))
}

// challengeTTL bounds the time between the password and the code.
const challengeTTL = 5 * time.Minute

// challenge proves, in the second-factor form, that the password step
// passed for account: its id and a deadline, under an HMAC.
func (s *signInArea) challenge(account int64) string {
	body := fmt.Sprintf("%d.%d", account, s.now().Add(challengeTTL).Unix())
	return body + "." + s.mac(body)
}

func (s *Server) mac(body string) string {
	m := hmac.New(sha256.New, s.opts.ChallengeKey)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkChallenge returns the account a challenge was made for.
func (s *signInArea) checkChallenge(c string) (int64, bool) {
	i := strings.LastIndexByte(c, '.')
	if i < 0 || !hmac.Equal([]byte(c[i+1:]), []byte(s.mac(c[:i]))) {
		return 0, false
	}
	idPart, deadline, ok := strings.Cut(c[:i], ".")
	id, err1 := strconv.ParseInt(idPart, 10, 64)
	until, err2 := strconv.ParseInt(deadline, 10, 64)
	if !ok || err1 != nil || err2 != nil || s.now().Unix() > until {
		return 0, false
	}
	return id, true
}

// loginTOTP is the second step: a code from the authenticator app or a
// recovery code. Failures count against the account like passwords do.
func (s *signInArea) loginTOTP(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	v := &loginView{page: s.newPage(r, nil, "oidc.login.totp_title"), Next: formValue(r, "next"), Challenge: r.PostFormValue("challenge")}
	s.allowNextTarget(w, r, v.Next)
	id, ok := s.checkChallenge(v.Challenge)
	if !ok {
		v.Title = v.T("login.title")
		v.Errors = []string{v.T("oidc.login.challenge_expired")}
		s.render(w, r, http.StatusUnauthorized, "login", v)
		return
	}
	a, err := s.ids.AccountByID(r.Context(), id)
	if err != nil {
		status := s.explain(r, &v.page, err, "err.internal")
		s.render(w, r, status, "login_totp", v)
		return
	}
	key := "totp:" + a.Username
	if blocked, wait := s.failedByAccount.Blocked(key); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		v.Errors = []string{v.T("err.rate_limited", int(math.Ceil(wait.Minutes())))}
		s.render(w, r, http.StatusTooManyRequests, "login_totp", v)
		return
	}
	usedRecovery, err := s.ids.VerifySecondFactor(r.Context(), id, strings.ReplaceAll(formValue(r, "code"), " ", ""))
	switch {
	case errors.Is(err, identity.ErrBadCode):
		s.failedByAccount.Fail(key)
		s.log.Info("second factor failed", "request_id", reqID(r))
		v.Errors = []string{v.T("oidc.login.totp_bad_code")}
		s.render(w, r, http.StatusUnauthorized, "login_totp", v)
		return
	case err != nil:
		status := s.explain(r, &v.page, err, "err.internal")
		s.render(w, r, status, "login_totp", v)
		return
	}
	s.failedByAccount.Reset(key)
	if usedRecovery {
		s.log.Info("recovery code used", "request_id", reqID(r), "account_id", id)
	}
	s.startSession(w, r, a, s.nextTarget(v.Next))
}

// allowNextTarget lets a login form for an OpenID request end at the
// application (see allowFormTarget).
func (s *signInArea) allowNextTarget(w http.ResponseWriter, r *http.Request, next string) {
	if t, ok := s.forwardTarget(next); ok {
		allowFormTarget(w, t)
		return
	}
	if s.opts.OIDC == nil {
		return
	}
	rest, ok := strings.CutPrefix(next, openid.LoginPath+"?id=")
	if !ok {
		return
	}
	id, err := url.QueryUnescape(rest)
	if err != nil {
		return
	}
	if a, err := s.opts.OIDC.Store().Request(r.Context(), id); err == nil {
		allowFormTarget(w, a.RedirectURI)
	}
}

// startSession signs a in and redirects to next. A session the browser
// already had ends: one browser, one session.
func (s *signInArea) startSession(w http.ResponseWriter, r *http.Request, a identity.Account, next string) {
	if old, _ := s.currentVisit(r); old != nil {
		// Its applications hear of it through identity.Store.SessionsEnded.
		if err := s.ids.RevokeSession(r.Context(), old.account.ID, old.session.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("end previous session", "request_id", reqID(r), "err", err)
		}
	}
	token, ss, err := s.ids.CreateSession(r.Context(), a.ID, clientName(r.UserAgent()))
	if err != nil {
		p := s.newPage(r, nil, "login.title")
		status := s.explain(r, &p, err, "err.internal")
		s.render(w, r, status, "login", &loginView{page: p, Username: a.Username})
		return
	}
	s.log.Info("login", "request_id", reqID(r), "account_id", a.ID)
	s.setSession(w, token)
	s.setForwardCookie(w, ss.ID)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *signInArea) logout(w http.ResponseWriter, r *http.Request) {
	s.endSession(w, r)
	http.Redirect(w, r, "/login?ok=logged_out", http.StatusSeeOther)
}

// signInArea is logging in and out, the first administrator's setup and
// the password reset by mail.
type signInArea struct {
	*Server
	ids signInStore
}

// signInStore is what logging in, the setup link and the reset need of identity.
type signInStore interface {
	AccountByID(ctx context.Context, id int64) (identity.Account, error)
	Authenticate(ctx context.Context, username, password string) (identity.Account, error)
	CheckPasswordReset(ctx context.Context, token string) error
	CheckSetupToken(ctx context.Context, token string) error
	CreateSession(ctx context.Context, accountID int64, client string) (string, identity.Session, error)
	RequestPasswordReset(ctx context.Context, login string) (token string, a identity.Account, found bool, err error)
	ResetPassword(ctx context.Context, token, password string) (identity.Account, error)
	RevokeSession(ctx context.Context, accountID, id int64) error
	TOTPStatus(ctx context.Context, accountID int64) (identity.TOTPStatus, error)
	UseSetupToken(ctx context.Context, token string, n identity.NewAccount) (identity.Account, error)
	VerifySecondFactor(ctx context.Context, accountID int64, code string) (usedRecovery bool, err error)
}

func (s *signInArea) mount(m *mounter) {
	m.public("GET /login", s.loginForm)
	m.public("POST /login", s.login)
	m.public("POST /login/totp", s.loginTOTP)
	m.public("POST /logout", s.logout)
	m.public("GET /login/forgot", s.forgotForm)
	m.public("POST /login/forgot", s.forgot)
	m.public("GET /login/reset/{token}", s.resetForm)
	m.public("POST /login/reset/{token}", s.reset)
	m.public("GET /setup/{token}", s.setupForm)
	m.public("POST /setup/{token}", s.setup)
}
