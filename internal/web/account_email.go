package web

import "pelote/internal/identity"

// EmailState says whether and how an account's address was confirmed, for
// the account page and the administrators' page.
func (p page) EmailState(a identity.Account) string {
	if !a.EmailConfirmed() {
		return p.T("email.state.none")
	}
	return p.T("email.state."+string(a.EmailConfirmedBy), a.EmailConfirmedAt.UTC().Format("2006-01-02"))
}
