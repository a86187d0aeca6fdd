package openid

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Access tokens have no row of their own. The id that op encrypts into an
// opaque token (or writes as a JWT's jti) names the grant, the expiry and
// the scopes, under a MAC; checking a token reads its grant, which every
// revocation ends, and the short list of single tokens revoked before
// they expire (oidc_revoked_jwts). A grant and each refresh thus write one
// row fewer, with its four index entries, in the commit the token
// endpoint waits for.
//
// The form is at1.GRANT.EXPIRY.SCOPES.NONCE.MAC: SCOPES is the
// space-separated list in unpadded base64url, NONCE six random bytes that
// make every token's id its own (a single token can be revoked), MAC the
// first 128 bits of HMAC-SHA256 over the rest, in hex.
const accessIDVersion = "at1"

// accessClaims is what an access token's id says.
type accessClaims struct {
	grant, expires int64
	scopes         []string
}

func (s *Store) accessID(grant int64, exp time.Time, scopes []string) string {
	var nonce [6]byte
	rand.Read(nonce[:])
	b64 := base64.RawURLEncoding
	body := accessIDVersion + "." + strconv.FormatInt(grant, 10) + "." + strconv.FormatInt(exp.Unix(), 10) + "." +
		b64.EncodeToString([]byte(strings.Join(scopes, " "))) + "." + b64.EncodeToString(nonce[:])
	return body + "." + s.accessMAC(body)
}

// parseAccessID reads an id accessID made; ok is false for anything else
// (a legacy token's random id, a machine JWT's jti, a forgery).
func (s *Store) parseAccessID(id string) (c accessClaims, ok bool) {
	body, mac, found := lastCut(id, ".")
	if !found || !strings.HasPrefix(body, accessIDVersion+".") || !hmac.Equal([]byte(mac), []byte(s.accessMAC(body))) {
		return c, false
	}
	parts := strings.Split(body, ".")
	if len(parts) != 5 {
		return c, false
	}
	var err1, err2, err3 error
	c.grant, err1 = strconv.ParseInt(parts[1], 10, 64)
	c.expires, err2 = strconv.ParseInt(parts[2], 10, 64)
	scopes, err3 := base64.RawURLEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || err3 != nil {
		return c, false
	}
	c.scopes = strings.Fields(string(scopes))
	return c, true
}

func (s *Store) accessMAC(body string) string {
	m := hmac.New(sha256.New, s.accessKey)
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func lastCut(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// newGrantID picks a grant's id before its row is written, so that the
// access token naming it is signed while the write waits for its commit.
// The second of creation leads, so that new grants land at the end of the
// table and of oidc_tokens' grant index, as sequential ids did, rather than
// on random pages that each commit would write again; 31 random bits
// follow, so that two nodes pick without asking each other. Two grants
// created in the same second collide with odds of one in two billion,
// which fails the second one with a server error (its application signs
// in again), never with a wrong grant. Such ids fit in 63 bits until 2106.
func newGrantID() int64 { return timeNow().Unix()<<31 | mrand.Int64N(1<<31) }

// accessToken loads a live access token's grant.
func (s *Store) accessToken(ctx context.Context, id string) (*refreshRequest, error) {
	c, ok := s.parseAccessID(id)
	if !ok {
		return s.legacyAccessToken(ctx, id)
	}
	if c.expires <= s.now().Unix() {
		return nil, errTokenInvalid
	}
	r := &refreshRequest{tokenID: id, grantID: c.grant, scopes: c.scopes}
	var revoked, listed int64
	err := s.db.QueryRow(ctx, `SELECT g.client_id, g.account_id, g.profile_id, g.revoked_at, sb.subject,
			(SELECT COUNT(*) FROM oidc_revoked_jwts WHERE id = ?)
		FROM oidc_grants g JOIN oidc_subjects sb ON sb.profile_id = g.profile_id WHERE g.id = ?`, id, c.grant).Scan(
		&r.clientID, &r.accountID, &r.profileID, &revoked, &r.subject, &listed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if revoked != 0 || listed != 0 {
		return nil, errTokenInvalid
	}
	return r, s.accountActive(ctx, r.accountID)
}

// legacyAccessToken loads an access token issued with a row of its own,
// before access tokens named their grant; such tokens live out their hour.
func (s *Store) legacyAccessToken(ctx context.Context, id string) (*refreshRequest, error) {
	r := &refreshRequest{tokenID: id}
	var scopes string
	var expires, revoked int64
	err := s.db.QueryRow(ctx, `SELECT t.scopes, t.expires_at, g.id, g.client_id, g.account_id, g.profile_id, g.revoked_at, sb.subject
		FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id JOIN oidc_subjects sb ON sb.profile_id = g.profile_id
		WHERE t.id = ? AND t.kind = 'access'`, id).Scan(&scopes, &expires, &r.grantID, &r.clientID, &r.accountID, &r.profileID, &revoked, &r.subject)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if revoked != 0 || expires <= s.now().Unix() {
		return nil, errTokenInvalid
	}
	r.scopes = strings.Fields(scopes)
	return r, s.accountActive(ctx, r.accountID)
}

// revokeAccess ends one access token before its expiry (RFC 7009), for
// the client it was issued to. handled is false when id is not an access
// token's of this form.
func (s *Store) revokeAccess(ctx context.Context, id, clientID string) (handled bool, err error) {
	c, ok := s.parseAccessID(id)
	if !ok {
		return false, nil
	}
	if c.expires <= s.now().Unix() {
		return true, nil
	}
	var owner string
	err = s.db.QueryRow(ctx, `SELECT client_id FROM oidc_grants WHERE id = ?`, c.grant).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return true, nil // its grant is gone, and the token with it
	case err != nil:
		return true, err
	case owner != clientID:
		return true, errNotYourToken
	}
	_, err = s.db.Exec(ctx, `INSERT INTO oidc_revoked_jwts (id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, c.expires)
	return true, err
}

var errNotYourToken = errors.New("the token was not issued to this client")
