package main

import (
	"fmt"
	"net/mail"
	"time"

	"pelote/internal/config"
	"pelote/internal/i18n"
	pmail "pelote/internal/mail"
)

func mailConfig(cfg config.Config) pmail.Config {
	return pmail.Config{Host: cfg.Mail.Host, Port: cfg.Mail.Port, TLS: cfg.Mail.TLS, Username: cfg.Mail.Username,
		Password: cfg.Mail.Password, From: cfg.Mail.From, Timeout: 30 * time.Second}
}

// mailCmd is `pelote mail test ADDRESS`: one message, sent now, so that an
// operator sees at once whether the SMTP settings work.
func (c *cli) mailTest(args []string) error {
	f := c.flags("mail test", false)
	lang := f.String("lang", "en", "language of the message (en, fr, de, nl)")
	pos, err := f.parse(args, 1, "one address")
	if err != nil {
		return err
	}
	if _, err := mail.ParseAddress(pos[0]); err != nil {
		return usagef("%q is not an e-mail address", pos[0])
	}
	cfg, err := f.conf.Load(c.env)
	if err != nil {
		return err
	}
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	if !cat.Has(*lang) {
		return usagef("unknown language %q", *lang)
	}
	s, err := pmail.NewSender(mailConfig(cfg))
	if err != nil {
		return err
	}
	msg := pmail.Message{To: pos[0], Subject: cat.T(*lang, "mail.test.subject"), Text: cat.T(*lang, "mail.test.body", cfg.URL, cfg.Mail.Host)}
	if err := s.Send(c.ctx, msg); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "test message sent to %s through %s\n", pos[0], cfg.Mail.Host)
	return nil
}
