package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// chatWebhook posts to a Mattermost or Slack incoming webhook: the JSON
// both accept (text, channel, username, icon_url, attachments), with the
// attachment's colour telling the severity.
type chatWebhook struct {
	cfg ChannelConfig
	d   *deps
	url string
}

func newChatWebhook(c ChannelConfig, d *deps) channel { return &chatWebhook{cfg: c, d: d} }

// Validate reads the webhook's URL from its file: the URL is the secret.
func (w *chatWebhook) Validate() error {
	var errs []error
	if w.cfg.URLFile == "" {
		errs = append(errs, fieldError("url_file", "is required: an incoming webhook's URL is its secret, so it is read from a file"))
	} else if u, err := readSecret("url_file", w.cfg.URLFile); err != nil {
		errs = append(errs, err)
	} else if err := checkURL("url_file", u); err != nil {
		errs = append(errs, err)
	} else {
		w.url = u
	}
	if w.cfg.IconURL != "" {
		errs = append(errs, checkURL("icon_url", w.cfg.IconURL))
	}
	return errors.Join(errs...)
}

func (w *chatWebhook) Target() string { return hostOf(w.url) }

type chatPayload struct {
	Text        string           `json:"text"`
	Channel     string           `json:"channel,omitempty"`
	Username    string           `json:"username,omitempty"`
	IconURL     string           `json:"icon_url,omitempty"`
	Attachments []chatAttachment `json:"attachments"`
}

type chatAttachment struct {
	Fallback  string      `json:"fallback"`
	Color     string      `json:"color"`
	Title     string      `json:"title"`
	TitleLink string      `json:"title_link,omitempty"`
	Text      string      `json:"text,omitempty"`
	Fields    []chatField `json:"fields"`
	Footer    string      `json:"footer"`
	Ts        int64       `json:"ts"`
}

type chatField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// colour is the attachment's bar: green for a recovery, else by severity.
func colour(p *Post) string {
	switch {
	case recovery(p.Event):
		return "#2e7d32"
	case p.Severity == Critical:
		return "#c62828"
	case p.Severity == Warning:
		return "#f9a825"
	}
	return "#1565c0"
}

func (w *chatWebhook) payload(p *Post) chatPayload {
	title := p.title()
	return chatPayload{
		Text: title, Channel: w.cfg.Channel, Username: w.cfg.Username, IconURL: w.cfg.IconURL,
		Attachments: []chatAttachment{{
			Fallback: title, Color: colour(p), Title: p.Subject, TitleLink: p.URL,
			// Mattermost takes 16,383 characters a post; Slack fewer in an
			// attachment.
			Text:   shorten(p.Text, 7000),
			Fields: []chatField{{Title: p.T("notify.field.severity"), Value: p.T("notify.severity." + string(p.Severity)), Short: true}},
			Footer: "Pelote", Ts: p.At.Unix(),
		}},
	}
}

func (w *chatWebhook) Send(ctx context.Context, p *Post) error {
	body, err := json.Marshal(w.payload(p))
	if err != nil {
		return Permanent(err)
	}
	_, err = send(ctx, w.d.client, http.MethodPost, w.url, http.Header{"Content-Type": {"application/json"}}, body)
	return err
}
