package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the cache: Pelote's queries are constant strings,
// but a query built from a variable list must not grow it without end.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per pool and query text. A
// database/sql Stmt prepares itself lazily on each connection it runs on
// and is safe for concurrent use; a Tx reuses it when it was already
// prepared on the transaction's connection.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	pool  *sql.DB
	query string
}

func newStmtCache() *stmtCache { return &stmtCache{stmts: make(map[stmtKey]*sql.Stmt)} }

// cached returns the statement for query on pool if it is prepared already.
func (c *stmtCache) cached(pool *sql.DB, query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[stmtKey{pool, query}]
}

// get returns the statement for query on pool, preparing it the first
// time; nil (run the query unprepared) when there is no cache, the cache is
// full, or the query does not prepare, so that the caller reports the
// error from the query itself.
func (c *stmtCache) get(ctx context.Context, pool *sql.DB, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	k := stmtKey{pool, query}
	c.mu.RLock()
	st, ok := c.stmts[k]
	full := len(c.stmts) >= maxCachedStmts
	c.mu.RUnlock()
	if ok || full {
		return st
	}
	// Prepared without the caller's deadline: the statement outlives it.
	st, err := pool.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[k]; ok {
		st.Close()
		return prev
	}
	c.stmts[k] = st
	return st
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.stmts {
		st.Close()
		delete(c.stmts, k)
	}
}
