package store

import (
	"context"
	"database/sql"
	"sync"
)

// A snapshot runs a request's reads in one read transaction on one SQLite
// reader connection. Each read outside a transaction is a read transaction
// of its own: it takes the WAL's shared locks (system calls) and, when
// anything was written since that connection's last read, SQLite drops
// the connection's whole page cache and reads again every page it needs.
// A token request makes eight such reads while grants are committed all
// the time; in one snapshot it pays for this once.
//
// The reads see the database as it was at the first of them: a snapshot
// is for requests whose reads need not see their own writes (those go
// through the writer, which checks them again). PostgreSQL reads at each
// statement as before.
type snapshot struct {
	db   *DB
	mu   sync.Mutex
	tx   *sql.Tx
	done bool
	// unprepared are queries to prepare once the snapshot has given its
	// connection back: preparing needs a free reader, and every reader
	// may be held by a snapshot waiting for one.
	unprepared []string
}

type snapshotKey struct{}

// WithSnapshot returns a context whose reads through db share one read
// transaction, begun at the first of them, until end is called (end may
// be called more than once; reads after it run as usual).
func (db *DB) WithSnapshot(ctx context.Context) (_ context.Context, end func()) {
	if db.dialect != SQLite {
		return ctx, func() {}
	}
	s := &snapshot{db: db}
	return context.WithValue(ctx, snapshotKey{}, s), s.end
}

// EndSnapshot ends the snapshot of ctx, if it has one: a request about to
// wait (for a commit) or to work long (signing) gives its reader back.
func EndSnapshot(ctx context.Context) {
	if s, ok := ctx.Value(snapshotKey{}).(*snapshot); ok {
		s.end()
	}
}

func (s *snapshot) end() {
	s.mu.Lock()
	s.done = true
	if s.tx != nil {
		_ = s.tx.Rollback() // a read transaction: nothing to keep
		s.tx = nil
	}
	queries := s.unprepared
	s.unprepared = nil
	s.mu.Unlock()
	for _, q := range queries {
		s.db.stmts.get(context.Background(), s.db.r, q)
	}
}

// readTx returns ctx's read transaction on db, beginning it if need be,
// and the statement for query bound to it when one is prepared; tx is nil
// when ctx has no snapshot (or it could not begin: the read then runs
// alone and reports the database's error itself).
func (db *DB) readTx(ctx context.Context, query string) (tx *sql.Tx, st *sql.Stmt) {
	s, ok := ctx.Value(snapshotKey{}).(*snapshot)
	if !ok || s.db != db {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, nil
	}
	if s.tx == nil {
		// Begun without the request's cancellation: database/sql would
		// roll it back by itself when the request ends, racing end.
		tx, err := db.r.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			return nil, nil
		}
		s.tx = tx
	}
	if st := db.stmts.cached(db.r, query); st != nil {
		return s.tx, s.tx.StmtContext(ctx, st)
	}
	if len(s.unprepared) < maxCachedStmts {
		s.unprepared = append(s.unprepared, query)
	}
	return s.tx, nil
}

// snapshotQuery runs a read in ctx's snapshot; ok is false without one.
func (db *DB) snapshotQuery(ctx context.Context, query string, args []any) (rows *sql.Rows, ok bool, err error) {
	tx, st := db.readTx(ctx, query)
	if tx == nil {
		return nil, false, nil
	}
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = tx.QueryContext(ctx, query, args...)
	}
	return rows, true, err
}

// snapshotQueryRow is snapshotQuery for one row; nil without a snapshot.
func (db *DB) snapshotQueryRow(ctx context.Context, query string, args []any) *sql.Row {
	tx, st := db.readTx(ctx, query)
	if tx == nil {
		return nil
	}
	if st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}
