package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	pmail "pelote/internal/mail"
	"pelote/internal/queue"
	"pelote/internal/store"
)

// email mails a message through Pelote's SMTP settings (mail.*, STARTTLS
// by default) to fixed addresses, to the members of Pelote groups, and,
// when a route says so, to the members of the message's owner group.
type email struct {
	cfg ChannelConfig
	d   *deps
}

func newEmail(c ChannelConfig, d *deps) channel { return &email{cfg: c, d: d} }

func (e *email) Validate() error {
	var errs []error
	if e.d.mail == nil {
		errs = append(errs, fieldError("kind", "e-mail channels need Pelote's outgoing mail: set mail.host and mail.from"))
	}
	for i, a := range e.cfg.To {
		if addr, err := mail.ParseAddress(a); err != nil || addr.Address != strings.TrimSpace(a) {
			errs = append(errs, fieldError(fmt.Sprintf("to[%d]", i), "%q is not a bare e-mail address like ops@example.org", a))
		}
	}
	for i, g := range e.cfg.Groups {
		if g == "" || strings.ContainsAny(g, " \t/,") {
			errs = append(errs, fieldError(fmt.Sprintf("groups[%d]", i), "%q is not a group name", g))
		}
	}
	return errors.Join(errs...)
}

func (e *email) Target() string {
	var parts []string
	if n := len(e.cfg.To); n > 0 {
		parts = append(parts, fmt.Sprintf("%d address(es)", n))
	}
	for _, g := range e.cfg.Groups {
		parts = append(parts, "group "+g)
	}
	if len(parts) == 0 {
		return "owner groups"
	}
	return strings.Join(parts, ", ")
}

// recipients gathers the addresses, each once, case aside.
func (e *email) recipients(ctx context.Context, p *Post) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		if k := strings.ToLower(a); a != "" && !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	for _, a := range e.cfg.To {
		add(strings.TrimSpace(a))
	}
	groups := e.cfg.Groups
	if p.ToOwner && p.Owner != "" {
		groups = append(groups[:len(groups):len(groups)], p.Owner)
	}
	for _, g := range groups {
		if e.d.members == nil {
			return nil, Permanent(fmt.Errorf("group %s: no directory of accounts", g))
		}
		members, err := e.d.members(ctx, g)
		if errors.Is(err, store.ErrNotFound) {
			return nil, Permanent(fmt.Errorf("group %s does not exist", g))
		}
		if err != nil {
			return nil, fmt.Errorf("members of group %s: %w", g, err)
		}
		for _, a := range members {
			add(a)
		}
	}
	return out, nil
}

func (e *email) message(p *Post, to string) pmail.Message {
	var b strings.Builder
	b.WriteString(p.title() + "\n\n")
	if p.Text != "" {
		b.WriteString(shorten(p.Text, 64<<10) + "\n\n")
	}
	if p.URL != "" {
		b.WriteString(p.URL + "\n\n")
	}
	b.WriteString("-- \n" + p.T("notify.mail.footer", e.cfg.Name))
	subject := p.T("notify.mail.subject", p.T("notify.severity."+string(p.Severity)), p.title())
	if recovery(p.Event) {
		subject = p.T("notify.mail.subject_recovery", p.title())
	}
	return pmail.Message{To: to, Subject: subject, Text: b.String()}
}

// Send mails each recipient in turn. When a server is unreachable the whole
// delivery is tried again later (those already served may get it twice:
// delivery is at least once); addresses the server refuses fail the
// delivery for the operators to see, once the others have it.
func (e *email) Send(ctx context.Context, p *Post) error {
	to, err := e.recipients(ctx, p)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return Permanent(errors.New("no recipient: the channel names no address and its groups have no active member"))
	}
	var refused []error
	for i, a := range to {
		err := e.d.mail.Send(ctx, e.message(p, a))
		switch {
		case err == nil:
		case isRefused(err):
			refused = append(refused, fmt.Errorf("recipient %d of %d: %w", i+1, len(to), err))
		default:
			return fmt.Errorf("recipient %d of %d: %w", i+1, len(to), err)
		}
	}
	if len(refused) > 0 {
		return Permanent(fmt.Errorf("%d of %d recipients refused by the mail server: %w", len(refused), len(to), errors.Join(refused...)))
	}
	return nil
}

// isRefused tells a 5xx answer of the mail server (marked permanent by
// internal/mail) from a server that is down.
func isRefused(err error) bool {
	return IsPermanent(err) || queue.IsPermanent(err)
}
