package openid

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pelote/internal/store"
)

// loginWindow is how long a person has to sign in once an application sent
// them here.
const loginWindow = 30 * time.Minute

// AuthRequest is an authorization request on its way through the login
// pages; it implements op.AuthRequest.
type AuthRequest struct {
	ID           string   `json:"-"`
	ClientID     string   `json:"client_id"`
	RedirectURI  string   `json:"redirect_uri"`
	Scopes       []string `json:"scopes"`
	State        string   `json:"state"`
	Nonce        string   `json:"nonce"`
	ResponseType string   `json:"response_type"`
	ResponseMode string   `json:"response_mode,omitempty"`
	Prompt       []string `json:"prompt,omitempty"`
	// MaxAge, when set, is the oldest sign-in (seconds) the client accepts.
	MaxAge              *uint    `json:"max_age,omitempty"`
	UILocales           []string `json:"ui_locales,omitempty"`
	LoginHint           string   `json:"login_hint,omitempty"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
	// HintSubject is the sub of a valid id_token_hint.
	HintSubject string `json:"hint_subject,omitempty"`

	CreatedAt time.Time `json:"-"`
	ExpiresAt time.Time `json:"-"`
	// Set once the person has signed in and chosen a profile.
	AccountID, ProfileID, SessionID int64     `json:"-"`
	Subject                         string    `json:"-"`
	AuthTime                        time.Time `json:"-"`
	AMR                             []string  `json:"-"`
	IsDone                          bool      `json:"-"`
	// ConsentedBy is the account that agreed on this request's consent
	// page, so a prompt=consent request does not ask it twice (and asks
	// anyone else).
	ConsentedBy int64 `json:"-"`
	// BrowserHash is the hash of the cookie of the browser that started
	// the request: only that browser may go on with it.
	BrowserHash string `json:"-"`
}

// Has reports whether the request asks for prompt p.
func (a *AuthRequest) Has(p string) bool {
	for _, x := range a.Prompt {
		if x == p {
			return true
		}
	}
	return false
}

func (a *AuthRequest) GetID() string         { return a.ID }
func (a *AuthRequest) GetACR() string        { return "" }
func (a *AuthRequest) GetAMR() []string      { return a.AMR }
func (a *AuthRequest) GetAudience() []string { return []string{a.ClientID} }
func (a *AuthRequest) GetAuthTime() time.Time {
	return a.AuthTime
}
func (a *AuthRequest) GetClientID() string { return a.ClientID }
func (a *AuthRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.CodeChallengeMethod)}
}
func (a *AuthRequest) GetNonce() string                   { return a.Nonce }
func (a *AuthRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *AuthRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.ResponseType) }
func (a *AuthRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.ResponseMode) }
func (a *AuthRequest) GetScopes() []string                { return a.Scopes }
func (a *AuthRequest) GetState() string                   { return a.State }
func (a *AuthRequest) GetSubject() string                 { return a.Subject }
func (a *AuthRequest) Done() bool                         { return a.IsDone }

// CreateAuthRequest stores a validated request (op.Storage). It enforces
// what the library leaves to us: PKCE with S256 for public clients and for
// confidential ones that require it, and only the code flow.
func (s *Store) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	c, err := s.Client(ctx, r.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("unknown client").WithParent(err)
	}
	if r.ResponseType != oidc.ResponseTypeCode {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("only the authorization code flow (response_type=code) is supported")
	}
	if !slices.Contains(r.Scopes, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	if r.ResponseMode != "" && r.ResponseMode != oidc.ResponseModeQuery {
		return nil, oidc.ErrInvalidRequest().WithDescription("only response_mode=query is supported")
	}
	if c.RequirePKCE && r.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("this client must use PKCE: code_challenge is missing")
	}
	if r.CodeChallenge != "" && r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if err := checkRequestSize(r); err != nil {
		return nil, err
	}
	st := stateOf(ctx)
	if st != nil && st.requestURI {
		return nil, &oidc.Error{ErrorType: "request_uri_not_supported", Description: "request_uri is not supported: send the parameters in the query"}
	}
	if st == nil || st.browser == "" {
		// Serve always binds the request to a browser; a request without
		// one could be finished by anyone who learns its id.
		return nil, oidc.ErrServerError().WithDescription("the authorization request is not bound to a browser")
	}
	now := s.now()
	a := &AuthRequest{
		ID: randomID(24), ClientID: r.ClientID, RedirectURI: r.RedirectURI, Scopes: r.Scopes, State: r.State,
		Nonce: r.Nonce, ResponseType: string(r.ResponseType), ResponseMode: string(r.ResponseMode), Prompt: r.Prompt,
		MaxAge: r.MaxAge, LoginHint: r.LoginHint, CodeChallenge: r.CodeChallenge,
		CodeChallengeMethod: string(r.CodeChallengeMethod), HintSubject: hintSubject,
		CreatedAt: now, ExpiresAt: now.Add(loginWindow), BrowserHash: hashToken(st.browser),
	}
	for _, l := range r.UILocales {
		a.UILocales = append(a.UILocales, l.String())
	}
	body, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO oidc_auth_requests (id, client_id, request, created_at, expires_at, browser_hash) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ID, a.ClientID, string(body), now.Unix(), a.ExpiresAt.Unix(), a.BrowserHash)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Bounds on what an authorization request may carry: anyone can send one,
// and it is stored until the person signs in, so its size is capped far
// above what applications send but far below what a URL may hold.
const (
	maxState      = 2048
	maxNonce      = 512
	maxLoginHint  = 256
	maxChallenge  = 128
	maxScopes     = 32
	maxScopeBytes = 1024
	maxUILocales  = 8
)

func checkRequestSize(r *oidc.AuthRequest) error {
	tooLong := func(name string, max int) error {
		return oidc.ErrInvalidRequest().WithDescription("%s is longer than %d bytes", name, max)
	}
	scopeBytes := 0
	for _, sc := range r.Scopes {
		scopeBytes += len(sc) + 1
	}
	switch {
	case len(r.State) > maxState:
		return tooLong("state", maxState)
	case len(r.Nonce) > maxNonce:
		return tooLong("nonce", maxNonce)
	case len(r.LoginHint) > maxLoginHint:
		return tooLong("login_hint", maxLoginHint)
	case len(r.CodeChallenge) > maxChallenge:
		return tooLong("code_challenge", maxChallenge)
	case len(r.Scopes) > maxScopes || scopeBytes > maxScopeBytes:
		return oidc.ErrInvalidScope().WithDescription("at most %d scopes and %d bytes of scope", maxScopes, maxScopeBytes)
	case len(r.UILocales) > maxUILocales:
		return oidc.ErrInvalidRequest().WithDescription("at most %d ui_locales", maxUILocales)
	}
	return nil
}

const authRequestColumns = `r.id, r.request, r.created_at, r.expires_at, COALESCE(r.account_id, 0), COALESCE(r.profile_id, 0),
	COALESCE(r.session_id, 0), r.auth_time, r.amr, r.done, COALESCE(sb.subject, ''), r.code_expires_at, r.code_used_at, COALESCE(r.grant_id, 0), r.consented_by, r.browser_hash`

type authRow struct {
	a                     *AuthRequest
	codeExpires, codeUsed int64
	grantID               int64
}

func scanAuthRequest(row interface{ Scan(...any) error }) (authRow, error) {
	a := &AuthRequest{}
	var body, amr string
	var created, expires, authTime int64
	var done int
	var ar authRow
	err := row.Scan(&a.ID, &body, &created, &expires, &a.AccountID, &a.ProfileID, &a.SessionID, &authTime, &amr, &done,
		&a.Subject, &ar.codeExpires, &ar.codeUsed, &ar.grantID, &a.ConsentedBy, &a.BrowserHash)
	if err != nil {
		return ar, err
	}
	id := a.ID
	if err := json.Unmarshal([]byte(body), a); err != nil {
		return ar, fmt.Errorf("openid: auth request %s: %w", id, err)
	}
	a.ID, a.CreatedAt, a.ExpiresAt, a.AuthTime, a.IsDone = id, unix(created), unix(expires), unix(authTime), done == 1
	if amr != "" {
		a.AMR = strings.Split(amr, " ")
	}
	ar.a = a
	return ar, nil
}

// errUnknownRequest covers unknown, expired and spent requests alike.
var errUnknownRequest = errors.New("unknown or expired authorization request")

// Request returns a pending authorization request for the login pages.
func (s *Store) Request(ctx context.Context, id string) (*AuthRequest, error) {
	ar, err := scanAuthRequest(s.db.QueryRow(ctx, `SELECT `+authRequestColumns+` FROM oidc_auth_requests r
		LEFT JOIN oidc_subjects sb ON sb.profile_id = r.profile_id WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %w", errUnknownRequest, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if !s.now().Before(ar.a.ExpiresAt) || ar.codeUsed != 0 {
		return nil, fmt.Errorf("%w: %w", errUnknownRequest, store.ErrNotFound)
	}
	return ar.a, nil
}

// AuthRequestByID is op.Storage's view of Request.
func (s *Store) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.Request(ctx, id)
}

// ChooseProfile records, on a pending request, the profile the person
// picked for it.
func (s *Store) ChooseProfile(ctx context.Context, id string, accountID, profileID int64) error {
	return s.updatePending(ctx, `account_id = ?, profile_id = ?`, id, accountID, profileID)
}

// Consent records that the account agreed on the request's consent page.
func (s *Store) Consent(ctx context.Context, id string, accountID int64) error {
	return s.updatePending(ctx, `consented_by = ?`, id, accountID)
}

func (s *Store) updatePending(ctx context.Context, set, id string, args ...any) error {
	args = append(args, id, s.now().Unix())
	res, err := s.db.Exec(ctx, `UPDATE oidc_auth_requests SET `+set+` WHERE id = ? AND done = 0 AND expires_at > ?`, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %w", errUnknownRequest, store.ErrNotFound)
	}
	return nil
}

// Completion is what the login pages learnt: who signed in, as which
// profile, in which session, how.
type Completion struct {
	AccountID, ProfileID, SessionID int64
	AuthTime                        time.Time
	AMR                             []string
}

// Complete marks a request as authenticated, ready for the code. It
// completes a request once, and only for the account that chose its
// profile, if one did: a request cannot change hands once started.
func (s *Store) Complete(ctx context.Context, id string, c Completion) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := subjectFor(ctx, tx, c.ProfileID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE oidc_auth_requests SET account_id = ?, profile_id = ?, session_id = ?, auth_time = ?, amr = ?, done = 1
			WHERE id = ? AND done = 0 AND code_hash IS NULL AND expires_at > ? AND (account_id IS NULL OR account_id = ?)`,
			c.AccountID, c.ProfileID, c.SessionID, c.AuthTime.Unix(), strings.Join(c.AMR, " "), id, s.now().Unix(), c.AccountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: %w", errUnknownRequest, store.ErrNotFound)
		}
		return nil
	})
}

// subjectFor returns the profile's sub, making it on first use.
func subjectFor(ctx context.Context, tx *store.Tx, profileID int64) (string, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO oidc_subjects (profile_id, subject) VALUES (?, ?) ON CONFLICT DO NOTHING`, profileID, randomID(16)); err != nil {
		return "", err
	}
	var sub string
	err := tx.QueryRow(ctx, `SELECT subject FROM oidc_subjects WHERE profile_id = ?`, profileID).Scan(&sub)
	return sub, err
}

// ProfileOfSubject returns the profile a subject names (an id_token_hint's
// sub), store.ErrNotFound for none.
func (s *Store) ProfileOfSubject(ctx context.Context, subject string) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT profile_id FROM oidc_subjects WHERE subject = ?`, subject).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("openid: subject: %w", store.ErrNotFound)
	}
	return id, err
}

// SaveAuthCode attaches the code to a completed request, once: asking the
// callback twice does not mint a second code.
func (s *Store) SaveAuthCode(ctx context.Context, id, code string) error {
	res, err := s.db.Exec(ctx, `UPDATE oidc_auth_requests SET code_hash = ?, code_expires_at = ? WHERE id = ? AND done = 1 AND code_hash IS NULL`,
		hashToken(code), s.now().Add(s.Life.Code).Unix(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return oidc.ErrInvalidRequest().WithDescription("this authorization request already produced its code")
	}
	return nil
}

// AuthRequestByCode finds the request of a code. A code seen a second time
// means it leaked: the grant made from its first use is revoked.
func (s *Store) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	ar, err := scanAuthRequest(s.db.QueryRow(ctx, `SELECT `+authRequestColumns+` FROM oidc_auth_requests r
		LEFT JOIN oidc_subjects sb ON sb.profile_id = r.profile_id WHERE r.code_hash = ?`, hashToken(code)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errors.New("unknown code")
	}
	if err != nil {
		return nil, err
	}
	if ar.codeUsed != 0 {
		if ar.grantID != 0 {
			if err := s.revokeGrant(ctx, ar.grantID, "code reused"); err != nil {
				return nil, err
			}
		}
		return nil, errors.New("code already used; the tokens issued from it are revoked")
	}
	if !s.now().Before(unix(ar.codeExpires)) {
		return nil, errors.New("code expired")
	}
	return ar.a, nil
}

// DeleteAuthRequest is called once tokens were issued for the request; the
// row stays, spent, so a replayed code is recognised until it is purged.
// The grant's transaction already spent the code; this only catches a
// request that got here without a grant.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	var grant, used int64
	err := s.db.QueryRow(ctx, `SELECT COALESCE(grant_id, 0), code_used_at FROM oidc_auth_requests WHERE id = ?`, id).Scan(&grant, &used)
	if err == nil && grant != 0 && used != 0 {
		return nil
	}
	res, err := s.db.Exec(ctx, `UPDATE oidc_auth_requests SET code_used_at = ? WHERE id = ? AND code_used_at = 0`, s.now().Unix(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Two exchanges raced with one code: the loser revokes both.
		var grant int64
		if err := s.db.QueryRow(ctx, `SELECT COALESCE(grant_id, 0) FROM oidc_auth_requests WHERE id = ?`, id).Scan(&grant); err == nil && grant != 0 {
			if err := s.revokeGrant(ctx, grant, "code reused"); err != nil {
				return err
			}
		}
		return oidc.ErrInvalidGrant().WithDescription("code already used")
	}
	return nil
}
