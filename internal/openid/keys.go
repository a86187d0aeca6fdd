package openid

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"pelote/internal/store"
)

// signingKey is one key pair of one algorithm and its schedule: published
// from creation, signing from activeFrom until retireAt, published until
// expiresAt so the tokens it signed can still be verified.
type signingKey struct {
	id                              string
	alg                             jose.SignatureAlgorithm
	priv                            crypto.Signer
	activeFrom, retireAt, expiresAt time.Time
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) ID() string                                  { return k.id }

// Key is the private key in the form go-jose signs with.
func (k *signingKey) Key() any {
	if ed, ok := k.priv.(ed25519.PrivateKey); ok {
		return ed
	}
	return k.priv
}

// publicKey is a key as published in the JWKS (op.Key).
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return p.k.alg }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return p.k.priv.Public() }

func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case "RS256":
		return rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("openid: unknown signing algorithm %q", alg)
}

// keyCache keeps the opened keys in memory: a grant must not pay for a
// query and an AES open. It reloads every minute, so a key created by
// another node is picked up well within its publication lead.
type keyCache struct {
	s        *Store
	mu       sync.Mutex
	keys     []*signingKey
	loadedAt time.Time
}

const keyReload = time.Minute

func (c *keyCache) all(ctx context.Context) ([]*signingKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.s.Now(); c.keys == nil || now.Sub(c.loadedAt) > keyReload || now.Before(c.loadedAt) {
		keys, err := c.s.loadKeys(ctx)
		if err != nil {
			return nil, err
		}
		c.keys, c.loadedAt = keys, now
	}
	return c.keys, nil
}

func (c *keyCache) forget() {
	c.mu.Lock()
	c.keys = nil
	c.mu.Unlock()
}

// signer returns the key that signs for alg now: the one most recently
// activated among those active.
func (c *keyCache) signer(ctx context.Context, alg string) (*signingKey, error) {
	keys, err := c.all(ctx)
	if err != nil {
		return nil, err
	}
	now := c.s.now()
	var best *signingKey
	for _, k := range keys {
		if string(k.alg) == alg && !now.Before(k.activeFrom) && now.Before(k.retireAt) && (best == nil || k.activeFrom.After(best.activeFrom)) {
			best = k
		}
	}
	if best == nil {
		return nil, fmt.Errorf("openid: no active %s signing key (is `pelote serve` running its key maintenance?)", alg)
	}
	return best, nil
}

func (s *Store) loadKeys(ctx context.Context) ([]*signingKey, error) {
	rows, err := s.db.Query(ctx, `SELECT id, alg, sealed, active_from, retire_at, expires_at FROM oidc_keys WHERE expires_at > ? ORDER BY created_at`, s.now().Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*signingKey
	for rows.Next() {
		var id, alg, sealed string
		var from, retire, expires int64
		if err := rows.Scan(&id, &alg, &sealed, &from, &retire, &expires); err != nil {
			return nil, err
		}
		raw, err := base64.StdEncoding.DecodeString(sealed)
		if err != nil {
			return nil, fmt.Errorf("openid: key %s: %w", id, err)
		}
		der, err := s.keys.Sealer("signing key").Open(raw, "key "+id)
		if err != nil {
			return nil, fmt.Errorf("openid: key %s: %w", id, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("openid: key %s: %w", id, err)
		}
		signer, ok := priv.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("openid: key %s is not a signing key", id)
		}
		out = append(out, &signingKey{id: id, alg: jose.SignatureAlgorithm(alg), priv: signer,
			activeFrom: unix(from), retireAt: unix(retire), expiresAt: unix(expires)})
	}
	return out, rows.Err()
}

// publishLead is how long a key is published before it signs, so relying
// parties that cache the JWKS have it when the first token arrives.
func (s *Store) publishLead() time.Duration { return s.Life.KeyRotation / 4 }

// keyGrace keeps a retired key published until the last token it signed
// has expired.
func (s *Store) keyGrace() time.Duration {
	return max(s.Life.IDToken, s.Life.AccessToken) + time.Minute
}

func (s *Store) insertKey(ctx context.Context, q store.Queryer, alg string, activeFrom time.Time) error {
	priv, err := generate(alg)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	id := randomID(12)
	sealed := base64.StdEncoding.EncodeToString(s.keys.Sealer("signing key").Seal(der, "key "+id))
	retire := activeFrom.Add(s.Life.KeyRotation)
	_, err = q.Exec(ctx, `INSERT INTO oidc_keys (id, alg, sealed, created_at, active_from, retire_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, alg, sealed, s.now().Unix(), activeFrom.Unix(), retire.Unix(), retire.Add(s.keyGrace()).Unix())
	return err
}

// MaintainKeys makes sure every algorithm has a key signing now and, when
// the current one retires within the publication lead, a successor already
// published; it drops keys past their expiry. Run at start and hourly.
func (s *Store) MaintainKeys(ctx context.Context) error {
	now := s.now()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_keys WHERE expires_at <= ?`, now.Unix()); err != nil {
			return err
		}
		for _, alg := range Algorithms {
			// The latest retirement among keys already signing or scheduled.
			var latest int64
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(retire_at), 0) FROM oidc_keys WHERE alg = ?`, alg).Scan(&latest); err != nil {
				return err
			}
			switch {
			case latest <= now.Unix():
				if err := s.insertKey(ctx, tx, alg, now); err != nil {
					return err
				}
			case unix(latest).Sub(now) <= s.publishLead():
				if err := s.insertKey(ctx, tx, alg, unix(latest)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	s.signing.forget()
	return err
}

// RotateKeys switches every algorithm to a new key at once; the old keys
// stay published until the tokens they signed expire. For a suspected
// leak, run it and then shorten nothing: old tokens die within the token
// lifetime.
func (s *Store) RotateKeys(ctx context.Context) error {
	now := s.now()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE oidc_keys SET retire_at = ?, expires_at = ? WHERE retire_at > ?`,
			now.Unix(), now.Add(s.keyGrace()).Unix(), now.Unix()); err != nil {
			return err
		}
		// Scheduled successors that never signed are dropped outright.
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_keys WHERE active_from >= retire_at`); err != nil {
			return err
		}
		for _, alg := range Algorithms {
			if err := s.insertKey(ctx, tx, alg, now); err != nil {
				return err
			}
		}
		return nil
	})
	s.signing.forget()
	return err
}

// KeyInfo describes a key for operators.
type KeyInfo struct {
	ID, Alg                         string
	ActiveFrom, RetireAt, ExpiresAt time.Time
}

// Keys lists the published keys.
func (s *Store) Keys(ctx context.Context) ([]KeyInfo, error) {
	keys, err := s.loadKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = KeyInfo{ID: k.id, Alg: string(k.alg), ActiveFrom: k.activeFrom, RetireAt: k.retireAt, ExpiresAt: k.expiresAt}
	}
	return out, nil
}
