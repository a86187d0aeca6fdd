package web

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"pelote/internal/access"
)

// withAccess turns machine access on for e, on a server of its own.
func withAccess(t *testing.T, e *env) *access.Store {
	t.Helper()
	if err := e.db.Migrate(t.Context(), access.Migrations()); err != nil {
		t.Fatal(err)
	}
	st := access.NewStore(e.db)
	e.srv.opts.Access = st
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return st
}

func TestSSHKeyPages(t *testing.T) {
	e := newEnv(t, "http://localhost")
	st := withAccess(t, e)
	e.account("alice", false)
	b := e.browser()
	expect(t, b.login("alice", "correct horse battery"), 200, "SSH keys")
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	sp, _ := ssh.NewPublicKey(pub)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " alice@laptop"
	expect(t, b.post("/account/ssh-keys", url.Values{"key": {line}}), 422, "The current password is wrong")
	if keys, _ := st.Keys(t.Context(), 1); len(keys) != 0 {
		t.Fatalf("a key added without the password: %+v", keys)
	}
	r := b.post("/account/ssh-keys", url.Values{"key": {line}, "password": {"correct horse battery"}})
	// Templates write "+" as an entity.
	expect(t, r, 200, "The key is added.", strings.ReplaceAll(ssh.FingerprintSHA256(sp), "+", "&#43;"), "alice@laptop")
	expect(t, b.post("/account/ssh-keys", url.Values{"key": {line}, "password": {"correct horse battery"}}), 409, "already on your account")
	expect(t, b.post("/account/ssh-keys", url.Values{"key": {"-----BEGIN OPENSSH PRIVATE KEY-----"}, "password": {"correct horse battery"}}), 422, "not a usable SSH public key")
	id := regexp.MustCompile(`/account/ssh-keys/(\d+)/delete`).FindStringSubmatch(r.body)
	if id == nil {
		t.Fatalf("no delete form:\n%s", r.body)
	}
	expect(t, b.post("/account/ssh-keys/"+id[1]+"/delete", nil), 200, "The key is deleted.")
	if keys, _ := st.Keys(t.Context(), 1); len(keys) != 0 {
		t.Fatalf("key still there: %+v", keys)
	}

	// The hosts' endpoint wants a bearer token.
	res, err := http.Get(e.url + "/api/hosts/authorized-keys/alice")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || !strings.Contains(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("no token: %d %v", res.StatusCode, res.Header)
	}
}
