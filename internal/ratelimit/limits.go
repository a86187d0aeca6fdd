package ratelimit

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the shared counters' tables.
func Migrations() store.Migrations { return store.Migrations{Owner: "ratelimit", FS: migrations} }

// Limits makes a node's limiters: counted in the database when several
// nodes share it, in memory otherwise. A nil *Limits makes memory ones.
type Limits struct {
	db  *store.DB
	log *slog.Logger
}

// New counts in db when it is PostgreSQL (the engine several nodes
// share), and in memory on SQLite, where there is one node.
func New(db *store.DB, log *slog.Logger) *Limits {
	if db == nil || db.Dialect() != store.Postgres {
		return nil
	}
	return Shared(db, log)
}

// Shared counts in db whatever its engine.
func Shared(db *store.DB, log *slog.Logger) *Limits {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Limits{db: db, log: log}
}

// IsShared tells whether the limiters count in the database.
func (l *Limits) IsShared() bool { return l != nil }

// Failures allows limit failures per key within window. scope names the
// limit (e.g. "login-account"): limits of different scopes never share a
// count.
func (l *Limits) Failures(scope string, limit int, window time.Duration, now func() time.Time) *Failures {
	f := NewFailures(limit, window, now)
	if l != nil {
		f.shared = &sharedFailures{db: l.db, log: newErrLog(l.log, scope), scope: scope, limit: limit, window: window, now: now}
	}
	return f
}

// Buckets allows rate requests per second per key, bursts of twice that.
func (l *Limits) Buckets(scope string, rate int, now func() time.Time) *Buckets {
	b := NewBuckets(rate, now)
	if l != nil {
		b.shared = newSharedBuckets(l.db, newErrLog(l.log, scope), scope, rate, now)
	}
	return b
}

// dbTimeout bounds one database call of a limiter: a login waits on it.
const dbTimeout = 2 * time.Second

func dbContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), dbTimeout)
}

// keyHash is how a key is stored: accounts and addresses are nobody's
// business in a dump of the database.
func keyHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// errLog reports database failures at most once a minute per limiter: a
// database that is down would otherwise log each request.
type errLog struct {
	log   *slog.Logger
	scope string
	mu    sync.Mutex
	last  time.Time
}

func newErrLog(log *slog.Logger, scope string) *errLog { return &errLog{log: log, scope: scope} }

func (e *errLog) report(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if now := time.Now(); now.Sub(e.last) >= time.Minute {
		e.last = now
		e.log.Warn("rate limit: the database failed; counting on this node alone", "scope", e.scope, "err", err)
	}
}

// purgeEvery is how often a limiter deletes the rows that expired.
const purgeEvery = time.Minute

// purger runs a purge at most once per purgeEvery.
type purger struct {
	mu   sync.Mutex
	last time.Time
}

func (p *purger) due(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.last) < purgeEvery {
		return false
	}
	p.last = now
	return true
}
