package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"pelote/internal/identity"
)

// key is one setting reachable from the environment and the command line.
type key struct {
	name string // as in the YAML file, dotted for nested keys
	help string
	set  func(c *Config, v string) error
}

func (k key) env() string {
	return "PELOTE_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(k.name))
}
func (k key) flag() string { return FlagName(k.name) }

func str[T ~string](p func(*Config) *T) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = T(v); return nil }
}

// list reads a comma-separated value; blanks around the items and empty
// items are dropped.
func list(p func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*p(c) = nil
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*p(c) = append(*p(c), item)
			}
		}
		return nil
	}
}

func dur(p func(*Config) *Duration) func(*Config, string) error {
	return func(c *Config, v string) error { return p(c).UnmarshalText([]byte(v)) }
}

func integer[T ~int | ~uint32 | ~uint8](p func(*Config) *T) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*p(c) = T(n)
		if uint64(*p(c)) != n {
			return fmt.Errorf("%q is too large", v)
		}
		return nil
	}
}

var keys = []key{
	{name: "data", help: "data directory (SQLite database, local secrets)", set: str(func(c *Config) *string { return &c.Data })},
	{name: "database", help: "database URL: empty for SQLite in the data directory, or postgres://…", set: str(func(c *Config) *string { return &c.Database })},
	{name: "listen", help: "address of the web server", set: str(func(c *Config) *string { return &c.Listen })},
	{name: "url", help: "public base URL", set: str(func(c *Config) *string { return &c.URL })},
	{name: "tls_cert", help: "PEM certificate to serve HTTPS directly", set: str(func(c *Config) *string { return &c.TLSCert })},
	{name: "tls_key", help: "PEM private key to serve HTTPS directly", set: str(func(c *Config) *string { return &c.TLSKey })},
	{name: "trusted_proxies", help: "comma-separated addresses or CIDR ranges of reverse proxies", set: list(func(c *Config) *[]string { return &c.TrustedProxies })},
	{name: "log_level", help: "debug, info, warn or error", set: str(func(c *Config) *string { return &c.LogLevel })},
	{name: "session.idle", help: "end sessions unused for this long", set: dur(func(c *Config) *Duration { return &c.Session.Idle })},
	{name: "session.absolute", help: "end sessions this long after login", set: dur(func(c *Config) *Duration { return &c.Session.Absolute })},
	{name: "password.memory_kib", help: "argon2id memory cost in KiB", set: integer(func(c *Config) *uint32 { return &c.Password.MemoryKiB })},
	{name: "password.time", help: "argon2id passes", set: integer(func(c *Config) *uint32 { return &c.Password.Time })},
	{name: "password.threads", help: "argon2id lanes", set: integer(func(c *Config) *uint8 { return &c.Password.Threads })},
	{name: "login.per_account", help: "failed logins allowed per account per window", set: integer(func(c *Config) *int { return &c.Login.PerAccount })},
	{name: "login.per_address", help: "failed logins allowed per client address per window", set: integer(func(c *Config) *int { return &c.Login.PerAddress })},
	{name: "login.window", help: "period of the login limits", set: dur(func(c *Config) *Duration { return &c.Login.Window })},
	{name: "secret_file", help: "master secret file (default: secret.key in the data directory)", set: str(func(c *Config) *string { return &c.SecretFile })},
	{name: "oidc.code_lifetime", help: "how long an authorization code stays valid", set: dur(func(c *Config) *Duration { return &c.OIDC.CodeLifetime })},
	{name: "oidc.id_token_lifetime", help: "ID token validity", set: dur(func(c *Config) *Duration { return &c.OIDC.IDTokenLifetime })},
	{name: "oidc.access_token_lifetime", help: "access token validity", set: dur(func(c *Config) *Duration { return &c.OIDC.AccessTokenLifetime })},
	{name: "oidc.refresh_token_lifetime", help: "a grant ends when its refresh token is unused this long", set: dur(func(c *Config) *Duration { return &c.OIDC.RefreshTokenLifetime })},
	{name: "oidc.key_rotation", help: "how long a signing key signs before its successor", set: dur(func(c *Config) *Duration { return &c.OIDC.KeyRotation })},
	{name: "ldap.listen", help: "address of the LDAP listener (empty: no LDAP)", set: str(func(c *Config) *string { return &c.LDAP.Listen })},
	{name: "ldap.base_dn", help: "base DN of the directory", set: str(func(c *Config) *string { return &c.LDAP.BaseDN })},
	{name: "ldap.profile_services", help: "comma-separated services whose profiles get an ou=SERVICE subtree", set: list(func(c *Config) *[]string { return &c.LDAP.ProfileServices })},
	{name: "ldap.applications", help: "comma-separated addresses or CIDR ranges of applications binding for their users: their failed binds count per account only (default: loopback)", set: list(func(c *Config) *[]string { return &c.LDAP.Applications })},
	{name: "ldap.tls", help: "starttls or ldaps", set: str(func(c *Config) *string { return &c.LDAP.TLS })},
	{name: "ldap.allow_anonymous", help: "let unbound LDAP clients read people and groups (true or false)", set: func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		c.LDAP.AllowAnonymous = b
		return nil
	}},
	{name: "ldap.require_tls", help: "refuse LDAP binds with a password before StartTLS or without LDAPS (true or false; default: true with tls_cert unless ldap.listen is a loopback address)", set: func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		c.LDAP.RequireTLS = &b
		return nil
	}},
	{name: "forward_auth.cookie_domain", help: "domain shared by Pelote and the applications behind forward-auth", set: str(func(c *Config) *string { return &c.ForwardAuth.CookieDomain })},
	{name: "forward_auth.rules", help: "comma-separated host=group+group rules for /auth/forward", set: func(c *Config, v string) error {
		c.ForwardAuth.Rules = nil
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				c.ForwardAuth.Rules = append(c.ForwardAuth.Rules, r)
			}
		}
		return nil
	}},
	{name: "mail.host", help: "SMTP server for outgoing mail (empty: no mail)", set: str(func(c *Config) *string { return &c.Mail.Host })},
	{name: "mail.port", help: "SMTP port (587 with starttls, 465 with tls)", set: integer(func(c *Config) *int { return &c.Mail.Port })},
	{name: "mail.tls", help: "starttls, tls or none (a local relay)", set: str(func(c *Config) *string { return &c.Mail.TLS })},
	{name: "mail.username", help: "SMTP login", set: str(func(c *Config) *string { return &c.Mail.Username })},
	{name: "mail.password", help: "SMTP password (prefer PELOTE_MAIL_PASSWORD_FILE)", set: str(func(c *Config) *string { return &c.Mail.Password })},
	{name: "mail.from", help: "sender, e.g. \"Pelote <id@example.org>\"", set: str(func(c *Config) *string { return &c.Mail.From })},
	{name: "registration.mode", help: "who may create an account: closed (admins and invitations), open (with e-mail confirmation) or moderated (then an admin approves)", set: str(func(c *Config) *identity.Registration { return &c.Registration.Mode })},
	{name: "registration.per_hour", help: "sign-ups taken per hour across all addresses", set: integer(func(c *Config) *int { return &c.Registration.PerHour })},
	{name: "registration.proof_of_work", help: "anti-robot difficulty of the sign-up and reset forms in bits (0: off)", set: integer(func(c *Config) *int { return &c.Registration.ProofOfWork })},
	{name: "registration.terms_url", help: "the hoster's terms of service, accepted at sign-up and linked from every page", set: str(func(c *Config) *string { return &c.Registration.TermsURL })},
	{name: "notify.language", help: "operators' language in notifications: en, fr, de or nl", set: str(func(c *Config) *string { return &c.Notify.Language })},
	{name: "notify.outbox.expiry", help: "how long a notification is tried before it fails for good", set: dur(func(c *Config) *Duration { return &c.Notify.Outbox.Expiry })},
	{name: "notify.alertmanager.token", help: "bearer token of POST /api/alertmanager (prefer PELOTE_NOTIFY_ALERTMANAGER_TOKEN_FILE; empty: off)", set: str(func(c *Config) *string { return &c.Notify.Alertmanager.Token })},
	{name: "inventory_dir", help: "directory of YAML files describing the organisation, machines and services", set: str(func(c *Config) *string { return &c.InventoryDir })},
	{name: "releases.interval", help: "time between two polls of the upstream forges (0: off)", set: dur(func(c *Config) *Duration { return &c.Releases.Interval })},
	{name: "monitor.reminder", help: "repeat a down message this often while a check stays down (0: never)", set: dur(func(c *Config) *Duration { return &c.Monitor.Reminder })},
	{name: "monitor.concurrency", help: "checks running at once", set: integer(func(c *Config) *int { return &c.Monitor.Concurrency })},
	{name: "monitor.metrics_token", help: "bearer token that opens /metrics (prefer PELOTE_MONITOR_METRICS_TOKEN_FILE; empty: no /metrics)", set: str(func(c *Config) *string { return &c.Monitor.MetricsToken })},
	{name: "monitor.ping_rate", help: "pings per second allowed per heartbeat", set: integer(func(c *Config) *int { return &c.Monitor.PingRate })},
	{name: "oidc.token_rate", help: "token requests per second allowed per client", set: integer(func(c *Config) *int { return &c.OIDC.TokenRate })},
	{name: "oidc.authorize_rate", help: "sign-in requests per second one client address may start", set: integer(func(c *Config) *int { return &c.OIDC.AuthorizeRate })},
}

// describe names a key the three ways a person can set it.
func describe(name string) string {
	for _, k := range keys {
		if k.name == name {
			return fmt.Sprintf("%s (%s, --%s)", k.name, k.env(), k.flag())
		}
	}
	return name
}

// Flags binds the configuration flags of a verb to fs: the global ones for
// every verb, and the keys the verb names. Call Load with the result after
// parsing.
type Flags struct {
	fs   *flag.FlagSet
	file *string
}

// Global are the settings every verb takes as flags (--config besides):
// where the data is and how much to log. The others come from the file and
// the environment, and as flags only to the verbs that use them.
var Global = []string{"data", "database", "log_level"}

// AllKeys names every setting, for serve.
func AllKeys() []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.name
	}
	return out
}

// FlagName is a setting's flag: log_level is --log-level.
func FlagName(key string) string { return strings.NewReplacer(".", "-", "_", "-").Replace(key) }

// BindFlags registers --config, the global flags and the flags of the
// settings named on fs. A name that is no setting is a mistake of the
// caller's: it panics.
func BindFlags(fs *flag.FlagSet, names ...string) *Flags {
	f := &Flags{fs: fs, file: fs.String("config", "", "YAML configuration file (or PELOTE_CONFIG)")}
	want := map[string]bool{}
	for _, n := range append(slices.Clone(Global), names...) {
		want[n] = true
	}
	for _, k := range keys {
		if want[k.name] {
			fs.String(k.flag(), "", k.help+" ("+k.env()+")")
			delete(want, k.name)
		}
	}
	for n := range want {
		panic(fmt.Sprintf("config: no setting %q to bind as a flag", n))
	}
	return f
}

// Load builds the configuration from defaults, the file, env (as from
// os.Environ) and the flags that were set, then validates it.
func (f *Flags) Load(env []string) (Config, error) {
	set := map[string]string{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = fl.Value.String() })
	return load(*f.file, env, set)
}

func load(file string, env []string, flags map[string]string) (Config, error) {
	c := Default()
	vars, err := environ(env)
	if err != nil {
		return c, err
	}
	if file == "" {
		file = vars["PELOTE_CONFIG"]
	}
	if file != "" {
		if err := readFile(&c, file); err != nil {
			return c, err
		}
		c.file = file
	}
	var errs []error
	for _, k := range keys {
		if v, ok := vars[k.env()]; ok {
			if err := k.set(&c, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", describe(k.name), err))
			}
		}
	}
	for _, k := range keys {
		if v, ok := flags[k.flag()]; ok {
			if err := k.set(&c, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", describe(k.name), err))
			}
		}
	}
	if err := errors.Join(append(errs, c.Validate())...); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if err := c.parse(); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// environ keeps the PELOTE_* variables, resolves PELOTE_X_FILE (a secret in
// a file, as container secrets are mounted) and refuses unknown names: a
// typo in PELOTE_DATABASE must not silently start on SQLite.
func environ(env []string) (map[string]string, error) {
	known := map[string]bool{"PELOTE_CONFIG": true}
	for _, k := range keys {
		known[k.env()] = true
	}
	vars := map[string]string{}
	var unknown []string
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "PELOTE_") || strings.HasPrefix(name, "PELOTE_TEST_") {
			continue
		}
		if base, ok := strings.CutSuffix(name, "_FILE"); ok && known[base] {
			b, err := os.ReadFile(value)
			if err != nil {
				return nil, fmt.Errorf("config: %s: cannot read %q: %v", name, value, errors.Unwrap(err))
			}
			vars[base] = strings.TrimRight(string(b), "\r\n")
			continue
		}
		if !known[name] {
			unknown = append(unknown, name)
			continue
		}
		if _, fromFile := vars[name]; !fromFile {
			vars[name] = value
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config: unknown environment variable %s (see the configuration reference in README.md)", strings.Join(unknown, ", "))
	}
	return vars, nil
}

// readFile decodes the YAML file over c, refusing unknown keys.
func readFile(c *Config, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: cannot read %s: %v (check --config)", path, errors.Unwrap(err))
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config: %s: %s (keys are listed in the configuration reference in README.md)", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	c.lines.locate(path, b)
	return nil
}
