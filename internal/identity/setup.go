package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"pelote/internal/store"
)

// SetupLinkTTL is how long the first-administrator link stays valid.
const SetupLinkTTL = time.Hour

// NeedsSetup reports whether no account exists yet.
func (s *Store) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := s.CountAccounts(ctx)
	return n == 0, err
}

// CreateSetupToken returns a single-use token, valid for SetupLinkTTL, that
// lets whoever holds it create the first administrator.
func (s *Store) CreateSetupToken(ctx context.Context) (string, error) {
	token, hash, err := s.newToken()
	if err != nil {
		return "", fmt.Errorf("identity: setup token: %w", err)
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO setup_tokens (token_hash, expires_at) VALUES (?, ?)`, hash, s.Now().Add(SetupLinkTTL).Unix()); err != nil {
		return "", fmt.Errorf("identity: setup token: %w", err)
	}
	return token, nil
}

// CheckSetupToken tells whether token can still be used, without using it.
func (s *Store) CheckSetupToken(ctx context.Context, token string) error {
	return s.checkSetupToken(ctx, s.db, token)
}

func (s *Store) checkSetupToken(ctx context.Context, q store.Queryer, token string) error {
	var expires, used int64
	err := q.QueryRow(ctx, `SELECT expires_at, used_at FROM setup_tokens WHERE token_hash = ?`, hashToken(token)).Scan(&expires, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrSetupInvalid
	case err != nil:
		return fmt.Errorf("identity: setup token: %w", err)
	case used != 0:
		return ErrSetupInvalid
	case s.now() >= expires:
		return ErrSetupExpired
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return fmt.Errorf("identity: setup token: %w", err)
	}
	if n > 0 {
		return ErrSetupDone
	}
	return nil
}

// UseSetupToken creates the first administrator and spends the token, in
// one transaction: either both happen or neither.
func (s *Store) UseSetupToken(ctx context.Context, token string, n NewAccount) (Account, error) {
	n.Admin, n.State = true, Active
	if err := n.validate(); err != nil {
		return Account{}, fmt.Errorf("identity: setup: %w", err)
	}
	if err := s.CheckSetupToken(ctx, token); err != nil {
		return Account{}, err
	}
	hash, err := s.hasher.Hash(ctx, n.Password)
	if err != nil {
		return Account{}, fmt.Errorf("identity: setup: %w", err)
	}
	var a Account
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		// Checked again under the write lock: two browsers may race.
		if err := s.checkSetupToken(ctx, tx, token); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE setup_tokens SET used_at = ? WHERE token_hash = ?`, s.now(), hashToken(token)); err != nil {
			return fmt.Errorf("identity: spend setup token: %w", err)
		}
		// The hoster's own address, typed by the hoster.
		a, err = insertAccount(ctx, tx, n, hash, s.now(), ConfirmedAdmin, false)
		return err
	})
	return a, err
}
