package openid

import (
	"context"
	"errors"
	"slices"

	"pelote/internal/identity"
)

// Who may use a client is decided here, once, for the sign-in pages and
// for every refresh: a member removed from the client's groups, or asked
// by a group to use two-step verification and not enrolled yet, loses the
// application at the next refresh, not when the grant runs out a month
// later.

var (
	// ErrNotInClientGroups: the client is limited to groups the account
	// is in none of.
	ErrNotInClientGroups = errors.New("openid: the account is in none of the client's groups")
	// ErrTOTPNotEnrolled: a group of the account requires two-step
	// verification, which the account has not set up.
	ErrTOTPNotEnrolled = errors.New("openid: two-step verification is required and not set up")
)

// Admit says whether account a may sign in to client c, with the account's
// two-step verification status (the sign-in pages need it for amr).
func (s *Store) Admit(ctx context.Context, c Client, a identity.Account) (identity.TOTPStatus, error) {
	st, err := s.ids.TOTPStatus(ctx, a.ID)
	if err != nil {
		return st, err
	}
	if st.Required && !st.Enabled {
		return st, ErrTOTPNotEnrolled
	}
	if len(c.Groups) > 0 && !slices.ContainsFunc(c.Groups, func(g string) bool { return slices.Contains(a.Groups, g) }) {
		return st, ErrNotInClientGroups
	}
	return st, nil
}
