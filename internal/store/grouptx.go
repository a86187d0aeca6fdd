package store

import (
	"context"
	"fmt"
	"sync"
)

// maxGroup bounds how many callers share one commit.
const maxGroup = 64

// groupItem is one caller's share of a group transaction.
type groupItem struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// groupCommitter runs the group transactions of a SQLite database: one
// goroutine takes the callers that queued while the previous commit was
// being written to disk, and commits them together.
type groupCommitter struct {
	start sync.Once
	// mu orders queueing against close: once closed is set, nothing
	// enters the queue, and the committer drains what did.
	mu     sync.RWMutex
	closed bool
	queue  chan *groupItem
	stop   chan struct{}
	over   sync.WaitGroup
}

func newGroupCommitter() *groupCommitter {
	return &groupCommitter{queue: make(chan *groupItem, maxGroup), stop: make(chan struct{})}
}

// InGroupTx runs fn in a write transaction that it may share with other
// callers running InGroupTx at the same moment (group commit). Each fn runs
// in its own savepoint: an error rolls back that fn's writes only, as
// InTx would. It returns once the writes are durable, so a token endpoint
// answers only with what the disk holds; but one synchronous commit serves
// many callers, where SQLite's single writer would otherwise wait on the
// disk once per caller. fn must not depend on running alone: it sees the
// writes of the callers committed with it, as if they ran before it.
func (db *DB) InGroupTx(ctx context.Context, fn func(*Tx) error) error {
	g := db.group
	if g == nil {
		// PostgreSQL commits concurrent transactions together by itself.
		return db.InTx(ctx, func(t *Tx) (err error) {
			defer recoverInto(&err)
			return fn(t)
		})
	}
	it := &groupItem{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if err := db.queueGroup(ctx, it); err != nil {
		return err
	}
	// Once queued, the item is always answered: its writes may already be
	// committed, and the caller must not believe otherwise.
	return <-it.done
}

// InGroupTxLater is InGroupTx for a caller with work to do while its
// writes wait for their turn and are committed: it queues fn and returns
// at once with wait, which tells fn's outcome once the group's commit is
// over: fn's own error (its writes rolled back), the commit's, or nil
// when the writes are on disk. wait may be called more than once. fn runs
// on the committer's goroutine: it must not touch what its caller uses
// meanwhile. The caller must call wait before it lets anyone act on the
// writes: a token endpoint signs its tokens meanwhile, then answers only
// once wait returned nil.
func (db *DB) InGroupTxLater(ctx context.Context, fn func(*Tx) error) (wait func() error) {
	if db.group == nil {
		err := db.InGroupTx(ctx, fn)
		return func() error { return err }
	}
	it := &groupItem{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if err := db.queueGroup(ctx, it); err != nil {
		return func() error { return err }
	}
	var once sync.Once
	var result error
	return func() error {
		once.Do(func() { result = <-it.done })
		return result
	}
}

// queueGroup hands it to the committer, starting it on first use.
func (db *DB) queueGroup(ctx context.Context, it *groupItem) error {
	g := db.group
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return fmt.Errorf("store: %w: the database is closed", ErrUnavailable)
	}
	g.start.Do(func() {
		g.over.Add(1)
		go db.commitGroups()
	})
	select {
	case g.queue <- it:
		g.mu.RUnlock()
		return nil
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
}

func (db *DB) commitGroups() {
	g := db.group
	defer g.over.Done()
	for {
		var batch []*groupItem
		select {
		case it := <-g.queue:
			batch = append(batch, it)
		case <-g.stop:
			// Answer whoever queued before the stop.
			for {
				select {
				case it := <-g.queue:
					db.runGroup([]*groupItem{it})
				default:
					return
				}
			}
		}
	more:
		for len(batch) < maxGroup {
			select {
			case it := <-g.queue:
				batch = append(batch, it)
			default:
				break more
			}
		}
		db.runGroup(batch)
	}
}

// runGroup runs batch in one transaction and answers every item.
func (db *DB) runGroup(batch []*groupItem) {
	errs := make([]error, len(batch))
	// The transaction belongs to no caller: one leaving must not roll
	// back the others.
	ctx := context.Background()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		for _, it := range batch {
			it.done <- fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	t := &Tx{tx: tx, dialect: db.dialect, db: db}
	for i, it := range batch {
		hooks := len(t.after)
		if errs[i] = db.runSavepoint(t, it); errs[i] != nil {
			t.after = t.after[:hooks] // rolled back: its hooks go too
		}
	}
	if err := tx.Commit(); err != nil {
		err = fmt.Errorf("store: commit: %w", err)
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	} else {
		for _, fn := range t.after {
			fn()
		}
	}
	for i, it := range batch {
		it.done <- errs[i]
	}
	for _, q := range t.unprepared {
		db.stmts.get(ctx, db.w, q)
	}
	t.unprepared = nil
}

// runSavepoint runs one caller's fn in a savepoint of the group's
// transaction, rolling back to it when fn fails or panics.
func (db *DB) runSavepoint(t *Tx, it *groupItem) (err error) {
	if err := it.ctx.Err(); err != nil {
		return err
	}
	// Through t.Exec: the statement cache spares a parse per caller.
	if _, err := t.Exec(it.ctx, "SAVEPOINT grouped"); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("store: panic in transaction: %v", v)
		}
		if err != nil {
			// Rolled back with the group's context: the caller's may be done.
			if _, rerr := t.Exec(context.Background(), "ROLLBACK TO grouped"); rerr != nil {
				err = fmt.Errorf("%w (and its rollback failed: %v)", err, rerr)
			}
		}
		if _, rerr := t.Exec(context.Background(), "RELEASE grouped"); rerr != nil && err == nil {
			err = fmt.Errorf("store: release savepoint: %w", rerr)
		}
	}()
	return it.fn(t)
}

// close stops the committer after answering every queued caller.
func (g *groupCommitter) close() {
	if g == nil {
		return
	}
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.stop)
	}
	g.mu.Unlock()
	g.over.Wait()
}

// recoverInto, deferred, turns a panic of a caller's fn into its error, as
// runSavepoint does on SQLite, where the fn runs on the committer's
// goroutine and a panic would take every caller down.
func recoverInto(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("store: panic in transaction: %v", v)
	}
}
