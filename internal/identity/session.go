package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"pelote/internal/store"
)

// Session is one signed-in browser.
type Session struct {
	ID         int64     `json:"id"`
	AccountID  int64     `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Client is a coarse description ("Firefox on Linux"), never the full
	// user agent nor an address: enough to recognise one's own devices.
	Client string `json:"client"`
}

// touchEvery limits last-seen writes to one a minute per session, so that
// browsing does not turn every page view into a database write.
const touchEvery = time.Minute

// CreateSession starts a session and returns the cookie value, which is
// stored only as its hash.
func (s *Store) CreateSession(ctx context.Context, accountID int64, client string) (string, Session, error) {
	token, hash, err := s.newToken()
	if err != nil {
		return "", Session{}, fmt.Errorf("identity: new session: %w", err)
	}
	if len(client) > 64 {
		client = client[:64]
	}
	now := s.Now().UTC().Truncate(time.Second)
	ss := Session{AccountID: accountID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.Sessions.Absolute), Client: client}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at, client) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			hash, accountID, now.Unix(), now.Unix(), ss.ExpiresAt.Unix(), client).Scan(&ss.ID)
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("identity: new session: %w", err)
	}
	return token, ss, nil
}

// SessionByToken returns a live session and its (active) account. Expired
// sessions are deleted on sight and give ErrSessionInvalid.
func (s *Store) SessionByToken(ctx context.Context, token string) (Session, Account, error) {
	if token == "" || len(token) > 64 {
		return Session{}, Account{}, ErrSessionInvalid
	}
	return s.sessionWhere(ctx, `token_hash = ?`, hashToken(token))
}

// SessionByID is SessionByToken for a caller that proved the id another
// way (the forward-auth cookie carries it under a MAC).
func (s *Store) SessionByID(ctx context.Context, id int64) (Session, Account, error) {
	return s.sessionWhere(ctx, `id = ?`, id)
}

func (s *Store) sessionWhere(ctx context.Context, where string, arg any) (Session, Account, error) {
	var ss Session
	var created, seen, expires int64
	err := s.db.QueryRow(ctx, `SELECT id, account_id, created_at, last_seen_at, expires_at, client FROM sessions WHERE `+where, arg).
		Scan(&ss.ID, &ss.AccountID, &created, &seen, &expires, &ss.Client)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, Account{}, ErrSessionInvalid
	}
	if err != nil {
		return Session{}, Account{}, fmt.Errorf("identity: session: %w", err)
	}
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = unix(created), unix(seen), unix(expires)
	now := s.Now().UTC()
	if !now.Before(ss.ExpiresAt) || !now.Before(ss.LastSeenAt.Add(s.Sessions.Idle)) {
		_, _ = s.db.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, ss.ID)
		return Session{}, Account{}, ErrSessionInvalid
	}
	a, err := s.AccountByID(ctx, ss.AccountID)
	if err != nil {
		return Session{}, Account{}, err
	}
	if a.State != Active {
		return Session{}, Account{}, ErrSessionInvalid
	}
	if now.Sub(ss.LastSeenAt) >= touchEvery {
		if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, now.Unix(), ss.ID); err != nil {
			return Session{}, Account{}, fmt.Errorf("identity: touch session: %w", err)
		}
		ss.LastSeenAt = now.Truncate(time.Second)
	}
	return ss, a, nil
}

// Sessions lists an account's live sessions, newest first.
func (s *Store) ListSessions(ctx context.Context, accountID int64) ([]Session, error) {
	now := s.now()
	rows, err := s.db.Query(ctx, `SELECT id, account_id, created_at, last_seen_at, expires_at, client FROM sessions
		WHERE account_id = ? AND expires_at > ? AND last_seen_at > ? ORDER BY last_seen_at DESC, id DESC`,
		accountID, now, now-int64(s.Sessions.Idle/time.Second))
	if err != nil {
		return nil, fmt.Errorf("identity: list sessions: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var ss Session
		var created, seen, expires int64
		if err := rows.Scan(&ss.ID, &ss.AccountID, &created, &seen, &expires, &ss.Client); err != nil {
			return nil, fmt.Errorf("identity: list sessions: %w", err)
		}
		ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = unix(created), unix(seen), unix(expires)
		out = append(out, ss)
	}
	return out, rows.Err()
}

// RevokeSession ends one of an account's sessions.
func (s *Store) RevokeSession(ctx context.Context, accountID, id int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		ended, err := s.endSessions(ctx, tx, `id = ? AND account_id = ?`, id, accountID)
		if err != nil {
			return fmt.Errorf("identity: revoke session: %w", err)
		}
		if len(ended) == 0 {
			return fmt.Errorf("session #%d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// RevokeOtherSessions ends all of an account's sessions but keep.
func (s *Store) RevokeOtherSessions(ctx context.Context, accountID, keep int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.endSessions(ctx, tx, `account_id = ? AND id <> ?`, accountID, keep); err != nil {
			return fmt.Errorf("identity: revoke sessions: %w", err)
		}
		return nil
	})
}

// endSessions deletes the sessions matching where and tells SessionsEnded
// which, in the same transaction; it returns those that ended.
func (s *Store) endSessions(ctx context.Context, tx *store.Tx, where string, args ...any) ([]int64, error) {
	rows, err := tx.Query(ctx, `DELETE FROM sessions WHERE `+where+` RETURNING id`, args...)
	if err != nil {
		return nil, err
	}
	var ended []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ended = append(ended, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ended) > 0 && s.SessionsEnded != nil {
		if err := s.SessionsEnded(ctx, tx, ended); err != nil {
			return nil, err
		}
	}
	return ended, nil
}

// PurgeSessions deletes expired sessions; a background job calls it.
func (s *Store) PurgeSessions(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`, now, now-int64(s.Sessions.Idle/time.Second))
	if err != nil {
		return 0, fmt.Errorf("identity: purge sessions: %w", err)
	}
	return res.RowsAffected()
}
