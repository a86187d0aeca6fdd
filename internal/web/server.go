package web

import (
	"context"
	"crypto/rand"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"pelote/internal/access"
	"pelote/internal/i18n"
	"pelote/internal/identity"
	"pelote/internal/mail"
	"pelote/internal/openid"
	"pelote/internal/pow"
	"pelote/internal/ratelimit"
	"pelote/internal/transparency"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options are the plain values web needs from the configuration.
type Options struct {
	// PublicURL is the base URL people reach Pelote at; https makes cookies
	// Secure and __Host- prefixed.
	PublicURL *url.URL
	// TrustedProxies are the ranges whose X-Forwarded-* headers are believed.
	TrustedProxies []netip.Prefix
	// LoginPerAccount and LoginPerAddress bound failed logins per Window.
	LoginPerAccount, LoginPerAddress int
	LoginWindow                      time.Duration
	// Version is shown in the page footer.
	Version string
	// OIDC is the OpenID provider, nil to serve none.
	OIDC *openid.Provider
	// ChallengeKey signs the step between password and second factor.
	ChallengeKey []byte
	// Access holds SSH keys and machine access, nil to serve none.
	Access *access.Store
	// Forward configures /auth/forward, nil to serve none.
	Forward *ForwardAuth
	// Mailer takes the messages to people (links, notices); nil when no
	// mail is configured.
	Mailer mail.Mailer
	// Registration says who may sign up without an invitation.
	Registration identity.Registration
	// SignUpsPerHour bounds sign-ups across all addresses.
	SignUpsPerHour int
	// PoW guards the sign-up and reset forms; nil for none.
	PoW *pow.Puzzles
	// TermsURL is the hoster's terms of service, accepted at sign-up;
	// empty for none.
	TermsURL string
	// Transparency builds the public transparency report; nil serves no
	// transparency page. Releases lists release watching's state.
	Transparency *transparency.Builder
	Releases     ReleaseLister
	// AuthorizeRate bounds the OpenID authorization requests one client
	// address starts per second (bursts of twice that); 0 for the default.
	AuthorizeRate int
	// Limits counts failed logins, sign-ups, mails and request rates with
	// the other nodes sharing the database; nil counts on this node alone.
	Limits *ratelimit.Limits
	// Notify is the notifier behind /admin/notify and /api/alertmanager,
	// nil to serve neither; ReloadStatus tells of a refused reload.
	Notify       Notifications
	ReloadStatus ReloadStatus
	// Monitor serves pings, /metrics, /status and the dashboard; nil for none.
	Monitor *Monitor
}

// Pinger is what the health check needs of the database.
type Pinger interface{ Ping(context.Context) error }

// Server holds the web handlers' dependencies.
type Server struct {
	opts  Options
	ids   *identity.Store
	db    Pinger
	cat   *i18n.Catalog
	log   *slog.Logger
	pages *pages
	now   func() time.Time
	// letters writes the messages to people, nil Out when no mail.
	letters *mail.Letters

	failedByAccount *ratelimit.Failures
	failedByAddress *ratelimit.Failures
	// signUps counts sign-ups of the last hour, from every address.
	signUps *ratelimit.Failures
	// mailedTo counts the unasked-for mails each account got (reset links,
	// notices of sign-ups with its address), so that nobody can flood a
	// member's mailbox through the forms.
	mailedTo *ratelimit.Failures
	// authorizations bounds the OpenID requests each address starts.
	authorizations *ratelimit.Buckets
	// pings bounds the pings of each heartbeat uuid.
	pings *ratelimit.Buckets
	// ready is false until the server listens and again once it drains.
	ready atomic.Bool
	// cookie is the session cookie's name (with __Host- under https).
	cookie string
	secure bool
}

// maxBody caps request bodies: forms here are a few hundred bytes.
const maxBody = 64 << 10

// New builds the server; it fails if a template is missing or broken.
func New(opts Options, ids *identity.Store, db Pinger, cat *i18n.Catalog, log *slog.Logger) (*Server, error) {
	p, err := loadPages(templateFS)
	if err != nil {
		return nil, err
	}
	if len(opts.ChallengeKey) == 0 {
		// One node on its own: a key per process is enough.
		opts.ChallengeKey = make([]byte, 32)
		rand.Read(opts.ChallengeKey)
	}
	s := &Server{opts: opts, ids: ids, db: db, cat: cat, log: log, pages: p, now: time.Now}
	s.letters = &mail.Letters{Out: opts.Mailer, Cat: cat}
	if opts.PublicURL != nil {
		s.letters.Base = opts.PublicURL.String()
	}
	if opts.OIDC != nil {
		opts.OIDC.Page = func(w http.ResponseWriter, r *http.Request, status int, key string) { s.errorPage(w, r, status, key) }
	}
	s.failedByAccount = opts.Limits.Failures("login-account", opts.LoginPerAccount, opts.LoginWindow, s.clock)
	s.failedByAddress = opts.Limits.Failures("login-address", opts.LoginPerAddress, opts.LoginWindow, s.clock)
	if opts.SignUpsPerHour < 1 {
		opts.SignUpsPerHour = 30
	}
	s.signUps = opts.Limits.Failures("signup-hour", opts.SignUpsPerHour, time.Hour, s.clock)
	s.mailedTo = opts.Limits.Failures("mail-account", mailsPerAccountHour, time.Hour, s.clock)
	if opts.AuthorizeRate < 1 {
		opts.AuthorizeRate = authorizePerSecond
	}
	s.authorizations = opts.Limits.Buckets("oidc-authorize", opts.AuthorizeRate, s.clock)
	s.secure = opts.PublicURL != nil && opts.PublicURL.Scheme == "https"
	s.cookie = "pelote_session"
	if s.secure {
		s.cookie = "__Host-pelote_session"
	}
	return s, nil
}

func (s *Server) clock() time.Time { return s.now() }

// SetReady marks the server ready (or not) for /readyz.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Handler returns the full handler stack.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(fmt.Sprintf("web: embedded static files: %v", err)) // cannot happen: embedded at build
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(24*time.Hour, noListing(http.FileServerFS(static)))))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /{$}", s.home)

	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /login/totp", s.loginTOTP)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /invite/{token}", s.inviteForm)
	mux.HandleFunc("POST /invite/{token}", s.invite)
	mux.HandleFunc("GET /verify/{token}", s.verifyEmail)
	mux.HandleFunc("GET /signup", s.signUpForm)
	mux.HandleFunc("POST /signup", s.signUp)
	mux.HandleFunc("GET /account/email/{token}", s.confirmEmail)
	mux.HandleFunc("GET /login/forgot", s.forgotForm)
	mux.HandleFunc("POST /login/forgot", s.forgot)
	mux.HandleFunc("GET /login/reset/{token}", s.resetForm)
	mux.HandleFunc("POST /login/reset/{token}", s.reset)
	mux.HandleFunc("GET /setup/{token}", s.setupForm)
	mux.HandleFunc("POST /setup/{token}", s.setup)

	member := func(p string, h func(http.ResponseWriter, *http.Request, *visit)) {
		mux.Handle(p, s.signedIn(h, false))
	}
	admin := func(p string, h func(http.ResponseWriter, *http.Request, *visit)) {
		mux.Handle(p, s.signedIn(h, true))
	}
	member("GET /account", s.account)
	member("POST /account/details", s.accountDetails)
	member("POST /account/email/confirm", s.accountConfirmEmail)
	member("POST /account/password", s.accountPassword)
	member("POST /account/profiles", s.accountAddProfile)
	member("POST /account/profiles/{id}/delete", s.accountDeleteProfile)
	member("POST /account/sessions/{id}/revoke", s.accountRevokeSession)
	member("POST /account/sessions/revoke-others", s.accountRevokeOthers)
	member("POST /account/app-passwords", s.accountAddAppPassword)
	member("POST /account/app-passwords/{id}/revoke", s.accountRevokeAppPassword)

	admin("GET /admin", func(w http.ResponseWriter, r *http.Request, _ *visit) {
		http.Redirect(w, r, "/admin/accounts", http.StatusSeeOther)
	})
	admin("GET /admin/accounts", s.adminAccounts)
	admin("POST /admin/accounts", s.adminCreateAccount)
	admin("GET /admin/accounts/{name}", s.adminAccount)
	admin("POST /admin/accounts/{name}/state", s.adminAccountState)
	admin("POST /admin/accounts/{name}/password", s.adminAccountPassword)
	admin("POST /admin/accounts/{name}/email", s.adminSetEmail)
	admin("POST /admin/accounts/{name}/groups", s.adminAccountAddGroup)
	admin("POST /admin/accounts/{name}/groups/{group}/remove", s.adminAccountRemoveGroup)
	admin("POST /admin/accounts/{name}/profiles", s.adminAccountAddProfile)
	admin("GET /admin/groups", s.adminGroups)
	admin("POST /admin/groups", s.adminCreateGroup)
	admin("GET /admin/groups/{name}", s.adminGroup)
	admin("POST /admin/groups/{name}/members", s.adminGroupAddMember)
	admin("POST /admin/groups/{name}/members/{user}/remove", s.adminGroupRemoveMember)
	admin("POST /admin/groups/{name}/delete", s.adminDeleteGroup)
	admin("GET /admin/services", s.adminServices)
	admin("POST /admin/services", s.adminCreateService)
	admin("POST /admin/services/{name}", s.adminUpdateService)
	admin("GET /admin/approvals", s.adminApprovals)
	admin("POST /admin/approvals/{id}/{decision}", s.adminDecide)
	admin("POST /admin/signups/{username}/{decision}", s.adminDecideSignUp)
	admin("GET /admin/invitations", s.adminInvitations)
	admin("POST /admin/invitations", s.adminCreateInvitation)
	admin("POST /admin/invitations/{id}/revoke", s.adminRevokeInvitation)
	s.totpRoutes(member, admin)
	s.transparencyRoutes(mux, admin)
	if s.opts.Access != nil {
		mux.HandleFunc("GET /api/hosts/authorized-keys/{user}", s.authorizedKeys)
		member("POST /account/ssh-keys", s.accountAddKey)
		member("POST /account/ssh-keys/{id}/delete", s.accountDeleteKey)
		s.hostRoutes(admin)
	}
	if s.opts.OIDC != nil {
		s.oidcRoutes(mux)
		member("GET /account/apps", s.accountApps)
		member("POST /account/apps/{client}/revoke", s.accountRevokeApp)
		s.clientRoutes(admin)
	}

	if s.opts.Notify != nil {
		s.notifyRoutes(mux, admin)
	}
	if s.opts.Forward != nil {
		mux.HandleFunc("/auth/forward", s.forwardAuth)
	}
	s.monitorRoutes(mux, admin)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); allow != "" {
			w.Header().Set("Allow", allow)
			s.errorPage(w, r, http.StatusMethodNotAllowed, "err.method_not_allowed")
			return
		}
		s.notFound(w, r)
	})

	var h http.Handler = mux
	cop := http.NewCrossOriginProtection()
	if s.opts.OIDC != nil {
		// Applications call these from their servers or, for browser apps,
		// cross-origin with their own credentials; no cookie is involved.
		for _, p := range openid.APIPatterns() {
			cop.AddInsecureBypassPattern(p)
		}
		// OIDC Core 3.1.2.1 lets an application's page post its request
		// to /authorize; the request is bound to the browser there and
		// changes nothing of the person's.
		cop.AddInsecureBypassPattern("POST /authorize")
	}
	// The proxy asks with the browser's headers, for any method; the
	// answer changes nothing.
	cop.AddInsecureBypassPattern("/auth/forward")
	// Jobs ping with curl or `pelote run`; the uuid is the credential.
	cop.AddInsecureBypassPattern("/ping/")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusForbidden, "err.cross_origin")
	}))
	h = cop.Handler(h)
	h = s.chooseLanguage(h)
	h = s.limitBody(h)
	h = s.securityHeaders(h)
	h = s.recoverPanics(h)
	h = s.requestID(h)
	return h
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	v := fmt.Sprintf("public, max-age=%d", int(d.Seconds()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", v)
		h.ServeHTTP(w, r)
	})
}

// allowedMethods lists the methods another route of mux takes at r's path:
// the catch-all route would otherwise answer 404 to a known page asked
// with the wrong method.
func allowedMethods(mux *http.ServeMux, r *http.Request) string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		other := *r
		other.Method = m
		if _, pattern := mux.Handler(&other); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// noListing answers 404 for directories: the static files are a few
// known names, not a folder to browse.
func noListing(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
