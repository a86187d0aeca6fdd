package identity

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"

	"github.com/GehirnInc/crypt"
	_ "github.com/GehirnInc/crypt/sha256_crypt" // registers $5$
	_ "github.com/GehirnInc/crypt/sha512_crypt" // registers $6$
	"golang.org/x/crypto/bcrypt"
)

// Hashes imported from other systems (OpenLDAP, applications' databases)
// are checked as they are, and replaced by an argon2id hash at the first
// successful login: members keep their password across the move.

// legacyScheme names the format of a non-argon2id hash, "" if unknown.
func legacyScheme(encoded string) string {
	upper := strings.ToUpper(encoded)
	switch {
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		return "bcrypt"
	case strings.HasPrefix(upper, "{SSHA}"):
		return "ssha"
	case strings.HasPrefix(upper, "{SSHA256}"):
		return "ssha256"
	case strings.HasPrefix(upper, "{SSHA512}"):
		return "ssha512"
	case strings.HasPrefix(upper, "{CRYPT}$5$"), strings.HasPrefix(upper, "{CRYPT}$6$"):
		return "crypt"
	}
	return ""
}

// validLegacy checks that an imported hash can be verified at all, so that
// an import reports a damaged hash at once rather than at the login.
func validLegacy(encoded string) bool {
	switch legacyScheme(encoded) {
	case "bcrypt":
		_, err := bcrypt.Cost([]byte(encoded))
		return err == nil
	case "ssha", "ssha256", "ssha512":
		_, digest, salt := sshaParts(encoded)
		return digest != nil && len(salt) > 0
	case "crypt":
		s := encoded[len("{CRYPT}"):]
		c := crypt.NewFromHash(s)
		if c == nil || strings.Count(s, "$") < 3 {
			return false
		}
		_, err := c.Cost(s)
		return err == nil
	}
	return false
}

// maxHashBytes bounds a stored hash: the longest Pelote reads (argon2id
// with a 64-byte key, SHA-crypt with "rounds=") is far shorter.
const maxHashBytes = 512

// checkImportedHash says whether encoded is a hash Pelote can check and
// within the cost caps; the error names the problem (and the cap).
func (h *Hasher) checkImportedHash(encoded string) error {
	if len(encoded) > maxHashBytes || strings.IndexFunc(encoded, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return invalid("password_hash", "not a hash Pelote can check: it holds spaces, line breaks or other characters no hash has")
	}
	if _, _, _, err := parsePHC(encoded); err != nil && !validLegacy(encoded) {
		return invalid("password_hash", "not a hash Pelote can check (bcrypt, {SSHA}, {SSHA256}, {SSHA512}, {CRYPT}$5$ or $6$, argon2id)")
	}
	return h.hashCost(encoded)
}

// sshaParts splits {SSHA…}base64(digest ‖ salt).
func sshaParts(encoded string) (func() hash.Hash, []byte, []byte) {
	scheme, rest, _ := strings.Cut(encoded[1:], "}")
	var h func() hash.Hash
	switch strings.ToUpper(scheme) {
	case "SSHA":
		h = sha1.New
	case "SSHA256":
		h = sha256.New
	case "SSHA512":
		h = sha512.New
	default:
		return nil, nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	size := h().Size()
	if err != nil || len(raw) <= size {
		return nil, nil, nil
	}
	return h, raw[:size], raw[size:]
}

// verifyLegacy checks pw against an imported hash. bcrypt and SHA-crypt are
// slow on purpose: the caller holds a hashing slot, as for argon2id.
func verifyLegacy(pw, encoded string) bool {
	switch legacyScheme(encoded) {
	case "bcrypt":
		return bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw)) == nil
	case "ssha", "ssha256", "ssha512":
		h, digest, salt := sshaParts(encoded)
		if h == nil {
			return false
		}
		m := h()
		m.Write([]byte(pw))
		m.Write(salt)
		return subtle.ConstantTimeCompare(m.Sum(nil), digest) == 1
	case "crypt":
		s := encoded[len("{CRYPT}"):]
		c := crypt.NewFromHash(s)
		return c != nil && c.Verify(s, []byte(pw)) == nil
	}
	return false
}

// verifyAny is Verify for any stored format: argon2id, or an imported one,
// which always asks to be rehashed once it matched.
func (h *Hasher) verifyAny(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	if strings.HasPrefix(encoded, "$argon2id$") || legacyScheme(encoded) == "" {
		return h.Verify(ctx, pw, encoded)
	}
	if len(pw) > maxPasswordBytes {
		return false, false, nil
	}
	if err := h.hashCost(encoded); err != nil {
		return h.refuseCostly(ctx, pw, err)
	}
	ok, err = h.verifyLegacyPadded(ctx, pw, encoded)
	return ok, ok, err
}

// SetPasswordHash stores a hash brought from another system (bcrypt,
// {SSHA}, {SSHA256}, {SSHA512}, {CRYPT}$5$/$6$, or argon2id), within the
// cost caps, for a member moving in with their password; it ends the
// account's sessions.
func (s *Store) SetPasswordHash(ctx context.Context, username, encoded string) error {
	encoded = strings.TrimSpace(encoded)
	if err := s.hasher.checkImportedHash(encoded); err != nil {
		return fmt.Errorf("identity: set password hash: %w", err)
	}
	return s.setHash(ctx, username, encoded, 0, nil)
}
