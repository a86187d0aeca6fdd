package main

import (
	"fmt"
	"text/tabwriter"

	"pelote/internal/identity"
)

// apppass manages a member's app passwords from the shell, e.g. for an
// administrator setting up a member's mail client.
func (c *cli) apppassAdd(args []string) error {
	f := c.flags("apppass add", false)
	return c.with(f, args, 2, "USER NAME", func(pos []string, ids *identity.Store) error {
		a, err := ids.Account(c.ctx, pos[0])
		if err != nil {
			return err
		}
		_, secret, err := ids.CreateAppPassword(c.ctx, a.ID, pos[1])
		if err != nil {
			return err
		}
		// The value alone on stdout, for scripts; the words on stderr.
		fmt.Fprintf(c.stderr, "app password %q of %s (shown once):\n", pos[1], a.Username)
		fmt.Fprintln(c.stdout, secret)
		return nil
	})
}

func (c *cli) apppassList(args []string) error {
	f := c.flags("apppass list", true)
	return c.with(f, args, 1, "one username", func(pos []string, ids *identity.Store) error {
		a, err := ids.Account(c.ctx, pos[0])
		if err != nil {
			return err
		}
		list, err := ids.AppPasswords(c.ctx, a.ID)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(list)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED\tLAST USED")
		for _, p := range list {
			used := "never"
			if !p.LastUsedAt.IsZero() {
				used = p.LastUsedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, p.CreatedAt.Format("2006-01-02 15:04"), used)
		}
		return tw.Flush()
	})
}

func (c *cli) apppassRm(args []string) error {
	f := c.flags("apppass rm", false)
	return c.with(f, args, 2, "USER NAME", func(pos []string, ids *identity.Store) error {
		a, err := ids.Account(c.ctx, pos[0])
		if err != nil {
			return err
		}
		if err := ids.RevokeAppPassword(c.ctx, a.ID, 0, pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "app password %q of %s revoked\n", pos[1], a.Username)
		return nil
	})
}
