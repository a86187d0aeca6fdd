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

// RequestEmailChange records a new address for the account, to take effect
// when the link mailed to it is opened; it returns that link's token.
func (s *Store) RequestEmailChange(ctx context.Context, accountID int64, email string) (string, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return "", err
	}
	var taken int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE email_key = ? AND id <> ?`, EmailKey(email), accountID).Scan(&taken); err != nil {
		return "", fmt.Errorf("identity: e-mail change: %w", err)
	}
	if taken > 0 {
		return "", fmt.Errorf("identity: e-mail %q is taken: %w", email, store.ErrConflict)
	}
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

// ConfirmEmailChange spends the link and sets the new address.
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
				return fmt.Errorf("identity: e-mail %q is taken: %w", email, store.ErrConflict)
			}
			return err
		}
		a, err = scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
		return err
	})
	return a, err
}
