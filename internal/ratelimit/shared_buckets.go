package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"pelote/internal/store"
)

// sharedBuckets keeps Buckets in the database, one row per key, and takes
// tokens from it in batches of about a twentieth of a second's worth: a
// busy client costs a database round trip per batch, not per request,
// and every token a node holds was taken from the shared bucket, so all
// nodes together never exceed the rate (a node may hold one batch unused
// while another waits: that is the price of batching).
type sharedBuckets struct {
	db    *store.DB
	log   *errLog
	scope string
	rate  float64 // tokens per second
	burst float64
	batch int
	now   func() time.Time
	purge purger

	mu     sync.Mutex
	leases map[string]*lease
}

// lease is what this node holds of one key's bucket.
type lease struct {
	// mu is held while the lease is refilled from the database, so that
	// the requests of one client wait for one round trip, and other
	// clients for none.
	mu     sync.Mutex
	tokens int
	// emptyUntil: the shared bucket had no token; none comes before then.
	emptyUntil time.Time
}

func newSharedBuckets(db *store.DB, log *errLog, scope string, rate int, now func() time.Time) *sharedBuckets {
	burst := 2 * float64(rate)
	return &sharedBuckets{db: db, log: log, scope: scope, rate: float64(rate), burst: burst,
		batch: max(1, min(rate/20, int(burst))), now: now, leases: map[string]*lease{}}
}

func (s *sharedBuckets) lease(key string) *lease {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.leases[key]
	if l == nil {
		if len(s.leases) >= maxKeys {
			// Dropping leases forgets tokens already taken: never more
			// than the rate, only less.
			clear(s.leases)
		}
		l = &lease{}
		s.leases[key] = l
	}
	return l
}

func (s *sharedBuckets) allow(key string) (bool, time.Duration, error) {
	l := s.lease(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tokens > 0 {
		l.tokens--
		return true, 0, nil
	}
	now := s.now()
	if wait := l.emptyUntil.Sub(now); wait > 0 {
		return false, wait, nil
	}
	granted, left, err := s.take(key, now)
	if err != nil {
		s.log.report(err)
		return false, 0, err
	}
	if granted > 0 {
		l.tokens = granted - 1
		return true, 0, nil
	}
	wait := time.Duration((1 - left) / s.rate * float64(time.Second))
	l.emptyUntil = now.Add(wait)
	return false, wait, nil
}

// The refill, the batch taken and the row's new state in one statement:
// SET expressions read the row as it was. The bucket refills at rate from
// refilled_at (never backwards, should nodes' clocks differ), up to burst.
const (
	takePostgres = `INSERT INTO ratelimit_buckets (scope, key_hash, tokens, refilled_at, granted, expires_at) VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (scope, key_hash) DO UPDATE SET
	granted = LEAST(CAST(? AS INTEGER), FLOOR(LEAST(CAST(? AS DOUBLE PRECISION), ratelimit_buckets.tokens + GREATEST(0, excluded.refilled_at - ratelimit_buckets.refilled_at) * CAST(? AS DOUBLE PRECISION)))),
	tokens = LEAST(CAST(? AS DOUBLE PRECISION), ratelimit_buckets.tokens + GREATEST(0, excluded.refilled_at - ratelimit_buckets.refilled_at) * CAST(? AS DOUBLE PRECISION))
		- LEAST(CAST(? AS INTEGER), FLOOR(LEAST(CAST(? AS DOUBLE PRECISION), ratelimit_buckets.tokens + GREATEST(0, excluded.refilled_at - ratelimit_buckets.refilled_at) * CAST(? AS DOUBLE PRECISION)))),
	refilled_at = GREATEST(ratelimit_buckets.refilled_at, excluded.refilled_at),
	expires_at = excluded.expires_at
	RETURNING granted, tokens`
	// SQLite spells LEAST and GREATEST as MIN and MAX, and FLOOR of a
	// non-negative number as a cast.
	takeSQLite = `INSERT INTO ratelimit_buckets (scope, key_hash, tokens, refilled_at, granted, expires_at) VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (scope, key_hash) DO UPDATE SET
	granted = MIN(?, CAST(MIN(?, ratelimit_buckets.tokens + MAX(0, excluded.refilled_at - ratelimit_buckets.refilled_at) * ?) AS INTEGER)),
	tokens = MIN(?, ratelimit_buckets.tokens + MAX(0, excluded.refilled_at - ratelimit_buckets.refilled_at) * ?)
		- MIN(?, CAST(MIN(?, ratelimit_buckets.tokens + MAX(0, excluded.refilled_at - ratelimit_buckets.refilled_at) * ?) AS INTEGER)),
	refilled_at = MAX(ratelimit_buckets.refilled_at, excluded.refilled_at),
	expires_at = excluded.expires_at
	RETURNING granted, tokens`
)

// take takes a batch of key's tokens at now: it returns the number
// granted and the tokens left in the shared bucket.
func (s *sharedBuckets) take(key string, now time.Time) (int, float64, error) {
	ctx, cancel := dbContext()
	defer cancel()
	perMicro := s.rate / 1e6
	first := min(s.batch, int(s.burst))
	// A bucket is full again burst/rate seconds after its last take: then
	// its row is worth nothing and may go.
	expires := now.Add(time.Duration(s.burst / s.rate * float64(time.Second))).UnixMilli()
	args := []any{s.scope, keyHash(key), s.burst - float64(first), now.UnixMicro(), first, expires,
		s.batch, s.burst, perMicro, s.burst, perMicro, s.batch, s.burst, perMicro}
	var granted int
	var left float64
	var err error
	if s.db.Dialect() == store.Postgres {
		err = s.db.QueryRow(ctx, takePostgres, args...).Scan(&granted, &left)
	} else {
		// SQLite's readers cannot write: the statement runs on the writer,
		// in a transaction.
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, takeSQLite, args...).Scan(&granted, &left)
		})
	}
	if err != nil {
		return 0, 0, err
	}
	if s.purge.due(now) {
		s.purgeRows(ctx, now)
	}
	return granted, math.Max(0, left), nil
}

func (s *sharedBuckets) purgeRows(ctx context.Context, now time.Time) {
	if _, err := s.db.Exec(ctx, `DELETE FROM ratelimit_buckets WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
		s.log.report(err)
	}
}
