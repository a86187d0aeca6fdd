package openid

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pelote/internal/identity"
	"pelote/internal/store"
)

// refreshRequest is a refresh token's grant, as op needs it.
type refreshRequest struct {
	tokenID, clientID, subject string
	grantID, accountID         int64
	profileID, sessionID       int64
	scopes, amr                []string
	authTime                   time.Time
}

func (r *refreshRequest) GetAMR() []string             { return r.amr }
func (r *refreshRequest) GetAudience() []string        { return []string{r.clientID} }
func (r *refreshRequest) GetAuthTime() time.Time       { return r.authTime }
func (r *refreshRequest) GetClientID() string          { return r.clientID }
func (r *refreshRequest) GetScopes() []string          { return r.scopes }
func (r *refreshRequest) GetSubject() string           { return r.subject }
func (r *refreshRequest) SetCurrentScopes(sc []string) { r.scopes = sc }

// machineRequest is a client acting for itself (client credentials).
type machineRequest struct {
	clientID string
	scopes   []string
}

func (m *machineRequest) GetSubject() string    { return m.clientID }
func (m *machineRequest) GetAudience() []string { return []string{m.clientID} }
func (m *machineRequest) GetScopes() []string   { return m.scopes }

// CreateAccessToken issues an access token without a refresh token.
func (s *Store) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	exp := s.now().Add(s.Life.AccessToken)
	switch r := req.(type) {
	case *machineRequest:
		// A JWT checked offline; only its revocation is stored.
		return randomID(16), exp, nil
	case *AuthRequest:
		grant := newGrantID()
		noteSpent(ctx, r)
		err := s.grantTx(ctx, func(tx *store.Tx) error { return s.grantFrom(ctx, tx, r, grant) })
		return s.accessID(grant, exp, r.Scopes), exp, err
	}
	return "", time.Time{}, fmt.Errorf("openid: access token for %T is not supported", req)
}

// CreateAccessAndRefreshTokens issues both; given a refresh token, it
// rotates it: the old one is spent, and spending it again revokes the grant.
// The access token has no row (accesstoken.go).
func (s *Store) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	now := s.now()
	exp := now.Add(s.Life.AccessToken)
	// Named before the writes, which may run after this returns (grantTx).
	refresh := "rt_" + randomID(32)
	var grant int64
	var scopes []string
	var write func(tx *store.Tx) error
	switch r := req.(type) {
	case *AuthRequest:
		grant, scopes = newGrantID(), r.Scopes
		noteSpent(ctx, r)
		write = func(tx *store.Tx) error { return s.grantFrom(ctx, tx, r, grant) }
	case *refreshRequest:
		grant, scopes = r.grantID, r.scopes // read here: the writes run on the committer
		write = func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE oidc_tokens SET used_at = ? WHERE hash = ? AND kind = 'refresh' AND used_at = 0`, now.Unix(), hashToken(current))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				// Spent by another request since it was read.
				return refreshReused{grant: grant}
			}
			_, err = tx.Exec(ctx, `UPDATE oidc_grants SET last_used_at = ?, expires_at = ? WHERE id = ?`,
				now.Unix(), now.Add(s.Life.Refresh).Unix(), grant)
			return err
		}
	default:
		return "", "", time.Time{}, fmt.Errorf("openid: refresh token for %T is not supported", req)
	}
	err := s.grantTx(ctx, func(tx *store.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		return s.insertToken(ctx, tx, randomID(16), grant, "refresh", hashToken(refresh), scopes, now.Add(s.Life.Refresh))
	})
	if err != nil {
		return "", "", time.Time{}, err
	}
	return s.accessID(grant, exp, scopes), refresh, exp, nil
}

// grantTx runs a grant's writes in a shared commit (store.InGroupTx). In a
// provider request it returns before they even ran: the tokens are signed
// while the writes wait for their turn and SQLite syncs, and the provider
// holds the answer until they are durable, answering with their error
// instead if they failed (see reqState.durable). fn runs on the
// committer's goroutine.
func (s *Store) grantTx(ctx context.Context, fn func(*store.Tx) error) error {
	st := stateOf(ctx)
	if st == nil {
		return s.afterGrantTx(ctx, s.db.InGroupTx(ctx, fn))
	}
	wait := s.db.InGroupTxLater(ctx, fn)
	st.durable = append(st.durable, func() error { return s.afterGrantTx(ctx, wait()) })
	return nil
}

var errRefreshReused = oidc.ErrInvalidGrant().WithDescription("refresh token already used; the grant is revoked")

// noteSpent tells the request that its grant spends r's code in the
// grant's own transaction (see DeleteAuthRequest).
func noteSpent(ctx context.Context, r *AuthRequest) {
	if st := stateOf(ctx); st != nil {
		st.spent = r.ID
	}
}

// grantFrom creates, as id, the grant of a code's first exchange. A request that
// already has a grant was exchanged twice: both are revoked.
func (s *Store) grantFrom(ctx context.Context, tx *store.Tx, r *AuthRequest, id int64) error {
	now := s.now()
	var session any
	if r.SessionID != 0 {
		session = r.SessionID
	}
	_, err := tx.Exec(ctx, `INSERT INTO oidc_grants (id, client_id, account_id, profile_id, scopes, session_id, auth_time, amr, created_at, last_used_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, r.ClientID, r.AccountID, r.ProfileID, strings.Join(r.Scopes, " "), session, r.AuthTime.Unix(), strings.Join(r.AMR, " "),
		now.Unix(), now.Unix(), now.Add(s.Life.Refresh).Unix())
	if err != nil {
		return err
	}
	// Spending the code here, in the grant's transaction, saves
	// DeleteAuthRequest a commit of its own.
	res, err := tx.Exec(ctx, `UPDATE oidc_auth_requests SET grant_id = ?, code_used_at = ? WHERE id = ? AND grant_id IS NULL AND code_used_at = 0`, id, now.Unix(), r.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var first int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(grant_id, 0) FROM oidc_auth_requests WHERE id = ?`, r.ID).Scan(&first); err != nil {
			return err
		}
		// Revoked after this transaction, which rolls back.
		return codeReused{grant: first}
	}
	return nil
}

// codeReused is a code exchanged twice at the same moment: the grant the
// first exchange made is revoked once the second's transaction is over.
type codeReused struct{ grant int64 }

func (codeReused) Error() string { return "code already used" }

// refreshReused is a refresh token spent by two requests at the same
// moment: the second revokes the grant once its transaction is over.
type refreshReused struct{ grant int64 }

func (refreshReused) Error() string { return "refresh token already used" }

// afterGrantTx revokes what a failed grant transaction found reused, and
// turns that into the error the client gets.
func (s *Store) afterGrantTx(ctx context.Context, err error) error {
	var code codeReused
	var refresh refreshReused
	switch {
	case errors.As(err, &code):
		if code.grant != 0 {
			if rerr := s.revokeGrant(ctx, code.grant, "code reused"); rerr != nil {
				return rerr
			}
		}
		return oidc.ErrInvalidGrant().WithDescription("code already used; the tokens issued from it are revoked")
	case errors.As(err, &refresh):
		if rerr := s.revokeGrant(ctx, refresh.grant, "refresh token reused"); rerr != nil {
			return rerr
		}
		return errRefreshReused
	}
	return err
}

func (s *Store) insertToken(ctx context.Context, tx *store.Tx, id string, grant int64, kind, hash string, scopes []string, exp time.Time) error {
	var h any
	if hash != "" {
		h = hash
	}
	_, err := tx.Exec(ctx, `INSERT INTO oidc_tokens (id, grant_id, kind, hash, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, grant, kind, h, strings.Join(scopes, " "), s.now().Unix(), exp.Unix())
	return err
}

// revokeGrant ends a grant and deletes its tokens.
func (s *Store) revokeGrant(ctx context.Context, id int64, why string) error {
	s.log.Warn("grant revoked", "grant", id, "reason", why)
	return s.db.InTx(ctx, func(tx *store.Tx) error { return revokeGrantTx(ctx, tx, id, s.now()) })
}

func revokeGrantTx(ctx context.Context, tx *store.Tx, id int64, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM oidc_tokens WHERE grant_id = ?`, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE oidc_grants SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, now.Unix(), id)
	return err
}

// TokenRequestByRefreshToken loads a refresh token's grant. A spent token
// presented again revokes the grant: either the client or a thief holds a
// copy, and the server cannot tell which.
func (s *Store) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	r, used, err := s.refreshToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if used {
		if err := s.revokeGrant(ctx, r.grantID, "refresh token reused"); err != nil {
			return nil, err
		}
		return nil, errRefreshReused
	}
	if err := s.admitRefresh(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// admitRefresh applies Admit to a refresh: an account that may no longer
// use the client loses the grant.
func (s *Store) admitRefresh(ctx context.Context, r *refreshRequest) error {
	c, err := s.clientFor(ctx, r.clientID)
	if err != nil {
		return err
	}
	a, err := s.accountFor(ctx, r.accountID)
	if err != nil {
		return err
	}
	_, err = s.Admit(ctx, c, a)
	switch {
	case errors.Is(err, ErrNotInClientGroups), errors.Is(err, ErrTOTPNotEnrolled):
		if rerr := s.revokeGrant(ctx, r.grantID, "no longer admitted"); rerr != nil {
			return rerr
		}
		return oidc.ErrInvalidGrant().WithDescription("the account may no longer use this application; sign in again")
	}
	return err
}

func (s *Store) refreshToken(ctx context.Context, token string) (*refreshRequest, bool, error) {
	r := &refreshRequest{}
	var scopes, amr string
	var authTime, expires, used, revoked, grantExpires int64
	err := s.db.QueryRow(ctx, `SELECT t.id, t.scopes, t.expires_at, t.used_at, g.id, g.client_id, g.account_id, g.profile_id,
			COALESCE(g.session_id, 0), g.auth_time, g.amr, g.revoked_at, g.expires_at, sb.subject
		FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id JOIN oidc_subjects sb ON sb.profile_id = g.profile_id
		WHERE t.hash = ? AND t.kind = 'refresh'`, hashToken(token)).Scan(
		&r.tokenID, &scopes, &expires, &used, &r.grantID, &r.clientID, &r.accountID, &r.profileID,
		&r.sessionID, &authTime, &amr, &revoked, &grantExpires, &r.subject)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, op.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, false, err
	}
	now := s.now().Unix()
	if revoked != 0 || expires <= now || grantExpires <= now {
		return nil, false, op.ErrInvalidRefreshToken
	}
	if err := s.accountActive(ctx, r.accountID); err != nil {
		return nil, false, err
	}
	r.scopes = strings.Fields(scopes)
	r.amr = strings.Fields(amr)
	r.authTime = unix(authTime)
	return r, used != 0, nil
}

// GetRefreshTokenInfo tells the revocation endpoint whose refresh token it was.
func (s *Store) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	r, _, err := s.refreshToken(ctx, token)
	if err != nil {
		return "", "", err
	}
	if r.clientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return r.subject, "refresh:" + hashToken(token), nil
}

// RevokeToken implements RFC 7009. Revoking a refresh token ends its whole
// grant; revoking an access token ends that token. Tokens that are unknown
// or already dead succeed silently, as the RFC asks.
func (s *Store) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	if hash, ok := strings.CutPrefix(tokenOrID, "refresh:"); ok {
		var grant int64
		var owner string
		err := s.db.QueryRow(ctx, `SELECT g.id, g.client_id FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id WHERE t.hash = ?`, hash).Scan(&grant, &owner)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		if owner != clientID {
			return oidc.ErrUnauthorizedClient().WithDescription("the token was not issued to this client")
		}
		if err := s.revokeGrant(ctx, grant, "revoked by client"); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	switch handled, err := s.revokeAccess(ctx, tokenOrID, clientID); {
	case errors.Is(err, errNotYourToken):
		return oidc.ErrUnauthorizedClient().WithDescription("the token was not issued to this client")
	case err != nil:
		return oidc.ErrServerError().WithParent(err)
	case handled:
		return nil
	}
	// An access token issued with a row of its own (legacyAccessToken).
	var owner string
	err := s.db.QueryRow(ctx, `SELECT g.client_id FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id WHERE t.id = ? AND t.kind = 'access'`, tokenOrID).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// A JWT access token of a machine client: remember it until it expires.
		if userID != "" && userID == clientID {
			if _, err := s.db.Exec(ctx, `INSERT INTO oidc_revoked_jwts (id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
				tokenOrID, s.now().Add(s.Life.AccessToken).Unix()); err != nil {
				return oidc.ErrServerError().WithParent(err)
			}
		}
		return nil
	case err != nil:
		return oidc.ErrServerError().WithParent(err)
	case owner != clientID:
		return oidc.ErrUnauthorizedClient().WithDescription("the token was not issued to this client")
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM oidc_tokens WHERE id = ?`, tokenOrID); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

var errTokenInvalid = errors.New("token unknown, expired or revoked")

// accountActive stops tokens of a disabled account from working.
func (s *Store) accountActive(ctx context.Context, id int64) error {
	a, err := s.accountFor(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errTokenInvalid
	}
	if err != nil {
		return err
	}
	if a.State != identity.Active {
		return errTokenInvalid
	}
	return nil
}

// jwtRevoked reports whether a machine client's JWT was revoked.
func (s *Store) jwtRevoked(ctx context.Context, id string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM oidc_revoked_jwts WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}
