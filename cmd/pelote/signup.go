package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"pelote/internal/i18n"
	"pelote/internal/identity"
	pmail "pelote/internal/mail"
)

// signUpCmd is `pelote signup list|approve|refuse`: the moderators' queue
// of registration.mode moderated, from the shell.

func (c *cli) signUpList(args []string) error {
	f := c.flags("signup list", true)
	return c.with(f, args, 0, "no argument", func(_ []string, ids *identity.Store) error {
		list, err := ids.SignUps(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(list)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tEMAIL\tSIGNED UP\tSTATE\tREASON")
		for _, s := range list {
			state := "address not confirmed"
			if s.Verified {
				state = "waiting for a decision"
			}
			reason, _, _ := strings.Cut(s.Reason, "\n")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Account.Username, s.Account.Email, s.CreatedAt.Format(time.DateTime), state, reason)
		}
		return tw.Flush()
	})
}

// signUpDecide approves or refuses; with mail configured, the message to
// the person waits in the queue for serve's worker.
func (c *cli) signUpDecide(dec string, args []string) error {
	f := c.flags("signup "+dec, false)
	message := f.String("message", "", "a word to the person, sent with the decision")
	pos, err := f.parse(args, 1, "one username")
	if err != nil {
		return err
	}
	cfg, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	decision, err := identity.ParseDecision(dec)
	if err != nil {
		return err
	}
	var tell identity.SignUpNotifier
	if cfg.Mail.Host != "" {
		tell = &pmail.Letters{Out: pmail.NewOutbox(c.app.jobs, db), Cat: cat, Base: cfg.URL}
	}
	d, err := ids.DecideSignUp(c.ctx, pos[0], decision, *message, i18n.Fallback, tell)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: sign-up %s\n", d.Account.Username, map[identity.Decision]string{identity.Approve: "approved", identity.Refuse: "refused and deleted"}[decision])
	switch {
	case !d.Told:
		fmt.Fprintln(c.stderr, "no mail is configured: tell the person yourself")
	case d.MailErr != nil:
		return fmt.Errorf("the decision stands, but its mail could not be queued: %w", d.MailErr)
	default:
		fmt.Fprintf(c.stderr, "a mail to %s is queued\n", d.Account.Email)
	}
	return nil
}
