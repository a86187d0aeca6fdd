package web

import (
	"errors"
	"math"
	"net/http"
	"strings"

	"pelote/internal/identity"
)

type inviteView struct {
	page
	Token, Username, Name, Email string
	Sent                         bool
}

func (s *signUpArea) inviteForm(w http.ResponseWriter, r *http.Request) {
	v := &inviteView{page: s.newPage(r, nil, "invite.title"), Token: r.PathValue("token")}
	if err := s.ids.CheckInvitation(r.Context(), v.Token); err != nil {
		s.inviteFailed(w, r, v, err)
		return
	}
	s.render(w, r, http.StatusOK, "invite", v)
}

// invite signs a newcomer up with an invitation: the account waits for
// its address to be confirmed by the link mailed to it.
func (s *signUpArea) invite(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	v := &inviteView{page: s.newPage(r, nil, "invite.title"), Token: r.PathValue("token"),
		Username: strings.ToLower(formValue(r, "username")), Name: formValue(r, "display_name"), Email: formValue(r, "email")}
	if !s.letters.On() {
		v.Errors = []string{v.T("invite.no_mail")}
		s.render(w, r, http.StatusServiceUnavailable, "invite", v)
		return
	}
	if wait, ok := s.addressBudget(w, r, "signup"); !ok {
		v.Errors = []string{v.T("err.rate_limited", int(math.Ceil(wait.Minutes())))}
		s.render(w, r, http.StatusTooManyRequests, "invite", v)
		return
	}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		v.Errors = []string{v.T("err.password_mismatch")}
		s.render(w, r, http.StatusUnprocessableEntity, "invite", v)
		return
	}
	if s.termsRefused(r) {
		v.Errors = []string{v.T("signup.err.terms")}
		s.render(w, r, http.StatusUnprocessableEntity, "invite", v)
		return
	}
	a, token, err := s.ids.SignUpWithInvitation(r.Context(), v.Token, identity.NewAccount{Username: v.Username,
		DisplayName: v.Name, Email: v.Email, Password: r.PostFormValue("password"), Locale: v.Lang})
	if err != nil && !errors.Is(err, identity.ErrEmailTaken) {
		s.inviteFailed(w, r, v, err)
		return
	}
	// As on /signup, an address already in use gets the same answer and
	// its owner is told by mail.
	if err := s.mailSignUp(r, v.Lang, a, token, err); err != nil {
		s.render(w, r, s.explain(r, &v.page, err, "err.internal"), "invite", v)
		return
	}
	v.Sent = true
	s.render(w, r, http.StatusOK, "invite", v)
}

func (s *signUpArea) inviteFailed(w http.ResponseWriter, r *http.Request, v *inviteView, err error) {
	if errors.Is(err, identity.ErrInvitationInvalid) {
		s.errorPage(w, r, http.StatusGone, "invite.invalid")
		return
	}
	s.render(w, r, s.explain(r, &v.page, err, "err.username_taken"), "invite", v)
}

func (s *signUpArea) verifyEmail(w http.ResponseWriter, r *http.Request) {
	a, awaiting, err := s.ids.VerifyEmail(r.Context(), r.PathValue("token"))
	if errors.Is(err, identity.ErrVerificationInvalid) {
		s.errorPage(w, r, http.StatusGone, "invite.verify_invalid")
		return
	}
	if err != nil {
		p := s.newPage(r, nil, "invite.title")
		status := s.explain(r, &p, err, "err.internal")
		s.render(w, r, status, "error", &errorView{page: p, Status: status})
		return
	}
	s.log.Info("address confirmed", "request_id", reqID(r), "account_id", a.ID, "awaiting_approval", awaiting)
	if awaiting {
		s.notifyModerators(r.Context(), a, reqID(r))
		http.Redirect(w, r, "/login?ok=signup_awaiting", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login?ok=email_verified", http.StatusSeeOther)
}
