package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"pelote/internal/identity"
)

func (c *cli) userAdd(args []string) error {
	f := c.flags("user add", true)
	email := f.String("email", "", "primary e-mail address (required)")
	name := f.String("name", "", "display name")
	locale := f.String("locale", "en", "language of the account (en, fr, de, nl)")
	admin := f.Bool("admin", false, "make the account an administrator")
	fromStdin := f.Bool("password-stdin", false, "read the password from standard input")
	pos, err := f.parse(args, 1, "one username")
	if err != nil {
		return err
	}
	if !*fromStdin {
		return usagef("user add needs --password-stdin: the password is read from standard input, never from the command line")
	}
	if *email == "" {
		return usagef("user add needs --email")
	}
	pw, err := c.readPassword()
	if err != nil {
		return err
	}
	_, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := ids.CreateAccount(c.ctx, identity.NewAccount{Username: pos[0], Email: *email, DisplayName: *name, Locale: *locale, Password: pw, Admin: *admin})
	if err != nil {
		return err
	}
	if *f.json {
		return c.printJSON(a)
	}
	fmt.Fprintf(c.stdout, "created account %s\n", a.Username)
	return nil
}

func (c *cli) userList(args []string) error {
	f := c.flags("user list", true)
	search := f.String("search", "", "keep accounts whose username, e-mail or name contains this")
	state := f.String("state", "", "keep accounts in this state (active, disabled, pending)")
	return c.with(f, args, 0, "no argument", func(_ []string, ids *identity.Store) error {
		list, err := ids.Accounts(c.ctx, identity.AccountQuery{Search: *search, State: identity.State(*state)})
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(list)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tEMAIL\tSTATE\tNAME")
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Username, a.Email, a.State, a.DisplayName)
		}
		return tw.Flush()
	})
}

func (c *cli) userShow(args []string) error {
	f := c.flags("user show", true)
	return c.with(f, args, 1, "one username", func(pos []string, ids *identity.Store) error {
		a, err := ids.Account(c.ctx, pos[0])
		if err != nil {
			return err
		}
		profiles, err := ids.Profiles(c.ctx, identity.ProfileQuery{Account: a.Username})
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(struct {
				identity.Account
				Profiles []identity.Profile `json:"profiles"`
			}{a, profiles})
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "username\t%s\nname\t%s\nemail\t%s\nemail confirmed\t%s\nlocale\t%s\nstate\t%s\ncreated\t%s\ngroups\t%s\n",
			a.Username, a.DisplayName, a.Email, emailState(a), a.Locale, a.State, a.CreatedAt.Format("2006-01-02 15:04 UTC"), strings.Join(a.Groups, ", "))
		for _, p := range profiles {
			fmt.Fprintf(tw, "profile\t%s on %s (%s)\n", p.Name, p.Service, p.State)
		}
		return tw.Flush()
	})
}

func (c *cli) userState(args []string, verb string, state identity.State) error {
	f := c.flags("user "+verb, false)
	return c.with(f, args, 1, "one username", func(pos []string, ids *identity.Store) error {
		if err := ids.SetState(c.ctx, pos[0], state); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "account %s is %s\n", strings.ToLower(pos[0]), state)
		return nil
	})
}

func (c *cli) userPasswd(args []string) error {
	f := c.flags("user passwd", false)
	fromStdin := f.Bool("password-stdin", false, "read the new password from standard input")
	hashStdin := f.Bool("hash-stdin", false, "read a hash from another system (bcrypt, {SSHA…}, {CRYPT}$5$/$6$, argon2id) from standard input")
	pos, err := f.parse(args, 1, "one username")
	if err != nil {
		return err
	}
	if *fromStdin == *hashStdin {
		return usagef("user passwd needs --password-stdin or --hash-stdin: the secret is read from standard input, never from the command line")
	}
	pw, err := c.readPassword()
	if err != nil {
		return err
	}
	_, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	if *hashStdin {
		// Checked at the next login, then replaced by an argon2id hash.
		err = ids.SetPasswordHash(c.ctx, pos[0], pw)
	} else {
		err = ids.SetPassword(c.ctx, pos[0], pw, 0)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "password of %s changed; its sessions are ended\n", strings.ToLower(pos[0]))
	return nil
}

// userEmail sets an account's address as an administrator, who vouches for
// it: it counts as confirmed (email_verified) from then on.
func (c *cli) userEmail(args []string) error {
	f := c.flags("user email", false)
	return c.with(f, args, 2, "a username and an address", func(pos []string, ids *identity.Store) error {
		a, err := ids.SetEmail(c.ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "address of %s is %s, confirmed by an administrator\n", a.Username, a.Email)
		return nil
	})
}

// userTOTPReset is for a member who lost both the device and the recovery
// codes: the second factor is removed and they enrol again.
func (c *cli) userTOTPReset(args []string) error {
	f := c.flags("user totp-reset", false)
	return c.with(f, args, 1, "one username", func(pos []string, ids *identity.Store) error {
		if err := ids.ResetTOTP(c.ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "two-step verification of %s is reset\n", strings.ToLower(pos[0]))
		return nil
	})
}

// emailState says whether and how the address was confirmed: only a
// confirmed one is asserted to applications (email_verified).
func emailState(a identity.Account) string {
	if !a.EmailConfirmed() {
		return "no (applications are told it is not verified)"
	}
	how := map[identity.Confirmation]string{
		identity.ConfirmedLink:   "by a link mailed to it",
		identity.ConfirmedSignUp: "at sign-up, by the link mailed to it",
		identity.ConfirmedAdmin:  "entered by an administrator",
		identity.ConfirmedImport: "brought by an import",
	}[a.EmailConfirmedBy]
	return fmt.Sprintf("yes, %s, %s", how, a.EmailConfirmedAt.Format("2006-01-02 15:04 UTC"))
}
