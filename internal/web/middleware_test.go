package web

import (
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"pelote/internal/ratelimit"
)

func TestClientAddr(t *testing.T) {
	s := &Server{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}
	tests := []struct {
		name, remote, xff, want string
	}{
		{"direct client, header ignored", "203.0.113.7:5000", "198.51.100.1", "203.0.113.7"},
		{"through a trusted proxy", "10.0.0.2:5000", "198.51.100.1", "198.51.100.1"},
		{"forged first hop is ignored", "10.0.0.2:5000", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"chain of trusted proxies", "10.0.0.2:5000", "198.51.100.1, 10.0.0.9", "198.51.100.1"},
		{"garbage in the header", "10.0.0.2:5000", "not-an-ip", "10.0.0.2"},
		{"IPv6 proxy", "[::1]:5000", "2001:db8::5", "2001:db8::5"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.7]:1", "", "203.0.113.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if got := s.clientAddr(r).String(); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	if k := ratelimit.AddressKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); k != "2001:db8:1:2::/64" {
		t.Fatalf("IPv6 key %s", k)
	}
}

func FuzzClientAddr(f *testing.F) {
	s := &Server{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	f.Add("10.0.0.1:80", "1.2.3.4, 10.0.0.3")
	f.Add("[::1]:1", ",,,")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		a := s.clientAddr(r)
		if a.IsValid() && s.trusted(a) && !strings.Contains(remote, a.String()) && !strings.Contains(xff, a.String()) {
			t.Fatalf("address %s comes from nowhere", a)
		}
	})
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "/account",
		"/admin/accounts?q=a":  "/admin/accounts?q=a",
		"//evil.example/x":     "/account",
		"/\\evil.example":      "/account",
		"https://evil.example": "/account",
		"/ok\r\nSet-Cookie: x": "/account",
		"relative":             "/account",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzLocalPath checks the open-redirect guard: whatever comes in, what goes
// out resolves to this site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/a", "//x", "/\\x", "http://x", "/%2F%2Fx", "/\t/x"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://id.example.org/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next)
		u, err := base.Parse(got)
		if err != nil || u.Host != "id.example.org" || u.Scheme != "https" {
			t.Fatalf("localPath(%q) = %q leaves the site (%v)", next, got, u)
		}
	})
}

func TestClientName(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                "Firefox / Linux",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36":              "Chrome / Android",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/1": "Safari / iOS",
		"": "",
	} {
		if got := clientName(ua); got != want {
			t.Errorf("clientName(%q) = %q, want %q", ua, got, want)
		}
	}
}
