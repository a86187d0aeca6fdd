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
	// menu is the areas' menu entries, in order (see mountAreas).
	menu []menuEntry
	// ready is false until the server listens and again once it drains.
	ready atomic.Bool
	// cookie is the session cookie's name (with __Host- under https).
	cookie string
	secure bool
}

// areas are the parts of the site, each mounting its routes and its menu
// entries (see area). A new page goes in an area's file, or in a new area
// listed here.
func (s *Server) areas() []area {
	return []area{
		&healthArea{Server: s},
		&signInArea{Server: s, ids: s.ids},
		&signUpArea{Server: s, ids: s.ids},
		&accountArea{Server: s, ids: s.ids},
		&accountsArea{Server: s, ids: s.ids},
		&groupsArea{Server: s, ids: s.ids},
		&servicesArea{Server: s, ids: s.ids},
		&invitationsArea{Server: s, ids: s.ids},
		&totpArea{Server: s, ids: s.ids},
		&hostsArea{Server: s, ids: s.ids},
		&oidcArea{Server: s, ids: s.ids},
		&clientsArea{Server: s, ids: s.ids},
		&notifyArea{Server: s},
		&forwardArea{Server: s, ids: s.ids},
		&monitorArea{Server: s},
		&transparencyArea{Server: s},
	}
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
	mux.HandleFunc("GET /{$}", s.home)
	s.mountAreas(mux)
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
