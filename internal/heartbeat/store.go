package heartbeat

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
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

// Record stores a ping and updates the heartbeat's state. Concurrent
// pings share one commit (store.InGroupTx). The ping's id and run time are
// in the state afterwards (LastPingID, LastDuration).
func (s *Store) Record(ctx context.Context, p Ping) (Ping, error) {
	if p.Body == nil {
		p.Body = []byte{} // the column holds no NULL
	}
	// Two statements a ping, both Exec (a query's rows cost more), sharing
	// a commit with the pings that come at the same moment: the run time
	// is computed from the stored start, the state from the stored ping.
	at := p.At.UnixMilli()
	err := s.db.InGroupTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO heartbeat_pings (uuid, kind, exit_code, at, body, size, duration_ms)
			VALUES (?, ?, ?, ?, ?, ?, CASE WHEN ? = 'start' THEN 0 ELSE
				COALESCE((SELECT CASE WHEN last_start > 0 AND last_start <= ? THEN ? - last_start ELSE 0 END FROM heartbeat_states WHERE uuid = ?), 0) END)`,
			p.UUID, p.Kind, p.ExitCode, at, p.Body, p.Size, p.Kind, at, at, p.UUID); err != nil {
			return err
		}
		if p.Kind == Start {
			_, err := tx.Exec(ctx, `INSERT INTO heartbeat_states (uuid, registered_at, last_start) VALUES (?, ?, ?)
				ON CONFLICT (uuid) DO UPDATE SET last_start = excluded.last_start`, p.UUID, p.At.Unix(), at)
			return err
		}
		var success int64
		if p.Kind == Success {
			success = at
		}
		_, err := tx.Exec(ctx, `INSERT INTO heartbeat_states (uuid, registered_at, last_start, last_end, last_kind, last_exit, last_duration_ms, last_ping_id, last_success)
			SELECT ?, ?, 0, ?, ?, ?, duration_ms, id, ? FROM heartbeat_pings WHERE id = (SELECT MAX(id) FROM heartbeat_pings WHERE uuid = ?)
			ON CONFLICT (uuid) DO UPDATE SET last_start = 0, last_end = excluded.last_end, last_kind = excluded.last_kind,
				last_exit = excluded.last_exit, last_duration_ms = excluded.last_duration_ms, last_ping_id = excluded.last_ping_id,
				last_success = CASE WHEN excluded.last_success > 0 THEN excluded.last_success ELSE heartbeat_states.last_success END`,
			p.UUID, p.At.Unix(), at, p.Kind, p.ExitCode, success, p.UUID)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("heartbeat: record ping: %w", err)
	}
	return p, nil
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
