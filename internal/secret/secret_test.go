package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadOrCreateKeepsTheSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	// Several starts at once agree on one secret.
	var wg sync.WaitGroup
	rings := make([]*Keyring, 4)
	for i := range rings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := LoadOrCreate(path)
			if err != nil {
				t.Error(err)
				return
			}
			rings[i] = k
		}()
	}
	wg.Wait()
	for _, k := range rings[1:] {
		if k == nil || rings[0] == nil || !bytes.Equal(k.master, rings[0].master) {
			t.Fatal("concurrent starts produced different secrets")
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode: %v %v", st.Mode(), err)
	}
	again, err := LoadOrCreate(path)
	if err != nil || !bytes.Equal(again.master, rings[0].master) {
		t.Fatal("reloading changed the secret")
	}
}

func TestLoadRefusesABrokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	for _, content := range []string{"", "zz", "abcd\n"} {
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := LoadOrCreate(path); err == nil {
			t.Errorf("%q accepted as a secret", content)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("broken secret file was overwritten")
		}
	}
}

func TestSealOpen(t *testing.T) {
	k, _ := New(bytes.Repeat([]byte{7}, Size))
	other, _ := New(bytes.Repeat([]byte{8}, Size))
	s := k.Sealer("keys")
	sealed := s.Seal([]byte("private key"), "row 1")
	if got, err := s.Open(sealed, "row 1"); err != nil || string(got) != "private key" {
		t.Fatalf("open: %q %v", got, err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	cases := map[string]func() ([]byte, error){
		"other context": func() ([]byte, error) { return s.Open(sealed, "row 2") },
		"other purpose": func() ([]byte, error) { return k.Sealer("totp").Open(sealed, "row 1") },
		"other master":  func() ([]byte, error) { return other.Sealer("keys").Open(sealed, "row 1") },
		"tampered":      func() ([]byte, error) { return s.Open(tampered, "row 1") },
		"truncated":     func() ([]byte, error) { return s.Open(sealed[:5], "row 1") },
	}
	for name, open := range cases {
		if _, err := open(); err != ErrOpen {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
	first, again := k.MAC("client", []byte("x")), k.MAC("client", []byte("x"))
	if first == k.MAC("token", []byte("x")) || first != again {
		t.Error("MAC must be stable per purpose and differ across purposes")
	}
}
