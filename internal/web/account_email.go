package web

import (
	"errors"
	"net/http"

	"pelote/internal/identity"
)

// EmailState says whether and how an account's address was confirmed, for
// the account page and the administrators' page.
func (p page) EmailState(a identity.Account) string {
	if !a.EmailConfirmed() {
		return p.T("account.email.state.none")
	}
	return p.T("account.email.state."+string(a.EmailConfirmedBy), a.EmailConfirmedAt.UTC().Format("2006-01-02"))
}

// errTooManyFailures refuses a password check while the account's login
// failures are over the limit.
var errTooManyFailures = errors.New("too many failed password checks")

// errMailBudget refuses a mail the account asked for past its hourly budget.
var errMailBudget = errors.New("too many mails for this account this hour")

// passwordChecked runs change, which checks the account's current
// password, under the limits of logins: a stolen session must not become a
// password-guessing oracle, so a wrong password counts as a failed login
// and none is checked while the account is over the limit.
func (s *Server) passwordChecked(v *visit, change func() error) error {
	if blocked, _ := s.failedByAccount.Blocked(v.account.Username); blocked {
		return errTooManyFailures
	}
	err := change()
	if isBadCredentials(err) {
		s.failedByAccount.Fail(v.account.Username)
	}
	return err
}

// accountCheckFailed re-renders the account page for a change that needed
// the current password (or a mail) and was refused.
func (s *Server) accountCheckFailed(w http.ResponseWriter, r *http.Request, v *visit, err error, conflictKey string) {
	p := s.newPage(r, v, "account.title")
	status := http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, errTooManyFailures):
		p.Errors, status = []string{p.T("err.rate_limited", int(s.opts.LoginWindow.Minutes()))}, http.StatusTooManyRequests
	case errors.Is(err, errMailBudget):
		p.Errors, status = []string{p.T("account.err.mail_budget")}, http.StatusTooManyRequests
	case isBadCredentials(err):
		p.Errors = []string{p.T("err.current_password")}
	default:
		status = s.explain(r, &p, err, conflictKey)
	}
	s.accountPage(w, r, v, p, status)
}

// changeEmail applies a member's new address and returns the notice to
// show. It needs the current password. With mail, the answer is the same
// whether the address is free or not: a free one gets the confirmation
// link, a taken one's owner is told instead (under that account's own
// budget), and the old address hears of the request either way. Without
// mail the address changes at once, unconfirmed; a taken one is refused,
// and the refusal counts as a failed password check, so that probing
// addresses costs the account its login budget.
func (s *accountArea) changeEmail(r *http.Request, v *visit, email string) (string, error) {
	byMail := s.letters.On()
	if byMail && !s.mailBudgetOpen(v.account) {
		return "", errMailBudget
	}
	var ch identity.EmailChange
	err := s.passwordChecked(v, func() (err error) {
		ch, err = s.ids.ChangeEmail(r.Context(), v.account.ID, r.PostFormValue("current_password"), email, byMail)
		return err
	})
	if errors.Is(err, identity.ErrEmailTaken) {
		s.failedByAccount.Fail(v.account.Username)
	}
	if err != nil {
		return "", err
	}
	if !byMail {
		s.log.Info("e-mail address changed without confirmation", "request_id", reqID(r), "account_id", v.account.ID)
		return "details_saved", nil
	}
	s.mailBudget(r, v.account)
	a, lang := ch.Account, ch.Account.Locale
	if !s.cat.Has(lang) {
		lang = s.newPage(r, v, "").Lang
	}
	if ch.Owner != nil {
		s.log.Info("address change to another account's address", "request_id", reqID(r), "account_id", a.ID)
		if s.mailBudget(r, *ch.Owner) {
			if err := s.letters.ToAccount(r.Context(), *ch.Owner, lang, "mail.email_taken.subject", "mail.email_taken.body",
				ch.Owner.Username, s.letters.Link("/login/forgot")); err != nil {
				return "", err
			}
		}
	} else if err := s.letters.Send(r.Context(), email, s.cat.T(lang, "mail.email_change.subject"),
		s.cat.T(lang, "mail.email_change.body", a.Username, s.letters.Link("/account/email/"+ch.Token))); err != nil {
		return "", err
	}
	// The old address hears of it, so that a change nobody asked for
	// does not go unseen.
	if err := s.letters.Send(r.Context(), a.Email, s.cat.T(lang, "mail.email_notice.subject"),
		s.cat.T(lang, "mail.email_notice.body", a.Username, email)); err != nil {
		return "", err
	}
	return "email_change_sent", nil
}

// accountConfirmEmail mails a link that confirms the current address, for
// an address nobody confirmed yet.
func (s *accountArea) accountConfirmEmail(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.letters.On() {
		s.accountFailed(w, r, v, &identity.InvalidError{Field: "email_confirmation", Reason: "no mail server is configured"}, "")
		return
	}
	if !s.mailBudget(r, v.account) {
		s.accountCheckFailed(w, r, v, errMailBudget, "")
		return
	}
	token, a, err := s.ids.RequestEmailConfirmation(r.Context(), v.account.ID)
	if err == nil {
		err = s.letters.ToAccount(r.Context(), a, s.newPage(r, v, "").Lang, "mail.email_change.subject", "mail.email_change.body",
			a.Username, s.letters.Link("/account/email/"+token))
	}
	if err != nil {
		s.accountFailed(w, r, v, err, "")
		return
	}
	accountDone(w, r, "email_confirm_sent")
}

// confirmEmail applies a new address from the link sent to it; the link
// works without a session, from the mailbox's device.
func (s *accountArea) confirmEmail(w http.ResponseWriter, r *http.Request) {
	a, err := s.ids.ConfirmEmailChange(r.Context(), r.PathValue("token"))
	if errors.Is(err, identity.ErrEmailChangeInvalid) {
		s.errorPage(w, r, http.StatusGone, "invite.verify_invalid")
		return
	}
	if err != nil {
		p := s.newPage(r, nil, "error.title")
		status := s.explain(r, &p, err, "err.email_taken")
		s.render(w, r, status, "error", &errorView{page: p, Status: status})
		return
	}
	s.log.Info("e-mail address changed", "request_id", reqID(r), "account_id", a.ID)
	http.Redirect(w, r, "/login?ok=email_changed", http.StatusSeeOther)
}

// adminSetEmail is an administrator's entry of a member's address: it
// counts as confirmed.
func (s *accountsArea) adminSetEmail(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminAccountDo(w, r, v, "email_set", "err.email_taken", func(name string) error {
		_, err := s.ids.SetEmail(r.Context(), name, formValue(r, "email"))
		return err
	})
}
