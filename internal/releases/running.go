package releases

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"pelote/internal/inventory"
)

// maxStatusBody bounds a service's version answer (status.php is a few
// hundred bytes; an instance description a few kilobytes).
const maxStatusBody = 1 << 20

// readRunning reads and stores a service's running version: fixed in the
// inventory, or asked of the service.
func (w *Watcher) readRunning(ctx context.Context, s inventory.Service) running {
	r := running{readAt: w.Now()}
	switch {
	case s.VersionFrom != nil:
		r.version, r.problem = w.ask(ctx, s.VersionFrom)
	default:
		r.version = s.Version
	}
	if r.problem.Key == "" && r.version != "" && s.Upstream != nil {
		if _, err := Version(r.version, nil); err != nil {
			r.problem = Problem{Key: ProblemNotSemver, Detail: r.version}
		}
	}
	if err := saveRunning(ctx, w.db, s.Name, r); err != nil {
		w.log.Warn("releases: running version", "service", s.Name, "err", err)
	}
	return r
}

// ask reads a version from the service itself.
func (w *Watcher) ask(ctx context.Context, vf *inventory.VersionFrom) (string, Problem) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, vf.URL, nil)
	if err != nil {
		return "", Problem{Key: ProblemUnreachable, Detail: err.Error()}
	}
	req.Header.Set("User-Agent", w.UserAgent)
	resp, err := w.HTTP.Do(req)
	if err != nil {
		p, _ := describe(err)
		return "", p
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", Problem{Key: ProblemStatus, Detail: strconv.Itoa(resp.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBody+1))
	if err != nil {
		return "", Problem{Key: ProblemUnreachable, Detail: err.Error()}
	}
	if len(body) > maxStatusBody {
		return "", Problem{Key: ProblemTooLarge}
	}
	if vf.Regex != "" {
		re, err := regexp.Compile(vf.Regex)
		if err != nil {
			return "", Problem{Key: ProblemNoMatch, Detail: vf.Regex}
		}
		m := re.FindSubmatch(body)
		if len(m) < 2 || len(m[1]) == 0 {
			return "", Problem{Key: ProblemNoMatch, Detail: vf.Regex}
		}
		return cleanVersion(string(m[1])), Problem{}
	}
	v, err := JSONPath(body, vf.JSON)
	if err != nil {
		return "", Problem{Key: ProblemBadAnswer, Detail: err.Error()}
	}
	return v, Problem{}
}

// JSONPath reads the string or number at a dotted path ("version",
// "data.0.version") of a JSON document. It walks the decoded document
// with encoding/json: the paths operators need are a key or two, which a
// JSONPath library would be a dependency for.
func JSONPath(body []byte, path string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return "", fmt.Errorf("invalid JSON: %v", firstLine(err.Error()))
	}
	cur := doc
	for i, seg := range strings.Split(path, ".") {
		where := strings.Join(strings.Split(path, ".")[:i+1], ".")
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return "", fmt.Errorf("no %q in the answer", where)
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || n >= len(v) {
				return "", fmt.Errorf("no %q in the answer", where)
			}
			cur = v[n]
		default:
			return "", fmt.Errorf("no %q in the answer", where)
		}
	}
	switch v := cur.(type) {
	case string:
		if s := cleanVersion(v); s != "" {
			return s, nil
		}
	case json.Number:
		return v.String(), nil
	}
	return "", fmt.Errorf("%q is not a version string", path)
}

// cleanVersion keeps a version short and on one line.
func cleanVersion(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 64 || strings.ContainsAny(s, "\r\n\x00") {
		return ""
	}
	return s
}
