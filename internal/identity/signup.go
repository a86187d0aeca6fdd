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

// SignUpOptions say how a sign-up without an invitation is handled.
type SignUpOptions struct {
	// Moderated keeps the account pending after the address is confirmed,
	// until a moderator approves it.
	Moderated bool
	// Reason is what the person wrote for the moderators.
	Reason string
}

// maxReason bounds what a person may write to the moderators.
const maxReason = 2000

// SignUp creates the account of someone who signed up on their own,
// pending until its address is confirmed (and, when moderated, approved);
// it returns the verification token to mail to them. An address another
// account has gives ErrEmailTaken, and that account.
func (s *Store) SignUp(ctx context.Context, n NewAccount, o SignUpOptions) (Account, string, error) {
	var err error
	if o.Reason, err = CheckText("reason", o.Reason, maxReason, true); err != nil {
		return Account{}, "", err
	}
	return s.signUp(ctx, n, o, nil, nil)
}

// signUp is what every sign-up shares: a new pending account, its
// sign_ups row and its verification link, written together; before runs
// first in the transaction (an invitation is spent there), after once the
// account exists. An address another account has gives ErrEmailTaken with
// that account, so that its owner can be told; then the username is held
// and before runs all the same (see holdUsername).
func (s *Store) signUp(ctx context.Context, n NewAccount, o SignUpOptions, before func(*store.Tx) error, after func(*store.Tx, Account) error) (Account, string, error) {
	a, token, err := s.createSignUp(ctx, n, o, before, after)
	if !errors.Is(err, ErrEmailTaken) {
		return a, token, err
	}
	if herr := s.holdUsername(ctx, n.Username, before); herr != nil {
		return Account{}, "", herr
	}
	owner, lerr := scanAccount(s.db.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE email_key = ?`, EmailKey(strings.TrimSpace(n.Email))))
	if lerr != nil {
		// Gone since: an ordinary conflict, nobody to tell.
		return Account{}, "", fmt.Errorf("identity: e-mail address %q: %w", n.Email, store.ErrConflict)
	}
	return owner, "", err
}

func (s *Store) createSignUp(ctx context.Context, n NewAccount, o SignUpOptions, before func(*store.Tx) error, after func(*store.Tx, Account) error) (Account, string, error) {
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
		if before != nil {
			if err := before(tx); err != nil {
				return err
			}
		}
		if a, err = insertAccount(ctx, tx, n, hash, s.now(), Unconfirmed, true); err != nil {
			return err
		}
		if after != nil {
			if err := after(tx, a); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sign_ups (account_id, moderated, reason, created_at) VALUES (?, ?, ?, ?)`,
			a.ID, o.Moderated, o.Reason, s.now()); err != nil {
			return err
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

// holdUsername is what a sign-up with another account's address leaves
// instead of a pending account: its username held for as long as an
// unconfirmed sign-up would hold it, and before (the invitation spent) as
// a real sign-up would have run it. Asked again, the name is taken and
// the invitation used, as after a sign-up with a free address: the answers
// tell nothing of whose address it was.
func (s *Store) holdUsername(ctx context.Context, username string, before func(*store.Tx) error) error {
	name := strings.ToLower(strings.TrimSpace(username))
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if before != nil {
			if err := before(tx); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO held_usernames (username, expires_at) VALUES (?, ?)
			ON CONFLICT (username) DO UPDATE SET expires_at = excluded.expires_at`, name, s.Now().Add(VerificationTTL).Unix())
		return err
	})
}

// VerifyEmail spends a verification link. The account it was made for
// becomes active, unless a moderator must approve it first: then it stays
// pending and awaiting is true.
func (s *Store) VerifyEmail(ctx context.Context, token string) (a Account, awaiting bool, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `UPDATE email_verifications SET used_at = ? WHERE token_hash = ? AND used_at = 0 AND expires_at > ? RETURNING account_id`,
			s.now(), hashToken(token), s.now()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrVerificationInvalid
		}
		if err != nil {
			return err
		}
		var moderated bool
		err = tx.QueryRow(ctx, `UPDATE sign_ups SET verified_at = ? WHERE account_id = ? RETURNING moderated`, s.now(), id).Scan(&moderated)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case moderated:
			awaiting = true
		default:
			if _, err := tx.Exec(ctx, `DELETE FROM sign_ups WHERE account_id = ?`, id); err != nil {
				return err
			}
		}
		// Opening the link proves the mailbox is the newcomer's.
		if _, err := tx.Exec(ctx, `UPDATE accounts SET email_confirmed_by = 'signup', email_confirmed_at = ? WHERE id = ?`, s.now(), id); err != nil {
			return err
		}
		if !awaiting {
			if _, err := tx.Exec(ctx, `UPDATE accounts SET state = 'active', updated_at = ? WHERE id = ? AND state = 'pending'`, s.now(), id); err != nil {
				return err
			}
		}
		a, err = scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
		return err
	})
	return a, awaiting, err
}

// SignUpRequest is a pending sign-up, as moderators see it.
type SignUpRequest struct {
	Account   Account   `json:"account"`
	Moderated bool      `json:"moderated"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	// Verified is false while the address is not confirmed yet.
	Verified bool `json:"verified"`
}

// SignUps lists pending sign-ups, oldest first: those a moderator must
// decide on, and those whose address is not confirmed yet.
func (s *Store) SignUps(ctx context.Context) ([]SignUpRequest, error) {
	rows, err := s.db.Query(ctx, `SELECT `+prefixed("a.", accountCols)+`, u.moderated, u.reason, u.created_at, u.verified_at
		FROM sign_ups u JOIN accounts a ON a.id = u.account_id WHERE a.state = 'pending' ORDER BY u.created_at, a.id`)
	if err != nil {
		return nil, fmt.Errorf("identity: sign-ups: %w", err)
	}
	defer rows.Close()
	var out []SignUpRequest
	for rows.Next() {
		var r SignUpRequest
		var created, verified int64
		a, err := scanAccountWith(rows, &r.Moderated, &r.Reason, &created, &verified)
		if err != nil {
			return nil, err
		}
		r.Account, r.CreatedAt, r.Verified = a, unix(created), verified != 0
		out = append(out, r)
	}
	return out, rows.Err()
}

// ApproveSignUp activates a moderated sign-up whose address is confirmed.
// Two moderators deciding at once: the second gets store.ErrNotFound.
func (s *Store) ApproveSignUp(ctx context.Context, username string) (Account, error) {
	var a Account
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		id, err := takeSignUp(ctx, tx, username, true)
		if err != nil {
			return err
		}
		a, err = scanAccount(tx.QueryRow(ctx, `UPDATE accounts SET state = 'active', updated_at = ? WHERE id = ? AND state = 'pending' RETURNING `+accountCols, s.now(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notPending(username)
		}
		return err
	})
	return a, err
}

// RefuseSignUp deletes a pending sign-up and its account, freeing the
// name and the address; it returns the account as it was, to tell the
// person.
func (s *Store) RefuseSignUp(ctx context.Context, username string) (Account, error) {
	var a Account
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		id, err := takeSignUp(ctx, tx, username, false)
		if err != nil {
			return err
		}
		a, err = scanAccount(tx.QueryRow(ctx, `DELETE FROM accounts WHERE id = ? AND state = 'pending' RETURNING `+accountCols, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notPending(username)
		}
		return err
	})
	return a, err
}

// ErrNotVerified is a sign-up whose address is not confirmed yet.
var ErrNotVerified = errors.New("this person has not confirmed the e-mail address yet")

// takeSignUp deletes the sign_ups row of a pending account by name, in
// the caller's transaction: the row is what two moderators race for.
// verified asks that the address be confirmed.
func takeSignUp(ctx context.Context, tx *store.Tx, username string, verified bool) (int64, error) {
	n, err := NormalizeName("username", username)
	if err != nil {
		return 0, err
	}
	var id, verifiedAt int64
	err = tx.QueryRow(ctx, `DELETE FROM sign_ups WHERE account_id = (SELECT id FROM accounts WHERE username = ? AND state = 'pending')
		RETURNING account_id, verified_at`, n).Scan(&id, &verifiedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, notPending(n)
	case err != nil:
		return 0, err
	case verified && verifiedAt == 0:
		return 0, ErrNotVerified
	}
	return id, nil
}

func notPending(username string) error {
	return fmt.Errorf("identity: no pending sign-up of %q: %w", username, store.ErrNotFound)
}

// PurgeSignUps deletes the accounts of sign-ups whose address was not
// confirmed in time, freeing their names and addresses; the maintenance
// job calls it.
func (s *Store) PurgeSignUps(ctx context.Context) (int64, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM accounts WHERE state = 'pending' AND id IN
		(SELECT account_id FROM sign_ups WHERE verified_at = 0 AND created_at < ?)`, s.Now().Add(-VerificationTTL).Unix())
	if err != nil {
		return 0, fmt.Errorf("identity: purge sign-ups: %w", err)
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM held_usernames WHERE expires_at <= ?`, s.now()); err != nil {
		return 0, fmt.Errorf("identity: purge held usernames: %w", err)
	}
	return res.RowsAffected()
}
