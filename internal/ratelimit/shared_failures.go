package ratelimit

import (
	"database/sql"
	"errors"
	"time"

	"pelote/internal/store"
)

// sharedFailures keeps Failures' counts in the database: one row per key,
// its window and its count, written by one statement per failure.
type sharedFailures struct {
	db     *store.DB
	log    *errLog
	scope  string
	limit  int
	window time.Duration
	now    func() time.Time
	purge  purger
}

func (s *sharedFailures) blocked(key string) (bool, time.Duration, error) {
	ctx, cancel := dbContext()
	defer cancel()
	var n int
	var expires int64
	err := s.db.QueryRow(ctx, `SELECT failures, expires_at FROM ratelimit_failures WHERE scope = ? AND key_hash = ?`,
		s.scope, keyHash(key)).Scan(&n, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, nil
	}
	if err != nil {
		s.log.report(err)
		return false, 0, err
	}
	left := time.UnixMilli(expires).Sub(s.now())
	if left <= 0 {
		return false, 0, nil
	}
	return n >= s.limit, left, nil
}

// failSQL starts a window or counts in the current one; the CASEs read the
// row as it was, so a window that ended starts again at one.
const failSQL = `INSERT INTO ratelimit_failures (scope, key_hash, started_at, expires_at, failures) VALUES (?, ?, ?, ?, 1)
	ON CONFLICT (scope, key_hash) DO UPDATE SET
	failures = CASE WHEN ratelimit_failures.expires_at <= excluded.started_at THEN 1 ELSE ratelimit_failures.failures + 1 END,
	started_at = CASE WHEN ratelimit_failures.expires_at <= excluded.started_at THEN excluded.started_at ELSE ratelimit_failures.started_at END,
	expires_at = CASE WHEN ratelimit_failures.expires_at <= excluded.started_at THEN excluded.expires_at ELSE ratelimit_failures.expires_at END`

func (s *sharedFailures) fail(key string) {
	ctx, cancel := dbContext()
	defer cancel()
	now := s.now()
	start := now.UnixMilli()
	if _, err := s.db.Exec(ctx, failSQL, s.scope, keyHash(key), start, start+s.window.Milliseconds()); err != nil {
		s.log.report(err)
		return
	}
	if s.purge.due(now) {
		if _, err := s.db.Exec(ctx, `DELETE FROM ratelimit_failures WHERE expires_at <= ?`, start); err != nil {
			s.log.report(err)
		}
	}
}

func (s *sharedFailures) reset(key string) {
	ctx, cancel := dbContext()
	defer cancel()
	if _, err := s.db.Exec(ctx, `DELETE FROM ratelimit_failures WHERE scope = ? AND key_hash = ?`, s.scope, keyHash(key)); err != nil {
		s.log.report(err)
	}
}
