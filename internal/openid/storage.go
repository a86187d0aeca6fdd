package openid

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"pelote/internal/identity"
	"pelote/internal/store"
)

var _ op.Storage = (*Store)(nil)
var _ op.ClientCredentialsStorage = (*Store)(nil)
var _ op.CanSetUserinfoFromRequest = (*Store)(nil)
var _ op.CanTerminateSessionFromRequest = (*Store)(nil)

// LoginPath is where op sends people to sign in, with ?id=REQUEST.
const LoginPath = "/oidc/login"

// reqState carries, through one HTTP request, the signing algorithm of the
// client being served: op asks for "the" signing key without saying for
// whom, but every flow loads or authenticates the client first.
type reqState struct {
	alg string
	// client and account are loaded once per request: op asks for the
	// client several times, and the grant's checks and claims share the
	// account.
	client  *Client
	account *identity.Account
	// browser is the value of the cookie binding authorization requests
	// to the browser that sends them (set by the provider at /authorize).
	browser string
	// requestURI is set when the request named a request_uri, which
	// Pelote does not fetch.
	requestURI bool
	// durable wait for the grant writes of this request, queued and
	// committed while the token endpoint signs; each tells their outcome
	// as the client is to hear it (see grantTx and durableWriter).
	durable []func() error
	// spent is the authorization request whose code this request's grant
	// spends, in the grant's own transaction.
	spent string
}

// waitDurable waits for the request's grant writes to be on disk.
func (st *reqState) waitDurable() error {
	var errs []error
	for _, d := range st.durable {
		errs = append(errs, d())
	}
	st.durable = nil
	return errors.Join(errs...)
}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// clientFor is Client, remembered for the rest of the request.
func (s *Store) clientFor(ctx context.Context, id string) (Client, error) {
	st := stateOf(ctx)
	if st != nil && st.client != nil && st.client.ID == id {
		return *st.client, nil
	}
	c, err := s.Client(ctx, id)
	if err == nil && st != nil {
		st.client = &c
	}
	return c, err
}

// accountFor is AccountByID, remembered for the rest of the request.
func (s *Store) accountFor(ctx context.Context, id int64) (identity.Account, error) {
	st := stateOf(ctx)
	if st != nil && st.account != nil && st.account.ID == id {
		return *st.account, nil
	}
	a, err := s.ids.AccountByID(ctx, id)
	if err == nil && st != nil {
		st.account = &a
	}
	return a, err
}

type stateKey struct{}

// WithRequestState prepares ctx for one provider request.
func WithRequestState(ctx context.Context) context.Context {
	return context.WithValue(ctx, stateKey{}, &reqState{})
}

// withBrowser is WithRequestState for a request from the browser whose
// binding cookie holds value.
func withBrowser(ctx context.Context, value string) context.Context {
	return context.WithValue(ctx, stateKey{}, &reqState{browser: value})
}

func noteClient(ctx context.Context, c Client) {
	if st, ok := ctx.Value(stateKey{}).(*reqState); ok {
		st.alg = c.SigningAlg
	}
}

// GetClientByClientID loads a client for op.
func (s *Store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.clientFor(ctx, id)
	if err != nil {
		return nil, err
	}
	noteClient(ctx, c)
	return &opClient{c: c, s: s}, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret.
func (s *Store) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := s.authenticate(ctx, id, secret)
	if err != nil {
		return err
	}
	noteClient(ctx, c)
	return nil
}

// ClientCredentials authenticates a machine client.
func (s *Store) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	c, err := s.authenticate(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	noteClient(ctx, c)
	return &opClient{c: c, s: s}, nil
}

// ClientCredentialsTokenRequest keeps the requested scopes the client may have.
func (s *Store) ClientCredentialsTokenRequest(ctx context.Context, id string, scopes []string) (op.TokenRequest, error) {
	c, err := s.clientFor(ctx, id)
	if err != nil {
		return nil, err
	}
	var granted []string
	for _, sc := range scopes {
		if slices.Contains(c.ExtraScopes, sc) {
			granted = append(granted, sc)
		}
	}
	return &machineRequest{clientID: id, scopes: granted}, nil
}

// SigningKey returns the active key of the current client's algorithm.
func (s *Store) SigningKey(ctx context.Context) (op.SigningKey, error) {
	alg := "RS256"
	if st, ok := ctx.Value(stateKey{}).(*reqState); ok && st.alg != "" {
		alg = st.alg
	}
	return s.signing.signer(ctx, alg)
}

// SignatureAlgorithms lists what discovery announces.
func (s *Store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}, nil
}

// KeySet is the JWKS: every key not yet expired, including successors.
func (s *Store) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, err := s.signing.all(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]op.Key, 0, len(keys))
	for _, k := range keys {
		if now.Before(k.expiresAt) {
			out = append(out, publicKey{k})
		}
	}
	return out, nil
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *Store) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *Store) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	var account, profile, session int64
	switch r := req.(type) {
	case *AuthRequest:
		account, profile, session = r.AccountID, r.ProfileID, r.SessionID
	case *refreshRequest:
		account, profile, session = r.accountID, r.profileID, r.sessionID
	default:
		return fmt.Errorf("openid: ID token for %T is not supported", req)
	}
	err := s.fillClaims(ctx, info, req.GetSubject(), account, profile, scopes)
	// The token request's last read: its reader goes back before the
	// signing (see store.DB.WithSnapshot).
	store.EndSnapshot(ctx)
	if err != nil {
		return err
	}
	if session != 0 {
		info.AppendClaims("sid", s.sid(session))
	}
	return nil
}

// sid names a web session to relying parties without revealing its id.
func (s *Store) sid(session int64) string {
	return s.keys.MAC("sid", fmt.Appendf(nil, "%d", session))[:32]
}

// SetUserinfoFromToken answers the userinfo endpoint.
func (s *Store) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	r, err := s.accessToken(ctx, tokenID)
	if err != nil {
		return err
	}
	if r.subject != subject {
		return errTokenInvalid
	}
	return s.fillClaims(ctx, info, subject, r.accountID, r.profileID, r.scopes)
}

// SetIntrospectionFromToken answers RFC 7662 for the client the token was
// issued to; for anyone else the token is simply not active.
func (s *Store) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	if r, err := s.accessToken(ctx, tokenID); err == nil {
		if r.clientID != clientID || r.subject != subject {
			return errTokenInvalid
		}
		info := new(oidc.UserInfo)
		if err := s.fillClaims(ctx, info, subject, r.accountID, r.profileID, r.scopes); err != nil {
			return err
		}
		resp.SetUserInfo(info)
		resp.Scope, resp.ClientID, resp.TokenType = r.scopes, r.clientID, oidc.BearerToken
		resp.Audience = oidc.Audience{r.clientID}
		return nil
	} else if !errors.Is(err, errTokenInvalid) {
		return err
	}
	// A machine client's JWT: its signature and expiry were checked by op.
	if subject != clientID {
		return errTokenInvalid
	}
	if revoked, err := s.jwtRevoked(ctx, tokenID); err != nil || revoked {
		return errors.Join(errTokenInvalid, err)
	}
	resp.Subject, resp.ClientID, resp.TokenType = subject, clientID, oidc.BearerToken
	return nil
}

// GetPrivateClaimsFromScopes adds nothing to JWT access tokens.
func (s *Store) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID would serve private_key_jwt, which is not offered.
func (s *Store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("private_key_jwt client authentication is not supported")
}

// ValidateJWTProfileScopes would serve the JWT profile grant, not offered.
func (s *Store) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

// Health is op's readiness probe.
func (s *Store) Health(ctx context.Context) error { return s.db.Ping(ctx) }

// TerminateSession is superseded by TerminateSessionFromRequest.
func (s *Store) TerminateSession(context.Context, string, string) error { return nil }

// LogoutPath is the page asking the person to confirm signing out.
const LogoutPath = "/oidc/logout"

// TerminateSessionFromRequest sends RP-initiated logout to a confirmation
// page: ending a session on a bare GET would let any site log people out.
// The validated post-logout URI travels signed, so the page cannot be
// turned into an open redirect.
func (s *Store) TerminateSessionFromRequest(_ context.Context, r *op.EndSessionRequest) (string, error) {
	v := url.Values{}
	if r.RedirectURI != "" {
		v.Set("to", r.RedirectURI)
		v.Set("sig", s.SignLogoutTarget(r.RedirectURI))
	}
	if r.ClientID != "" {
		v.Set("client", r.ClientID)
	}
	return LogoutPath + "?" + v.Encode(), nil
}

// SignLogoutTarget authenticates a post-logout redirect URI.
func (s *Store) SignLogoutTarget(to string) string { return s.keys.MAC("logout target", []byte(to)) }

// fillClaims sets the claims a profile shows for scopes.
func (s *Store) fillClaims(ctx context.Context, info *oidc.UserInfo, subject string, accountID, profileID int64, scopes []string) error {
	a, err := s.accountFor(ctx, accountID)
	if err != nil {
		return err
	}
	p, err := s.ids.Profile(ctx, profileID)
	if err != nil {
		return err
	}
	info.Subject = subject
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeProfile:
			info.PreferredUsername = p.Name
			info.Name = a.DisplayName
			if info.Name == "" {
				info.Name = p.Name
			}
			if tag, err := language.Parse(a.Locale); err == nil {
				info.Locale = oidc.NewLocale(tag)
			}
		case oidc.ScopeEmail:
			// Verified only when someone proved or vouched for the address
			// (a link opened, an administrator, an import). False is said
			// outright: the library would leave an unset claim out.
			info.Email = a.Email
			if a.EmailConfirmed() {
				info.EmailVerified = true
			} else {
				info.AppendClaims("email_verified", false)
			}
		case "groups":
			groups := a.Groups
			if groups == nil {
				groups = []string{}
			}
			info.AppendClaims("groups", groups)
		}
	}
	return nil
}

// opClient adapts Client to op.Client.
type opClient struct {
	c Client
	s *Store
}

func (o *opClient) GetID() string                    { return o.c.ID }
func (o *opClient) RedirectURIs() []string           { return o.c.RedirectURIs }
func (o *opClient) PostLogoutRedirectURIs() []string { return o.c.PostLogoutURIs }

// ApplicationType: a public client whose redirect URIs are all loopback
// or private-use schemes is a native app (RFC 8252); another public one
// runs in the browser.
func (o *opClient) ApplicationType() op.ApplicationType {
	if !o.c.Public {
		return op.ApplicationTypeWeb
	}
	for _, u := range o.c.RedirectURIs {
		if _, loopback := op.HTTPLoopbackOrLocalhost(u); !loopback {
			if p, err := url.Parse(u); err == nil && (p.Scheme == "http" || p.Scheme == "https") {
				return op.ApplicationTypeUserAgent
			}
		}
	}
	return op.ApplicationTypeNative
}

func (o *opClient) AuthMethod() oidc.AuthMethod {
	if o.c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (o *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (o *opClient) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, len(o.c.GrantTypes))
	for i, g := range o.c.GrantTypes {
		out[i] = oidc.GrantType(g)
	}
	return out
}

func (o *opClient) LoginURL(id string) string { return LoginPath + "?id=" + url.QueryEscape(id) }

func (o *opClient) AccessTokenType() op.AccessTokenType {
	if o.c.AccessTokenType == "jwt" {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}

func (o *opClient) IDTokenLifetime() time.Duration { return o.s.Life.IDToken }
func (o *opClient) DevMode() bool                  { return false }

func (o *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (o *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (o *opClient) IsScopeAllowed(scope string) bool {
	return scope == "groups" || slices.Contains(o.c.ExtraScopes, scope)
}

// IDTokenUserinfoClaimsAssertion puts profile claims in the ID token too:
// many hosted applications read preferred_username there and never call
// userinfo.
func (o *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (o *opClient) ClockSkew() time.Duration             { return 0 }
