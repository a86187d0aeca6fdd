package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"pelote/internal/identity"
)

func (c *cli) groupAdd(args []string) error {
	f := c.flags("group add", true)
	desc := f.String("description", "", "what the group is for")
	return c.with(f, args, 1, "one group name", func(pos []string, ids *identity.Store) error {
		g, err := ids.CreateGroup(c.ctx, pos[0], *desc)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(g)
		}
		fmt.Fprintf(c.stdout, "created group %s\n", g.Name)
		return nil
	})
}

func (c *cli) groupSet(args []string) error {
	f := c.flags("group set", false)
	require := f.Bool("require-totp", false, "members must use two-step verification to sign in to applications")
	return c.with(f, args, 1, "one group name", func(pos []string, ids *identity.Store) error {
		if !f.given("require-totp") {
			return usagef("group set needs a flag to change, e.g. --require-totp=true")
		}
		if err := ids.SetGroupRequireTOTP(c.ctx, pos[0], *require); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "group %s: two-step verification %s\n", strings.ToLower(pos[0]), map[bool]string{true: "required", false: "optional"}[*require])
		return nil
	})
}

func (c *cli) groupList(args []string) error {
	f := c.flags("group list", true)
	return c.with(f, args, 0, "no argument", func(_ []string, ids *identity.Store) error {
		list, err := ids.Groups(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(list)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "GROUP\tMEMBERS\tTOTP\tDESCRIPTION")
		for _, g := range list {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", g.Name, g.Members, map[bool]string{true: "required", false: "-"}[g.RequireTOTP], g.Description)
		}
		return tw.Flush()
	})
}

func (c *cli) groupShow(args []string) error {
	f := c.flags("group show", true)
	return c.with(f, args, 1, "one group name", func(pos []string, ids *identity.Store) error {
		g, err := ids.Group(c.ctx, pos[0])
		if err != nil {
			return err
		}
		members, err := ids.Members(c.ctx, g.Name)
		if err != nil {
			return err
		}
		names := make([]string, len(members))
		for i, m := range members {
			names[i] = m.Username
		}
		if *f.json {
			type groupWithMembers struct {
				Name        string   `json:"name"`
				Description string   `json:"description"`
				Members     []string `json:"members"`
			}
			return c.printJSON(groupWithMembers{g.Name, g.Description, names})
		}
		fmt.Fprintf(c.stdout, "group %s: %s\n", g.Name, g.Description)
		for _, n := range names {
			fmt.Fprintf(c.stdout, "  %s\n", n)
		}
		return nil
	})
}

func (c *cli) groupRemove(args []string) error {
	f := c.flags("group rm", false)
	return c.with(f, args, 1, "one group name", func(pos []string, ids *identity.Store) error {
		if err := ids.DeleteGroup(c.ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "deleted group %s\n", pos[0])
		return nil
	})
}

func (c *cli) groupMember(args []string, add bool) error {
	verb := "rm"
	if add {
		verb = "add"
	}
	f := c.flags("group member "+verb, false)
	return c.with(f, args, 2, "GROUP USER", func(pos []string, ids *identity.Store) error {
		var err error
		if add {
			err = ids.AddMember(c.ctx, pos[0], pos[1])
		} else {
			err = ids.RemoveMember(c.ctx, pos[0], pos[1])
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "group %s: %s %s\n", pos[0], map[bool]string{true: "added", false: "removed"}[add], pos[1])
		return nil
	})
}
