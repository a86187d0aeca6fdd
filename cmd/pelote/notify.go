package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"pelote/internal/config"
	"pelote/internal/i18n"
	"pelote/internal/identity"
	pmail "pelote/internal/mail"
	"pelote/internal/notify"
	"pelote/internal/store"
)

// newNotifier builds the notifier of cfg: e-mail through Pelote's own SMTP
// settings, groups from the accounts, Pelote's words from the catalogue.
func newNotifier(cfg config.Config, db *store.DB, ids *identity.Store, log *slog.Logger) (*notify.Notifier, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	var mailer notify.Mailer
	if cfg.Mail.Host != "" {
		sender, err := pmail.NewSender(mailConfig(cfg))
		if err != nil {
			return nil, err
		}
		mailer = sender
	}
	n := notify.New(db, log, notify.Options{Mail: mailer, Members: activeMembers(ids), Translator: cat})
	s, err := cfg.NotifySettings()
	if err == nil {
		err = n.Configure(s)
	}
	if err != nil {
		return nil, fmt.Errorf("config: notify: %w", err)
	}
	return n, nil
}

// activeMembers gives notify the addresses of a group's active members:
// a disabled account gets no alert.
func activeMembers(ids *identity.Store) notify.Members {
	return func(ctx context.Context, group string) ([]string, error) {
		accounts, err := ids.Members(ctx, group)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, a := range accounts {
			if a.State == identity.Active && a.Email != "" {
				out = append(out, a.Email)
			}
		}
		return out, nil
	}
}

// notifyCmd is `pelote notify list|test|retry`: the operators' page of
// notifications, from the shell.
func (c *cli) notifyList(args []string) error {
	f := c.flags("notify list", true)
	return c.withNotifier(f, args, 0, "no argument", func(_ []string, n *notify.Notifier) error {
		o, err := n.Overview(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(o)
		}
		return c.printOverview(o)
	})
}

func (c *cli) notifyTest(args []string) error {
	f := c.flags("notify test", false)
	return c.withNotifier(f, args, 1, "one channel name", func(pos []string, n *notify.Notifier) error {
		d, err := n.Test(c.ctx, pos[0])
		if errors.Is(err, notify.ErrNoChannel) {
			return fmt.Errorf("no channel is named %q (see the notify section of the configuration)", pos[0])
		}
		if err != nil {
			return fmt.Errorf("the test message could not be delivered through %s: %s", pos[0], d.LastError)
		}
		fmt.Fprintf(c.stdout, "test message delivered through %s (delivery %d)\n", pos[0], d.ID)
		return nil
	})
}

func (c *cli) notifyRetry(args []string) error {
	f := c.flags("notify retry", false)
	return c.withNotifier(f, args, 1, "one delivery id", func(pos []string, n *notify.Notifier) error {
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id < 1 {
			return usagef("%q is not a delivery id (see pelote notify list)", pos[0])
		}
		if err := n.Retry(c.ctx, id); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delivery %d is neither failed nor waiting: it is being sent, was delivered, or does not exist", id)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "delivery %d is back in line; the workers of pelote serve send it\n", id)
		return nil
	})
}

// withNotifier is with, for the notify verbs: the configuration's channels
// over the database.
func (c *cli) withNotifier(f *flags, args []string, want int, names string, fn func([]string, *notify.Notifier) error) error {
	pos, err := f.parse(args, want, names)
	if err != nil {
		return err
	}
	cfg, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := newNotifier(cfg, db, ids, c.app.log)
	if err != nil {
		return err
	}
	return fn(pos, n)
}

func (c *cli) printOverview(o notify.Overview) error {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format(time.DateTime)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tKIND\tDESTINATION\tLAST DELIVERY\tWAITING\tFAILED\tLAST ERROR")
	for _, ch := range o.Channels {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", ch.Name, ch.Kind, ch.Target, when(ch.LastDelivered), ch.Pending, ch.Failed, oneLine(ch.LastError))
	}
	if len(o.Channels) == 0 {
		fmt.Fprintln(tw, "(no channel: see the notify section of the configuration)")
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "DELIVERY\tSTATE\tCHANNEL\tATTEMPTS\tWHEN\tMESSAGE\tLAST ERROR")
	for _, list := range [][]notify.Delivery{o.Failed, o.Pending, o.Delivered} {
		for _, d := range list {
			at := d.CreatedAt
			switch d.State {
			case notify.Pending:
				at = d.NextTry
			case notify.Delivered:
				at = d.DeliveredAt
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.State, d.Channel, d.Attempts, when(at), oneLine(d.Title), oneLine(d.LastError))
		}
	}
	if len(o.Unrouted) > 0 {
		fmt.Fprintf(tw, "\n%d message(s) of the last week selected by no route, the newest: %s\n", len(o.Unrouted), oneLine(o.Unrouted[0].Title))
	}
	return tw.Flush()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
