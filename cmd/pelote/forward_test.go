package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestForwardAuthBehindNginx puts Debian's nginx, with auth_request, in
// front of an application that has no login, and plays the browser:
// redirected to Pelote's login, back to the application once signed in,
// refused when not in the allowed group, out again after logging out.
func TestForwardAuthBehindNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/nginx"); err2 != nil {
			t.Fatal("nginx is missing: install Debian's nginx-light (./test.sh does)")
		}
		nginx = "/usr/sbin/nginx"
	}
	p := newPelote(t)
	for _, u := range []string{"alice", "bob"} {
		p.ok("correct horse battery\n", "user", "add", u, "--email", u+"@example.org", "--password-stdin")
	}
	p.ok("", "group", "add", "staff")
	p.ok("", "group", "member", "add", "staff", "alice")

	// The application: it trusts the Remote-User nginx passes on.
	appLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.Header.Get("Remote-User"))
	})}
	go app.Serve(appLn)
	t.Cleanup(func() { app.Close() })

	peloteAddr, nginxAddr := freePort(t), freePort(t)
	_, pelotePort, _ := net.SplitHostPort(peloteAddr)
	_, nginxPort, _ := net.SplitHostPort(nginxAddr)
	idURL := "http://id.example.org:" + pelotePort
	env := append(os.Environ(), "PELOTE_DATA="+p.data, "PELOTE_DATABASE="+p.dsn, fastHash[0], "PELOTE_URL="+idURL,
		"PELOTE_FORWARD_AUTH_COOKIE_DOMAIN=example.org", "PELOTE_FORWARD_AUTH_RULES=wiki.example.org=staff")
	startServe(t, buildPelote(t), t.TempDir(), env, "--listen", peloteAddr)

	dir := t.TempDir()
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server {
    listen %[2]s;
    location / {
      auth_request /_pelote;
      auth_request_set $user $upstream_http_remote_user;
      proxy_set_header Remote-User $user;
      proxy_pass http://%[3]s;
      error_page 401 = @login;
    }
    location = /_pelote {
      internal;
      proxy_pass http://%[4]s/auth/forward;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
    }
    location @login {
      return 302 %[5]s/login?next=$scheme://$http_host$request_uri;
    }
  }
}
`, dir, nginxAddr, appLn.Addr(), peloteAddr, idURL)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ng := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	if err := ng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ng.Process.Kill(); ng.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", nginxAddr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start:\n%s", log)
		}
	}

	// A browser that resolves *.example.org to this machine.
	browser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		dialer := &net.Dialer{}
		return &http.Client{Jar: jar, Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, _ := net.SplitHostPort(addr)
			return dialer.DialContext(ctx, network, "127.0.0.1:"+port)
		}}}
	}
	wiki := "http://wiki.example.org:" + nginxPort + "/page?x=1"
	get := func(c *http.Client, u string) (*http.Response, string) {
		t.Helper()
		res, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	login := func(c *http.Client, user string) (*http.Response, string) {
		t.Helper()
		res, body := get(c, wiki)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Request.URL.String(), idURL+"/login?next=") || !strings.Contains(body, `name="password"`) {
			t.Fatalf("signed out: %d at %s", res.StatusCode, res.Request.URL)
		}
		form := url.Values{"username": {user}, "password": {"correct horse battery"}, "next": {res.Request.URL.Query().Get("next")}}
		res, err := c.PostForm(idURL+"/login", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	alice := browser()
	res, body := login(alice, "alice")
	if res.StatusCode != 200 || body != "hello alice" || res.Request.URL.String() != wiki {
		t.Fatalf("after login: %d at %s: %q", res.StatusCode, res.Request.URL, body)
	}
	if res, body := get(alice, wiki); res.StatusCode != 200 || body != "hello alice" {
		t.Fatalf("signed in: %d %q", res.StatusCode, body)
	}

	bob := browser()
	if res, _ := login(bob, "bob"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("bob is not staff: %d", res.StatusCode)
	}

	// Logging out at Pelote closes the application too.
	res, err = alice.PostForm(idURL+"/logout", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res, _ := get(alice, wiki); !strings.HasPrefix(res.Request.URL.String(), idURL+"/login") {
		t.Fatalf("after logout: %d at %s", res.StatusCode, res.Request.URL)
	}

	// Traefik and Caddy ask with X-Forwarded-*: a redirect for strangers,
	// 403 for a host without a rule, and no open redirect through next.
	direct := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ask := func(host string) *http.Response {
		req, _ := http.NewRequest("GET", "http://"+peloteAddr+"/auth/forward", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-Host", host)
		req.Header.Set("X-Forwarded-Uri", "/dashboard")
		res, err := direct.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := ask("wiki.example.org"); res.StatusCode != http.StatusFound || res.Header.Get("Location") != idURL+"/login?next="+url.QueryEscape("https://wiki.example.org/dashboard") {
		t.Fatalf("traefik-style stranger: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := ask("evil.example.net"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("host without rule: %d", res.StatusCode)
	}
	res, err = direct.PostForm(idURL[:7]+peloteAddr+"/login", url.Values{"username": {"alice"}, "password": {"correct horse battery"}, "next": {"https://evil.example.net/"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "/account" {
		t.Fatalf("next to a host without a rule went to %q", loc)
	}
}
