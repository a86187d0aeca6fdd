package releases

import (
	"context"
	"time"
)

// Status is what the operators' page and `pelote releases list` show of
// one service.
type Status struct {
	Service  string `json:"service"`
	Software string `json:"software,omitempty"`
	// Running is the running version as written or read; Latest the
	// highest upstream version that counts, without its v.
	Running   string `json:"running,omitempty"`
	Latest    string `json:"latest,omitempty"`
	LatestURL string `json:"latest_url,omitempty"`
	// Outdated is true when Latest is newer than Running.
	Outdated bool `json:"outdated"`
	// Security is true when Latest's notes mention a security fix.
	Security bool `json:"security"`
	// Upstream is the project's page; Watched false when there is none.
	Upstream  string    `json:"upstream,omitempty"`
	Watched   bool      `json:"watched"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	// Problems are the warnings about the upstream and the running version.
	Problems []Problem `json:"problems,omitempty"`
}

// List tells, for every service of the running inventory, its running
// and latest versions and what went wrong reading them.
func (w *Watcher) List(ctx context.Context) ([]Status, error) {
	runningBy, err := loadRunning(ctx, w.db)
	if err != nil {
		return nil, err
	}
	inv := w.inv()
	out := make([]Status, 0, len(inv.Services))
	for _, s := range inv.Services {
		st := Status{Service: s.Name, Software: s.Software, Running: s.Version, Problems: []Problem{}}
		if r, ok := runningBy[s.Name]; ok {
			if s.VersionFrom != nil {
				st.Running = r.version
			}
			if r.problem.Key != "" {
				st.Problems = append(st.Problems, r.problem)
			}
		}
		if s.Upstream != nil {
			src, err := newSource(s.Upstream)
			if err != nil {
				return nil, err
			}
			st.Watched, st.Upstream = true, src.web
			ss, err := loadSource(ctx, w.db, src.first)
			if err != nil {
				return nil, err
			}
			if ss.settings != "" && ss.settings != src.settings() {
				ss, err = loadSource(ctx, w.db, src.first+" "+src.settings())
				if err != nil {
					return nil, err
				}
			}
			st.CheckedAt = ss.checkedAt
			if ss.latest != "" {
				st.Latest, st.LatestURL, st.Security = Display(ss.latest), ss.latestURL, ss.security
				if cur, err := Version(st.Running, nil); err == nil && Compare(ss.latest, cur) > 0 {
					st.Outdated = true
				}
			}
			if ss.problem.Key != "" {
				st.Problems = append(st.Problems, ss.problem)
			}
		}
		out = append(out, st)
	}
	sortStatuses(out)
	return out, nil
}

// Running returns each service's running version as last read, for the
// public page: services with a fixed version have it from the inventory.
func (w *Watcher) Running(ctx context.Context) (map[string]string, error) {
	runningBy, err := loadRunning(ctx, w.db)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range w.inv().Services {
		switch {
		case s.VersionFrom != nil:
			out[s.Name] = runningBy[s.Name].version
		default:
			out[s.Name] = s.Version
		}
	}
	return out, nil
}
