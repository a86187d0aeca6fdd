package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"pelote/internal/identity"
)

func (s *signUpArea) moderated() bool { return s.opts.Registration == identity.RegistrationModerated }

// termsRefused tells whether a sign-up form came back without the terms
// of service accepted, when the hoster has some.
func (s *signUpArea) termsRefused(r *http.Request) bool {
	return s.opts.TermsURL != "" && r.PostFormValue("terms") != "yes"
}

type signUpView struct {
	page
	Username, Name, Email, Reason string
	Moderated, Sent               bool
}

func (s *signUpArea) newSignUpView(r *http.Request) *signUpView {
	v := &signUpView{page: s.newPage(r, nil, "signup.title"), Moderated: s.moderated()}
	s.withPoW(&v.page)
	return v
}

func (s *signUpArea) signUpForm(w http.ResponseWriter, r *http.Request) {
	if !s.newPage(r, nil, "").SignUpOpen {
		s.errorPage(w, r, http.StatusNotFound, "signup.closed")
		return
	}
	s.render(w, r, http.StatusOK, "signup", s.newSignUpView(r))
}

// signUp creates the pending account of someone who signed up on their
// own and mails them the link that confirms the address. When the address
// already has an account the answer is the same, and that account's owner
// is told by mail instead: the page never says who is a member.
func (s *signUpArea) signUp(w http.ResponseWriter, r *http.Request) {
	v := s.newSignUpView(r)
	if !v.SignUpOpen {
		s.errorPage(w, r, http.StatusNotFound, "signup.closed")
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	v.Username, v.Name, v.Email = strings.ToLower(formValue(r, "username")), formValue(r, "display_name"), formValue(r, "email")
	v.Reason = formValue(r, "reason")
	fail := func(status int, key string, args ...any) {
		v.Errors = append(v.Errors, v.T(key, args...))
		s.render(w, r, status, "signup", v)
	}
	if !s.letters.On() {
		fail(http.StatusServiceUnavailable, "signup.no_mail")
		return
	}
	if err := s.redeemPoW(r); err != nil {
		s.render(w, r, s.explain(r, &v.page, err, ""), "signup", v)
		return
	}
	if wait, ok := s.addressBudget(w, r, "signup"); !ok {
		fail(http.StatusTooManyRequests, "err.rate_limited", int(math.Ceil(wait.Minutes())))
		return
	}
	if blocked, wait := s.signUps.Blocked("all"); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		fail(http.StatusTooManyRequests, "signup.err.busy", int(math.Ceil(wait.Minutes())))
		return
	}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		fail(http.StatusUnprocessableEntity, "err.password_mismatch")
		return
	}
	if s.termsRefused(r) {
		fail(http.StatusUnprocessableEntity, "signup.err.terms")
		return
	}
	a, token, err := s.ids.SignUp(r.Context(), identity.NewAccount{Username: v.Username, DisplayName: v.Name,
		Email: v.Email, Password: r.PostFormValue("password"), Locale: v.Lang},
		identity.SignUpOptions{Moderated: v.Moderated, Reason: v.Reason})
	if err == nil || errors.Is(err, identity.ErrEmailTaken) {
		// Only what sends mail counts: refused names do not close sign-up.
		s.signUps.Fail("all")
	}
	if err = s.mailSignUp(r, v.Lang, a, token, err); err != nil {
		s.render(w, r, s.explain(r, &v.page, err, "signup.err.username_taken"), "signup", v)
		return
	}
	v.Sent, v.PoW = true, nil
	s.render(w, r, http.StatusOK, "signup", v)
}

// mailSignUp sends what follows a sign-up (err is the sign-up's): the
// verification link, or to the owner of an address already in use, a
// notice that they have an account. It returns the error to show.
func (s *signUpArea) mailSignUp(r *http.Request, lang string, a identity.Account, token string, err error) error {
	switch {
	case errors.Is(err, identity.ErrEmailTaken):
		s.log.Info("sign-up with a known address", "request_id", reqID(r), "account_id", a.ID)
		if !s.mailBudget(r, a) {
			return nil
		}
		return s.letters.ToAccount(r.Context(), a, lang, "mail.signup_known.subject", "mail.signup_known.body",
			a.Username, s.letters.Link("/login/forgot"))
	case err != nil:
		return err
	}
	s.log.Info("signed up", "request_id", reqID(r), "account_id", a.ID)
	return s.letters.ToAccount(r.Context(), a, lang, "mail.verify.subject", "mail.verify.body",
		a.Username, s.letters.Link("/verify/"+token), int(identity.VerificationTTL.Hours()))
}

// notifyModerators tells the administrators that a sign-up waits for
// them. A failure is logged: the sign-up is listed on the approvals page
// all the same.
func (s *signUpArea) notifyModerators(ctx context.Context, newcomer identity.Account, reqID string) {
	if !s.letters.On() {
		return
	}
	admins, err := s.ids.Members(ctx, "admin")
	if err != nil {
		s.log.Warn("moderators not told of a sign-up", "request_id", reqID, "err", err)
	}
	for _, a := range admins {
		if a.State != identity.Active {
			continue
		}
		if err := s.letters.ToAccount(ctx, a, s.cat.Match(""), "mail.signup_review.subject", "mail.signup_review.body",
			a.Username, newcomer.Username, s.letters.Link("/admin/approvals")); err != nil {
			s.log.Warn("a moderator not told of a sign-up", "request_id", reqID, "account_id", a.ID, "err", err)
		}
	}
}

// adminDecideSignUp approves or refuses a sign-up, and mails the person
// the decision with the moderator's message.
func (s *signUpArea) adminDecideSignUp(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	decision, err := identity.ParseDecision(r.PathValue("decision"))
	if err != nil {
		s.notFound(w, r)
		return
	}
	var tell identity.SignUpNotifier
	if s.letters.On() {
		tell = s.letters
	}
	d, err := s.ids.DecideSignUp(r.Context(), r.PathValue("username"), decision, r.PostFormValue("message"), s.newPage(r, v, "").Lang, tell)
	if err != nil {
		s.approvalsFailed(w, r, v, err)
		return
	}
	notice := map[identity.Decision]string{identity.Approve: "signup_approved", identity.Refuse: "signup_refused"}[decision]
	s.log.Info("sign-up decided", "request_id", reqID(r), "by", v.account.ID, "account_id", d.Account.ID, "decision", decision)
	if d.MailErr != nil {
		s.log.Warn("sign-up decision not mailed", "request_id", reqID(r), "account_id", d.Account.ID, "err", d.MailErr)
		notice += "_unmailed"
	}
	http.Redirect(w, r, "/admin/approvals?ok="+notice, http.StatusSeeOther)
}

// signUpArea is signing up, invitation links, the address's confirmation
// and the moderators' decisions on sign-ups.
type signUpArea struct {
	*Server
	ids signUpStore
}

// signUpStore is what signing up and invitation links need of identity.
type signUpStore interface {
	CheckInvitation(ctx context.Context, token string) error
	DecideSignUp(ctx context.Context, username string, d identity.Decision, message, lang string, n identity.SignUpNotifier) (identity.Decided, error)
	Members(ctx context.Context, group string) ([]identity.Account, error)
	SignUp(ctx context.Context, n identity.NewAccount, o identity.SignUpOptions) (identity.Account, string, error)
	SignUpWithInvitation(ctx context.Context, token string, n identity.NewAccount) (identity.Account, string, error)
	VerifyEmail(ctx context.Context, token string) (a identity.Account, awaiting bool, err error)
}

func (s *signUpArea) mount(m *mounter) {
	m.public("GET /signup", s.signUpForm)
	m.public("POST /signup", s.signUp)
	m.public("GET /invite/{token}", s.inviteForm)
	m.public("POST /invite/{token}", s.invite)
	m.public("GET /verify/{token}", s.verifyEmail)
	m.admin("POST /admin/signups/{username}/{decision}", s.adminDecideSignUp)
}
