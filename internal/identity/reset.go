package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"pelote/internal/store"
)

// ResetLinkTTL is how long a "forgot password" link works.
const ResetLinkTTL = time.Hour

// ErrResetInvalid is a reset link that is unknown, used or expired: the
// person asks for a new one.
var ErrResetInvalid = errors.New("this link is not valid any more: ask for a new one")

// RequestPasswordReset makes a reset token for the active account whose
// username or e-mail address is login. found is false when there is none:
// the caller answers the same either way, so the form reveals nothing.
func (s *Store) RequestPasswordReset(ctx context.Context, login string) (token string, a Account, found bool, err error) {
	login = strings.TrimSpace(login)
	_, nameErr := NormalizeName("username", login)
	_, mailErr := NormalizeEmail(login)
	if login == "" || len(login) > 254 || nameErr != nil && mailErr != nil {
		// Names nothing (see lookupName).
		return "", Account{}, false, nil
	}
	a, err = scanAccount(s.db.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE (username = ? OR email_key = ?) AND state = 'active'`,
		strings.ToLower(login), EmailKey(login)))
	if errors.Is(err, sql.ErrNoRows) {
		return "", Account{}, false, nil
	}
	if err != nil {
		return "", Account{}, false, fmt.Errorf("identity: reset: %w", err)
	}
	token, hash, err := s.newToken()
	if err != nil {
		return "", Account{}, false, err
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES (?, ?, ?)`,
		hash, a.ID, s.Now().Add(ResetLinkTTL).Unix()); err != nil {
		return "", Account{}, false, fmt.Errorf("identity: reset: %w", err)
	}
	return token, a, true, nil
}

// CheckPasswordReset tells whether a reset link still works, without
// using it (the form shows first).
func (s *Store) CheckPasswordReset(ctx context.Context, token string) error {
	var expires, used int64
	err := s.db.QueryRow(ctx, `SELECT expires_at, used_at FROM password_resets WHERE token_hash = ?`, hashToken(token)).Scan(&expires, &used)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used != 0 || s.Now().Unix() >= expires) {
		return ErrResetInvalid
	}
	return err
}

// ResetPassword spends the link and sets the new password, ending every
// session of the account; the account's other links die with it.
func (s *Store) ResetPassword(ctx context.Context, token, password string) (Account, error) {
	if err := CheckPassword(password); err != nil {
		return Account{}, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return Account{}, err
	}
	var a Account
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at = 0 AND expires_at > ? RETURNING account_id`,
			s.now(), hashToken(token), s.now()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrResetInvalid
		}
		if err != nil {
			return err
		}
		if a, err = scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ? AND state = 'active'`, id)); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrResetInvalid
			}
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?`, hash, s.now(), s.now(), id); err != nil {
			return err
		}
		// Whoever asked for the link may not be the member: nothing the
		// old password gave survives, and no app password is kept.
		return s.revokeCredentials(ctx, tx, id, `account_id = ?`, []any{id}, nil)
	})
	return a, err
}
