package web

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"pelote/internal/identity"
	"pelote/internal/ratelimit"
)

// The brakes on the public forms (sign-up, invitations, reset, address
// change): budgets of mails per account and of requests per client
// address, and the proof-of-work challenge. Several areas share them.

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
	key := kind + ":" + ratelimit.AddressKey(s.clientAddr(r))
	if blocked, wait := s.failedByAddress.Blocked(key); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return wait, false
	}
	s.failedByAddress.Fail(key)
	return 0, true
}

// withPoW puts a fresh anti-robot challenge on a page's form, when the
// hoster asks for one.
func (s *Server) withPoW(p *page) {
	if s.opts.PoW != nil {
		c := s.opts.PoW.Issue()
		p.PoW = &c
	}
}

// redeemPoW checks and spends the challenge a form came back with.
func (s *Server) redeemPoW(r *http.Request) error {
	if s.opts.PoW == nil {
		return nil
	}
	return s.opts.PoW.Redeem(r.Context(), r.PostFormValue("pow_token"), r.PostFormValue("pow_solution"))
}
