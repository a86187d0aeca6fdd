package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"pelote/internal/store"
)

// Reserved are names a newcomer may not take: they are addresses mail
// systems give meaning to, or would let someone pass for the hoster.
// Administrators may still create them.
var Reserved = []string{"admin", "administrator", "root", "postmaster", "abuse", "hostmaster", "webmaster",
	"security", "noreply", "no-reply", "mailer-daemon", "support", "info", "system", "pelote", "www"}

// ErrInvitationInvalid is an invitation that is unknown, used or expired.
var ErrInvitationInvalid = errors.New("this invitation is not valid any more: ask for a new one")

// ErrVerificationInvalid is a verification link that is unknown, used or
// expired.
var ErrVerificationInvalid = errors.New("this verification link is not valid any more")

// VerificationTTL is how long a newcomer has to confirm the address.
const VerificationTTL = 48 * time.Hour

// CreateInvitation makes a single-use sign-up link valid for ttl; whoever
// uses it joins groups.
func (s *Store) CreateInvitation(ctx context.Context, groups []string, ttl time.Duration, note string) (string, error) {
	var names []string
	for _, g := range groups {
		n, err := NormalizeName("group", g)
		if err != nil {
			return "", err
		}
		if _, err := s.Group(ctx, n); err != nil {
			return "", err
		}
		names = append(names, n)
	}
	if ttl <= 0 || ttl > 90*24*time.Hour {
		return "", invalid("ttl", "must be between a minute and 90 days")
	}
	token, hash, err := s.newToken()
	if err != nil {
		return "", err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO invitations (token_hash, groups, note, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		hash, strings.Join(names, " "), note, s.now(), s.Now().Add(ttl).Unix())
	if err != nil {
		return "", fmt.Errorf("identity: invitation: %w", err)
	}
	return token, nil
}

// CheckInvitation tells whether an invitation can still be used.
func (s *Store) CheckInvitation(ctx context.Context, token string) error {
	var expires, used int64
	err := s.db.QueryRow(ctx, `SELECT expires_at, used_at FROM invitations WHERE token_hash = ?`, hashToken(token)).Scan(&expires, &used)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used != 0 || s.Now().Unix() >= expires) {
		return ErrInvitationInvalid
	}
	return err
}

// SignUpWithInvitation spends the invitation and creates the account,
// pending until its address is confirmed; it returns the verification
// token to mail to the newcomer.
func (s *Store) SignUpWithInvitation(ctx context.Context, token string, n NewAccount) (Account, string, error) {
	n.Admin, n.State = false, Pending
	if err := n.validate(); err != nil {
		return Account{}, "", err
	}
	if slices.Contains(Reserved, n.Username) {
		return Account{}, "", invalid("username_reserved", "is reserved; choose another")
	}
	hash, err := s.hasher.Hash(ctx, n.Password)
	if err != nil {
		return Account{}, "", err
	}
	verify, verifyHash, err := s.newToken()
	if err != nil {
		return Account{}, "", err
	}
	var a Account
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var groups string
		err := tx.QueryRow(ctx, `UPDATE invitations SET used_at = ? WHERE token_hash = ? AND used_at = 0 AND expires_at > ? RETURNING groups`,
			s.now(), hashToken(token), s.now()).Scan(&groups)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvitationInvalid
		}
		if err != nil {
			return err
		}
		if a, err = insertAccount(ctx, tx, n, hash, s.now()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET account_id = ? WHERE token_hash = ?`, a.ID, hashToken(token)); err != nil {
			return err
		}
		for _, g := range strings.Fields(groups) {
			if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, account_id) SELECT id, ? FROM account_groups WHERE name = ?`, a.ID, g); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO email_verifications (token_hash, account_id, expires_at) VALUES (?, ?, ?)`,
			verifyHash, a.ID, s.Now().Add(VerificationTTL).Unix())
		return err
	})
	if err != nil {
		return Account{}, "", err
	}
	return a, verify, nil
}

// VerifyEmail spends a verification link and activates the account it
// was made for, if it is still waiting for it.
func (s *Store) VerifyEmail(ctx context.Context, token string) (Account, error) {
	var a Account
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `UPDATE email_verifications SET used_at = ? WHERE token_hash = ? AND used_at = 0 AND expires_at > ? RETURNING account_id`,
			s.now(), hashToken(token), s.now()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrVerificationInvalid
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET state = 'active', updated_at = ? WHERE id = ? AND state = 'pending'`, s.now(), id); err != nil {
			return err
		}
		a, err = scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
		return err
	})
	return a, err
}
