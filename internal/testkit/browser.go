package testkit

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Browser is an HTTP client that keeps cookies and follows redirects as a
// person's browser does, but not into the hosts or URL prefixes named in
// StopAt (an application's callback, read by the test). Forms are posted
// as a browser posts them on the same site.
type Browser struct {
	// T is the test that a failure fails; a fuzz target sets its own.
	T testing.TB
	// Base prefixes paths that are not whole URLs.
	Base   string
	Client *http.Client
	// Last is the last page received.
	Last Page
}

// Page is an answer as the browser received it, its body read.
type Page struct {
	Status int
	Body   string
	// URL is where the browser ended up after the redirects.
	URL    string
	Header http.Header
	// Response is the answer itself, its body consumed.
	Response *http.Response
}

// NewBrowser is a browser for the site at base.
func NewBrowser(t testing.TB, base string, stopAt ...string) *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if len(stopAt) > 0 {
		c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
			for _, s := range stopAt {
				if req.URL.Host == s || strings.HasPrefix(req.URL.String(), s) {
					return http.ErrUseLastResponse
				}
			}
			return nil
		}
	}
	return &Browser{T: t, Base: base, Client: c}
}

// URL resolves a path against Base.
func (b *Browser) URL(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return b.Base + path
}

// Do sends req and reads the answer.
func (b *Browser) Do(req *http.Request) Page {
	b.T.Helper()
	res, err := b.Client.Do(req)
	if err != nil {
		b.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.T.Fatalf("%s %s: read: %v", req.Method, req.URL, err)
	}
	b.Last = Page{Status: res.StatusCode, Body: string(body), URL: res.Request.URL.String(), Header: res.Header, Response: res}
	return b.Last
}

// Get asks for a page.
func (b *Browser) Get(path string) Page {
	b.T.Helper()
	req, err := http.NewRequest(http.MethodGet, b.URL(path), nil)
	if err != nil {
		b.T.Fatal(err)
	}
	return b.Do(req)
}

// Post sends a form, with the headers a browser sends for a form of the
// same site (Sec-Fetch-Site and Origin).
func (b *Browser) Post(path string, form url.Values) Page {
	b.T.Helper()
	req, err := http.NewRequest(http.MethodPost, b.URL(path), strings.NewReader(form.Encode()))
	if err != nil {
		b.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if u, err := url.Parse(req.URL.String()); err == nil {
		req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	}
	return b.Do(req)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// Hidden returns the hidden fields of the last page.
func (b *Browser) Hidden() url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(b.Last.Body, -1) {
		v.Set(m[1], HTMLUnescape(m[2]))
	}
	return v
}

// HTMLUnescape undoes what html/template escapes in an attribute.
func HTMLUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`).Replace(s)
}
