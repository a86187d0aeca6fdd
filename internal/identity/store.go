package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
	"sync"
	"time"

	"pelote/internal/secret"
	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the identity tables, for store.DB.Migrate.
func Migrations() store.Migrations {
	return store.Migrations{Owner: "identity", FS: migrations, Code: []store.CodeMigration{emailKeyMigration}}
}

// Store is the SQL implementation of accounts, profiles, groups, sessions and
// setup links, on either engine.
type Store struct {
	db     *store.DB
	hasher *Hasher
	// Now and Rand are injected so tests control time and randomness.
	Now  func() time.Time
	Rand io.Reader
	// Sessions sets session lifetimes.
	Sessions SessionPolicy
	// Seal encrypts second-factor seeds at rest (see package secret).
	Seal *secret.Sealer
	// SessionsEnded, when set, runs in the transaction that signs sessions
	// out (sign-out, revocation, password change, disabling), so that what
	// depends on them (the OpenID provider's back-channel logouts) is
	// queued with the change or not at all. Expiry does not call it.
	SessionsEnded func(ctx context.Context, tx *store.Tx, sessions []int64) error
	// PasswordChanged, when set, runs in the transaction that changes an
	// account's password, whoever changes it, after its sessions but the
	// member's own are ended (ended lists them, and SessionsEnded was told
	// of them): what the old password let applications keep (the OpenID
	// provider's grants and refresh tokens) ends with it, or the change
	// does not happen.
	PasswordChanged func(ctx context.Context, tx *store.Tx, accountID int64, ended []int64) error
	// dummyHash is verified when a username is unknown, so that a wrong
	// username costs the same time as a wrong password. Made on first use:
	// CLI verbs that never log anyone in should not pay for it.
	dummyOnce sync.Once
	dummyHash string
}

// SessionPolicy bounds how long a web session lives.
type SessionPolicy struct {
	// Idle ends a session not used for this long.
	Idle time.Duration
	// Absolute ends a session this long after login, used or not.
	Absolute time.Duration
}

// DefaultSessions keeps a member signed in across a working week and forces
// a new login once a month.
var DefaultSessions = SessionPolicy{Idle: 72 * time.Hour, Absolute: 30 * 24 * time.Hour}

// NewStore returns a Store over a migrated db.
func NewStore(db *store.DB, hasher *Hasher) *Store {
	return &Store{db: db, hasher: hasher, Now: time.Now, Rand: rand.Reader, Sessions: DefaultSessions}
}

// dummy returns a hash of a random password: it never matches and costs one
// real verification.
func (s *Store) dummy(ctx context.Context) string {
	s.dummyOnce.Do(func() { s.dummyHash, _ = s.hasher.Hash(context.WithoutCancel(ctx), rand.Text()) })
	return s.dummyHash
}

// Hasher returns the password hasher, for benchmarks and other domains.
func (s *Store) Hasher() *Hasher { return s.hasher }

func (s *Store) now() int64 { return s.Now().UTC().Unix() }

// newToken returns a 256-bit random token for a URL or cookie, and the hash
// under which it is stored.
func (s *Store) newToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.Rand, b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func unix(t int64) time.Time { return time.Unix(t, 0).UTC() }

// prefixed qualifies a comma-separated column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		parts[i] = alias + p
	}
	return strings.Join(parts, ", ")
}
