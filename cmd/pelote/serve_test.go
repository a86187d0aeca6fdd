package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pelote/internal/store/storetest"
)

// TestServeEndToEnd is the newcomer's path through the real binary: start
// with no configuration, create the administrator through the setup link,
// create an account and a group in the UI and with the CLI while the server
// runs, then log in as the member, change the password and add a second
// profile.
func TestServeEndToEnd(t *testing.T) {
	bin := buildPelote(t)
	dir := t.TempDir()
	env := append(os.Environ(), "PELOTE_DATABASE="+storetest.DSN(t), "PELOTE_PASSWORD_MEMORY_KIB=19456")
	cli := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pelote %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	srv, addr, token := startServe(t, bin, dir, env, "--listen", "127.0.0.1:0")
	if token == "" {
		t.Fatal("no setup link printed on an empty database")
	}
	base := "http://" + addr

	admin := newClient(t, base)
	admin.post("/setup/"+token, url.Values{"username": {"root"}, "email": {"root@example.org"}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}}, "You administer this Pelote now")
	admin.post("/admin/accounts", url.Values{"username": {"alice"}, "email": {"alice@example.org"}, "password": {"first password ok"}, "locale": {"en"}}, "The account is created.")
	admin.post("/admin/groups", url.Values{"name": {"staff"}}, "The group is created.")
	admin.post("/admin/groups/staff/members", url.Values{"username": {"alice"}}, "Added to the group.")

	// The CLI works while serve runs, on the same database.
	cli("", "group", "add", "volunteers")
	cli("", "group", "member", "add", "volunteers", "alice")
	cli("another password 1\n", "user", "add", "bob", "--email", "bob@example.org", "--password-stdin")
	cli("", "service", "add", "mastodon", "--quota", "2")

	alice := newClient(t, base)
	alice.post("/login", url.Values{"username": {"alice"}, "password": {"first password ok"}}, "Signed-in browsers")
	alice.post("/account/password", url.Values{"current_password": {"first password ok"}, "new_password": {"second password ok"}, "new_password2": {"second password ok"}}, "Your password is changed")
	alice.post("/account/profiles", url.Values{"service": {"mastodon"}, "name": {"alice"}}, "The profile is created.")
	alice.post("/account/profiles", url.Values{"service": {"mastodon"}, "name": {"alice-work"}}, "The profile is created.")
	alice.post("/logout", nil, "You are logged out.")
	alice.post("/login", url.Values{"username": {"alice"}, "password": {"second password ok"}}, "alice-work")

	var shown struct {
		Groups   []string `json:"groups"`
		Profiles []struct {
			Name string `json:"name"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(cli("", "user", "show", "alice", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if strings.Join(shown.Groups, ",") != "staff,volunteers" || len(shown.Profiles) != 2 {
		t.Fatalf("alice as the CLI sees her: %+v", shown)
	}

	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve did not stop cleanly on SIGTERM: %v", err)
	}
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	buildOut  []byte
)

// buildPelote builds the binary once for all tests of the package.
func buildPelote(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "pelote-bin-")
		if buildErr == nil {
			buildOut, buildErr = exec.Command("go", "build", "-o", filepath.Join(buildDir, "pelote"), ".").CombinedOutput()
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v\n%s", buildErr, buildOut)
	}
	return filepath.Join(buildDir, "pelote")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// startServe starts `pelote serve` and returns once it listens, with its
// address and the setup token it printed (if any). It is killed at the end.
func startServe(t *testing.T, bin, dir string, env []string, args ...string) (*exec.Cmd, string, string) {
	t.Helper()
	srv := exec.Command(bin, append([]string{"serve"}, args...)...)
	srv.Dir, srv.Env = dir, env
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	// The setup link comes first, then the listening address.
	var token, addr string
	var seen []string
	lines := bufio.NewScanner(stderr)
	setupRE := regexp.MustCompile(`/setup/([A-Za-z0-9_-]{43})`)
	addrRE := regexp.MustCompile(`msg=listening address=(127\.0\.0\.1:\d+)`)
	for addr == "" && lines.Scan() {
		seen = append(seen, lines.Text())
		if m := setupRE.FindStringSubmatch(lines.Text()); m != nil {
			token = m[1]
		}
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("serve exited before listening:\n%s", strings.Join(seen, "\n"))
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	return srv, addr, token
}

type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (c *client) post(path string, form url.Values, want string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), want) {
		c.t.Fatalf("POST %s: %d, want 200 with %q:\n%s", path, res.StatusCode, want, body)
	}
}
