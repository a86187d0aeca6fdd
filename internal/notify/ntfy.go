package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// ntfy publishes to a topic of an ntfy server (ntfy.sh or one's own) as
// JSON: title, priority by severity, tags, click URL; with a bearer token
// when the topic is protected.
type ntfy struct {
	cfg          ChannelConfig
	d            *deps
	server       string
	topic, token string
}

func newNtfy(c ChannelConfig, d *deps) channel { return &ntfy{cfg: c, d: d} }

var ntfyTopic = regexp.MustCompile(`^[-_A-Za-z0-9]{1,64}$`)

func (n *ntfy) Validate() error {
	var errs []error
	raw, field := n.cfg.URL, "url"
	switch {
	case n.cfg.URL != "" && n.cfg.URLFile != "":
		return fieldError("url", "set url or url_file, not both")
	case n.cfg.URLFile != "":
		field = "url_file"
		v, err := readSecret(field, n.cfg.URLFile)
		if err != nil {
			return err
		}
		raw = v
	case raw == "":
		return fieldError("url", "is required: the topic's URL, e.g. https://ntfy.sh/my-alerts (or url_file when the topic name is the secret)")
	}
	if err := checkURL(field, raw); err != nil {
		errs = append(errs, err)
	} else {
		u, _ := url.Parse(raw)
		path := strings.TrimRight(u.Path, "/")
		i := strings.LastIndex(path, "/")
		n.topic = path[i+1:]
		if !ntfyTopic.MatchString(n.topic) || u.RawQuery != "" {
			errs = append(errs, fieldError(field, "must end with the topic, e.g. https://ntfy.sh/my-alerts (letters, digits, - and _)"))
		}
		u.Path, u.RawQuery, u.Fragment = path[:i+1], "", ""
		n.server = u.String()
	}
	if n.cfg.TokenFile != "" {
		t, err := readSecret("token_file", n.cfg.TokenFile)
		errs = append(errs, err)
		n.token = t
	}
	return errors.Join(errs...)
}

func (n *ntfy) Target() string {
	if n.cfg.URLFile != "" {
		return hostOf(n.server)
	}
	return n.cfg.URL
}

type ntfyMessage struct {
	Topic    string   `json:"topic"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	Priority int      `json:"priority"`
	Tags     []string `json:"tags"`
	Click    string   `json:"click,omitempty"`
}

func (n *ntfy) message(p *Post) ntfyMessage {
	m := ntfyMessage{Topic: n.topic, Title: p.title(), Priority: 3, Click: p.URL}
	switch {
	case recovery(p.Event):
		m.Tags = []string{"white_check_mark"}
	case p.Severity == Critical:
		m.Priority, m.Tags = 5, []string{"rotating_light"}
	case p.Severity == Warning:
		m.Priority, m.Tags = 4, []string{"warning"}
	default:
		m.Tags = []string{"information_source"}
	}
	m.Tags = append(m.Tags, p.Tags[:min(len(p.Tags), 8)]...)
	// Past 4,096 bytes ntfy turns a message into an attachment, which a
	// server may not allow.
	m.Message = shorten(p.Text, 3800)
	if m.Message == "" {
		m.Message = m.Title
	}
	return m
}

func (n *ntfy) Send(ctx context.Context, p *Post) error {
	body, err := json.Marshal(n.message(p))
	if err != nil {
		return Permanent(err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if n.token != "" {
		h.Set("Authorization", "Bearer "+n.token)
	}
	_, err = send(ctx, n.d.client, http.MethodPost, n.server, h, body)
	return err
}
