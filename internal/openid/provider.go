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
	"pelote/internal/store"
)

// Provider serves the OpenID Connect endpoints over a Store.
type Provider struct {
	st      *Store
	op      *op.Provider
	limiter *ratelimit.Buckets
	log     *slog.Logger
	issuer  string
	// secure is set under https: the browser cookie is then Secure and
	// __Host- prefixed.
	secure bool
	// Page shows a person an error page in their language, with a
	// catalogue key; the web server sets it. Without it, plain text.
	Page func(w http.ResponseWriter, r *http.Request, status int, key string)
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
	u, _ := url.Parse(issuer)
	return &Provider{st: st, op: p, limiter: st.Limits.Buckets("oidc-token", tokenRate, st.Now), log: log,
		issuer: strings.TrimRight(issuer, "/"), secure: u != nil && u.Scheme == "https"}, nil
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

// ServeHTTP serves one of the provider's endpoints (the web server puts
// its own checks in front of /authorize).
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.serve(w, r) }

// APIPatterns are the endpoints called by applications rather than
// browsers: cross-origin checks for forms do not apply to them.
func APIPatterns() []string {
	return []string{"POST /oauth/token", "POST /oauth/introspect", "POST /userinfo", "POST /revoke", "POST /end_session"}
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	browser := browserEndpoint(r.URL.Path)
	if err := r.ParseForm(); err != nil {
		// Malformed queries and bodies are refused here, in plain words,
		// rather than by whichever library layer trips on them first.
		if browser {
			p.page(w, r, http.StatusBadRequest, "oidc.err.malformed")
		} else {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the request's query or form cannot be parsed")
		}
		return
	}
	ctx := WithRequestState(r.Context())
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		p.discovery(w, r)
		return
	case "/authorize":
		ctx = p.bindBrowser(w, r)
		stateOf(ctx).requestURI = r.Form.Has("request_uri")
	case "/authorize/callback":
		// Only the browser that started a request may collect its code.
		if a, err := p.st.Request(ctx, r.Form.Get("id")); err == nil && !p.BoundToBrowser(r, a) {
			p.log.Info("oidc callback from another browser", "client", a.ClientID)
			p.page(w, r, http.StatusForbidden, "oidc.err.other_browser")
			return
		}
	case "/oauth/token":
		if !p.knownGrant(w, r) || !p.allowToken(w, r) {
			return
		}
		// A code or refresh grant reads the client, the grant, the account
		// and the profile: in one snapshot (see store.DB.WithSnapshot),
		// ended once the claims are read, before the signing.
		if gt := r.PostForm.Get("grant_type"); gt == string(oidc.GrantTypeCode) || gt == string(oidc.GrantTypeRefreshToken) {
			var end func()
			ctx, end = p.st.db.WithSnapshot(ctx)
			defer end()
		}
		if !p.knownClient(ctx, w, r) {
			return
		}
	case "/oauth/introspect", "/revoke":
		if r.PostForm.Get("token") == "" {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "token is missing")
			return
		}
	}
	if browser {
		w = &pageOnError{ResponseWriter: w, r: r, p: p}
	}
	if r.URL.Path == "/oauth/token" {
		w = &durableWriter{ResponseWriter: w, st: stateOf(ctx), log: p.log}
	}
	p.op.ServeHTTP(w, r.WithContext(ctx))
}

// durableWriter holds the token endpoint's answer until the grant's writes
// are on disk (they are committed while the tokens are signed); if the
// commit failed, the tokens exist nowhere and the client gets an error
// instead of them.
type durableWriter struct {
	http.ResponseWriter
	st      *reqState
	log     *slog.Logger
	checked bool
	failed  bool
}

func (w *durableWriter) check() {
	if w.checked {
		return
	}
	w.checked = true
	err := w.st.waitDurable()
	if err == nil {
		return
	}
	w.failed = true
	// The grant's own refusal (a code or refresh token spent twice at
	// the same moment) is the client's error; anything else is ours.
	var refused *oidc.Error
	if errors.As(err, &refused) {
		writeOAuthError(w.ResponseWriter, http.StatusBadRequest, string(refused.ErrorType), refused.Description)
		return
	}
	w.log.Error("oidc token: grant not committed", "err", err)
	writeOAuthError(w.ResponseWriter, http.StatusInternalServerError, "server_error", "the grant could not be stored; try again")
}

func (w *durableWriter) WriteHeader(status int) {
	if w.check(); !w.failed {
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *durableWriter) Write(b []byte) (int, error) {
	if w.check(); w.failed {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// browserEndpoint tells the endpoints people's browsers visit, whose
// errors are pages, from those applications call, whose errors are JSON.
func browserEndpoint(path string) bool {
	return path == "/authorize" || path == "/authorize/callback" || path == "/end_session"
}

// page shows an error page through the web server's renderer.
func (p *Provider) page(w http.ResponseWriter, r *http.Request, status int, key string) {
	if p.Page == nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	p.Page(w, r, status, key)
}

// pageOnError replaces the plain-text errors op writes for a browser (its
// own wording, sometimes a parser's) by a translated page. Redirects to
// the application, which carry OAuth errors, pass through.
type pageOnError struct {
	http.ResponseWriter
	r        *http.Request
	p        *Provider
	replaced bool
}

func (w *pageOnError) WriteHeader(status int) {
	if status < 400 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.replaced = true
	w.Header().Del("Content-Type")
	key := "oidc.err.bad_request"
	if status >= 500 {
		key = "err.internal"
	}
	w.p.page(w.ResponseWriter, w.r, status, key)
}

func (w *pageOnError) Write(b []byte) (int, error) {
	if w.replaced {
		// op's text says which parameter was wrong: worth a line in the
		// log for the application's administrators, not a page.
		w.p.log.Info("oidc request refused", "path", w.r.URL.Path, "reason", strings.TrimSpace(string(b[:min(len(b), 200)])))
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// knownClient authenticates the client before op looks at the grant, so
// that an unknown client, a wrong secret and a confidential client without
// one get the same answer whatever the grant (op looks up a code before it
// checks who presents it). The client it loads stays in ctx for op.
func (p *Provider) knownClient(ctx context.Context, w http.ResponseWriter, r *http.Request) bool {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != "" {
		c, err := p.st.clientFor(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			p.log.Error("oidc token: client", "err", err)
			writeOAuthError(w, http.StatusInternalServerError, "server_error", "the provider cannot check clients right now")
			return false
		case c.Public && secret == "":
			return true // PKCE stands in for the secret
		default:
			if _, err := p.st.authenticate(ctx, id, secret); err == nil {
				return true
			}
		}
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="pelote"`)
	writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
	return false
}

// knownGrant refuses, with the RFC 6749 error, grant types op knows but
// Pelote does not offer (the JWT bearer profile).
func (p *Provider) knownGrant(w http.ResponseWriter, r *http.Request) bool {
	switch oidc.GrantType(r.PostForm.Get("grant_type")) {
	case oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials:
		return true
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing")
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "supported grant types: authorization_code, refresh_token, client_credentials")
	}
	return false
}

// discovery is op's discovery document, corrected to what Pelote offers:
// op announces the implicit flow, id_token responses and the JWT bearer
// grant whatever the storage supports.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	cfg := op.CreateDiscoveryConfig(op.ContextWithIssuer(r.Context(), p.issuer), p.op, p.st)
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.ResponseModesSupported = []string{string(oidc.ResponseModeQuery)}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials}
	cfg.RequestParameterSupported, cfg.RequestURIParameterSupported = false, false
	cfg.DeviceAuthorizationEndpoint, cfg.CheckSessionIframe = "", ""
	op.Discover(w, cfg)
}

// allowToken applies the per-client rate of the token endpoint.
func (p *Provider) allowToken(w http.ResponseWriter, r *http.Request) bool {
	client, _, ok := r.BasicAuth()
	if !ok {
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
	ErrAccessDenied = func() *oidc.Error {
		return oidc.ErrAccessDenied().WithDescription("the person declined or may not use this application")
	}
	// ErrInteractionRequired: the person must do something first (set up
	// two-step verification).
	ErrInteractionRequired = func() *oidc.Error {
		return oidc.ErrInteractionRequired().WithDescription("the person must act on Pelote's pages first")
	}
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
		// Requests that never gave a code go at once; the others stay a
		// day, so that a replayed code is recognised.
		`DELETE FROM oidc_auth_requests WHERE expires_at < ? AND code_hash IS NULL`,
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
