package heartbeat

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the heartbeats' tables.
func Migrations() store.Migrations { return store.Migrations{Owner: "heartbeat", FS: migrations} }

// Limits on what a ping leaves behind.
const (
	// MaxBody is how much of a ping's body is kept as the run's log.
	MaxBody = 100 << 10
	// KeepRuns is how many pings of one heartbeat are kept.
	KeepRuns = 100
)

// Kinds of ping.
const (
	Start   = "start"
	Success = "success"
	Fail    = "fail"
)

// Ping is one signal from a job.
type Ping struct {
	// ID is the stored ping's, 0 before it is stored.
	ID   int64
	UUID string
	Kind string
	// ExitCode is the job's, -1 when not given.
	ExitCode int
	At       time.Time
	// Body is the first MaxBody bytes of what the job sent; Size what it
	// sent in all (larger than len(Body) when cut).
	Body []byte
	Size int64
	// Duration is the run's time from its start ping, 0 when none.
	Duration time.Duration
}

// Truncated reports whether the body was cut.
func (p Ping) Truncated() bool { return p.Size > int64(len(p.Body)) }

// State is what the stored pings say of one heartbeat.
type State struct {
	UUID string
	// Registered is when the heartbeat was first configured: the deadline
	// of a job that never pinged runs from it.
	Registered time.Time
	// LastStart is the last start ping, zero when none (or the run ended).
	LastStart time.Time
	// LastEnd is the last success or failure; LastKind is which, with its
	// exit code, duration and ping id (for its log).
	LastEnd      time.Time
	LastKind     string
	LastExit     int
	LastDuration time.Duration
	LastPingID   int64
	// LastSuccess is the last successful end.
	LastSuccess time.Time
}

// Store keeps pings and states.
type Store struct {
	db *store.DB

	// pending pings wait for the batch being written to commit.
	mu      sync.Mutex
	pending []*pingItem
	writing bool
}

// NewStore returns a store over db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

// Register records that uuid exists from now on, once: a later call keeps
// the first time, so a restart never moves a deadline.
func (s *Store) Register(ctx context.Context, uuids []string, now time.Time) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, u := range uuids {
			if _, err := tx.Exec(ctx, `INSERT INTO heartbeat_states (uuid, registered_at) VALUES (?, ?) ON CONFLICT (uuid) DO NOTHING`, u, now.Unix()); err != nil {
				return fmt.Errorf("heartbeat: register: %w", err)
			}
		}
		return nil
	})
}

// Record stores a ping and updates the heartbeat's state, and returns
// once both are committed. Pings arriving while a batch is written are
// written together next, in one transaction with a few multi-row
// statements: thousands of pings a second cost a few commits. The
// returned ping carries its id and run time (from the stored start).
func (s *Store) Record(ctx context.Context, p Ping) (Ping, error) {
	if p.Body == nil {
		p.Body = []byte{} // the column holds no NULL
	}
	it := &pingItem{ctx: ctx, p: p, done: make(chan error, 1)}
	s.mu.Lock()
	s.pending = append(s.pending, it)
	if !s.writing {
		s.writing = true
		go s.writeLoop()
	}
	s.mu.Unlock()
	select {
	case err := <-it.done:
		if err != nil {
			return it.p, fmt.Errorf("heartbeat: record ping: %w", err)
		}
		return it.p, nil
	case <-ctx.Done():
		// The ping may still be written; the caller has gone.
		return it.p, ctx.Err()
	}
}

// pingItem is one ping waiting for its batch.
type pingItem struct {
	ctx  context.Context
	p    Ping
	done chan error
}

// maxPingBatch bounds one transaction's pings.
const maxPingBatch = 512

// writeLoop writes the pending pings in batches until none is left.
func (s *Store) writeLoop() {
	for {
		s.mu.Lock()
		batch := s.pending
		if len(batch) > maxPingBatch {
			batch = batch[:maxPingBatch]
		}
		s.pending = s.pending[len(batch):]
		if len(batch) == 0 {
			s.pending, s.writing = nil, false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		live := batch[:0:0]
		for _, it := range batch {
			if err := it.ctx.Err(); err != nil {
				it.done <- err
				continue
			}
			live = append(live, it)
		}
		err := s.writeBatch(live)
		for _, it := range live {
			it.done <- err
		}
	}
}

// writeBatch stores pings in one transaction. A heartbeat appears once
// per round, so that a start and its end in the same batch are stored
// in order and the end's run time is read from the start.
func (s *Store) writeBatch(items []*pingItem) error {
	if len(items) == 0 {
		return nil
	}
	ctx := context.Background() // the batch belongs to no one caller
	var rounds [][]*pingItem
	round := map[string]int{} // uuid → pings of it placed so far
	for _, it := range items {
		r := round[it.p.UUID]
		round[it.p.UUID]++
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], it)
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, r := range rounds {
			for len(r) > 0 {
				n := min(len(r), 64)
				if err := writeRound(ctx, tx, r[:n]); err != nil {
					return err
				}
				r = r[n:]
			}
		}
		return nil
	})
}

// writeRound stores pings of distinct heartbeats: the pings with their
// run times, then the states.
func writeRound(ctx context.Context, tx *store.Tx, items []*pingItem) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO heartbeat_pings (uuid, kind, exit_code, at, body, size, duration_ms) VALUES `)
	args := make([]any, 0, 10*len(items))
	for i, it := range items {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(`(?, ?, ?, ?, ?, ?, CASE WHEN ? = 'start' THEN 0 ELSE
			COALESCE((SELECT CASE WHEN last_start > 0 AND last_start <= ? THEN ? - last_start ELSE 0 END FROM heartbeat_states WHERE uuid = ?), 0) END)`)
		p, at := it.p, it.p.At.UnixMilli()
		args = append(args, p.UUID, p.Kind, p.ExitCode, at, p.Body, p.Size, p.Kind, at, at, p.UUID)
	}
	q.WriteString(` RETURNING id, uuid, duration_ms`)
	rows, err := tx.Query(ctx, q.String(), args...)
	if err != nil {
		return err
	}
	byUUID := make(map[string]*pingItem, len(items))
	for _, it := range items {
		byUUID[it.p.UUID] = it
	}
	for rows.Next() {
		var id, dur int64
		var uuid string
		if err := rows.Scan(&id, &uuid, &dur); err != nil {
			rows.Close()
			return err
		}
		if it := byUUID[uuid]; it != nil {
			it.p.ID, it.p.Duration = id, time.Duration(dur)*time.Millisecond
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var starts, ends []*pingItem
	for _, it := range items {
		if it.p.Kind == Start {
			starts = append(starts, it)
		} else {
			ends = append(ends, it)
		}
	}
	if len(starts) > 0 {
		args = args[:0]
		for _, it := range starts {
			args = append(args, it.p.UUID, it.p.At.Unix(), it.p.At.UnixMilli())
		}
		if _, err := tx.Exec(ctx, `INSERT INTO heartbeat_states (uuid, registered_at, last_start) VALUES `+rowsOf(len(starts), 3)+`
			ON CONFLICT (uuid) DO UPDATE SET last_start = excluded.last_start`, args...); err != nil {
			return err
		}
	}
	if len(ends) > 0 {
		args = args[:0]
		for _, it := range ends {
			p := it.p
			var success int64
			if p.Kind == Success {
				success = p.At.UnixMilli()
			}
			args = append(args, p.UUID, p.At.Unix(), p.At.UnixMilli(), p.Kind, p.ExitCode, p.Duration.Milliseconds(), p.ID, success)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO heartbeat_states (uuid, registered_at, last_start, last_end, last_kind, last_exit, last_duration_ms, last_ping_id, last_success)
			VALUES `+rowsOf(len(ends), 8, 0)+`
			ON CONFLICT (uuid) DO UPDATE SET last_start = 0, last_end = excluded.last_end, last_kind = excluded.last_kind,
				last_exit = excluded.last_exit, last_duration_ms = excluded.last_duration_ms, last_ping_id = excluded.last_ping_id,
				last_success = CASE WHEN excluded.last_success > 0 THEN excluded.last_success ELSE heartbeat_states.last_success END`, args...); err != nil {
			return err
		}
	}
	return nil
}

// rowsOf is "(?, ?), (?, ?)" for n rows of cols values; a literal 0 goes
// third when zeroThird is given (the ends' last_start).
func rowsOf(n, cols int, zeroThird ...int) string {
	vals := make([]string, cols)
	for i := range vals {
		vals[i] = "?"
	}
	if len(zeroThird) > 0 {
		vals = append(vals[:2], append([]string{"0"}, vals[2:]...)...)
	}
	one := "(" + strings.Join(vals, ", ") + ")"
	return strings.Repeat(one+", ", n-1) + one
}

// State returns the state of uuid; store.ErrNotFound when it never was
// registered nor pinged.
func (s *Store) State(ctx context.Context, uuid string) (State, error) {
	st := State{UUID: uuid}
	var reg, start, end, dur, success int64
	err := s.db.QueryRow(ctx, `SELECT registered_at, last_start, last_end, last_kind, last_exit, last_duration_ms, last_ping_id, last_success
		FROM heartbeat_states WHERE uuid = ?`, uuid).Scan(&reg, &start, &end, &st.LastKind, &st.LastExit, &dur, &st.LastPingID, &success)
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("heartbeat %s: %w", uuid, store.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("heartbeat: state: %w", err)
	}
	st.Registered = time.Unix(reg, 0)
	st.LastStart, st.LastEnd, st.LastSuccess = ms(start), ms(end), ms(success)
	st.LastDuration = time.Duration(dur) * time.Millisecond
	return st, nil
}

func ms(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// Runs returns the last pings of uuid, newest first, bodies included when
// withBody.
func (s *Store) Runs(ctx context.Context, uuid string, limit int, withBody bool) ([]Ping, error) {
	q := `SELECT id, kind, exit_code, at, size, duration_ms, '' FROM heartbeat_pings WHERE uuid = ? ORDER BY id DESC LIMIT ?`
	if withBody {
		q = `SELECT id, kind, exit_code, at, size, duration_ms, body FROM heartbeat_pings WHERE uuid = ? ORDER BY id DESC LIMIT ?`
	}
	rows, err := s.db.Query(ctx, q, uuid, limit)
	if err != nil {
		return nil, fmt.Errorf("heartbeat: runs: %w", err)
	}
	defer rows.Close()
	var out []Ping
	for rows.Next() {
		var p Ping
		var at, dur int64
		if err := rows.Scan(&p.ID, &p.Kind, &p.ExitCode, &at, &p.Size, &dur, &p.Body); err != nil {
			return nil, fmt.Errorf("heartbeat: runs: %w", err)
		}
		p.UUID, p.At, p.Duration = uuid, time.UnixMilli(at), time.Duration(dur)*time.Millisecond
		out = append(out, p)
	}
	return out, rows.Err()
}

// Body returns the stored body of ping id.
func (s *Store) Body(ctx context.Context, id int64) ([]byte, int64, error) {
	var b []byte
	var size int64
	err := s.db.QueryRow(ctx, `SELECT body, size FROM heartbeat_pings WHERE id = ?`, id).Scan(&b, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("heartbeat: ping %d: %w", id, store.ErrNotFound)
	}
	return b, size, err
}

// Purge keeps the last KeepRuns pings of each heartbeat.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM heartbeat_pings WHERE id IN (
		SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY uuid ORDER BY id DESC) AS n FROM heartbeat_pings) ranked WHERE n > ?)`, KeepRuns)
	if err != nil {
		return 0, fmt.Errorf("heartbeat: purge: %w", err)
	}
	return res.RowsAffected()
}
