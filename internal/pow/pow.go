// Package pow keeps robots off the sign-up and password-reset forms with a
// proof-of-work: the page carries a signed challenge, a small script in
// the browser searches for a counter whose hash with the challenge starts
// with enough zero bits, and the server checks it in one hash. No third
// party is involved. Each challenge is redeemed once: spent ones are
// remembered in the database until they expire.
package pow

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the table of spent challenges.
func Migrations() store.Migrations { return store.Migrations{Owner: "pow", FS: migrations} }

// Errors a person may see; Redeem's errors all match ErrRefused.
var (
	ErrRefused = errors.New("the anti-robot check failed")
	ErrExpired = fmt.Errorf("the form waited too long; send it again: %w", ErrRefused)
	ErrSpent   = fmt.Errorf("this form was already sent; reload the page: %w", ErrRefused)
	ErrWork    = fmt.Errorf("the anti-robot computation is missing or wrong: %w", ErrRefused)
)

// DefaultBits takes a browser about a second on a laptop and a few on an
// old phone (2^17 hashes on average).
const DefaultBits = 17

// MaxBits bounds the difficulty: 2^24 hashes take a phone minutes.
const MaxBits = 24

// Puzzles issues and redeems challenges.
type Puzzles struct {
	db  *store.DB
	key []byte
	// Bits is how many leading zero bits a solution's hash needs: each one
	// doubles the browser's work (2^Bits hashes on average).
	Bits int
	// TTL is how long a challenge stays good: time to fill the form.
	TTL time.Duration
	Now func() time.Time
}

// New returns Puzzles over a migrated db; key signs the challenges and
// must be the same on every node.
func New(db *store.DB, key []byte, bits int) *Puzzles {
	return &Puzzles{db: db, key: key, Bits: bits, TTL: time.Hour, Now: time.Now}
}

// Challenge is what a form carries.
type Challenge struct {
	Token string
	Bits  int
}

// body is a challenge's signed part: a random id, when it expires and its
// difficulty.
const idLen, bodyLen = 16, 16 + 8 + 1

// Issue makes a new challenge.
func (p *Puzzles) Issue() Challenge {
	body := make([]byte, bodyLen)
	rand.Read(body[:idLen])
	binary.BigEndian.PutUint64(body[idLen:], uint64(p.Now().Add(p.TTL).Unix()))
	body[bodyLen-1] = byte(p.Bits)
	enc := base64.RawURLEncoding
	return Challenge{Token: enc.EncodeToString(body) + "." + enc.EncodeToString(p.sign(body)), Bits: p.Bits}
}

func (p *Puzzles) sign(body []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("pelote proof-of-work v1\x00"))
	m.Write(body)
	return m.Sum(nil)
}

// maxSolution bounds the counter: 20 digits hold any uint64.
const maxSolution = 20

// Check verifies a solution without spending the challenge; it returns
// the challenge's id and expiry.
func (p *Puzzles) Check(token, solution string) (id string, expires time.Time, err error) {
	b64, mac, ok := strings.Cut(token, ".")
	enc := base64.RawURLEncoding
	body, err1 := enc.DecodeString(b64)
	sig, err2 := enc.DecodeString(mac)
	if !ok || len(token) > 200 || err1 != nil || err2 != nil || len(body) != bodyLen || !hmac.Equal(sig, p.sign(body)) {
		return "", time.Time{}, ErrWork
	}
	expires = time.Unix(int64(binary.BigEndian.Uint64(body[idLen:])), 0)
	if !p.Now().Before(expires) {
		return "", time.Time{}, ErrExpired
	}
	if len(solution) == 0 || len(solution) > maxSolution {
		return "", time.Time{}, ErrWork
	}
	if _, err := strconv.ParseUint(solution, 10, 64); err != nil {
		return "", time.Time{}, ErrWork
	}
	if LeadingZeros(token, solution) < int(body[bodyLen-1]) {
		return "", time.Time{}, ErrWork
	}
	return hex.EncodeToString(body[:idLen]), expires, nil
}

// Redeem checks a solution and spends its challenge, in one statement so
// two requests racing with the same solution cannot both pass.
func (p *Puzzles) Redeem(ctx context.Context, token, solution string) error {
	id, expires, err := p.Check(token, solution)
	if err != nil {
		return err
	}
	res, err := p.db.Exec(ctx, `INSERT INTO pow_spent (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, expires.Unix())
	if err != nil {
		return fmt.Errorf("pow: spend challenge: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("pow: spend challenge: %w", err)
	} else if n == 0 {
		return ErrSpent
	}
	return nil
}

// Purge forgets spent challenges that expired: they fail as expired now.
func (p *Puzzles) Purge(ctx context.Context) (int64, error) {
	res, err := p.db.Exec(ctx, `DELETE FROM pow_spent WHERE expires_at <= ?`, p.Now().Unix())
	if err != nil {
		return 0, fmt.Errorf("pow: purge: %w", err)
	}
	return res.RowsAffected()
}

// LeadingZeros counts the zero bits that start SHA-256(token ":" counter),
// the hash the browser's script computes.
func LeadingZeros(token, counter string) int {
	h := sha256.New()
	h.Write([]byte(token))
	h.Write([]byte{':'})
	h.Write([]byte(counter))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	n := 0
	for _, b := range sum {
		if b != 0 {
			return n + bits.LeadingZeros8(b)
		}
		n += 8
	}
	return n
}

// Solve does in Go what the page's script does: it finds the first
// counter that solves the challenge. Tests and benchmarks use it.
func Solve(c Challenge) string {
	for i := uint64(0); ; i++ {
		if s := strconv.FormatUint(i, 10); LeadingZeros(c.Token, s) >= c.Bits {
			return s
		}
	}
}
