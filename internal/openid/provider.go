package openid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"pelote/internal/ratelimit"
)

// Provider serves the OpenID Connect endpoints over a Store.
type Provider struct {
	st      *Store
	op      *op.Provider
	limiter *ratelimit.Buckets
	log     *slog.Logger
}

// Endpoints op serves, as mounted on Pelote's mux. The token endpoint is
// also the GitLab facade's.
var endpoints = []string{
	"/.well-known/openid-configuration", "/authorize", "/authorize/callback", "/oauth/token",
	"/oauth/introspect", "/userinfo", "/revoke", "/end_session", "/keys",
}

// NewProvider builds the provider for issuer (the public base URL).
// tokenRate bounds token requests per second per client.
func NewProvider(st *Store, issuer string, tokenRate int, log *slog.Logger) (*Provider, error) {
	var key [32]byte
	copy(key[:], st.keys.Key("access token"))
	cfg := &op.Config{
		CryptoKey:                         key,
		DefaultLogoutRedirectURI:          "/login?ok=logged_out",
		CodeMethodS256:                    true,
		AuthMethodPost:                    true,
		GrantTypeRefreshToken:             true,
		RequestObjectSupported:            false,
		SupportedUILocales:                []language.Tag{language.English, language.French},
		SupportedScopes:                   []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, "groups", oidc.ScopeOfflineAccess},
		SupportedClaims:                   []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "at_hash", "c_hash", "azp", "sid", "name", "preferred_username", "email", "email_verified", "locale", "groups"},
		BackChannelLogoutSupported:        true,
		BackChannelLogoutSessionSupported: true,
	}
	var opts []op.Option
	if u, err := url.Parse(issuer); err == nil && u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	p, err := op.NewProvider(cfg, st, op.StaticIssuer(strings.TrimRight(issuer, "/")), opts...)
	if err != nil {
		return nil, fmt.Errorf("openid: %w", err)
	}
	return &Provider{st: st, op: p, limiter: ratelimit.NewBuckets(tokenRate, st.Now), log: log}, nil
}

// Store returns the provider's storage.
func (p *Provider) Store() *Store { return p.st }

// Register mounts the endpoints and the GitLab facade on mux.
func (p *Provider) Register(mux *http.ServeMux) {
	h := http.HandlerFunc(p.serve)
	for _, e := range endpoints {
		mux.Handle(e, h)
	}
	mux.HandleFunc("GET /oauth/authorize", p.gitlabAuthorize)
	mux.HandleFunc("GET /api/v4/user", p.gitlabUser)
}

// APIPatterns are the endpoints called by applications rather than
// browsers: cross-origin checks for forms do not apply to them.
func APIPatterns() []string {
	return []string{"POST /oauth/token", "POST /oauth/introspect", "POST /userinfo", "POST /revoke", "POST /end_session"}
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/oauth/token" && !p.allowToken(w, r) {
		return
	}
	p.op.ServeHTTP(w, r.WithContext(WithRequestState(r.Context())))
}

// allowToken applies the per-client rate of the token endpoint.
func (p *Provider) allowToken(w http.ResponseWriter, r *http.Request) bool {
	client, _, ok := r.BasicAuth()
	if !ok {
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "cannot parse the form")
			return false
		}
		client = r.PostForm.Get("client_id")
	}
	if client == "" {
		return true // op answers invalid_client
	}
	if len(client) > 64 {
		client = client[:64]
	}
	if allowed, wait := p.limiter.Allow(client); !allowed {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeOAuthError(w, http.StatusTooManyRequests, "invalid_request", "too many token requests for this client; retry later")
		return false
	}
	return true
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// CallbackPath is where the login pages send the browser once a request is
// complete; op then issues the code.
func CallbackPath(id string) string { return "/authorize/callback?id=" + url.QueryEscape(id) }

// Refuse answers an authorization request with an OAuth error at the
// client's (already validated) redirect URI: login_required for prompt=none,
// access_denied when the person declines.
func (p *Provider) Refuse(w http.ResponseWriter, r *http.Request, a *AuthRequest, err *oidc.Error) {
	op.AuthRequestError(w, r, a, err, p.op)
}

// Errors the login pages send back to clients.
var (
	ErrLoginRequired   = func() *oidc.Error { return oidc.ErrLoginRequired().WithDescription("the person is not signed in") }
	ErrConsentRequired = func() *oidc.Error {
		return &oidc.Error{ErrorType: "consent_required", Description: "the person has not agreed to share this with the application"}
	}
	ErrAccountSelection = func() *oidc.Error {
		return &oidc.Error{ErrorType: "account_selection_required", Description: "the person must choose a profile"}
	}
	ErrAccessDenied = func() *oidc.Error { return oidc.ErrAccessDenied().WithDescription("the person declined") }
)

// gitlabAuthorize is the authorize endpoint of the GitLab facade: Mattermost
// Team Edition only knows GitLab, asks no scope, and reads /api/v4/user.
func (p *Provider) gitlabAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	scopes := strings.Fields(q.Get("scope"))
	for _, need := range []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail} {
		if !slices.Contains(scopes, need) {
			scopes = append(scopes, need)
		}
	}
	q.Set("scope", strings.Join(scopes, " "))
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawQuery, r2.Form = "/authorize", q.Encode(), nil
	p.serve(w, r2)
}

// gitlabUser answers GitLab's GET /api/v4/user for an access token.
func (p *Provider) gitlabUser(w http.ResponseWriter, r *http.Request) {
	deny := func() {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"message":"401 Unauthorized"}`))
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		deny()
		return
	}
	plain, err := p.op.Crypto().Decrypt(token)
	if err != nil {
		deny()
		return
	}
	tokenID, subject, ok := strings.Cut(plain, ":")
	if !ok {
		deny()
		return
	}
	u, err := p.st.gitlabUser(r.Context(), tokenID, subject)
	if errors.Is(err, errTokenInvalid) {
		deny()
		return
	}
	if err != nil {
		p.log.Error("gitlab user", "err", err)
		http.Error(w, `{"message":"500 Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(u)
}

// GitLabUser is the part of GitLab's user object Mattermost reads.
type GitLabUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Login    string `json:"login"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	State    string `json:"state"`
}

func (s *Store) gitlabUser(ctx context.Context, tokenID, subject string) (GitLabUser, error) {
	r, err := s.accessToken(ctx, tokenID)
	if err != nil {
		return GitLabUser{}, err
	}
	if r.subject != subject {
		return GitLabUser{}, errTokenInvalid
	}
	info := new(oidc.UserInfo)
	if err := s.fillClaims(ctx, info, subject, r.accountID, r.profileID, r.scopes); err != nil {
		return GitLabUser{}, err
	}
	// The profile's row id is stable and numeric, as GitLab's ids are.
	return GitLabUser{ID: r.profileID, Username: info.PreferredUsername, Login: info.PreferredUsername,
		Email: info.Email, Name: info.Name, State: "active"}, nil
}

// Maintain runs periodic upkeep: keys, and purging what has expired.
func (s *Store) Maintain(ctx context.Context) error {
	if err := s.MaintainKeys(ctx); err != nil {
		return err
	}
	now := s.now().Unix()
	for _, q := range []string{
		`DELETE FROM oidc_auth_requests WHERE expires_at < ? - 86400`,
		`DELETE FROM oidc_tokens WHERE expires_at < ?`,
		`DELETE FROM oidc_revoked_jwts WHERE expires_at < ?`,
		`DELETE FROM oidc_grants WHERE (revoked_at <> 0 OR expires_at < ?) AND NOT EXISTS (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = oidc_grants.id)`,
	} {
		if _, err := s.db.Exec(ctx, q, now); err != nil {
			return err
		}
	}
	return nil
}
