package queue

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the queue's table.
func Migrations() store.Migrations { return store.Migrations{Owner: "queue", FS: migrations} }

// Policy is a kind's retry policy: attempts in all, and the backoff
// between them, doubling from MinBackoff up to MaxBackoff, with jitter.
type Policy struct {
	MaxAttempts            int
	MinBackoff, MaxBackoff time.Duration
}

// Handler does one job; it must be idempotent.
type Handler func(ctx context.Context, payload []byte) error

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent marks an error that retrying cannot fix: the job fails at once.
func Permanent(err error) error { return permanent{err} }

// IsPermanent tells whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Job describes a queued job for operators (never its payload: it may be
// personal).
type Job struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	RunAfter  time.Time `json:"run_after"`
	CreatedAt time.Time `json:"created_at"`
}

// Queue enqueues jobs and runs the handlers registered on this node.
type Queue struct {
	db  *store.DB
	log *slog.Logger
	// Now is injected so tests control time.
	Now func() time.Time
	// Poll is how often an idle worker looks for due jobs.
	Poll time.Duration
	// Timeout bounds one handler run; the claim lasts twice that.
	Timeout time.Duration

	mu       sync.Mutex
	handlers map[string]kind
	wake     chan struct{}
}

type kind struct {
	policy  Policy
	handler Handler
}

// New returns a queue over a database migrated with Migrations.
func New(db *store.DB, log *slog.Logger) *Queue {
	return &Queue{db: db, log: log, Now: time.Now, Poll: 5 * time.Second, Timeout: 30 * time.Second,
		handlers: map[string]kind{}, wake: make(chan struct{}, 1)}
}

// Handle registers the handler of a kind; call it before Run.
func (q *Queue) Handle(k string, p Policy, h Handler) {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	q.mu.Lock()
	q.handlers[k] = kind{policy: p, handler: h}
	q.mu.Unlock()
}

// Enqueue adds a job within the caller's transaction (or directly on the
// database); call Wake after the commit for a prompt run.
func (q *Queue) Enqueue(ctx context.Context, tx store.Queryer, k string, payload []byte) (int64, error) {
	if db, ok := tx.(*store.DB); ok {
		// Outside a transaction: an INSERT … RETURNING must go to the writer.
		var id int64
		err := db.InTx(ctx, func(t *store.Tx) (err error) { id, err = q.Enqueue(ctx, t, k, payload); return err })
		return id, err
	}
	if payload == nil {
		payload = []byte{}
	}
	now := q.Now().Unix()
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO queue_jobs (kind, payload, run_after, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		k, payload, now, now).Scan(&id)
	return id, err
}

// Wake makes a waiting worker look for jobs now.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends.
func (q *Queue) Run(ctx context.Context) {
	backoff := q.Poll
	for {
		n, err := q.RunOnce(ctx)
		wait := q.Poll
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			q.log.Warn("job queue", "err", err)
			// The database may be down: back off, up to a minute.
			backoff = min(2*backoff, time.Minute)
			wait = backoff
		default:
			backoff = q.Poll
			if n > 0 {
				continue // more may be due
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-time.After(wait):
		}
	}
}

// RunOnce runs every job due now (at most a batch) and says how many ran.
func (q *Queue) RunOnce(ctx context.Context) (int, error) {
	q.mu.Lock()
	kinds := make([]any, 0, len(q.handlers))
	for k := range q.handlers {
		kinds = append(kinds, k)
	}
	q.mu.Unlock()
	if len(kinds) == 0 {
		return 0, nil
	}
	ran := 0
	for ran < 100 {
		job, payload, ok, err := q.claim(ctx, kinds)
		if err != nil || !ok {
			return ran, err
		}
		if err := q.run(ctx, job, payload); err != nil {
			return ran, err
		}
		ran++
	}
	return ran, nil
}

// claim takes one due job: the UPDATE moves its lock forward only if no
// other worker holds it, so two workers never run one job at once.
func (q *Queue) claim(ctx context.Context, kinds []any) (Job, []byte, bool, error) {
	now := q.Now().Unix()
	in := "?"
	for range kinds[1:] {
		in += ", ?"
	}
	var j Job
	var payload []byte
	var runAfter, created int64
	err := q.db.InTx(ctx, func(tx *store.Tx) error {
		args := append([]any{now + int64(2*q.Timeout/time.Second), now, now}, kinds...)
		// The outer conditions repeat the inner ones: on PostgreSQL a worker
		// that waited for another's row lock re-checks them on the row as
		// the other left it, and finds it taken. SKIP LOCKED spares the wait.
		lock := ""
		if q.db.Dialect() == store.Postgres {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		args = append(args, now, now)
		return tx.QueryRow(ctx, `UPDATE queue_jobs SET locked_until = ?, attempts = attempts + 1
			WHERE id = (SELECT id FROM queue_jobs WHERE state = 'pending' AND run_after <= ? AND locked_until <= ?
				AND kind IN (`+in+`) ORDER BY run_after, id LIMIT 1`+lock+`)
			AND state = 'pending' AND run_after <= ? AND locked_until <= ?
			RETURNING id, kind, payload, attempts, run_after, created_at`, args...).
			Scan(&j.ID, &j.Kind, &payload, &j.Attempts, &runAfter, &created)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, nil, false, nil
	}
	if err != nil {
		if store.IsUniqueViolation(err) {
			return Job{}, nil, false, nil
		}
		return Job{}, nil, false, err
	}
	j.State, j.RunAfter, j.CreatedAt = "pending", time.Unix(runAfter, 0).UTC(), time.Unix(created, 0).UTC()
	return j, payload, true, nil
}

// run calls the handler and records the outcome.
func (q *Queue) run(ctx context.Context, j Job, payload []byte) error {
	q.mu.Lock()
	k := q.handlers[j.Kind]
	q.mu.Unlock()
	hctx, cancel := context.WithTimeout(ctx, q.Timeout)
	err := safeCall(hctx, k.handler, payload)
	cancel()
	if err == nil {
		_, err := q.db.Exec(ctx, `DELETE FROM queue_jobs WHERE id = ?`, j.ID)
		return err
	}
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	var perm permanent
	if errors.As(err, &perm) || j.Attempts >= k.policy.MaxAttempts {
		q.log.Warn("job failed for good", "job", j.ID, "kind", j.Kind, "attempts", j.Attempts, "err", msg)
		_, err := q.db.Exec(ctx, `UPDATE queue_jobs SET state = 'failed', locked_until = 0, last_error = ? WHERE id = ?`, msg, j.ID)
		return err
	}
	next := q.Now().Add(k.policy.backoff(j.Attempts))
	q.log.Info("job will be retried", "job", j.ID, "kind", j.Kind, "attempts", j.Attempts, "at", next.UTC().Format(time.RFC3339), "err", msg)
	_, err = q.db.Exec(ctx, `UPDATE queue_jobs SET run_after = ?, locked_until = 0, last_error = ? WHERE id = ?`, next.Unix(), msg, j.ID)
	return err
}

// safeCall runs h, turning a panic into an error: one bad job must not
// take the node down.
func safeCall(ctx context.Context, h Handler, payload []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(ctx, payload)
}

// backoff is the wait after the given number of attempts: doubling from
// MinBackoff, capped at MaxBackoff, between half and all of that.
func (p Policy) backoff(attempts int) time.Duration {
	d := p.MinBackoff
	for i := 1; i < attempts && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(max(d, time.Second), max(p.MaxBackoff, time.Second))
	return d/2 + rand.N(d/2+1)
}

// Jobs lists jobs, newest first; state "" lists all.
func (q *Queue) Jobs(ctx context.Context, state string, limit int) ([]Job, error) {
	query := `SELECT id, kind, state, attempts, last_error, run_after, created_at FROM queue_jobs`
	var args []any
	if state != "" {
		query += ` WHERE state = ?`
		args = append(args, state)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, max(limit, 1))
	rows, err := q.db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		var j Job
		var runAfter, created int64
		if err := rows.Scan(&j.ID, &j.Kind, &j.State, &j.Attempts, &j.LastError, &runAfter, &created); err != nil {
			return nil, err
		}
		j.RunAfter, j.CreatedAt = time.Unix(runAfter, 0).UTC(), time.Unix(created, 0).UTC()
		out = append(out, j)
	}
	return out, rows.Err()
}

// Retry puts a failed job back in line, with its attempts reset.
func (q *Queue) Retry(ctx context.Context, id int64) error {
	res, err := q.db.Exec(ctx, `UPDATE queue_jobs SET state = 'pending', attempts = 0, run_after = ?, locked_until = 0 WHERE id = ? AND state = 'failed'`,
		q.Now().Unix(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("failed job %d: %w", id, store.ErrNotFound)
	}
	q.Wake()
	return nil
}

// Purge drops failed jobs created more than olderThan ago.
func (q *Queue) Purge(ctx context.Context, olderThan time.Duration) (int64, error) {
	res, err := q.db.Exec(ctx, `DELETE FROM queue_jobs WHERE state = 'failed' AND created_at < ?`, q.Now().Add(-olderThan).Unix())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Stats counts pending and failed jobs.
func (q *Queue) Stats(ctx context.Context) (pending, failed int, err error) {
	err = q.db.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) FROM queue_jobs`).Scan(&pending, &failed)
	return pending, failed, err
}
