package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// webhook POSTs a documented JSON body (WebhookBody) to any URL, with an
// optional bearer token and an optional HMAC-SHA256 signature.
type webhook struct {
	cfg           ChannelConfig
	d             *deps
	url           string
	token, secret string
	// now is when a request is signed; tests fix it.
	now func() time.Time
}

func newWebhook(c ChannelConfig, d *deps) channel { return &webhook{cfg: c, d: d, now: time.Now} }

func (w *webhook) Validate() error {
	var errs []error
	field := "url"
	switch {
	case w.cfg.URL != "" && w.cfg.URLFile != "":
		errs = append(errs, fieldError("url", "set url or url_file, not both"))
	case w.cfg.URLFile != "":
		field = "url_file"
		v, err := readSecret(field, w.cfg.URLFile)
		errs = append(errs, err)
		w.url = v
	case w.cfg.URL == "":
		errs = append(errs, fieldError("url", "is required (or url_file when the URL holds a key)"))
	default:
		w.url = w.cfg.URL
	}
	if w.url != "" {
		errs = append(errs, checkURL(field, w.url))
	}
	if w.cfg.TokenFile != "" {
		t, err := readSecret("token_file", w.cfg.TokenFile)
		errs = append(errs, err)
		w.token = t
	}
	if w.cfg.SecretFile != "" {
		s, err := readSecret("secret_file", w.cfg.SecretFile)
		if err == nil && len(s) < 16 {
			err = fieldError("secret_file", "the signing key must be at least 16 characters")
		}
		errs = append(errs, err)
		w.secret = s
	}
	return errors.Join(errs...)
}

func (w *webhook) Target() string { return hostOf(w.url) }

// WebhookBody is what a webhook channel POSTs, as JSON. The receiver
// should drop a Delivery it has already seen: a delivery whose answer was
// lost is sent again.
type WebhookBody struct {
	// Version is 1; a change that breaks receivers gets a new version.
	Version int `json:"version"`
	// Delivery identifies this delivery, the same across its retries.
	Delivery string `json:"delivery"`
	// Channel is the channel's name in Pelote's configuration.
	Channel  string    `json:"channel"`
	Source   string    `json:"source"`
	Subject  string    `json:"subject"`
	Event    string    `json:"event"`
	Severity Severity  `json:"severity"`
	Tags     []string  `json:"tags"`
	Title    string    `json:"title"`
	Text     string    `json:"text"`
	URL      string    `json:"url"`
	At       time.Time `json:"at"`
}

func (w *webhook) body(p *Post) WebhookBody {
	tags := p.Tags
	if tags == nil {
		tags = []string{}
	}
	return WebhookBody{Version: 1, Delivery: p.Key, Channel: w.cfg.Name, Source: p.Source, Subject: p.Subject, Event: p.Event,
		Severity: p.Severity, Tags: tags, Title: p.Title, Text: p.Text, URL: p.URL, At: p.At.UTC()}
}

// Sign is the X-Pelote-Signature of body sent at timestamp (Unix seconds)
// under key: "sha256=" and the hex HMAC-SHA256 of "TIMESTAMP.BODY". A
// receiver computes it again, compares in constant time and refuses old
// timestamps, so a captured request cannot be replayed later.
func Sign(key []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *webhook) Send(ctx context.Context, p *Post) error {
	body, err := json.Marshal(w.body(p))
	if err != nil {
		return Permanent(err)
	}
	h := http.Header{
		"Content-Type":      {"application/json"},
		"X-Pelote-Delivery": {p.Key},
		"X-Pelote-Event":    {p.Event},
	}
	if w.token != "" {
		h.Set("Authorization", "Bearer "+w.token)
	}
	if w.secret != "" {
		ts := strconv.FormatInt(w.now().Unix(), 10)
		h.Set("X-Pelote-Timestamp", ts)
		h.Set("X-Pelote-Signature", Sign([]byte(w.secret), ts, body))
	}
	_, err = send(ctx, w.d.client, http.MethodPost, w.url, h, body)
	return err
}
