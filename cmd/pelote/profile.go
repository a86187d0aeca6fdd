package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"pelote/internal/identity"
)

func (c *cli) serviceList(args []string) error {
	f := c.flags("service list", true)
	return c.with(f, args, 0, "no argument", func(_ []string, ids *identity.Store) error {
		list, err := ids.Services(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(list)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tQUOTA\tPAST QUOTA")
		for _, s := range list {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", s.Name, s.ProfileQuota, s.ExtraProfiles)
		}
		return tw.Flush()
	})
}

func (c *cli) serviceSave(args []string, create bool) error {
	verb := map[bool]string{true: "add", false: "set"}[create]
	f := c.flags("service "+verb, true)
	quota := f.Int("quota", 1, "profiles a member may create (0: administrators only)")
	extra := f.String("extra", "refuse", "past the quota: refuse, or approval by a moderator")
	return c.with(f, args, 1, "one service name", func(pos []string, ids *identity.Store) error {
		sv := identity.Service{Name: pos[0], ProfileQuota: *quota, ExtraProfiles: identity.ExtraProfiles(*extra)}
		var err error
		if create {
			sv, err = ids.CreateService(c.ctx, sv)
		} else {
			err = ids.UpdateService(c.ctx, sv)
		}
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(sv)
		}
		fmt.Fprintf(c.stdout, "service %s: quota %d, past quota %s\n", pos[0], *quota, *extra)
		return nil
	})
}

func (c *cli) profileAdd(args []string) error {
	f := c.flags("profile add", true)
	return c.with(f, args, 3, "USER SERVICE NAME", func(pos []string, ids *identity.Store) error {
		// The shell is the administrator's: the quota does not apply.
		p, err := ids.AddProfile(c.ctx, pos[0], pos[1], pos[2], true)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(p)
		}
		fmt.Fprintf(c.stdout, "profile %s on %s for %s (%s)\n", p.Name, p.Service, p.Account, p.State)
		return nil
	})
}

func (c *cli) profileList(args []string) error {
	f := c.flags("profile list", true)
	user := f.String("user", "", "keep this account's profiles")
	service := f.String("service", "", "keep this service's profiles")
	pending := f.Bool("pending", false, "keep profiles awaiting approval")
	return c.with(f, args, 0, "no argument", func(_ []string, ids *identity.Store) error {
		q := identity.ProfileQuery{Account: *user, Service: *service}
		if *pending {
			q.State = identity.ProfilePending
		}
		list, err := ids.Profiles(c.ctx, q)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(list)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSERVICE\tPROFILE\tACCOUNT\tSTATE")
		for _, p := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", p.ID, p.Service, p.Name, p.Account, p.State)
		}
		return tw.Flush()
	})
}

func (c *cli) profileDecide(args []string, verb string) error {
	f := c.flags("profile "+verb, false)
	pos, err := f.parse(args, 1, "one profile id (see profile list --pending)")
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return usagef("profile %s: %q is not a profile id", verb, pos[0])
	}
	_, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	if verb == "approve" {
		err = ids.ApproveProfile(c.ctx, id)
	} else {
		err = ids.RejectProfile(c.ctx, id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "profile %d %s\n", id, map[string]string{"approve": "approved", "reject": "rejected"}[verb])
	return nil
}
