package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"

	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"pelote/internal/heartbeat"
	"pelote/internal/monitor"
)

// Monitor holds the supervision settings besides the checks themselves.
type Monitor struct {
	// Reminder repeats a down message this often while a check stays down
	// (0 never).
	Reminder Duration `yaml:"reminder"`
	// Concurrency bounds the checks running at once.
	Concurrency int `yaml:"concurrency"`
	// MetricsToken, when set, serves /metrics to requests bearing it.
	MetricsToken string `yaml:"metrics_token"`
	// Flapping: Changes changes between up and down within Window make a
	// check flapping.
	Flapping Flapping `yaml:"flapping"`
	// PingRate bounds the pings one heartbeat uuid may send per second.
	PingRate int `yaml:"ping_rate"`
	// Silences are maintenance windows known in advance.
	Silences []SilenceConfig `yaml:"silences"`
}

// Flapping is the flapping detection's threshold.
type Flapping struct {
	Changes int      `yaml:"changes"`
	Window  Duration `yaml:"window"`
}

// SilenceConfig is a maintenance window: a check or a tag, from, until.
type SilenceConfig struct {
	Check  string    `yaml:"check"`
	Tag    string    `yaml:"tag"`
	From   time.Time `yaml:"from"`
	Until  time.Time `yaml:"until"`
	Reason string    `yaml:"reason"`
}

// CheckConfig is one entry of the checks: list.
type CheckConfig struct {
	Name      string   `yaml:"name"`
	Kind      string   `yaml:"kind"`
	Interval  Duration `yaml:"interval"`
	Timeout   Duration `yaml:"timeout"`
	Retries   int      `yaml:"retries"`
	Recovery  int      `yaml:"recovery"`
	Remind    Duration `yaml:"remind"`
	Tags      []string `yaml:"tags"`
	Owner     string   `yaml:"owner"`
	Public    bool     `yaml:"public"`
	DependsOn []string `yaml:"depends_on"`

	HTTP      *HTTPCheck      `yaml:"http"`
	TCP       *TCPCheck       `yaml:"tcp"`
	TLS       *TLSCheck       `yaml:"tls"`
	DNS       *DNSCheck       `yaml:"dns"`
	SMTP      *MailCheck      `yaml:"smtp"`
	IMAP      *MailCheck      `yaml:"imap"`
	Heartbeat *HeartbeatCheck `yaml:"heartbeat"`
	Backup    *BackupCheck    `yaml:"backup"`
}

// HTTPCheck is an http check's settings.
type HTTPCheck struct {
	URL             string            `yaml:"url"`
	Method          string            `yaml:"method"`
	Headers         map[string]string `yaml:"headers"`
	Status          int               `yaml:"status"`
	BodyContains    string            `yaml:"body_contains"`
	BodyRegex       string            `yaml:"body_regex"`
	JSONPath        string            `yaml:"json_path"`
	JSONValue       string            `yaml:"json_value"`
	FollowRedirects bool              `yaml:"follow_redirects"`
	MaxResponseTime Duration          `yaml:"max_response_time"`
	Insecure        bool              `yaml:"insecure"`
	// CAFile holds extra trusted roots (PEM), for a private CA.
	CAFile string `yaml:"ca_file"`
}

// TCPCheck is a tcp check's settings.
type TCPCheck struct {
	Address string `yaml:"address"`
	Banner  string `yaml:"banner"`
}

// TLSCheck is a certificate check's settings.
type TLSCheck struct {
	Address    string `yaml:"address"`
	ServerName string `yaml:"server_name"`
	StartTLS   string `yaml:"starttls"`
	WarnDays   int    `yaml:"warn_days"`
	Insecure   bool   `yaml:"insecure"`
	// CAFile holds extra trusted roots (PEM), for a private CA.
	CAFile string `yaml:"ca_file"`
}

// DNSCheck is a dns check's settings.
type DNSCheck struct {
	Server string   `yaml:"server"`
	Name   string   `yaml:"name"`
	Type   string   `yaml:"type"`
	Expect []string `yaml:"expect"`
}

// MailCheck is an smtp or imap check's settings.
type MailCheck struct {
	Address    string `yaml:"address"`
	TLS        string `yaml:"tls"`
	ServerName string `yaml:"server_name"`
	Insecure   bool   `yaml:"insecure"`
	Username   string `yaml:"username"`
	// PasswordFile holds the login's password: never in the file itself.
	PasswordFile string `yaml:"password_file"`
}

// HeartbeatCheck is a heartbeat's schedule.
type HeartbeatCheck struct {
	UUID       string   `yaml:"uuid"`
	Period     Duration `yaml:"period"`
	Cron       string   `yaml:"cron"`
	TZ         string   `yaml:"tz"`
	Grace      Duration `yaml:"grace"`
	MaxRuntime Duration `yaml:"max_runtime"`
	MinRuntime Duration `yaml:"min_runtime"`
}

// BackupCheck is a backup check's settings.
type BackupCheck struct {
	Tool           string   `yaml:"tool"`
	Repository     string   `yaml:"repository"`
	PassphraseFile string   `yaml:"passphrase_file"`
	MaxAge         Duration `yaml:"max_age"`
	Binary         string   `yaml:"binary"`
}

// lines locates the checks in the YAML file, for error messages: the file
// and, per check, its line and the line of each of its keys (dotted).
type lines struct {
	file   string
	checks []map[string]int
}

// locate records where each check and key stands in the file.
func (l *lines) locate(file string, b []byte) {
	l.file = file
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "checks" || root.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range root.Content[i+1].Content {
			m := map[string]int{"": item.Line}
			var walk func(prefix string, n *yaml.Node)
			walk = func(prefix string, n *yaml.Node) {
				if n.Kind != yaml.MappingNode {
					return
				}
				for j := 0; j+1 < len(n.Content); j += 2 {
					k := prefix + n.Content[j].Value
					m[k] = n.Content[j].Line
					walk(k+".", n.Content[j+1])
				}
			}
			walk("", item)
			l.checks = append(l.checks, m)
		}
	}
}

// where names check i's key for an error: "FILE:LINE: checks[i]".
func (l *lines) where(i int, key string) string {
	if i < len(l.checks) {
		m := l.checks[i]
		line, ok := m[key]
		for !ok && strings.Contains(key, ".") {
			key = key[:strings.LastIndex(key, ".")]
			line, ok = m[key]
		}
		if !ok {
			line = m[""]
		}
		return fmt.Sprintf("%s:%d: checks[%d]", l.file, line, i)
	}
	return fmt.Sprintf("checks[%d]", i)
}

// MonitorPolicy is the state machine's rules.
func (c Config) MonitorPolicy() monitor.Policy {
	return monitor.Policy{Remind: time.Duration(c.Monitor.Reminder), FlapChanges: c.Monitor.Flapping.Changes, FlapWindow: time.Duration(c.Monitor.Flapping.Window)}
}

// MonitorSilences are the configured maintenance windows.
func (c Config) MonitorSilences() []monitor.Silence {
	var out []monitor.Silence
	for _, s := range c.Monitor.Silences {
		out = append(out, monitor.Silence{Check: s.Check, Tag: s.Tag, Start: s.From, End: s.Until, Reason: s.Reason, FromConfig: true})
	}
	return out
}

// MonitorChecks turns the checks: section into checks, reading the
// secret files they name. Errors name the file's line.
func (c Config) MonitorChecks() ([]monitor.Check, error) {
	var out []monitor.Check
	var errs []error
	var at []int // at[j] is the entry out[j] comes from
	for i, cc := range c.Checks {
		mc, err := cc.check()
		if err != nil {
			var fe *fileError
			if errors.As(err, &fe) {
				errs = append(errs, fmt.Errorf("%s (%s): %s: %v", c.lines.where(i, fe.key), cc.Name, fe.key, fe.err))
			}
			continue
		}
		out = append(out, mc)
		at = append(at, i)
	}
	if err := monitor.ValidateSet(out); err != nil {
		for _, e := range flattenErrs(err) {
			var fe *monitor.FieldError
			if errors.As(e, &fe) {
				i := at[fe.Index]
				errs = append(errs, fmt.Errorf("%s (%s): %s: %s", c.lines.where(i, fe.Field), fe.Check, fe.Field, fe.Reason))
			} else {
				errs = append(errs, e)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func flattenErrs(err error) []error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, flattenErrs(e)...)
		}
		return out
	}
	return []error{err}
}

// fileError is a setting naming a file that cannot be read, or a value
// that cannot be parsed.
type fileError struct {
	key string
	err error
}

func (e *fileError) Error() string { return e.key + ": " + e.err.Error() }

func readSecret(key, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", &fileError{key: key, err: fmt.Errorf("cannot read %q: %v", path, errors.Unwrap(err))}
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// check converts one entry; defaults are filled in.
func (cc CheckConfig) check() (monitor.Check, error) {
	c := monitor.Check{
		Name: cc.Name, Kind: monitor.Kind(cc.Kind), Interval: time.Duration(cc.Interval), Timeout: time.Duration(cc.Timeout),
		Retries: cc.Retries, Recovery: cc.Recovery, Remind: time.Duration(cc.Remind), Tags: cc.Tags, Owner: cc.Owner,
		Public: cc.Public, DependsOn: cc.DependsOn,
	}
	if h := cc.HTTP; h != nil {
		c.HTTP = &monitor.HTTPSpec{URL: h.URL, Method: strings.ToUpper(h.Method), Headers: h.Headers, Status: h.Status,
			BodyContains: h.BodyContains, JSONPath: h.JSONPath, JSONValue: h.JSONValue, FollowRedirects: h.FollowRedirects,
			MaxResponseTime: time.Duration(h.MaxResponseTime), Insecure: h.Insecure}
		if h.CAFile != "" {
			pem, err := readSecret("http.ca_file", h.CAFile)
			if err != nil {
				return c, err
			}
			c.HTTP.RootCAs = []byte(pem)
		}
		if h.BodyRegex != "" {
			re, err := regexp.Compile(h.BodyRegex)
			if err != nil {
				return c, &fileError{key: "http.body_regex", err: fmt.Errorf("%q is not a regular expression: %v", h.BodyRegex, err)}
			}
			c.HTTP.BodyRegex = re
		}
	}
	if t := cc.TCP; t != nil {
		c.TCP = &monitor.TCPSpec{Address: t.Address, Banner: t.Banner}
	}
	if t := cc.TLS; t != nil {
		c.TLS = &monitor.TLSSpec{Address: t.Address, ServerName: t.ServerName, StartTLS: strings.ToLower(t.StartTLS), WarnDays: t.WarnDays, Insecure: t.Insecure}
		if t.CAFile != "" {
			pem, err := readSecret("tls.ca_file", t.CAFile)
			if err != nil {
				return c, err
			}
			c.TLS.RootCAs = []byte(pem)
		}
	}
	if d := cc.DNS; d != nil {
		c.DNS = &monitor.DNSSpec{Server: d.Server, Name: d.Name, Type: strings.ToUpper(d.Type), Expect: d.Expect}
	}
	for _, m := range []struct {
		key string
		mc  *MailCheck
	}{{"smtp", cc.SMTP}, {"imap", cc.IMAP}} {
		if m.mc == nil {
			continue
		}
		pw, err := readSecret(m.key+".password_file", m.mc.PasswordFile)
		if err != nil {
			return c, err
		}
		if c.Mail != nil {
			return c, &fileError{key: m.key, err: errors.New("a check has the settings of one kind only")}
		}
		c.Mail = &monitor.MailSpec{Address: m.mc.Address, TLS: m.mc.TLS, ServerName: m.mc.ServerName, Insecure: m.mc.Insecure,
			Username: m.mc.Username, Password: pw}
		if string(c.Kind) != m.key {
			return c, &fileError{key: m.key, err: fmt.Errorf("%s: settings on a %s check", m.key, cc.Kind)}
		}
	}
	if h := cc.Heartbeat; h != nil {
		tz := h.TZ
		if tz == "" {
			tz = "UTC"
		}
		c.Heartbeat = &heartbeat.Spec{UUID: strings.ToLower(h.UUID), Period: time.Duration(h.Period), Cron: h.Cron, TZ: tz,
			Grace: time.Duration(h.Grace), MaxRuntime: time.Duration(h.MaxRuntime), MinRuntime: time.Duration(h.MinRuntime)}
	}
	if b := cc.Backup; b != nil {
		pass, err := readSecret("backup.passphrase_file", b.PassphraseFile)
		if err != nil {
			return c, err
		}
		c.Backup = &monitor.BackupSpec{Tool: b.Tool, Repository: b.Repository, Passphrase: pass, MaxAge: time.Duration(b.MaxAge), Binary: b.Binary}
	}
	return c.WithDefaults(), nil
}

// validateMonitor checks the monitor: and checks: sections.
func (c Config) validateMonitor() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", describe(key), fmt.Sprintf(format, args...)))
	}
	if c.Monitor.Reminder < 0 {
		bad("monitor.reminder", "must not be negative (0: no reminders)")
	}
	if c.Monitor.Concurrency < 1 || c.Monitor.Concurrency > 4096 {
		bad("monitor.concurrency", "%d must be between 1 and 4096", c.Monitor.Concurrency)
	}
	if t := c.Monitor.MetricsToken; t != "" && len(t) < 16 {
		bad("monitor.metrics_token", "must be at least 16 characters (e.g. from openssl rand -hex 32)")
	}
	if c.Monitor.PingRate < 1 {
		bad("monitor.ping_rate", "must be at least 1 ping per second")
	}
	if f := c.Monitor.Flapping; f.Changes < 0 || (f.Changes > 0 && f.Window <= 0) {
		bad("monitor.flapping", "changes must not be negative, and window positive")
	}
	for i, s := range c.Monitor.Silences {
		if (s.Check == "") == (s.Tag == "") || !s.Until.After(s.From) {
			bad("monitor.silences", "silence %d: name a check or a tag, with from before until (RFC 3339 times)", i+1)
		}
	}
	if _, err := c.MonitorChecks(); err != nil {
		errs = append(errs, flattenErrs(err)...)
	}
	return errs
}
