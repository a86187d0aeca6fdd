package monitor

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"pelote/internal/heartbeat"
)

// Kind is what a check probes.
type Kind string

// Kinds of check.
const (
	KindHTTP      Kind = "http"
	KindTCP       Kind = "tcp"
	KindTLS       Kind = "tls"
	KindDNS       Kind = "dns"
	KindSMTP      Kind = "smtp"
	KindIMAP      Kind = "imap"
	KindHeartbeat Kind = "heartbeat"
	KindBackup    Kind = "backup"
)

// Kinds lists every kind, for error messages.
var Kinds = []Kind{KindHTTP, KindTCP, KindTLS, KindDNS, KindSMTP, KindIMAP, KindHeartbeat, KindBackup}

// Defaults of a check's timing.
const (
	DefaultInterval = time.Minute
	DefaultTimeout  = 10 * time.Second
	DefaultRetries  = 2
	DefaultRecovery = 1
	// DefaultHeartbeatInterval is how often a heartbeat's deadline is
	// looked at: a missed or failed run is told within it.
	DefaultHeartbeatInterval = 30 * time.Second
)

// Check is one supervised thing, as the configuration describes it.
type Check struct {
	Name string
	Kind Kind
	// Interval between two runs; Timeout bounds one run.
	Interval, Timeout time.Duration
	// Retries is how many consecutive failures make the check down;
	// Recovery how many consecutive successes make it up again.
	Retries, Recovery int
	// Remind repeats the down message this often while the check stays
	// down; 0 uses the engine's default, negative never reminds.
	Remind time.Duration
	Tags   []string
	// Owner is the group of accounts responsible for the check.
	Owner string
	// Public shows the check on /status.
	Public bool
	// DependsOn names checks that, when down, block this one.
	DependsOn []string

	HTTP      *HTTPSpec
	TCP       *TCPSpec
	TLS       *TLSSpec
	DNS       *DNSSpec
	Mail      *MailSpec // smtp and imap
	Heartbeat *heartbeat.Spec
	Backup    *BackupSpec
}

// HTTPSpec is an http check.
type HTTPSpec struct {
	URL     string
	Method  string
	Headers map[string]string
	// Status is the expected status; 0 accepts any 2xx.
	Status int
	// BodyContains, BodyRegex and JSONPath/JSONValue test the body.
	BodyContains string
	BodyRegex    *regexp.Regexp
	// JSONPath is a dotted path (items.0.state) whose value, as text,
	// must equal JSONValue.
	JSONPath, JSONValue string
	FollowRedirects     bool
	// MaxResponseTime fails a slower answer; 0 for no bound.
	MaxResponseTime time.Duration
	// Insecure skips TLS verification.
	Insecure bool
	// RootCAs are PEM roots trusted besides the system's (a private CA).
	RootCAs []byte
}

// TCPSpec is a tcp check: connect, optionally read a banner.
type TCPSpec struct {
	Address string
	// Banner must appear in the first line the server sends.
	Banner string
}

// STARTTLS protocols a tls check speaks before the handshake.
const (
	StartTLSNone = ""
	StartTLSSMTP = "smtp"
	StartTLSIMAP = "imap"
	StartTLSPOP3 = "pop3"
	StartTLSLDAP = "ldap"
	StartTLSXMPP = "xmpp"
)

// TLSSpec is a certificate check.
type TLSSpec struct {
	Address string
	// ServerName is the name verified against the certificate; empty uses
	// the address's host.
	ServerName string
	// StartTLS is empty for TLS from the first byte, or the protocol.
	StartTLS string
	// WarnDays fails the check this many days before expiry.
	WarnDays int
	// Insecure skips chain and hostname verification (expiry is still read).
	Insecure bool
	// RootCAs are PEM files of extra trusted roots (a private CA).
	RootCAs []byte
}

// DNSSpec is a dns check.
type DNSSpec struct {
	// Server is the resolver's host:port.
	Server string
	Name   string
	// Type is A, AAAA, CNAME, MX, TXT, NS, SRV, CAA, PTR or SOA.
	Type string
	// Expect lists values that must all be in the answer; empty requires
	// an answer only.
	Expect []string
}

// MailSpec is an smtp or imap check.
type MailSpec struct {
	Address string
	// TLS is "starttls", "tls" (implicit) or "none".
	TLS        string
	ServerName string
	Insecure   bool
	// Username and Password, when set, log in (Password read from a file
	// by the configuration).
	Username, Password string
}

// BackupSpec is a backup check.
type BackupSpec struct {
	// Tool is borg or restic.
	Tool       string
	Repository string
	// Passphrase is the repository's, read from a file by the
	// configuration.
	Passphrase string
	// MaxAge fails the check when the newest archive is older.
	MaxAge time.Duration
	// Binary overrides the program's path (borg, restic).
	Binary string
}

// FieldError is an invalid setting of a check: Field names the key.
type FieldError struct {
	Check, Field, Reason string
	// Index is the check's position in the set ValidateSet was given.
	Index int
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("check %q: %s: %s", e.Check, e.Field, e.Reason)
}

// WithDefaults fills unset timings.
func (c Check) WithDefaults() Check {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
		if c.Kind == KindHeartbeat {
			c.Interval = DefaultHeartbeatInterval
		}
	}
	if c.Timeout == 0 {
		c.Timeout = min(DefaultTimeout, c.Interval)
		if c.Kind == KindBackup {
			c.Timeout = min(2*time.Minute, c.Interval)
		}
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
		if c.Kind == KindHeartbeat || c.Kind == KindBackup {
			// A failed or missed run is a fact, not a network hiccup:
			// say it at once.
			c.Retries = 1
		}
	}
	if c.Recovery == 0 {
		c.Recovery = DefaultRecovery
	}
	if c.HTTP != nil && c.HTTP.Method == "" {
		c.HTTP.Method = "GET"
	}
	if c.Mail != nil && c.Mail.TLS == "" {
		c.Mail.TLS = "starttls"
	}
	if c.TLS != nil && c.TLS.WarnDays == 0 {
		c.TLS.WarnDays = 14
	}
	return c
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Validate reports every invalid setting, each as a *FieldError.
func (c Check) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Check: c.Name, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if !validName.MatchString(c.Name) {
		bad("name", "%q must be 1 to 63 lower-case letters, digits, '.', '_' or '-'", c.Name)
	}
	if !slices.Contains(Kinds, c.Kind) {
		bad("kind", "%q is not a kind of check (one of %s)", c.Kind, kindList())
		return errors.Join(errs...)
	}
	if c.Interval < time.Second {
		bad("interval", "must be at least 1s")
	}
	if c.Timeout <= 0 || c.Timeout > c.Interval {
		bad("timeout", "must be positive and at most the interval (%v)", c.Interval)
	}
	if c.Retries < 1 || c.Retries > 100 {
		bad("retries", "must be between 1 and 100")
	}
	if c.Recovery < 1 || c.Recovery > 100 {
		bad("recovery", "must be between 1 and 100")
	}
	for _, d := range c.DependsOn {
		if d == c.Name {
			bad("depends_on", "a check cannot depend on itself")
		}
	}
	specs := 0
	for _, set := range []bool{c.HTTP != nil, c.TCP != nil, c.TLS != nil, c.DNS != nil, c.Mail != nil, c.Heartbeat != nil, c.Backup != nil} {
		if set {
			specs++
		}
	}
	if specs > 1 {
		bad(string(c.Kind), "a check has the settings of one kind only")
	}
	need := func(ok bool) bool {
		if !ok {
			bad(string(c.Kind), "a %s check needs its %s: settings", c.Kind, c.Kind)
		}
		return ok
	}
	switch c.Kind {
	case KindHTTP:
		if need(c.HTTP != nil) {
			u, err := url.Parse(c.HTTP.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("http.url", "%q is not an http(s) URL", c.HTTP.URL)
			}
			if c.HTTP.Status != 0 && (c.HTTP.Status < 100 || c.HTTP.Status > 599) {
				bad("http.status", "%d is not an HTTP status", c.HTTP.Status)
			}
			if (c.HTTP.JSONPath == "") != (c.HTTP.JSONValue == "") {
				bad("http.json_path", "json_path and json_value go together")
			}
		}
	case KindTCP:
		if need(c.TCP != nil) {
			checkAddr(bad, "tcp.address", c.TCP.Address)
		}
	case KindTLS:
		if need(c.TLS != nil) {
			checkAddr(bad, "tls.address", c.TLS.Address)
			switch c.TLS.StartTLS {
			case StartTLSNone, StartTLSSMTP, StartTLSIMAP, StartTLSPOP3, StartTLSLDAP, StartTLSXMPP:
			default:
				bad("tls.starttls", "%q must be empty, smtp, imap, pop3, ldap or xmpp", c.TLS.StartTLS)
			}
			if c.TLS.WarnDays < 0 {
				bad("tls.warn_days", "must not be negative")
			}
		}
	case KindDNS:
		if need(c.DNS != nil) {
			checkAddr(bad, "dns.server", c.DNS.Server)
			if c.DNS.Name == "" {
				bad("dns.name", "must name the record to look up")
			}
			if _, ok := dnsTypes[strings.ToUpper(c.DNS.Type)]; !ok {
				bad("dns.type", "%q is not a supported record type (A, AAAA, CNAME, MX, NS, TXT, SRV, CAA, PTR, SOA)", c.DNS.Type)
			}
		}
	case KindSMTP, KindIMAP:
		if need(c.Mail != nil) {
			field := string(c.Kind)
			checkAddr(bad, field+".address", c.Mail.Address)
			switch c.Mail.TLS {
			case "starttls", "tls", "none":
			default:
				bad(field+".tls", "%q must be starttls, tls or none", c.Mail.TLS)
			}
			if c.Mail.Username != "" && c.Mail.Password == "" {
				bad(field+".password_file", "a login needs a password")
			}
			if c.Mail.Username != "" && c.Mail.TLS == "none" {
				bad(field+".tls", "a login is never sent in clear: use starttls or tls")
			}
		}
	case KindHeartbeat:
		if need(c.Heartbeat != nil) {
			for _, err := range heartbeat.FieldErrors(*c.Heartbeat) {
				bad("heartbeat."+err.Field, "%s", err.Reason)
			}
		}
	case KindBackup:
		if need(c.Backup != nil) {
			if c.Backup.Tool != "borg" && c.Backup.Tool != "restic" {
				bad("backup.tool", "%q must be borg or restic", c.Backup.Tool)
			}
			if c.Backup.Repository == "" {
				bad("backup.repository", "must name the repository")
			}
			if c.Backup.MaxAge <= 0 {
				bad("backup.max_age", "must be a positive duration like 26h")
			}
		}
	}
	return errors.Join(errs...)
}

func checkAddr(bad func(string, string, ...any), field, addr string) {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		bad(field, "%q is not host:port", addr)
	}
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// ValidateSet checks a whole configuration: each check, unique names,
// dependencies that exist and do not loop, unique heartbeat uuids.
func ValidateSet(checks []Check) error {
	var errs []error
	byName := map[string]Check{}
	index := map[string]int{}
	uuids := map[string]string{}
	for i, c := range checks {
		if err := c.Validate(); err != nil {
			for _, e := range unjoin(err) {
				if fe, ok := e.(*FieldError); ok {
					fe.Index = i
				}
				errs = append(errs, e)
			}
		}
		if _, dup := byName[c.Name]; dup {
			errs = append(errs, &FieldError{Check: c.Name, Field: "name", Reason: "another check has this name", Index: i})
		} else {
			index[c.Name] = i
		}
		byName[c.Name] = c
		if c.Heartbeat != nil && c.Heartbeat.UUID != "" {
			if other, dup := uuids[c.Heartbeat.UUID]; dup {
				errs = append(errs, &FieldError{Check: c.Name, Field: "heartbeat.uuid", Reason: fmt.Sprintf("check %q has the same uuid", other), Index: i})
			}
			uuids[c.Heartbeat.UUID] = c.Name
		}
	}
	for i, c := range checks {
		for _, d := range c.DependsOn {
			if _, ok := byName[d]; !ok && d != c.Name {
				errs = append(errs, &FieldError{Check: c.Name, Field: "depends_on", Reason: fmt.Sprintf("no check is called %q", d), Index: i})
			}
		}
	}
	// A loop of dependencies would block its checks for ever.
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, path []string) bool
	visit = func(n string, path []string) bool {
		switch state[n] {
		case 1:
			errs = append(errs, &FieldError{Check: n, Field: "depends_on", Reason: "dependencies loop: " + strings.Join(append(path, n), " → "), Index: index[n]})
			return false
		case 2:
			return true
		}
		state[n] = 1
		for _, d := range byName[n].DependsOn {
			if _, ok := byName[d]; ok && d != n && !visit(d, append(path, n)) {
				state[n] = 2
				return false
			}
		}
		state[n] = 2
		return true
	}
	for _, c := range checks {
		visit(c.Name, nil)
	}
	return errors.Join(errs...)
}

// unjoin splits an errors.Join result.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
