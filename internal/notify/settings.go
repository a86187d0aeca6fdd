package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	pmail "pelote/internal/mail"
)

// Settings are the notify section of the configuration, as plain values.
type Settings struct {
	// Language is the operators' language for Pelote's own words in
	// messages (e-mail subjects, field names, test messages).
	Language string
	Channels []ChannelConfig
	Routes   []Route
	// Default are the channels of messages no route matches.
	Default []string
	// Expiry is how long a delivery is tried before it fails for good;
	// retries wait from MinBackoff, doubling, up to MaxBackoff.
	Expiry, MinBackoff, MaxBackoff time.Duration
	// AlertmanagerToken is the bearer token /api/alertmanager requires;
	// empty turns the endpoint off.
	AlertmanagerToken string
}

// Defaults of the outbox.
const (
	DefaultExpiry     = 24 * time.Hour
	DefaultMinBackoff = 30 * time.Second
	DefaultMaxBackoff = time.Hour
)

// configured is a channel ready to send.
type configured struct {
	cfg ChannelConfig
	ch  channel
}

// setup is a validated configuration, swapped whole on reload.
type setup struct {
	lang                           string
	channels                       map[string]*configured
	names                          []string // in configuration order
	routes                         []Route
	defaults                       []string
	expiry, minBackoff, maxBackoff time.Duration
	amToken                        string
}

// LocatedError is a problem of one channel or route, with its place in the
// configuration file.
type LocatedError struct {
	// Where is e.g. `channels[1] "ops-chat"` or `routes[0]`.
	Where string
	Line  int
	Err   error
}

func (e *LocatedError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %v", e.Where, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Where, e.Err)
}

func (e *LocatedError) Unwrap() error { return e.Err }

var channelName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// noMail stands for the mail sender when settings are only checked.
type noMail struct{}

func (noMail) Send(context.Context, pmail.Message) error { return errors.New("not sending") }

// Check validates s as the server would at start or reload, secret files
// included; mail says whether Pelote's outgoing mail is configured.
func Check(s Settings, mail bool) error {
	d := &deps{client: newClient()}
	if mail {
		d.mail = noMail{}
	}
	_, err := build(s, d)
	return err
}

// build validates s and readies its channels. Errors are all reported,
// each with its place.
func build(s Settings, d *deps) (*setup, error) {
	st := &setup{lang: s.Language, channels: map[string]*configured{}, routes: s.Routes, defaults: s.Default,
		expiry: s.Expiry, minBackoff: s.MinBackoff, maxBackoff: s.MaxBackoff, amToken: s.AlertmanagerToken}
	if st.expiry == 0 {
		st.expiry = DefaultExpiry
	}
	if st.minBackoff == 0 {
		st.minBackoff = DefaultMinBackoff
	}
	if st.maxBackoff == 0 {
		st.maxBackoff = DefaultMaxBackoff
	}
	var errs []error
	bad := func(where string, line int, err error) {
		if err != nil {
			errs = append(errs, &LocatedError{Where: where, Line: line, Err: err})
		}
	}
	if st.expiry < time.Minute {
		bad("outbox.expiry", 0, errors.New("must be at least 1m"))
	}
	if st.minBackoff < time.Second || st.maxBackoff < st.minBackoff {
		bad("outbox.min_backoff", 0, errors.New("must be at least 1s, and outbox.max_backoff at least as long"))
	}
	if t := s.AlertmanagerToken; t != "" && len(t) < 16 {
		bad("alertmanager.token", 0, errors.New("must be at least 16 characters (e.g. openssl rand -hex 32)"))
	}
	for i, c := range s.Channels {
		where := fmt.Sprintf("channels[%d] %q", i, c.Name)
		if !channelName.MatchString(c.Name) {
			bad(where, c.Line, fieldError("name", "use 1 to 64 lower-case letters, digits, '.', '_' or '-'"))
			continue
		}
		if _, dup := st.channels[c.Name]; dup {
			bad(where, c.Line, fieldError("name", "another channel has this name"))
			continue
		}
		k, ok := findKind(c.Kind)
		if !ok {
			bad(where, c.Line, fieldError("kind", "%q is not a kind of channel: use one of %v", c.Kind, KindNames()))
			continue
		}
		if c.Timeout < 0 || c.Timeout > 5*time.Minute {
			bad(where, c.Line, fieldError("timeout", "must be between 0 (10s) and 5m"))
		}
		if c.Timeout == 0 {
			c.Timeout = DefaultTimeout
			if c.Kind == "email" {
				// One mail per recipient, each a whole SMTP session.
				c.Timeout = DefaultMailTimeout
			}
		}
		ch := k.build(c, d)
		bad(where, c.Line, errors.Join(unusedFields(c, k), ch.Validate()))
		st.channels[c.Name] = &configured{cfg: c, ch: ch}
		st.names = append(st.names, c.Name)
	}
	for i, r := range s.Routes {
		bad(fmt.Sprintf("routes[%d]", i), r.Line, errors.Join(r.validate(st.channels)...))
	}
	for i, name := range s.Default {
		if _, ok := st.channels[name]; !ok {
			bad(fmt.Sprintf("default[%d]", i), 0, fmt.Errorf("no channel is named %q", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return st, nil
}
