package releases

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the release watching tables.
func Migrations() store.Migrations { return store.Migrations{Owner: "releases", FS: migrations} }

// Problem keys, translated on the operators' page as releases.problem.KEY.
const (
	ProblemUnreachable = "unreachable"
	ProblemStatus      = "status"
	ProblemRateLimited = "rate_limited"
	ProblemBadAnswer   = "bad_answer"
	ProblemTooLarge    = "too_large"
	ProblemNoVersion   = "no_version"
	ProblemNoDates     = "no_dates"
	ProblemNotSemver   = "not_semver"
	ProblemNoMatch     = "no_match"
)

// Problem is a warning about one upstream or one running version.
type Problem struct {
	Key    string `json:"key"`
	Detail string `json:"detail,omitempty"`
}

// sourceState is a source's stored row.
type sourceState struct {
	settings, etag, lastModified string
	checkedAt                    time.Time
	latest, latestTag, latestURL string
	latestAt                     time.Time
	security                     bool
	problem                      Problem
}

func loadSource(ctx context.Context, q store.Queryer, key string) (sourceState, error) {
	var st sourceState
	var checked, at int64
	var sec int
	err := q.QueryRow(ctx, `SELECT settings, etag, last_modified, checked_at, latest, latest_tag, latest_url, latest_at, security, problem, problem_detail
		FROM release_sources WHERE source = ?`, key).Scan(&st.settings, &st.etag, &st.lastModified, &checked, &st.latest, &st.latestTag,
		&st.latestURL, &at, &sec, &st.problem.Key, &st.problem.Detail)
	if errors.Is(err, sql.ErrNoRows) {
		return sourceState{}, nil
	}
	if err != nil {
		return st, fmt.Errorf("releases: source state: %w", err)
	}
	st.checkedAt, st.latestAt, st.security = unix(checked), unix(at), sec == 1
	return st, nil
}

func saveSource(ctx context.Context, db *store.DB, key string, st sourceState) error {
	_, err := db.Exec(ctx, `INSERT INTO release_sources (source, settings, etag, last_modified, checked_at, latest, latest_tag, latest_url, latest_at, security, problem, problem_detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET settings = excluded.settings, etag = excluded.etag, last_modified = excluded.last_modified,
			checked_at = excluded.checked_at, latest = excluded.latest, latest_tag = excluded.latest_tag, latest_url = excluded.latest_url,
			latest_at = excluded.latest_at, security = excluded.security, problem = excluded.problem, problem_detail = excluded.problem_detail`,
		key, st.settings, st.etag, st.lastModified, st.checkedAt.Unix(), st.latest, st.latestTag, st.latestURL, st.latestAt.Unix(),
		boolInt(st.security), st.problem.Key, clip(st.problem.Detail))
	if err != nil {
		return fmt.Errorf("releases: save source: %w", err)
	}
	return nil
}

// running is a service's stored running version.
type running struct {
	version string
	readAt  time.Time
	problem Problem
}

func saveRunning(ctx context.Context, db *store.DB, service string, r running) error {
	_, err := db.Exec(ctx, `INSERT INTO release_running (service, version, read_at, problem, problem_detail) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (service) DO UPDATE SET version = excluded.version, read_at = excluded.read_at, problem = excluded.problem, problem_detail = excluded.problem_detail`,
		service, clip(r.version), r.readAt.Unix(), r.problem.Key, clip(r.problem.Detail))
	if err != nil {
		return fmt.Errorf("releases: save running version: %w", err)
	}
	return nil
}

func loadRunning(ctx context.Context, q store.Queryer) (map[string]running, error) {
	rows, err := q.Query(ctx, `SELECT service, version, read_at, problem, problem_detail FROM release_running`)
	if err != nil {
		return nil, fmt.Errorf("releases: running versions: %w", err)
	}
	defer rows.Close()
	out := map[string]running{}
	for rows.Next() {
		var s string
		var r running
		var at int64
		if err := rows.Scan(&s, &r.version, &at, &r.problem.Key, &r.problem.Detail); err != nil {
			return nil, err
		}
		r.readAt = unix(at)
		out[s] = r
	}
	return out, rows.Err()
}

// limits returns the hosts that asked to be left alone, until when.
func loadLimits(ctx context.Context, q store.Queryer, now time.Time) (map[string]time.Time, error) {
	rows, err := q.Query(ctx, `SELECT host, until FROM release_limits WHERE until > ?`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("releases: rate limits: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var h string
		var u int64
		if err := rows.Scan(&h, &u); err != nil {
			return nil, err
		}
		out[h] = unix(u)
	}
	return out, rows.Err()
}

func saveLimit(ctx context.Context, db *store.DB, host string, until time.Time) error {
	_, err := db.Exec(ctx, `INSERT INTO release_limits (host, until) VALUES (?, ?)
		ON CONFLICT (host) DO UPDATE SET until = excluded.until`, host, until.Unix())
	if err != nil {
		return fmt.Errorf("releases: save rate limit: %w", err)
	}
	return nil
}

// lastCycle is when the least recently checked source was checked: the
// time of the last complete poll.
func lastCycle(ctx context.Context, q store.Queryer) (time.Time, error) {
	var at sql.NullInt64
	if err := q.QueryRow(ctx, `SELECT MIN(checked_at) FROM release_sources`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("releases: last poll: %w", err)
	}
	return unix(at.Int64), nil
}

func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// clip bounds what a forge's answer may put in a row.
func clip(s string) string {
	const max = 500
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "")
}
