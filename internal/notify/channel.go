package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	pmail "pelote/internal/mail"
)

// ChannelConfig is one channel as the configuration describes it. Each
// kind uses some of the fields and refuses the others, so that a key
// meant for another kind is an error rather than silently ignored.
// Secrets are only ever named by a *_file field: the configuration file
// may be readable by more people than the secrets.
type ChannelConfig struct {
	// Name is how routes, pages and `pelote notify test` refer to it.
	Name string `yaml:"name"`
	// Kind is mattermost, slack, matrix, email, ntfy or webhook.
	Kind string `yaml:"kind"`
	// URL is the Matrix homeserver, the ntfy topic's URL or the webhook's
	// URL, when it holds no secret.
	URL string `yaml:"url"`
	// URLFile holds the URL instead, for URLs that are secrets: incoming
	// webhooks of Mattermost and Slack, ntfy topics on public servers.
	URLFile string `yaml:"url_file"`
	// TokenFile holds an access token: Matrix (required), ntfy and webhook
	// (optional, sent as a bearer token).
	TokenFile string `yaml:"token_file"`
	// SecretFile holds the webhook's signing key: each request then carries
	// an HMAC-SHA256 signature of its timestamp and body.
	SecretFile string `yaml:"secret_file"`
	// Channel, Username and IconURL override the incoming webhook's own
	// (Mattermost, Slack).
	Channel  string `yaml:"channel"`
	Username string `yaml:"username"`
	IconURL  string `yaml:"icon_url"`
	// Room is the Matrix room's id (!abc:example.org), which the token's
	// account must have joined.
	Room string `yaml:"room"`
	// To are e-mail addresses; Groups are Pelote groups whose active
	// members get the mail too, at the address of their account.
	To     []string `yaml:"to"`
	Groups []string `yaml:"groups"`
	// Timeout bounds one delivery (10s when zero, 60s for e-mail).
	Timeout time.Duration `yaml:"timeout"`
	// Line is where the channel is written in the configuration file.
	Line int `yaml:"-"`
}

// DefaultTimeout bounds one delivery when a channel sets none;
// DefaultMailTimeout when the channel is an e-mail one.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMailTimeout = time.Minute
)

// Post is one delivery as a channel sends it.
type Post struct {
	Message
	// ID is the delivery's id, Key a random value fixed at enqueue: both
	// stay the same across retries, so a receiver can drop a repeat (the
	// Matrix transaction id, the webhook's X-Pelote-Delivery).
	ID  int64
	Key string
	// ToOwner adds the members of Message.Owner to an e-mail channel's
	// recipients.
	ToOwner bool
	// T translates Pelote's own words into the operators' language.
	T func(key string, args ...any) string
}

// channel is one configured destination.
type channel interface {
	// Validate checks the configuration and reads the secret files; it
	// runs before the channel serves, at start and at each reload.
	Validate() error
	// Send delivers one post; errors wrapped with Permanent are not
	// retried.
	Send(ctx context.Context, p *Post) error
	// Target describes where posts go, without any secret, for operators.
	Target() string
}

// Mailer sends one plain-text mail (internal/mail's Sender).
type Mailer interface {
	Send(ctx context.Context, m pmail.Message) error
}

// Members returns the addresses of a group's active members.
type Members func(ctx context.Context, group string) ([]string, error)

// deps are what channels need from the process.
type deps struct {
	client  *http.Client
	mail    Mailer
	members Members
}

// kind is one kind of channel: its name, the fields it uses besides name,
// kind and timeout, and its constructor.
type kind struct {
	name   string
	fields []string
	build  func(ChannelConfig, *deps) channel
}

// kinds lists every kind of channel. Adding one is adding its file and a
// line here.
var kinds = []kind{
	{"mattermost", []string{"url_file", "channel", "username", "icon_url"}, newChatWebhook},
	{"slack", []string{"url_file", "channel", "username", "icon_url"}, newChatWebhook},
	{"matrix", []string{"url", "room", "token_file"}, newMatrix},
	{"email", []string{"to", "groups"}, newEmail},
	{"ntfy", []string{"url", "url_file", "token_file"}, newNtfy},
	{"webhook", []string{"url", "url_file", "token_file", "secret_file"}, newWebhook},
}

// KindNames lists the kinds of channel, for messages.
func KindNames() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.name
	}
	return out
}

func findKind(name string) (kind, bool) {
	for _, k := range kinds {
		if k.name == name {
			return k, true
		}
	}
	return kind{}, false
}

// setFields lists the yaml names of the fields c sets.
func setFields(c ChannelConfig) []string {
	var out []string
	v := reflect.ValueOf(c)
	for i := range v.NumField() {
		tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" || v.Field(i).IsZero() {
			continue
		}
		out = append(out, tag)
	}
	return out
}

// unusedFields refuses the fields of c its kind does not read.
func unusedFields(c ChannelConfig, k kind) error {
	var errs []error
	for _, f := range setFields(c) {
		if f != "name" && f != "kind" && f != "timeout" && !slices.Contains(k.fields, f) {
			errs = append(errs, fieldError(f, "is not used by channels of kind %s (they take %s)", k.name, strings.Join(k.fields, ", ")))
		}
	}
	return errors.Join(errs...)
}

// FieldError is a problem with one field of a channel or route.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldError(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// readSecret reads a secret file: one line, surrounding space trimmed. The
// error names the file, never its content.
func readSecret(field, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fieldError(field, "cannot read %s: %v", path, errors.Unwrap(err))
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fieldError(field, "%s is empty", path)
	}
	if strings.ContainsAny(v, "\r\n") {
		return "", fieldError(field, "%s holds more than one line", path)
	}
	return v, nil
}

// shorten cuts s to at most max bytes on rune boundaries. It keeps the
// beginning and, mostly, the end, where a job's output says what went
// wrong.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "\n[…]\n"
	head := (max - len(mark)) / 4
	tail := max - len(mark) - head
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	start := len(s) - tail
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	return s[:head] + mark + s[start:]
}

// title is the one line a post leads with.
func (p *Post) title() string {
	t := strings.Join(strings.Fields(p.Title), " ")
	if t == "" {
		t = p.Subject
	}
	return shorten(t, 250)
}
