// Package mail sends Pelote's messages (tests, links, notices) through the
// hoster's SMTP server with go-mail, and through the durable job queue, so
// that a mail server that is down delays a message and loses none.
package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"

	"pelote/internal/queue"
	"pelote/internal/store"
)

// Config is the SMTP server Pelote submits to.
type Config struct {
	Host string
	Port int
	// TLS is "starttls" (required), "tls" (implicit, usually port 465) or
	// "none" (a relay on localhost).
	TLS                string
	Username, Password string
	// From is the sender, e.g. "Pelote <id@example.org>".
	From    string
	Timeout time.Duration
	// RootCAs, when set, are the only authorities trusted for the
	// server's certificate (a private CA); nil trusts the system's.
	RootCAs *x509.CertPool
}

// Message is one plain-text mail to one person.
type Message struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// Sender submits messages to the SMTP server.
type Sender struct{ cfg Config }

// NewSender checks cfg.
func NewSender(cfg Config) (*Sender, error) {
	if cfg.Host == "" {
		return nil, errors.New("mail: no SMTP server is configured (mail.host)")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("mail: mail.from %q is not an address: %w", cfg.From, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Sender{cfg: cfg}, nil
}

// Send submits m now.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return queue.Permanent(fmt.Errorf("mail: recipient %q: %w", m.To, err))
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.RootCAs != nil {
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}))
	}
	if s.cfg.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if s.cfg.TLS == "none" {
			// go-mail sends no password in clear unless told: "none" is
			// for a relay on this machine or a private network.
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		refused := errors.As(err, &se) && !se.IsTemp() &&
			(se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPMailFrom || se.Reason == gomail.ErrSMTPData)
		if refused {
			// A 5xx answer: retrying would get the same.
			return queue.Permanent(fmt.Errorf("mail to %s refused: %w", m.To, err))
		}
		return fmt.Errorf("mail to %s: %w", m.To, err)
	}
	return nil
}

// Job is the queue kind of a mail waiting to be sent.
const Job = "mail.send"

// Policy retries for about a day: a mail server down for a night delays
// the message and loses none.
var Policy = queue.Policy{MaxAttempts: 16, MinBackoff: time.Minute, MaxBackoff: 3 * time.Hour}

// Enqueuer is the durable queue.
type Enqueuer interface {
	Enqueue(ctx context.Context, q store.Queryer, kind string, payload []byte) (int64, error)
	Wake()
}

// Queue puts m in the queue, in tx when the message belongs to a change
// (it is then sent only if the change commits).
func Queue(ctx context.Context, q Enqueuer, tx store.Queryer, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := q.Enqueue(ctx, tx, Job, body); err != nil {
		return fmt.Errorf("mail: queue: %w", err)
	}
	return nil
}

// Deliver is the queue handler of Job.
func (s *Sender) Deliver(ctx context.Context, payload []byte) error {
	var m Message
	if err := json.Unmarshal(payload, &m); err != nil {
		return queue.Permanent(fmt.Errorf("mail: unreadable job: %w", err))
	}
	return s.Send(ctx, m)
}
