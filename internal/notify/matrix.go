package notify

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// matrix sends a message to a room through the client-server API with an
// access token (a bot account's, which has joined the room).
type matrix struct {
	cfg   ChannelConfig
	d     *deps
	token string
}

func newMatrix(c ChannelConfig, d *deps) channel { return &matrix{cfg: c, d: d} }

func (m *matrix) Validate() error {
	var errs []error
	if m.cfg.URL == "" {
		errs = append(errs, fieldError("url", "is required: the homeserver's address, e.g. https://matrix.example.org"))
	} else {
		errs = append(errs, checkURL("url", m.cfg.URL))
	}
	// The send endpoint takes a room id; an alias (#ops:example.org) would
	// need a lookup each time and could be moved to another room.
	if !strings.HasPrefix(m.cfg.Room, "!") || !strings.Contains(m.cfg.Room, ":") {
		errs = append(errs, fieldError("room", "%q is not a room id like !abcdef:example.org (an alias starting with # is not accepted; the id is in the room's advanced settings)", m.cfg.Room))
	}
	if m.cfg.TokenFile == "" {
		errs = append(errs, fieldError("token_file", "is required: the file holding the access token of the account that posts"))
	} else if t, err := readSecret("token_file", m.cfg.TokenFile); err != nil {
		errs = append(errs, err)
	} else {
		m.token = t
	}
	return errors.Join(errs...)
}

func (m *matrix) Target() string { return m.cfg.Room + " @ " + hostOf(m.cfg.URL) }

type matrixMessage struct {
	MsgType       string `json:"msgtype"`
	Body          string `json:"body"`
	Format        string `json:"format"`
	FormattedBody string `json:"formatted_body"`
}

func (m *matrix) message(p *Post) matrixMessage {
	title := p.title()
	// Events are capped at 64 KiB; the text is kept well under.
	text := shorten(p.Text, 16000)
	plain := title
	if text != "" {
		plain += "\n\n" + text
	}
	if p.URL != "" {
		plain += "\n\n" + p.URL
	}
	var b strings.Builder
	b.WriteString("<p><strong>" + html.EscapeString(title) + "</strong></p>")
	if text != "" {
		b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>") + "</p>")
	}
	if p.URL != "" {
		b.WriteString(`<p><a href="` + html.EscapeString(p.URL) + `">` + html.EscapeString(p.URL) + "</a></p>")
	}
	return matrixMessage{MsgType: "m.text", Body: plain, Format: "org.matrix.custom.html", FormattedBody: b.String()}
}

// Send PUTs the event with a transaction id fixed at enqueue: the
// homeserver takes a retry of the same transaction as the same event.
func (m *matrix) Send(ctx context.Context, p *Post) error {
	body, err := json.Marshal(m.message(p))
	if err != nil {
		return Permanent(err)
	}
	target := strings.TrimRight(m.cfg.URL, "/") + "/_matrix/client/v3/rooms/" + url.PathEscape(m.cfg.Room) +
		"/send/m.room.message/" + url.PathEscape("pelote."+p.Key)
	answer, err := send(ctx, m.d.client, http.MethodPut, target, http.Header{
		"Content-Type":  {"application/json"},
		"Authorization": {"Bearer " + m.token},
	}, body)
	var later retryLater
	if err != nil && !errors.As(err, &later) {
		// M_LIMIT_EXCEEDED says when to come back in its body.
		var e struct {
			RetryAfterMS int64 `json:"retry_after_ms"`
		}
		if json.Unmarshal(answer, &e) == nil && e.RetryAfterMS > 0 && !IsPermanent(err) {
			return retryLater{err, time.Duration(e.RetryAfterMS) * time.Millisecond}
		}
	}
	return err
}
