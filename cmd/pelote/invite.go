package main

import (
	"cmp"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"pelote/internal/identity"
)

// inviteCmd is `pelote invite create|list|revoke`: single-use sign-up
// links.
func (c *cli) inviteRevoke(args []string) error {
	f := c.flags("invite revoke", false)
	return c.with(f, args, 1, "one invitation id (from invite list)", func(pos []string, ids *identity.Store) error {
		if err := ids.RevokeInvitation(c.ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "revoked invitation %s\n", pos[0])
		return nil
	})
}

func (c *cli) inviteList(args []string) error {
	f := c.flags("invite list", true)
	return c.with(f, args, 0, "no argument", func(_ []string, ids *identity.Store) error {
		list, err := ids.Invitations(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(list)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCREATED\tSTATE\tGROUPS\tNOTE")
		now := time.Now()
		for _, i := range list {
			state := "valid until " + i.ExpiresAt.Format(time.DateTime)
			switch {
			case i.Used:
				// No name: the account is gone, or none was made (the
				// address was another account's).
				state = "used"
				if i.UsedBy != "" {
					state = "used by " + i.UsedBy
				}
			case i.Expired(now):
				state = "expired"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", i.ID, i.CreatedAt.Format(time.DateTime), state, cmp.Or(strings.Join(i.Groups, ","), "-"), i.Note)
		}
		return tw.Flush()
	})
}

func (c *cli) inviteCreate(args []string) error {
	f := c.flags("invite create", false)
	var groups listFlag
	f.Var(&groups, "group", "a group the newcomer joins (repeat for several)")
	ttl := f.Duration("ttl", 7*24*time.Hour, "how long the link works")
	note := f.String("note", "", "who it is for, for the administrators")
	if _, err := f.parse(args, 0, "no argument"); err != nil {
		return err
	}
	cfg, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := ids.CreateInvitation(c.ctx, groups, *ttl, *note)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "invitation valid for %v (single use):\n", *ttl)
	fmt.Fprintln(c.stdout, strings.TrimRight(cfg.URL, "/")+"/invite/"+token)
	return nil
}
