package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"pelote/internal/store"
)

// Authenticate checks a username and password. Whether the username exists
// or not, it costs one argon2id verification and answers ErrBadCredentials,
// so neither timing nor message tells which accounts exist. The state is
// revealed only to someone who knew the password.
func (s *Store) Authenticate(ctx context.Context, username, password string) (Account, error) {
	name, valid := lookupName(username)
	var hash string
	a, err := Account{}, sql.ErrNoRows
	if valid {
		a, err = scanAccountWith(s.db.QueryRow(ctx, `SELECT `+accountCols+`, password_hash FROM accounts WHERE username = ?`, name), &hash)
	}
	if errors.Is(err, sql.ErrNoRows) || (err == nil && hash == "") {
		_, _, _ = s.hasher.Verify(ctx, password, s.dummy(ctx))
		return Account{}, ErrBadCredentials
	}
	if err != nil {
		return Account{}, fmt.Errorf("identity: authenticate: %w", err)
	}
	ok, rehash, err := s.hasher.verifyAny(ctx, password, hash)
	if err != nil {
		return Account{}, fmt.Errorf("identity: authenticate %q: %w", name, err)
	}
	if !ok {
		return Account{}, ErrBadCredentials
	}
	switch a.State {
	case Disabled:
		return Account{}, ErrDisabled
	case Pending:
		return Account{}, ErrPending
	}
	if rehash {
		// New parameters apply at the next successful login; a failure here
		// must not block the login, the old hash stays valid.
		if h, err := s.hasher.Hash(ctx, password); err == nil {
			_, _ = s.db.Exec(ctx, `UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?`, h, a.ID, hash)
		}
	}
	a.Groups, err = s.groupsOf(ctx, a.ID)
	return a, err
}

// SetPassword is an administrator's reset (web or CLI): it replaces an
// account's password and revokes what the old one gave (see
// revokeCredentials), every app password included.
func (s *Store) SetPassword(ctx context.Context, username, password string, keepSession int64) error {
	if err := CheckPassword(password); err != nil {
		return fmt.Errorf("identity: set password: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("identity: set password: %w", err)
	}
	return s.setHash(ctx, username, hash, keepSession, nil)
}

// setHash stores a password hash, ends the sessions but keepSession and
// revokes the account's credentials but the app passwords in keepApps.
func (s *Store) setHash(ctx context.Context, username, hash string, keepSession int64, keepApps []int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		id, err := lockAccount(ctx, tx, username)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE accounts SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?`, hash, now, now, id); err != nil {
			return fmt.Errorf("identity: set password of %q: %w", username, err)
		}
		if err := s.revokeCredentials(ctx, tx, id, `account_id = ? AND id <> ?`, []any{id, keepSession}, keepApps); err != nil {
			return fmt.Errorf("identity: revoke credentials of %q: %w", username, err)
		}
		return nil
	})
}

// ChangePassword is the member's own change: it needs the current
// password. The app passwords in keepApps (ids of the account's own) go
// on working; the others are revoked with the rest (see revokeCredentials).
func (s *Store) ChangePassword(ctx context.Context, username, current, next string, keepSession int64, keepApps []int64) error {
	if _, err := s.Authenticate(ctx, username, current); err != nil {
		return err
	}
	if err := CheckPassword(next); err != nil {
		return fmt.Errorf("identity: change password: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return fmt.Errorf("identity: change password: %w", err)
	}
	return s.setHash(ctx, username, hash, keepSession, keepApps)
}
