package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxHTTPBody bounds what an http check reads of a body.
const maxHTTPBody = 1 << 20

func (p *Prober) http(ctx context.Context, s *HTTPSpec) Result {
	req, err := http.NewRequestWithContext(ctx, s.Method, s.URL, nil)
	if err != nil {
		return failed("monitor.reason.error", err)
	}
	req.Header.Set("User-Agent", "Pelote-monitor")
	for k, v := range s.Headers {
		req.Header.Set(k, v)
		if strings.EqualFold(k, "Host") {
			req.Host = v
		}
	}
	client := &http.Client{Transport: p.transportFor(s)}
	if !s.FollowRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	start := p.now()
	resp, err := client.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap()
		}
		return errResult(err)
	}
	defer resp.Body.Close()
	needBody := s.BodyContains != "" || s.BodyRegex != nil || s.JSONPath != ""
	var body []byte
	if needBody {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
	} else {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxHTTPBody))
	}
	lat := p.now().Sub(start)
	r := Result{OK: true, Latency: lat, CertDays: certDays(resp.TLS, p.now())}
	if err != nil {
		r = errResult(err)
		r.Latency = lat
		return r
	}
	fail := func(reason string, args ...any) Result {
		f := failed(reason, args...)
		f.Latency, f.CertDays = lat, r.CertDays
		return f
	}
	switch {
	case s.Status != 0 && resp.StatusCode != s.Status:
		return fail("monitor.reason.status", resp.StatusCode, s.Status)
	case s.Status == 0 && (resp.StatusCode < 200 || resp.StatusCode > 299):
		return fail("monitor.reason.status", resp.StatusCode, "2xx")
	case s.BodyContains != "" && !bytes.Contains(body, []byte(s.BodyContains)):
		return fail("monitor.reason.body_contains", s.BodyContains)
	case s.BodyRegex != nil && !s.BodyRegex.Match(body):
		return fail("monitor.reason.body_regex", s.BodyRegex.String())
	case s.MaxResponseTime > 0 && lat > s.MaxResponseTime:
		return fail("monitor.reason.slow", lat.Round(1e6), s.MaxResponseTime)
	}
	if s.JSONPath != "" {
		got, err := jsonPath(body, s.JSONPath)
		if err != nil {
			return fail("monitor.reason.json", s.JSONPath, err)
		}
		if got != s.JSONValue {
			return fail("monitor.reason.json_value", s.JSONPath, got, s.JSONValue)
		}
	}
	return r
}

// jsonPath reads a dotted path (a.b.0.c) in a JSON document and returns
// the value as text (strings bare, other values as JSON).
func jsonPath(body []byte, path string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", errors.New("not JSON")
	}
	for _, part := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[part]
			if !ok {
				return "", fmt.Errorf("no %q", part)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return "", fmt.Errorf("no item %q", part)
			}
			v = node[i]
		default:
			return "", fmt.Errorf("no %q", part)
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, _ := json.Marshal(v)
	return string(b), nil
}
