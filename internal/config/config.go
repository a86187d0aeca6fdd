package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"pelote/internal/identity"
	"pelote/internal/monitor"
	"pelote/internal/pow"
)

// Config is everything `pelote serve` and the admin verbs can be told.
type Config struct {
	// Listen is the address of the web server (UI, APIs, health checks).
	Listen string `yaml:"listen"`
	// URL is the public base URL people and applications use to reach Pelote.
	URL string `yaml:"url"`
	// Data is the data directory: the SQLite database and local secrets.
	Data string `yaml:"data"`
	// Database is empty for SQLite in the data directory, a sqlite://PATH, or
	// a postgres:// URL for several nodes sharing one database.
	Database string `yaml:"database"`
	// TLSCert and TLSKey make Pelote serve HTTPS itself (PEM files).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies whose
	// X-Forwarded-For and X-Forwarded-Proto headers are believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// Session sets web session lifetimes.
	Session Session `yaml:"session"`
	// Password sets the argon2id cost of new password hashes.
	Password Password `yaml:"password"`
	// Login sets the limits on failed logins.
	Login Login `yaml:"login"`
	// SecretFile holds the master secret that seals signing keys and TOTP
	// seeds; empty means secret.key in the data directory. Nodes sharing a
	// database must share it; back it up apart from the database.
	SecretFile string `yaml:"secret_file"`
	// OIDC sets the OpenID provider's lifetimes and limits.
	OIDC OIDC `yaml:"oidc"`
	// LDAP sets the directory listener for applications that speak LDAP.
	LDAP LDAP `yaml:"ldap"`
	// ForwardAuth protects applications behind a reverse proxy.
	ForwardAuth ForwardAuth `yaml:"forward_auth"`
	// Mail is the SMTP server Pelote submits its messages to.
	Mail Mail `yaml:"mail"`
	// Registration says who may create an account.
	Registration Registration `yaml:"registration"`
	// Notify is where operators hear of what happens (see notify.go).
	Notify Notify `yaml:"notify"`
	// Inventory describes the organisation, its machines and services
	// (see internal/inventory); InventoryDir reads it from the YAML files
	// of a directory instead.
	Inventory    yaml.Node `yaml:"inventory"`
	InventoryDir string    `yaml:"inventory_dir"`
	// Releases sets how upstream releases are watched.
	Releases Releases `yaml:"releases"`

	// file is the configuration file read, for the inventory's errors.
	file string
	// Monitor sets the supervision engine; Checks are what it supervises.
	Monitor Monitor       `yaml:"monitor"`
	Checks  []CheckConfig `yaml:"checks"`
	// lines locates the checks in the file, for error messages.
	lines lines
	// parsed holds the values read out of the text above (see parse).
	parsed parsed
}

// Registration is who may create an account, and the brakes on sign-up.
// Invitations work in every mode.
type Registration struct {
	// Mode is closed, open or moderated.
	Mode identity.Registration `yaml:"mode"`
	// PerHour is how many sign-ups are taken per hour across all client
	// addresses; each address also counts against login.per_address.
	PerHour int `yaml:"per_hour"`
	// ProofOfWork is the anti-robot difficulty of the sign-up and
	// password-reset forms in bits: each one doubles the browser's work.
	// 0 turns it off.
	ProofOfWork int `yaml:"proof_of_work"`
	// TermsURL is the hoster's terms of service: when set, people accept
	// them to sign up, and every page links to them.
	TermsURL string `yaml:"terms_url"`
}

// Mail is the outgoing SMTP server.
type Mail struct {
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// TLS is starttls, tls (implicit) or none (a local relay).
	TLS      string `yaml:"tls"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from"`
}

// ForwardAuth is /auth/forward's configuration.
type ForwardAuth struct {
	// CookieDomain is the domain Pelote and the applications share, e.g.
	// example.org for id.example.org and wiki.example.org.
	CookieDomain string `yaml:"cookie_domain"`
	// Rules are "host=group+group" ("host" alone: any signed-in member).
	Rules []string `yaml:"rules"`
}

// ForwardRules reads Rules into host → groups; call after Validate.
func (c Config) ForwardRules() map[string][]string {
	out := map[string][]string{}
	for _, r := range c.ForwardAuth.Rules {
		host, groups, _ := strings.Cut(strings.TrimSpace(r), "=")
		var list []string
		for _, g := range strings.Split(groups, "+") {
			if g = strings.ToLower(strings.TrimSpace(g)); g != "" {
				list = append(list, g)
			}
		}
		out[strings.ToLower(strings.TrimSpace(host))] = list
	}
	return out
}

// LDAP is the read-only directory's listener.
type LDAP struct {
	// Listen is its address (e.g. 127.0.0.1:3389); empty serves no LDAP.
	Listen string `yaml:"listen"`
	// BaseDN roots the tree, e.g. dc=example,dc=org.
	BaseDN string `yaml:"base_dn"`
	// TLS is "starttls" (plain, with StartTLS offered when tls_cert is
	// set) or "ldaps" (TLS from the first byte, needs tls_cert).
	TLS string `yaml:"tls"`
	// AllowAnonymous lets unbound clients read people and groups.
	AllowAnonymous bool `yaml:"allow_anonymous"`
	// RequireTLS refuses binds with a password on a connection that is not
	// encrypted (no StartTLS, not LDAPS). Unset, it follows LDAPRequireTLS.
	RequireTLS *bool `yaml:"require_tls"`
	// ProfileServices get an ou=SERVICE subtree of their profiles, for
	// applications that should see profiles rather than accounts.
	ProfileServices []string `yaml:"profile_services"`
	// Applications are the addresses or CIDR ranges of applications that
	// bind on their users' behalf (Nextcloud, a mail server). Failed binds
	// count per account and per client address (login.per_address); an
	// application's address carries all its users' mistakes, so its binds
	// count per account only. Loopback by default.
	Applications []string `yaml:"applications"`
}

// OIDC token lifetimes, key rotation and limits.
type OIDC struct {
	// CodeLifetime bounds how long an authorization code can be exchanged.
	CodeLifetime Duration `yaml:"code_lifetime"`
	// IDTokenLifetime and AccessTokenLifetime bound the tokens' validity.
	IDTokenLifetime     Duration `yaml:"id_token_lifetime"`
	AccessTokenLifetime Duration `yaml:"access_token_lifetime"`
	// RefreshTokenLifetime ends a grant whose refresh token goes unused this long.
	RefreshTokenLifetime Duration `yaml:"refresh_token_lifetime"`
	// KeyRotation is how long a signing key signs before its successor takes over.
	KeyRotation Duration `yaml:"key_rotation"`
	// TokenRate is how many token requests per second one client may make
	// (bursts of twice that).
	TokenRate int `yaml:"token_rate"`
	// AuthorizeRate is how many sign-in requests per second one client
	// address may start (bursts of twice that): each is stored until it
	// expires, and anyone may send them.
	AuthorizeRate int `yaml:"authorize_rate"`
}

// Session lifetimes.
type Session struct {
	// Idle ends a session unused for this long (e.g. 72h).
	Idle Duration `yaml:"idle"`
	// Absolute ends a session this long after login (e.g. 720h).
	Absolute Duration `yaml:"absolute"`
}

// Password hashing cost (argon2id).
type Password struct {
	MemoryKiB uint32 `yaml:"memory_kib"`
	Time      uint32 `yaml:"time"`
	Threads   uint8  `yaml:"threads"`
}

// Login failure limits: past them, logins are refused for the window.
type Login struct {
	// PerAccount is how many failed logins one account may take per window.
	PerAccount int `yaml:"per_account"`
	// PerAddress is how many failed logins one client address may make per
	// window, across all accounts.
	PerAddress int `yaml:"per_address"`
	// Window is the period the counts are kept for (e.g. 15m).
	Window Duration `yaml:"window"`
}

// Duration is a time.Duration written as "90s", "15m", "72h".
type Duration time.Duration

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 15m or 72h", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration back as a string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Default returns the configuration with no file, variable or flag.
func Default() Config {
	return Config{
		Listen:   "127.0.0.1:8080",
		URL:      "http://localhost:8080",
		Data:     "./pelote-data",
		LogLevel: "info",
		Session: Session{
			Idle:     Duration(identity.DefaultSessions.Idle),
			Absolute: Duration(identity.DefaultSessions.Absolute),
		},
		Password: Password{
			MemoryKiB: identity.DefaultArgon2.MemoryKiB,
			Time:      identity.DefaultArgon2.Time,
			Threads:   identity.DefaultArgon2.Threads,
		},
		Login: Login{PerAccount: 10, PerAddress: 50, Window: Duration(15 * time.Minute)},
		OIDC: OIDC{
			CodeLifetime:         Duration(time.Minute),
			IDTokenLifetime:      Duration(time.Hour),
			AccessTokenLifetime:  Duration(time.Hour),
			RefreshTokenLifetime: Duration(30 * 24 * time.Hour),
			KeyRotation:          Duration(30 * 24 * time.Hour),
			TokenRate:            1000,
			AuthorizeRate:        2,
		},
		LDAP:         LDAP{BaseDN: "dc=example,dc=org", TLS: "starttls", Applications: []string{"127.0.0.0/8", "::1/128"}},
		Mail:         Mail{Port: 587, TLS: "starttls"},
		Registration: Registration{Mode: identity.RegistrationClosed, PerHour: 30, ProofOfWork: pow.DefaultBits},
		Notify:       defaultNotify(),
		Releases:     Releases{Interval: Duration(DefaultReleaseInterval)},
		Monitor: Monitor{Reminder: Duration(monitor.DefaultPolicy.Remind), Concurrency: 256, PingRate: 10,
			Flapping: Flapping{Changes: monitor.DefaultPolicy.FlapChanges, Window: Duration(monitor.DefaultPolicy.FlapWindow)}},
	}
}

// SecretPath is where the master secret lives.
func (c Config) SecretPath() string {
	if c.SecretFile != "" {
		return c.SecretFile
	}
	return filepath.Join(c.Data, "secret.key")
}

// Argon2 returns the password parameters for identity.
func (c Config) Argon2() identity.Argon2Params {
	return identity.Argon2Params{MemoryKiB: c.Password.MemoryKiB, Time: c.Password.Time, Threads: c.Password.Threads}
}

// Sessions returns the session policy for identity.
func (c Config) Sessions() identity.SessionPolicy {
	return identity.SessionPolicy{Idle: time.Duration(c.Session.Idle), Absolute: time.Duration(c.Session.Absolute)}
}

// Validate checks every value and reports all problems together.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", describe(key), fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port (e.g. 127.0.0.1:8080)", c.Listen)
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("url", "%q is not an absolute http(s) URL without query (e.g. https://id.example.org)", c.URL)
	}
	if c.Data == "" {
		bad("data", "must name a directory")
	}
	if d := c.Database; d != "" && !strings.HasPrefix(d, "postgres://") && !strings.HasPrefix(d, "postgresql://") && !strings.HasPrefix(d, "sqlite://") {
		bad("database", "must be empty (SQLite in the data directory), sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls_cert", "tls_cert and tls_key go together: set both or neither")
	}
	for _, f := range []struct{ key, path string }{{"tls_cert", c.TLSCert}, {"tls_key", c.TLSKey}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				bad(f.key, "cannot read %q: %v", f.path, errors.Unwrap(err))
			}
		}
	}
	for _, f := range []struct {
		key    string
		ranges []string
	}{{"trusted_proxies", c.TrustedProxies}, {"ldap.applications", c.LDAP.Applications}} {
		for _, p := range f.ranges {
			if _, err := ParsePrefix(p); err != nil {
				bad(f.key, "%q is neither an address nor a CIDR range (e.g. 10.0.0.0/8)", p)
			}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "%q must be debug, info, warn or error", c.LogLevel)
	}
	if c.Session.Idle <= 0 || c.Session.Absolute <= 0 {
		bad("session.idle", "session durations must be positive")
	} else if c.Session.Idle > c.Session.Absolute {
		bad("session.idle", "must not exceed session.absolute (%v)", time.Duration(c.Session.Absolute))
	}
	if err := c.Argon2().Validate(); err != nil {
		bad("password.memory_kib", "%v", err)
	}
	if c.Login.PerAccount < 1 || c.Login.PerAddress < 1 {
		bad("login.per_account", "login limits must be at least 1")
	}
	if c.Login.Window <= 0 {
		bad("login.window", "must be a positive duration like 15m")
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{
		{"oidc.code_lifetime", c.OIDC.CodeLifetime}, {"oidc.id_token_lifetime", c.OIDC.IDTokenLifetime},
		{"oidc.access_token_lifetime", c.OIDC.AccessTokenLifetime}, {"oidc.refresh_token_lifetime", c.OIDC.RefreshTokenLifetime},
		{"oidc.key_rotation", c.OIDC.KeyRotation},
	} {
		if d.v <= 0 {
			bad(d.key, "must be a positive duration like 1h")
		}
	}
	if c.OIDC.KeyRotation > 0 && time.Duration(c.OIDC.KeyRotation) < 2*time.Duration(c.OIDC.IDTokenLifetime) {
		bad("oidc.key_rotation", "must be at least twice oidc.id_token_lifetime, so a key is published before it signs")
	}
	if c.OIDC.TokenRate < 1 {
		bad("oidc.token_rate", "must be at least 1 request per second")
	}
	if c.OIDC.AuthorizeRate < 1 {
		bad("oidc.authorize_rate", "must be at least 1 request per second")
	}
	if c.LDAP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.LDAP.Listen); err != nil {
			bad("ldap.listen", "%q is not host:port (e.g. 127.0.0.1:3389)", c.LDAP.Listen)
		}
	}
	if !strings.Contains(c.LDAP.BaseDN, "=") {
		bad("ldap.base_dn", "%q is not a DN (e.g. dc=example,dc=org)", c.LDAP.BaseDN)
	}
	if fa := c.ForwardAuth; len(fa.Rules) > 0 || fa.CookieDomain != "" {
		d := strings.ToLower(strings.TrimPrefix(fa.CookieDomain, "."))
		within := func(host string) bool { return host == d || strings.HasSuffix(host, "."+d) }
		if d == "" || !strings.Contains(d, ".") {
			bad("forward_auth.cookie_domain", "%q must be the domain Pelote and the applications share, e.g. example.org", fa.CookieDomain)
		} else if u, err := url.Parse(c.URL); err == nil && !within(strings.ToLower(u.Hostname())) {
			bad("forward_auth.cookie_domain", "%q does not contain url's host %q: browsers would refuse the cookie", fa.CookieDomain, u.Hostname())
		}
		for host := range c.ForwardRules() {
			if host == "" || strings.ContainsAny(host, "/: ") {
				bad("forward_auth.rules", "%q must be host=group+group, e.g. wiki.example.org=staff", host)
			} else if d != "" && !within(host) {
				bad("forward_auth.rules", "host %q is outside forward_auth.cookie_domain %q", host, d)
			}
		}
	}
	if c.Mail.Host != "" {
		if _, err := mail.ParseAddress(c.Mail.From); err != nil {
			bad("mail.from", "%q is not an address like \"Pelote <id@example.org>\"", c.Mail.From)
		}
	}
	if c.Mail.Port < 1 || c.Mail.Port > 65535 {
		bad("mail.port", "%d is not a port", c.Mail.Port)
	}
	switch c.Mail.TLS {
	case "starttls", "tls", "none":
	default:
		bad("mail.tls", "%q must be starttls, tls or none", c.Mail.TLS)
	}
	switch c.Registration.Mode {
	case identity.RegistrationClosed:
	case identity.RegistrationOpen, identity.RegistrationModerated:
		if c.Mail.Host == "" {
			bad("registration.mode", "%s needs mail.host: sign-ups are confirmed by mail", c.Registration.Mode)
		}
	default:
		bad("registration.mode", "%q must be closed, open or moderated", c.Registration.Mode)
	}
	if t := c.Registration.TermsURL; t != "" {
		if u, err := url.Parse(t); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("registration.terms_url", "%q is not an http(s) address", t)
		}
	}
	if c.Registration.PerHour < 1 {
		bad("registration.per_hour", "must be at least 1 sign-up per hour")
	}
	if c.Registration.ProofOfWork < 0 || c.Registration.ProofOfWork > pow.MaxBits {
		bad("registration.proof_of_work", "%d must be between 0 (off) and %d bits", c.Registration.ProofOfWork, pow.MaxBits)
	}
	switch c.LDAP.TLS {
	case "starttls":
	case "ldaps":
		if c.TLSCert == "" {
			bad("ldap.tls", "ldaps needs tls_cert and tls_key")
		}
	default:
		bad("ldap.tls", "%q must be starttls or ldaps", c.LDAP.TLS)
	}
	if c.LDAP.RequireTLS != nil && *c.LDAP.RequireTLS && c.TLSCert == "" {
		bad("ldap.require_tls", "needs tls_cert and tls_key: without them no client could send a password")
	}
	errs = append(errs, c.validateNotify()...)
	errs = append(errs, c.validateInventory()...)
	errs = append(errs, c.validateMonitor()...)
	return errors.Join(errs...)
}

// LDAPRequireTLS tells whether LDAP binds need an encrypted connection.
// Unless set, they do when a certificate is configured and the listener
// is reachable from the network: on a loopback address a password never
// crosses a network, and the applications on the machine would otherwise
// need a certificate valid for 127.0.0.1.
func (c Config) LDAPRequireTLS() bool {
	if c.LDAP.RequireTLS != nil {
		return *c.LDAP.RequireTLS
	}
	return c.TLSCert != "" && !loopbackListen(c.LDAP.Listen)
}

// loopbackListen reports whether addr (host:port) only listens on a
// loopback address.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// ParsePrefix reads an address (as a single-address range) or a CIDR range.
func ParsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}
