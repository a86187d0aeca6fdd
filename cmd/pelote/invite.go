package main

import (
	"fmt"
	"strings"
	"time"
)

// inviteCmd is `pelote invite create`: a single-use sign-up link.
func (c *cli) inviteCmd(args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("invite needs a verb: create")
	}
	f := c.flags("invite create", false)
	var groups listFlag
	f.Var(&groups, "group", "a group the newcomer joins (repeat for several)")
	ttl := f.Duration("ttl", 7*24*time.Hour, "how long the link works")
	note := f.String("note", "", "who it is for, for the administrators")
	if _, err := f.parse(args[1:], 0, "no argument"); err != nil {
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
