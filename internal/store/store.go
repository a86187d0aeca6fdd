package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect int

const (
	// SQLite is the embedded default.
	SQLite Dialect = iota
	// Postgres is used when several nodes share one database.
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is Pelote's database handle. Writes go through one writer pool and reads
// through a reader pool; with PostgreSQL both are the same pool.
type DB struct {
	dialect Dialect
	w, r    *sql.DB
	// where describes the database for messages without any secret in it.
	where string
	// stmts caches prepared statements for SQLite, whose driver would
	// otherwise parse every query again (pgx keeps its own cache).
	stmts *stmtCache
	// group runs InGroupTx for SQLite.
	group *groupCommitter
}

// Open connects to dsn, or to a SQLite file in dataDir when dsn is empty, and
// checks that the database answers. It does not migrate: see Migrate.
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	if path == "" {
		if err := ensureWritableDir(dataDir); err != nil {
			return nil, err
		}
		path = filepath.Join(dataDir, "pelote.db")
	}
	return openSQLite(ctx, path)
}

// ensureWritableDir creates dir (mode 0700: it holds secrets) and proves it
// is writable, so that a read-only data directory fails at start with a clear
// message rather than at the first write.
func ensureWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: data directory %q cannot be created: %w (set --data to a directory Pelote may write)", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return fmt.Errorf("store: data directory %q is not writable: %w (set --data to a directory Pelote may write, or fix its owner)", dir, err)
	}
	name := probe.Name()
	probe.Close()
	return os.Remove(name)
}

// readers is the size of SQLite's reader pool: WAL lets them run beside
// the writer and each other.
const readers = 4

func openSQLite(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	// Immediate transactions take the write lock at BEGIN, so two processes
	// (serve and a CLI verb) wait on busy_timeout instead of failing on a
	// lock upgrade.
	q.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	q.Del("_txlock")
	q.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Readers stay open while they are used (a connection opened per
	// query costs its pragmas and every statement's parse again) and close
	// after a minute of rest, which gives their page caches back.
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxIdleTime(time.Minute)
	db := &DB{dialect: SQLite, w: w, r: r, where: "SQLite file " + path, stmts: newStmtCache(), group: newGroupCommitter()}
	if err := db.ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included: do not wrap it.
		return nil, errors.New("store: the PostgreSQL URL cannot be parsed (expected postgres://user:password@host:port/database)")
	}
	where := fmt.Sprintf("PostgreSQL at %s:%d database %q", cfg.Host, cfg.Port, cfg.Database)
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", where, err)
	}
	// As with SQLite's readers: a connection kept while in use, since a
	// new one costs a round of authentication; closed after rest.
	p.SetMaxOpenConns(10)
	p.SetMaxIdleConns(10)
	p.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{dialect: Postgres, w: p, r: p, where: where}
	if err := db.ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: %s does not answer: %w: %v (check --database and that the server runs)", db.where, ErrUnavailable, redact(err))
	}
	return nil
}

// redact keeps a driver error's message but drops anything after a URL
// scheme, in case a driver quotes the connection string.
func redact(err error) string {
	s := err.Error()
	if i := strings.Index(s, "://"); i >= 0 {
		return s[:i] + "://…"
	}
	return s
}

// Ping reports whether the database answers; /healthz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.ping(ctx) }

// Dialect tells which engine is behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// String describes the database without secrets.
func (db *DB) String() string { return db.where }

// Close closes both pools.
func (db *DB) Close() error {
	db.group.close()
	db.stmts.close()
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Queryer is what domain code runs its SQL on: the DB itself or a Tx.
type Queryer interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// Exec runs a write outside a transaction.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := db.stmts.get(ctx, db.w, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return db.w.ExecContext(ctx, rebind(db.dialect, query), args...)
}

// Query runs a read on the reader pool, in ctx's snapshot if it has one.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if rows, ok, err := db.snapshotQuery(ctx, query, args); ok {
		return rows, err
	}
	if st := db.stmts.get(ctx, db.r, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.r.QueryContext(ctx, rebind(db.dialect, query), args...)
}

// QueryRow runs a single-row read on the reader pool, in ctx's snapshot
// if it has one.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if row := db.snapshotQueryRow(ctx, query, args); row != nil {
		return row
	}
	if st := db.stmts.get(ctx, db.r, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.r.QueryRowContext(ctx, rebind(db.dialect, query), args...)
}

// Tx is a write transaction; its reads see its own writes.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	db      *DB
	// unprepared are queries to prepare once the transaction is over: the
	// SQLite writer has one connection, which the transaction holds.
	unprepared []string
	// local are the statements a long transaction (an import) runs again
	// and again, prepared on the transaction itself at their second use,
	// so each is parsed once rather than once a row; they end with it.
	local map[string]*sql.Stmt
	seen  map[string]bool
	// after run once the transaction is committed (see AfterCommit).
	after []func()
}

// AfterCommit runs fn once the transaction's writes are committed, and
// never if they are rolled back: waking a worker for a job the
// transaction queues, for example, before the job can be seen. fn must be
// quick and must not use the database: under group commit it runs on the
// committer.
func (t *Tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

// stmt returns the cached statement for query bound to the transaction,
// or nil when there is none yet.
func (t *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.local[query]; st != nil {
		return st
	}
	if t.db.stmts != nil {
		if st := t.db.stmts.cached(t.db.w, query); st != nil {
			return t.tx.StmtContext(ctx, st)
		}
	}
	if !t.seen[query] {
		if t.seen == nil {
			t.seen = make(map[string]bool)
		}
		t.seen[query] = true
		if t.db.stmts != nil {
			t.unprepared = append(t.unprepared, query)
		}
		return nil
	}
	if len(t.local) >= maxCachedStmts {
		return nil
	}
	st, err := t.tx.PrepareContext(ctx, rebind(t.dialect, query))
	if err != nil {
		return nil // the query itself reports the error
	}
	if t.local == nil {
		t.local = make(map[string]*sql.Stmt)
	}
	t.local[query] = st
	return st
}

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, rebind(t.dialect, query), args...)
}

// Query runs a read in the transaction.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, rebind(t.dialect, query), args...)
}

// QueryRow runs a single-row read in the transaction.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, rebind(t.dialect, query), args...)
}

// InTx runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise (a panic in fn rolls back too).
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) (err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	t := &Tx{tx: tx, dialect: db.dialect, db: db}
	if err = fn(t); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	for _, fn := range t.after {
		fn()
	}
	for _, q := range t.unprepared {
		db.stmts.get(ctx, db.w, q)
	}
	return nil
}

var (
	_ Queryer = (*DB)(nil)
	_ Queryer = (*Tx)(nil)
)

// rebind turns '?' placeholders into PostgreSQL's $1, $2... Queries in Pelote
// never carry a literal '?' inside quotes; the quote tracking is a guard.
func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, inQuote := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
		case c == '?' && !inQuote:
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
