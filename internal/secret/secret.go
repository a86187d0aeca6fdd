package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Size is the length of the master secret in bytes.
const Size = 32

// Keyring derives purpose-bound keys from the master secret.
type Keyring struct{ master []byte }

// New wraps a master secret of Size bytes.
func New(master []byte) (*Keyring, error) {
	if len(master) != Size {
		return nil, fmt.Errorf("secret: the master secret must be %d bytes, not %d", Size, len(master))
	}
	return &Keyring{master: append([]byte(nil), master...)}, nil
}

// LoadOrCreate reads the master secret from path (hex), creating it with
// mode 0600 when it does not exist yet. An existing file that is not a
// valid secret is an error, never replaced: replacing it would orphan every
// sealed key.
func LoadOrCreate(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	master, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(master) != Size {
		return nil, fmt.Errorf("secret: %s does not hold %d hex-encoded bytes; restore it from a backup", path, Size)
	}
	return New(master)
}

func create(path string) (*Keyring, error) {
	master := make([]byte, Size)
	rand.Read(master)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	// Written whole to a private file first, then linked into place: the
	// link is atomic and fails if the file exists, so two processes
	// starting together agree on one secret, and neither ever reads a
	// half-written one.
	f, err := os.CreateTemp(dir, ".secret-*")
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.WriteString(hex.EncodeToString(master) + "\n")
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("secret: writing %s: %w", path, err)
	}
	if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		return LoadOrCreate(path)
	} else if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return New(master)
}

// Key derives a 32-byte key for purpose.
func (k *Keyring) Key(purpose string) []byte {
	key, err := hkdf.Key(sha256.New, k.master, nil, "pelote "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF-SHA256 cannot produce
	}
	return key
}

// MAC returns HMAC-SHA-256 of data under the key for purpose, hex-encoded.
func (k *Keyring) MAC(purpose string, data []byte) string {
	m := hmac.New(sha256.New, k.Key(purpose))
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))
}

// Sealer encrypts small values (keys, seeds) for one purpose.
type Sealer struct{ aead cipher.AEAD }

// Sealer returns the AES-256-GCM sealer for purpose.
func (k *Keyring) Sealer(purpose string) *Sealer {
	block, err := aes.NewCipher(k.Key("seal " + purpose))
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Sealer{aead: aead}
}

// Seal encrypts plain, binding it to context (e.g. the row's id) so a sealed
// value copied to another row does not open there.
func (s *Sealer) Seal(plain []byte, context string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, []byte(context))
}

// ErrOpen means a sealed value was tampered with, belongs elsewhere, or was
// sealed under another master secret.
var ErrOpen = errors.New("secret: cannot open a sealed value (wrong master secret or altered data)")

// Open decrypts what Seal produced with the same context.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
