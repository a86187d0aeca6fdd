package monitor

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the monitor's tables.
func Migrations() store.Migrations { return store.Migrations{Owner: "monitor", FS: migrations} }

// RawRetention is how long raw results are kept; hourly roll-ups after.
const RawRetention = 48 * time.Hour

// Store reads and writes the monitor's tables.
type Store struct{ db *store.DB }

// NewStore returns a store over db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

func encodeArgs(a []string) string {
	if len(a) == 0 {
		return ""
	}
	b, _ := json.Marshal(a)
	return string(b)
}

func decodeArgs(s string) []string {
	if s == "" {
		return nil
	}
	var a []string
	_ = json.Unmarshal([]byte(s), &a)
	return a
}

func encodeTimes(ts []time.Time) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = strconv.FormatInt(t.Unix(), 10)
	}
	return strings.Join(s, ",")
}

func decodeTimes(s string) []time.Time {
	var out []time.Time
	for _, f := range strings.Split(s, ",") {
		if v, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, time.Unix(v, 0))
		}
	}
	return out
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(v, 0)
}

// stateArgs are a state's columns, in the order of monitor_states.
func stateArgs(name string, s State, incident int64) []any {
	var cert any
	if s.Last.CertDays != nil {
		cert = *s.Last.CertDays
	}
	return []any{name, string(s.Status), s.Fails, s.Successes, unix(s.Since), b2i(s.Alerted), unix(s.Notified), b2i(s.Flapping), encodeTimes(s.Changes),
		unix(s.Last.At), b2i(s.Last.OK), s.Last.Latency.Microseconds(), s.Last.Reason, encodeArgs(s.Last.Args), s.Last.Detail, cert, incident}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// StoredState is a check's state as the database holds it.
type StoredState struct {
	Name     string
	State    State
	Incident int64
}

// States reads every stored state.
func (s *Store) States(ctx context.Context) (map[string]StoredState, error) {
	rows, err := s.db.Query(ctx, `SELECT name, status, fails, successes, since, alerted, notified, flapping, changes,
		last_at, last_ok, latency_us, reason, args, detail, cert_days, incident_id FROM monitor_states`)
	if err != nil {
		return nil, fmt.Errorf("monitor: states: %w", err)
	}
	defer rows.Close()
	out := map[string]StoredState{}
	for rows.Next() {
		var st StoredState
		var status, changes, args string
		var since, notified, lastAt, lat int64
		var alerted, flapping, ok int
		var cert sql.NullFloat64
		if err := rows.Scan(&st.Name, &status, &st.State.Fails, &st.State.Successes, &since, &alerted, &notified, &flapping, &changes,
			&lastAt, &ok, &lat, &st.State.Last.Reason, &args, &st.State.Last.Detail, &cert, &st.Incident); err != nil {
			return nil, fmt.Errorf("monitor: states: %w", err)
		}
		st.State.Status, st.State.Since, st.State.Alerted = Status(status), fromUnix(since), alerted == 1
		st.State.Notified, st.State.Flapping, st.State.Changes = fromUnix(notified), flapping == 1, decodeTimes(changes)
		st.State.Last.At, st.State.Last.OK, st.State.Last.Latency = fromUnix(lastAt), ok == 1, time.Duration(lat)*time.Microsecond
		st.State.Last.Args = decodeArgs(args)
		if cert.Valid {
			v := cert.Float64
			st.State.Last.CertDays = &v
		}
		out[st.Name] = st
	}
	return out, rows.Err()
}

// Incident is one period a check was down.
type Incident struct {
	ID    int64
	Check string
	Start time.Time
	// End is zero while it lasts.
	End    time.Time
	Reason string
	Args   []string
}

// Incidents returns the incidents of the given checks (all when names is
// nil) that overlap [since, now], newest first, at most limit.
func (s *Store) Incidents(ctx context.Context, names []string, since time.Time, limit int) ([]Incident, error) {
	rows, err := s.db.Query(ctx, `SELECT id, name, started_at, ended_at, reason, args FROM monitor_incidents
		WHERE ended_at = 0 OR ended_at >= ? ORDER BY started_at DESC, id DESC LIMIT ?`, since.Unix(), limit*4+100)
	if err != nil {
		return nil, fmt.Errorf("monitor: incidents: %w", err)
	}
	defer rows.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []Incident
	for rows.Next() {
		var in Incident
		var start, end int64
		var args string
		if err := rows.Scan(&in.ID, &in.Check, &start, &end, &in.Reason, &args); err != nil {
			return nil, fmt.Errorf("monitor: incidents: %w", err)
		}
		if names != nil && !want[in.Check] {
			continue
		}
		in.Start, in.End, in.Args = fromUnix(start), fromUnix(end), decodeArgs(args)
		if len(out) < limit {
			out = append(out, in)
		}
	}
	return out, rows.Err()
}

// Uptime is the share of successful results over a window, with the
// number of results it is computed from.
type Uptime struct {
	Ratio float64
	Count int64
}

// Uptimes computes the named checks' uptime over the windows, from the
// hourly roll-ups and the raw results not rolled up yet. Each check is
// read through its own index range: the public page asks for a few
// checks among thousands.
func (s *Store) Uptimes(ctx context.Context, names []string, now time.Time, windows ...time.Duration) (map[string][]Uptime, error) {
	var rolled int64
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(hour), 0) FROM monitor_hourly`).Scan(&rolled); err != nil {
		return nil, fmt.Errorf("monitor: uptime: %w", err)
	}
	if rolled > 0 {
		rolled += 3600
	}
	out := map[string][]Uptime{}
	for _, name := range names {
		u := make([]Uptime, len(windows))
		for wi, w := range windows {
			from := now.Add(-w).Unix()
			var n1, f1, n2, f2 int64
			if err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(count), 0), COALESCE(SUM(failures), 0) FROM monitor_hourly WHERE name = ? AND hour >= ? AND hour < ?`,
				name, from, rolled).Scan(&n1, &f1); err != nil {
				return nil, fmt.Errorf("monitor: uptime: %w", err)
			}
			if err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(1 - ok), 0) FROM monitor_results WHERE name = ? AND at >= ?`,
				name, max(from, rolled)).Scan(&n2, &f2); err != nil {
				return nil, fmt.Errorf("monitor: uptime: %w", err)
			}
			if n := n1 + n2; n > 0 {
				u[wi] = Uptime{Ratio: float64(n-f1-f2) / float64(n), Count: n}
			}
		}
		out[name] = u
	}
	return out, nil
}

// Point is one result for a sparkline.
type Point struct {
	At      time.Time
	OK      bool
	Latency time.Duration
}

// Recent returns the last n raw results of a check, oldest first.
func (s *Store) Recent(ctx context.Context, name string, n int) ([]Point, error) {
	rows, err := s.db.Query(ctx, `SELECT at, ok, latency_us FROM monitor_results WHERE name = ? ORDER BY at DESC LIMIT ?`, name, n)
	if err != nil {
		return nil, fmt.Errorf("monitor: recent: %w", err)
	}
	defer rows.Close()
	var out []Point
	for rows.Next() {
		var at, lat int64
		var ok int
		if err := rows.Scan(&at, &ok, &lat); err != nil {
			return nil, err
		}
		out = append(out, Point{At: time.Unix(at, 0), OK: ok == 1, Latency: time.Duration(lat) * time.Microsecond})
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, rows.Err()
}

// RollUp turns the raw results of every complete hour not rolled up yet
// into hourly rows, then deletes raw results older than RawRetention. It
// is idempotent: a crash in the middle is repaired by the next run.
func (s *Store) RollUp(ctx context.Context, now time.Time) (hours int, err error) {
	var last, oldest int64
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(hour), 0) FROM monitor_hourly`).Scan(&last); err != nil {
		return 0, fmt.Errorf("monitor: roll-up: %w", err)
	}
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(MIN(at), 0) FROM monitor_results`).Scan(&oldest); err != nil {
		return 0, fmt.Errorf("monitor: roll-up: %w", err)
	}
	start := last + 3600
	if last == 0 {
		start = oldest - oldest%3600
	}
	current := now.Unix() - now.Unix()%3600
	for h := start; oldest > 0 && h < current; h += 3600 {
		if err := s.rollHour(ctx, h); err != nil {
			return hours, err
		}
		hours++
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM monitor_results WHERE at < ?`, now.Add(-RawRetention).Unix()); err != nil {
		return hours, fmt.Errorf("monitor: purge results: %w", err)
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM monitor_hourly WHERE hour < ?`, now.Add(-400*24*time.Hour).Unix()); err != nil {
		return hours, fmt.Errorf("monitor: purge roll-ups: %w", err)
	}
	return hours, nil
}

func (s *Store) rollHour(ctx context.Context, h int64) error {
	rows, err := s.db.Query(ctx, `SELECT name, ok, latency_us FROM monitor_results WHERE at >= ? AND at < ? ORDER BY name`, h, h+3600)
	if err != nil {
		return fmt.Errorf("monitor: roll-up: %w", err)
	}
	type agg struct {
		n, fail int64
		lat     []int64
	}
	byName := map[string]*agg{}
	for rows.Next() {
		var name string
		var ok int
		var lat int64
		if err := rows.Scan(&name, &ok, &lat); err != nil {
			rows.Close()
			return err
		}
		a := byName[name]
		if a == nil {
			a = &agg{}
			byName[name] = a
		}
		a.n++
		if ok == 0 {
			a.fail++
		}
		a.lat = append(a.lat, lat)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		for name, a := range byName {
			sort.Slice(a.lat, func(i, j int) bool { return a.lat[i] < a.lat[j] })
			var sum int64
			for _, l := range a.lat {
				sum += l
			}
			p95 := a.lat[min(len(a.lat)-1, len(a.lat)*95/100)]
			if _, err := tx.Exec(ctx, `INSERT INTO monitor_hourly (name, hour, count, failures, lat_min, lat_avg, lat_max, lat_p95)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name, hour) DO UPDATE SET count = excluded.count, failures = excluded.failures,
				lat_min = excluded.lat_min, lat_avg = excluded.lat_avg, lat_max = excluded.lat_max, lat_p95 = excluded.lat_p95`,
				name, h, a.n, a.fail, a.lat[0], sum/a.n, a.lat[len(a.lat)-1], p95); err != nil {
				return fmt.Errorf("monitor: roll-up: %w", err)
			}
		}
		return nil
	})
}

// Hourly is one roll-up row.
type Hourly struct {
	Hour               time.Time
	Count, Failures    int64
	Min, Avg, Max, P95 time.Duration
}

// HourlyOf returns a check's roll-ups since a time, oldest first.
func (s *Store) HourlyOf(ctx context.Context, name string, since time.Time) ([]Hourly, error) {
	rows, err := s.db.Query(ctx, `SELECT hour, count, failures, lat_min, lat_avg, lat_max, lat_p95 FROM monitor_hourly WHERE name = ? AND hour >= ? ORDER BY hour`, name, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("monitor: hourly: %w", err)
	}
	defer rows.Close()
	var out []Hourly
	for rows.Next() {
		var h Hourly
		var hour, mn, avg, mx, p95 int64
		if err := rows.Scan(&hour, &h.Count, &h.Failures, &mn, &avg, &mx, &p95); err != nil {
			return nil, err
		}
		us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
		h.Hour, h.Min, h.Avg, h.Max, h.P95 = time.Unix(hour, 0), us(mn), us(avg), us(mx), us(p95)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Silence is a maintenance window over a check or a tag.
type Silence struct {
	ID         int64
	Check, Tag string
	Start, End time.Time
	Reason     string
	By         string
	// FromConfig silences cannot be removed from the page.
	FromConfig bool
}

// Covers reports whether the silence covers check c at now.
func (s Silence) Covers(c Check, now time.Time) bool {
	if now.Before(s.Start) || !now.Before(s.End) {
		return false
	}
	if s.Check != "" {
		return s.Check == c.Name
	}
	for _, t := range c.Tags {
		if t == s.Tag {
			return true
		}
	}
	return false
}

// ErrInvalidSilence is a silence without target or with an end before its
// start.
var ErrInvalidSilence = errors.New("a silence names a check or a tag and ends after it starts")

// AddSilence stores a silence.
func (s *Store) AddSilence(ctx context.Context, si Silence) (int64, error) {
	if (si.Check == "") == (si.Tag == "") || !si.End.After(si.Start) {
		return 0, fmt.Errorf("monitor: add silence: %w", ErrInvalidSilence)
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO monitor_silences (check_name, tag, starts_at, ends_at, reason, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			si.Check, si.Tag, si.Start.Unix(), si.End.Unix(), si.Reason, si.By).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("monitor: add silence: %w", err)
	}
	return id, nil
}

// RemoveSilence ends a stored silence.
func (s *Store) RemoveSilence(ctx context.Context, id int64) error {
	res, err := s.db.Exec(ctx, `DELETE FROM monitor_silences WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("monitor: remove silence: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("monitor: silence %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// Silences returns the stored silences not over at now.
func (s *Store) Silences(ctx context.Context, now time.Time) ([]Silence, error) {
	rows, err := s.db.Query(ctx, `SELECT id, check_name, tag, starts_at, ends_at, reason, created_by FROM monitor_silences WHERE ends_at > ? ORDER BY starts_at`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("monitor: silences: %w", err)
	}
	defer rows.Close()
	var out []Silence
	for rows.Next() {
		var si Silence
		var st, end int64
		if err := rows.Scan(&si.ID, &si.Check, &si.Tag, &st, &end, &si.Reason, &si.By); err != nil {
			return nil, err
		}
		si.Start, si.End = time.Unix(st, 0), time.Unix(end, 0)
		out = append(out, si)
	}
	return out, rows.Err()
}

// RecentAll returns the raw results of every check since a time, oldest
// first, for the dashboard's sparklines.
func (s *Store) RecentAll(ctx context.Context, since time.Time) (map[string][]Point, error) {
	rows, err := s.db.Query(ctx, `SELECT name, at, ok, latency_us FROM monitor_results WHERE at >= ? ORDER BY at`, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("monitor: recent: %w", err)
	}
	defer rows.Close()
	out := map[string][]Point{}
	for rows.Next() {
		var name string
		var at, lat int64
		var ok int
		if err := rows.Scan(&name, &at, &ok, &lat); err != nil {
			return nil, err
		}
		out[name] = append(out[name], Point{At: time.Unix(at, 0), OK: ok == 1, Latency: time.Duration(lat) * time.Microsecond})
	}
	return out, rows.Err()
}
