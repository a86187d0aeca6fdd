package access_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"pelote/internal/access"
	"pelote/internal/identity"
	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

func keyLine(t *testing.T, key any, comment string) string {
	t.Helper()
	pub, err := ssh.NewPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + comment
}

func TestAddKey(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.Own(), identity.Migrations(), access.Migrations())
	ids := identity.NewStore(db, identity.NewHasher(testkit.FastArgon2))
	a, err := ids.CreateAccount(ctx, identity.NewAccount{Username: "alice", Email: "alice@example.org", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	st := access.NewStore(db)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	good := keyLine(t, edPub, " alice@laptop")
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	strong, _ := rsa.GenerateKey(rand.Reader, 2048)
	tests := []struct {
		name, line string
		ok         bool
	}{
		{"ed25519 with comment", "  " + good + "  ", true},
		{"same key again", good, false},
		{"rsa 2048", keyLine(t, &strong.PublicKey, ""), true},
		{"rsa 1024", keyLine(t, &weak.PublicKey, ""), false},
		{"options before the key", `command="/bin/sh" ` + keyLine(t, &strong.PublicKey, ""), false},
		{"a private key", "-----BEGIN OPENSSH PRIVATE KEY-----", false},
		{"two lines", good + "\n" + good, false},
		{"garbage", "ssh-ed25519 not-base64!", false},
		{"empty", "   ", false},
		{"oversized", "ssh-ed25519 " + strings.Repeat("A", 9000), false},
	}
	for _, tt := range tests {
		k, err := st.AddKey(ctx, a.ID, tt.line)
		if tt.ok != (err == nil) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if err == nil && (!strings.HasPrefix(k.Fingerprint, "SHA256:") || strings.HasPrefix(k.Line, " ")) {
			t.Errorf("%s: stored %+v", tt.name, k)
		}
		if !tt.ok && tt.name != "same key again" && !errors.Is(err, identity.ErrInvalid) {
			t.Errorf("%s: %v is not an invalid-input error", tt.name, err)
		}
	}
	keys, err := st.Keys(ctx, a.ID)
	if err != nil || len(keys) != 2 || keys[0].Comment != "alice@laptop" || keys[0].Type != "ssh-ed25519" {
		t.Fatalf("keys: %+v %v", keys, err)
	}
	if err := st.RemoveKey(ctx, a.ID+1, keys[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removing another account's key: %v", err)
	}
	if err := st.RemoveKey(ctx, a.ID, keys[0].ID); err != nil {
		t.Fatal(err)
	}
}
