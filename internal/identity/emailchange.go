package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"pelote/internal/store"
)

// ErrEmailChangeInvalid is a confirmation link that is unknown, used or
// expired.
var ErrEmailChangeInvalid = errors.New("this confirmation link is not valid any more")

// EmailChange is what a member's request for a new address came to.
type EmailChange struct {
	// Token is the link to mail to the new address, which takes effect
	// when it is opened (with mail).
	Token string
	// Owner is the account that has the address already (with mail): it
	// is told, and the member gets the same answer as with a free address.
	Owner *Account
	// Account is the account as the request left it.
	Account Account
}

// ChangeEmail is a member's change of their own address; it needs the
// current password, so that a session alone cannot take the account's
// mail (and with it the reset links). With mail (byMail), the address
// changes only once a link mailed to it is opened; an address another
// account has gives no link but its Owner, so that the page can answer as
// for a free one and mail the owner instead: the form never tells whose
// address is whose. Without mail the address changes at once and stays
// unconfirmed; an address another account has gives ErrEmailTaken, since
// a change cannot be silently dropped (the caller counts that answer as a
// failed password check, to slow down whoever probes addresses with it).
func (s *Store) ChangeEmail(ctx context.Context, accountID int64, password, email string, byMail bool) (EmailChange, error) {
	if err := s.checkOwnPassword(ctx, accountID, password); err != nil {
		return EmailChange{}, err
	}
	email, err := NormalizeEmail(email)
	if err != nil {
		return EmailChange{}, err
	}
	a, err := s.AccountByID(ctx, accountID)
	if err != nil {
		return EmailChange{}, err
	}
	owner, err := scanAccount(s.db.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE email_key = ? AND id <> ?`, EmailKey(email), accountID))
	taken := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return EmailChange{}, fmt.Errorf("identity: e-mail change: %w", err)
	}
	switch {
	case !byMail && taken:
		return EmailChange{Account: a}, fmt.Errorf("identity: e-mail change: %w", ErrEmailTaken)
	case !byMail:
		a, err = s.setEmail(ctx, accountID, email, Unconfirmed)
		return EmailChange{Account: a}, err
	case taken:
		return EmailChange{Owner: &owner, Account: a}, nil
	}
	token, err := s.emailLink(ctx, accountID, email)
	return EmailChange{Token: token, Account: a}, err
}

// RequestEmailConfirmation makes a link that confirms the account's
// current address when opened (ConfirmEmailChange), for an address that is
// not confirmed (one from before confirmations were recorded, or set
// without mail).
func (s *Store) RequestEmailConfirmation(ctx context.Context, accountID int64) (string, Account, error) {
	a, err := s.AccountByID(ctx, accountID)
	if err != nil {
		return "", Account{}, err
	}
	token, err := s.emailLink(ctx, accountID, a.Email)
	return token, a, err
}

// emailLink records a link that sets the account's address to email.
func (s *Store) emailLink(ctx context.Context, accountID int64, email string) (string, error) {
	token, hash, err := s.newToken()
	if err != nil {
		return "", err
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO email_changes (token_hash, account_id, email, expires_at) VALUES (?, ?, ?, ?)`,
		hash, accountID, email, s.Now().Add(VerificationTTL).Unix()); err != nil {
		return "", fmt.Errorf("identity: e-mail change: %w", err)
	}
	return token, nil
}

// SetEmail is an administrator's entry of an account's address (web or
// CLI): the administrator vouches for it, so it counts as confirmed.
func (s *Store) SetEmail(ctx context.Context, username, email string) (Account, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Account{}, err
	}
	a, err := s.Account(ctx, username)
	if err != nil {
		return Account{}, err
	}
	return s.setEmail(ctx, a.ID, email, ConfirmedAdmin)
}

// setEmail stores a new address confirmed how. An Unconfirmed address
// that is the current one in another case keeps its confirmation: it is
// the same mailbox.
func (s *Store) setEmail(ctx context.Context, id int64, email string, how Confirmation) (Account, error) {
	key := EmailKey(email)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE accounts SET email = ?,
			email_confirmed_by = CASE WHEN ? = '' AND email_key = ? THEN email_confirmed_by ELSE ? END,
			email_confirmed_at = CASE WHEN ? = '' AND email_key = ? THEN email_confirmed_at ELSE ? END,
			email_key = ?, updated_at = ? WHERE id = ?`,
			email, how, key, how, how, key, confirmedAt(how, s.now()), key, s.now(), id)
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("identity: set e-mail of #%d: %w", id, ErrEmailTaken)
		}
		if err != nil {
			return fmt.Errorf("identity: set e-mail of #%d: %w", id, err)
		}
		return mustAffect(res, fmt.Sprintf("account #%d", id))
	})
	if err != nil {
		return Account{}, err
	}
	return s.AccountByID(ctx, id)
}

// ConfirmEmailChange spends the link and sets the new address, confirmed.
func (s *Store) ConfirmEmailChange(ctx context.Context, token string) (Account, error) {
	var a Account
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		var email string
		err := tx.QueryRow(ctx, `UPDATE email_changes SET used_at = ? WHERE token_hash = ? AND used_at = 0 AND expires_at > ? RETURNING account_id, email`,
			s.now(), hashToken(token), s.now()).Scan(&id, &email)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrEmailChangeInvalid
		}
		if err != nil {
			return err
		}
		// Opening the link proves the mailbox is the member's.
		if _, err := tx.Exec(ctx, `UPDATE accounts SET email = ?, email_key = ?, email_confirmed_by = 'link', email_confirmed_at = ?, updated_at = ? WHERE id = ?`,
			email, EmailKey(email), s.now(), s.now(), id); err != nil {
			if store.IsUniqueViolation(err) {
				return fmt.Errorf("identity: e-mail %q is taken: %w", email, ErrEmailTaken)
			}
			return err
		}
		a, err = scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
		return err
	})
	return a, err
}
