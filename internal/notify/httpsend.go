package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxAnswer bounds what is read of a receiver's answer.
const maxAnswer = 64 << 10

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent marks an error that retrying cannot fix (a refused token, a
// deleted webhook): the delivery fails at once, for operators to see.
func Permanent(err error) error { return permanent{err} }

// IsPermanent tells whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// retryLater is a temporary error with the receiver's own idea of when to
// come back (Retry-After, Matrix's retry_after_ms).
type retryLater struct {
	error
	after time.Duration
}

func (r retryLater) Unwrap() error { return r.error }

// newClient is the HTTP client of every channel. It follows no redirect:
// a webhook that moves is a configuration to fix, and following it could
// carry a token to another host.
func newClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 4
	t.ResponseHeaderTimeout = time.Minute
	return &http.Client{
		Transport: t,
		// A backstop: each delivery also has its channel's timeout.
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// hostOf names a URL's scheme and host only: the path and query of a
// webhook's URL often hold its key.
func hostOf(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host
}

// checkURL refuses anything but an absolute http(s) URL.
func checkURL(field, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The value may be a secret: it is not quoted.
		return fieldError(field, "is not an absolute http:// or https:// URL")
	}
	if u.User != nil {
		return fieldError(field, "must not carry a user and password: use token_file")
	}
	return nil
}

// send makes one request and sorts the answer: 2xx is success (the body,
// up to maxAnswer, is returned), 408, 425, 429 and 5xx are worth a retry,
// anything else is permanent. Errors name the host, never the URL.
func send(ctx context.Context, c *http.Client, method, target string, header http.Header, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(fmt.Errorf("request to %s: %w", hostOf(target), stripURL(err)))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Pelote")
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, hostOf(target), stripURL(err))
	}
	defer res.Body.Close()
	answer, readErr := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if readErr != nil {
			// Delivered: the receiver answered 2xx before the body broke.
			return nil, nil
		}
		return answer, nil
	}
	err = fmt.Errorf("%s answered %d %s%s", hostOf(target), res.StatusCode, http.StatusText(res.StatusCode), snippet(answer))
	switch {
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 ||
		res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooEarly:
		if d, ok := parseRetryAfter(res.Header.Get("Retry-After"), time.Now()); ok {
			return answer, retryLater{err, d}
		}
		return answer, err
	case res.StatusCode >= 300 && res.StatusCode < 400:
		return answer, Permanent(fmt.Errorf("%w (redirects are not followed: configure the final URL)", err))
	default:
		return answer, Permanent(err)
	}
}

// stripURL drops the URL net/http quotes in its errors.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// snippet is the start of an error answer, printable, for operators.
func snippet(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	return ": " + shorten(s, 200)
}

// parseRetryAfter reads seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now), true
	}
	return 0, false
}
