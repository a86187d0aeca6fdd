package mail

import (
	"context"
	"strings"

	"pelote/internal/i18n"
	"pelote/internal/identity"
	"pelote/internal/store"
)

// Mailer hands one plain-text message to one person: an Outbox, or a
// test's recorder.
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// Outbox puts messages in the durable queue, where serve's worker sends
// them: a mail server that is down delays a message and loses none. The
// web pages and the CLI verbs that mail people both use it.
type Outbox struct {
	q  Enqueuer
	db store.Queryer
}

// NewOutbox queues in db through q.
func NewOutbox(q Enqueuer, db store.Queryer) *Outbox { return &Outbox{q: q, db: db} }

// Send queues the message and wakes the worker.
func (o *Outbox) Send(ctx context.Context, to, subject, text string) error {
	if err := Queue(ctx, o.q, o.db, Message{To: to, Subject: subject, Text: text}); err != nil {
		return err
	}
	o.q.Wake()
	return nil
}

// Letters writes Pelote's messages to people from the catalogue, in the
// account's language, with links on the public address.
type Letters struct {
	// Out takes the messages; nil means no mail is configured.
	Out Mailer
	Cat *i18n.Catalog
	// Base is Pelote's public address, for links; empty leaves them
	// relative.
	Base string
}

// On reports whether messages can be sent at all.
func (l *Letters) On() bool { return l != nil && l.Out != nil }

// Link is path on Pelote's public address.
func (l *Letters) Link(path string) string { return strings.TrimRight(l.Base, "/") + path }

// Send mails text (already translated) to an address.
func (l *Letters) Send(ctx context.Context, to, subject, text string) error {
	return l.Out.Send(ctx, to, subject, text)
}

// ToAccount mails a message to an account in its language (else in
// fallback): subject and body are message keys, args fill the body.
func (l *Letters) ToAccount(ctx context.Context, a identity.Account, fallback, subject, body string, args ...any) error {
	lang := a.Locale
	if !l.Cat.Has(lang) {
		lang = fallback
	}
	return l.Out.Send(ctx, a.Email, l.Cat.T(lang, subject), l.Cat.T(lang, body, args...))
}

// SignUpDecided tells a person the decision on their sign-up, with the
// moderator's message, for identity.Store.DecideSignUp.
func (l *Letters) SignUpDecided(ctx context.Context, a identity.Account, d identity.Decision, message, lang string) error {
	subject, body := "mail.signup_approved.subject", "mail.signup_approved.body"
	if d == identity.Refuse {
		subject, body = "mail.signup_refused.subject", "mail.signup_refused.body"
	}
	if l.Cat.Has(a.Locale) {
		lang = a.Locale
	}
	if message != "" {
		message = l.Cat.T(lang, "mail.signup.message", message)
	}
	return l.Out.Send(ctx, a.Email, l.Cat.T(lang, subject), l.Cat.T(lang, body, a.Username, l.Link("/login"), message))
}

var _ identity.SignUpNotifier = (*Letters)(nil)
