package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"pelote/internal/i18n"
	"pelote/internal/notify"
)

// Notify is the notifications section: where operators hear of checks,
// heartbeats and alerts (channels), which messages go where (routes), and
// how long the outbox keeps trying. It is reloaded on SIGHUP.
type Notify struct {
	// Language is the operators' language for Pelote's own words in
	// notifications: en, fr, de or nl.
	Language string `yaml:"language"`
	// Channels are the destinations, each with a name and a kind.
	Channels []notify.ChannelConfig `yaml:"channels"`
	// Routes send messages to channels by tag, source and severity.
	Routes []notify.Route `yaml:"routes"`
	// Default are the channels of the messages no route matches.
	Default []string `yaml:"default"`
	// Outbox sets retries and expiry.
	Outbox NotifyOutbox `yaml:"outbox"`
	// Alertmanager sets POST /api/alertmanager.
	Alertmanager NotifyAlertmanager `yaml:"alertmanager"`
}

// NotifyOutbox is how long, and how often, a delivery is tried.
type NotifyOutbox struct {
	// Expiry is how long a delivery is tried before it fails for good.
	Expiry Duration `yaml:"expiry"`
	// MinBackoff is the first wait between tries; each doubles it, up to
	// MaxBackoff, with jitter.
	MinBackoff Duration `yaml:"min_backoff"`
	MaxBackoff Duration `yaml:"max_backoff"`
}

// NotifyAlertmanager is the bearer token Prometheus' Alertmanager sends
// (http_config.authorization in its webhook_config); without one the
// endpoint is off.
type NotifyAlertmanager struct {
	// Token is the token itself; prefer TokenFile or
	// PELOTE_NOTIFY_ALERTMANAGER_TOKEN_FILE.
	Token string `yaml:"token"`
	// TokenFile holds the token.
	TokenFile string `yaml:"token_file"`
}

// UnmarshalYAML decodes the section strictly and keeps the lines of its
// channels and routes for the errors found later.
func (n *Notify) UnmarshalYAML(node *yaml.Node) error {
	type plain Notify
	return decodeStrict(node, (*plain)(n), "notify")
}

func defaultNotify() Notify {
	return Notify{Language: "en", Outbox: NotifyOutbox{
		Expiry: Duration(notify.DefaultExpiry), MinBackoff: Duration(notify.DefaultMinBackoff), MaxBackoff: Duration(notify.DefaultMaxBackoff),
	}}
}

// NotifySettings hands the section to the notifier, with the token read
// from its file.
func (c Config) NotifySettings() (notify.Settings, error) {
	n := c.Notify
	token := n.Alertmanager.Token
	if n.Alertmanager.TokenFile != "" {
		if token != "" {
			return notify.Settings{}, errors.New("set notify.alertmanager.token or token_file, not both")
		}
		b, err := os.ReadFile(n.Alertmanager.TokenFile)
		if err != nil {
			return notify.Settings{}, fmt.Errorf("notify.alertmanager.token_file: cannot read %s: %v", n.Alertmanager.TokenFile, errors.Unwrap(err))
		}
		token = strings.TrimSpace(string(b))
	}
	return notify.Settings{
		Language: n.Language, Channels: n.Channels, Routes: n.Routes, Default: n.Default,
		Expiry: time.Duration(n.Outbox.Expiry), MinBackoff: time.Duration(n.Outbox.MinBackoff), MaxBackoff: time.Duration(n.Outbox.MaxBackoff),
		AlertmanagerToken: token,
	}, nil
}

// validateNotify checks the section as the server will, secret files
// included, each error naming its key and line.
func (c Config) validateNotify() []error {
	var errs []error
	if cat, err := i18n.Load(); err == nil && !cat.Has(c.Notify.Language) {
		errs = append(errs, fmt.Errorf("%s: %q is not a language of Pelote (%s)", describe("notify.language"), c.Notify.Language, strings.Join(cat.Locales(), ", ")))
	}
	s, err := c.NotifySettings()
	if err != nil {
		return append(errs, err)
	}
	err = notify.Check(s, c.Mail.Host != "")
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			errs = append(errs, notifyError(e))
		}
	} else if err != nil {
		errs = append(errs, notifyError(err))
	}
	return errs
}

// notifyError names the key of a notifier's error the way the others are.
func notifyError(err error) error {
	var le *notify.LocatedError
	if errors.As(err, &le) {
		key := "notify." + le.Where
		if d := describe(key); d != key {
			key = d
		}
		le2 := *le
		le2.Where = key
		return &le2
	}
	return fmt.Errorf("notify: %w", err)
}
