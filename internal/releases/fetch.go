package releases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// maxBody bounds one answer: thirty releases with long notes stay far
// below it.
const maxBody = 8 << 20

// Stats counts what a poll cost.
type Stats struct {
	// Requests is every HTTP request made; NotModified the 304 answers;
	// Bodies the answers with a body read.
	Requests, NotModified, Bodies, Bytes atomic.Int64
}

// fetcher asks forges, conditionally, with their tokens.
type fetcher struct {
	client *http.Client
	tokens map[string]string
	ua     string
	now    func() time.Time
	stats  *Stats
}

// answer is one page of a forge's answer.
type answer struct {
	notModified        bool
	body               []byte
	etag, lastModified string
	// next is the next page's URL (Link: rel="next"), on the same host.
	next string
	// slowDown is when the forge allows the next request, when it said.
	slowDown time.Time
}

// RateLimitError is a forge asking to wait until Until.
type RateLimitError struct {
	Host  string
	Until time.Time
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s asks to wait until %s", e.Host, e.Until.UTC().Format(time.RFC3339))
}

// StatusError is an answer other than 200 or 304.
type StatusError struct{ Code int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("the forge answered %d %s", e.Code, http.StatusText(e.Code))
}

// errTooLarge is an answer over maxBody.
var errTooLarge = errors.New("the answer is larger than 8 MiB")

// newHTTPClient never carries a token to another host on a redirect.
func newHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
				req.Header.Del("Authorization")
				req.Header.Del("Private-Token")
			}
			return nil
		},
	}
}

// get asks for one page; etag and lastModified make it conditional.
func (f *fetcher) get(ctx context.Context, src *source, u, etag, lastModified string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("User-Agent", f.ua)
	if src.forge == "feed" {
		req.Header.Set("Accept", "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.1")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	f.authorize(req, src)
	f.stats.Requests.Add(1)
	resp, err := f.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	a := answer{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	until, limited := f.rateLimit(resp)
	switch {
	case resp.StatusCode == http.StatusNotModified:
		f.stats.NotModified.Add(1)
		a.notModified = true
		a.slowDown = until
		return a, nil
	case resp.StatusCode == http.StatusOK:
		a.slowDown = until
	case limited && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests):
		return answer{}, &RateLimitError{Host: src.host, Until: until}
	case resp.StatusCode == http.StatusTooManyRequests:
		return answer{}, &RateLimitError{Host: src.host, Until: f.now().Add(time.Minute)}
	default:
		return answer{}, &StatusError{Code: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	f.stats.Bodies.Add(1)
	f.stats.Bytes.Add(int64(len(body)))
	if err != nil {
		return answer{}, err
	}
	if len(body) > maxBody {
		return answer{}, errTooLarge
	}
	a.body = body
	if next := nextLink(resp.Header.Get("Link")); next != "" {
		if nu, err := url.Parse(next); err == nil && strings.EqualFold(nu.Host, req.URL.Host) && (nu.Scheme == "https" || nu.Scheme == "http") {
			a.next = nu.String()
		}
	}
	return a, nil
}

// authorize adds the forge's token, only for the forge's own host.
func (f *fetcher) authorize(req *http.Request, src *source) {
	token := f.tokens[src.host]
	if token == "" || src.forge == "feed" {
		return
	}
	h := strings.ToLower(req.URL.Host)
	if h != src.host && !(src.host == "github.com" && h == "api.github.com") {
		return
	}
	switch src.forge {
	case "github":
		req.Header.Set("Authorization", "Bearer "+token)
	case "gitlab":
		req.Header.Set("Private-Token", token)
	default: // Gitea, Forgejo
		req.Header.Set("Authorization", "token "+token)
	}
}

// maxWait bounds how long a forge's word keeps Pelote away.
const maxWait = 24 * time.Hour

// rateLimit reads when the forge allows the next request: Retry-After
// (seconds or a date), or the reset time of an exhausted limit
// (GitHub's X-RateLimit-*, GitLab's RateLimit-*). limited is false when
// the answer says nothing of it.
func (f *fetcher) rateLimit(resp *http.Response) (until time.Time, limited bool) {
	now := f.now()
	if ra := strings.TrimSpace(resp.Header.Get("Retry-After")); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			return now.Add(min(time.Duration(s)*time.Second, maxWait)), true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return earliest(t, now.Add(maxWait)), true
		}
	}
	remaining := firstHeader(resp.Header, "X-RateLimit-Remaining", "RateLimit-Remaining")
	if remaining != "0" {
		return time.Time{}, false
	}
	reset, err := strconv.ParseInt(firstHeader(resp.Header, "X-RateLimit-Reset", "RateLimit-Reset"), 10, 64)
	if err != nil || reset <= 0 {
		return now.Add(time.Hour), true
	}
	return earliest(time.Unix(reset, 0), now.Add(maxWait)), true
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// nextLink finds rel="next" in an RFC 8288 Link header.
func nextLink(h string) string {
	for part := range strings.SplitSeq(h, ",") {
		target, params, ok := strings.Cut(part, ";")
		if !ok {
			continue
		}
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && strings.Trim(v, `"`) == "next" {
				return strings.Trim(strings.TrimSpace(target), "<>")
			}
		}
	}
	return ""
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
