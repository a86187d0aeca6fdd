package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"pelote/internal/access"
	"pelote/internal/identity"
	"pelote/internal/store"
)

func (c *cli) withAccess(f *flags, args []string, want int, names string, fn func(pos []string, a *access.Store, ids *identity.Store) error) error {
	return c.with(f, args, want, names, func(pos []string, ids *identity.Store) error {
		return fn(pos, c.app.access, ids)
	})
}

func (c *cli) hostAdd(args []string) error {
	f := c.flags("host add", false)
	group := f.String("group", "", "a group whose members may reach the host")
	return c.withAccess(f, args, 1, "one host name", func(pos []string, a *access.Store, _ *identity.Store) error {
		token, err := a.AddHost(c.ctx, pos[0])
		if err != nil {
			return err
		}
		if *group != "" {
			if err := a.Grant(c.ctx, pos[0], *group, true); err != nil {
				return fmt.Errorf("host %s is added, but: %w", pos[0], err)
			}
		}
		fmt.Fprintf(c.stderr, "host %s added; its token (shown once) goes in the host's AuthorizedKeysCommand:\n", strings.ToLower(pos[0]))
		fmt.Fprintln(c.stdout, token)
		return nil
	})
}

func (c *cli) hostList(args []string) error {
	f := c.flags("host list", true)
	return c.withAccess(f, args, 0, "no argument", func(_ []string, a *access.Store, _ *identity.Store) error {
		hosts, err := a.Hosts(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(hosts)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HOST\tMEMBERS\tGROUPS")
		for _, h := range hosts {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", h.Name, strings.Join(h.Members, ","), strings.Join(h.Groups, ","))
		}
		return tw.Flush()
	})
}

func (c *cli) hostRm(args []string) error {
	f := c.flags("host rm", false)
	return c.withAccess(f, args, 1, "one host name", func(pos []string, a *access.Store, _ *identity.Store) error {
		if err := a.RemoveHost(c.ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "host %s removed\n", pos[0])
		return nil
	})
}

// accessChange is `pelote access grant|revoke`.
func (c *cli) accessChange(args []string, grant bool) error {
	f := c.flags("access "+map[bool]string{true: "grant", false: "revoke"}[grant], false)
	asGroup := f.Bool("group", false, "NAME is a group (by default an account, or a group when no account has that name)")
	return c.withAccess(f, args, 2, "ACCOUNT|GROUP HOST", func(pos []string, a *access.Store, ids *identity.Store) error {
		group := *asGroup
		if !group {
			_, err := ids.Account(c.ctx, pos[0])
			switch {
			case errors.Is(err, store.ErrNotFound):
				group = true
			case err != nil:
				return err
			}
		}
		var err error
		if grant {
			err = a.Grant(c.ctx, pos[1], pos[0], group)
		} else {
			err = a.Revoke(c.ctx, pos[1], pos[0], group)
		}
		if err != nil {
			return err
		}
		kind := map[bool]string{true: "group", false: "account"}[group]
		verb := map[bool]string{true: "may now reach", false: "may no longer reach"}[grant]
		fmt.Fprintf(c.stdout, "%s %s %s %s\n", kind, strings.ToLower(pos[0]), verb, strings.ToLower(pos[1]))
		return nil
	})
}

// sshKeys is the client a host's sshd runs as AuthorizedKeysCommand: it
// prints the keys Pelote gives for USER on this host. It never opens the
// database, so it needs no configuration on the host.
func (c *cli) sshKeys(args []string) error {
	f := c.flags("ssh-keys", false)
	server := f.String("server", "", "Pelote's URL, e.g. https://id.example.org")
	token := f.String("token", "", "the host's token (prefer --token-file: the command line is visible to other users)")
	tokenFile := f.String("token-file", "", "file holding the host's token")
	pos, err := f.parse(args, 1, "one username")
	if err != nil {
		return err
	}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return err
		}
		*token = strings.TrimSpace(string(b))
	}
	if *server == "" || *token == "" {
		return usagef("ssh-keys needs --server and --token or --token-file")
	}
	u, err := url.Parse(strings.TrimRight(*server, "/") + "/api/hosts/authorized-keys/" + url.PathEscape(pos[0]))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return usagef("--server %q is not an http(s) URL", *server)
	}
	req, _ := http.NewRequestWithContext(c.ctx, http.MethodGet, u.String(), nil)
	req.Header.Set("Authorization", "Bearer "+*token)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("ssh-keys: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("ssh-keys: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("ssh-keys: %s: %s", res.Status, strings.TrimSpace(string(body)))
	}
	_, err = c.stdout.Write(body)
	return err
}
