package openid

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"

	"pelote/internal/identity"
	"pelote/internal/ratelimit"
	"pelote/internal/secret"
	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the OpenID tables; apply them after identity's.
func Migrations() store.Migrations { return store.Migrations{Owner: "openid", FS: migrations} }

// Lifetimes bound codes, tokens and keys.
type Lifetimes struct {
	Code, IDToken, AccessToken, Refresh, KeyRotation time.Duration
}

// DefaultLifetimes match the configuration's defaults.
var DefaultLifetimes = Lifetimes{
	Code: time.Minute, IDToken: time.Hour, AccessToken: time.Hour,
	Refresh: 30 * 24 * time.Hour, KeyRotation: 30 * 24 * time.Hour,
}

// Enqueuer is the durable queue back-channel logouts go through.
type Enqueuer interface {
	Enqueue(ctx context.Context, q store.Queryer, kind string, payload []byte) (int64, error)
	Wake()
}

// Store holds clients, keys, requests, grants and tokens. It implements
// op.Storage (see storage.go).
type Store struct {
	db   *store.DB
	ids  *identity.Store
	keys *secret.Keyring
	log  *slog.Logger
	// Now is injected so tests control time.
	Now  func() time.Time
	Life Lifetimes
	// Queue carries back-channel logout notifications; nil sends none.
	Queue Enqueuer
	// Limits counts the token endpoint's rate with the other nodes; nil
	// counts on this node alone.
	Limits *ratelimit.Limits
	// Issuer is the provider's public URL, for tokens signed outside op.
	Issuer string

	signing *keyCache
	// accessKey MACs access token ids (accesstoken.go).
	accessKey []byte
}

// NewStore returns a Store over a database migrated with identity's and
// this package's migrations.
func NewStore(db *store.DB, ids *identity.Store, keys *secret.Keyring, log *slog.Logger) *Store {
	s := &Store{db: db, ids: ids, keys: keys, log: log, Now: time.Now, Life: DefaultLifetimes}
	if keys != nil { // nil only where tokens are never made (counts for the public page)
		s.accessKey = keys.Key("access token id")
	}
	s.signing = &keyCache{s: s}
	return s
}

// IDs is the identity store the provider reads accounts from.
func (s *Store) IDs() *identity.Store { return s.ids }

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

// randomID returns n random bytes, URL-safe base64: ids, tokens, subjects.
func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken hashes a high-entropy token for storage and lookup: a password
// hash would add nothing but cost to a 256-bit random value.
func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

func joinLines(l []string) string { return strings.Join(l, "\n") }

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func unix(t int64) time.Time { return time.Unix(t, 0).UTC() }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func timeNow() time.Time { return time.Now() }
