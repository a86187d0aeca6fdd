package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"pelote/internal/access"
	"pelote/internal/config"
	"pelote/internal/identity"
	"pelote/internal/ldap"
	"pelote/internal/ratelimit"
	"pelote/internal/store"
)

func (c *cli) bindUserRemove(args []string) error {
	f := c.flags("ldap bind-user rm", false)
	return c.withBindUsers(f, args, 1, "one name", func(pos []string, b *ldap.BindUsers) error {
		if err := b.Remove(c.ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "service account %s removed\n", pos[0])
		return nil
	})
}

func (c *cli) withBindUsers(f *flags, args []string, want int, names string, fn func(pos []string, b *ldap.BindUsers) error) error {
	return c.with(f, args, want, names, func(pos []string, ids *identity.Store) error {
		return fn(pos, ldap.NewBindUsers(c.db, ids.Hasher()))
	})
}

func (c *cli) bindUserAdd(args []string) error {
	f := c.flags("ldap bind-user add", false)
	desc := f.String("description", "", "what the account is for (e.g. Nextcloud)")
	fromStdin := f.Bool("password-stdin", false, "read the password from standard input")
	pos, err := f.parse(args, 1, "one name")
	if err != nil {
		return err
	}
	if !*fromStdin {
		return usagef("ldap bind-user add needs --password-stdin: the password is read from standard input, never from the command line")
	}
	pw, err := c.readPassword()
	if err != nil {
		return err
	}
	cfg, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := ldap.NewTree(cfg.LDAP.BaseDN)
	if err != nil {
		return err
	}
	if err := ldap.NewBindUsers(db, ids.Hasher()).Add(c.ctx, pos[0], pw, *desc); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "service account created: bind as uid=%s,ou=services,%s\n", pos[0], t.Base)
	return nil
}

func (c *cli) bindUserList(args []string) error {
	f := c.flags("ldap bind-user list", true)
	return c.withBindUsers(f, args, 0, "no argument", func(_ []string, b *ldap.BindUsers) error {
		list, err := b.List(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(list)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED\tDESCRIPTION")
		for _, u := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.CreatedAt.Format("2006-01-02"), u.Description)
		}
		return tw.Flush()
	})
}

// startLDAP serves the directory when ldap.listen is set; the returned
// stop closes it.
func startLDAP(ctx context.Context, cfg config.Config, db *store.DB, ids *identity.Store, log *slog.Logger) (stop func(), err error) {
	if cfg.LDAP.Listen == "" {
		return func() {}, nil
	}
	tree, err := ldap.NewTree(cfg.LDAP.BaseDN, cfg.LDAP.ProfileServices...)
	if err != nil {
		return nil, err
	}
	dir, err := ldap.NewDirectory(ctx, tree, ids, access.NewStore(db), log)
	if err != nil {
		return nil, fmt.Errorf("ldap: first directory load: %w", err)
	}
	lc := ldap.Config{Tree: tree, AllowAnonymous: cfg.LDAP.AllowAnonymous, LDAPS: cfg.LDAP.TLS == "ldaps",
		RequireTLS: cfg.LDAPRequireTLS(), BindFailures: cfg.Login.PerAccount, BindWindow: time.Duration(cfg.Login.Window),
		BindFailuresPerAddress: cfg.Login.PerAddress, Applications: cfg.LDAPApplications(), Limits: ratelimit.New(db, log)}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("tls_cert/tls_key: %w", err)
		}
		lc.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := ldap.NewServer(lc, dir, ids, ldap.NewBindUsers(db, ids.Hasher()), log)
	if err != nil {
		return nil, err
	}
	watchCtx, cancel := context.WithCancel(ctx)
	go dir.Watch(watchCtx, time.Second)
	failed := make(chan error, 1)
	go func() { failed <- srv.Serve(cfg.LDAP.Listen) }()
	// The server listens inside Serve: wait for it, or for its error.
	for deadline := time.Now().Add(5 * time.Second); !srv.Ready(); {
		select {
		case err := <-failed:
			cancel()
			return nil, fmt.Errorf("ldap: cannot listen on %s: %w (choose another ldap.listen)", cfg.LDAP.Listen, err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			return nil, fmt.Errorf("ldap: listener on %s did not start", cfg.LDAP.Listen)
		}
	}
	log.Info("ldap listening", "address", cfg.LDAP.Listen, "base_dn", tree.Base, "tls", cfg.LDAP.TLS)
	return func() {
		cancel()
		if err := srv.Stop(); err != nil {
			log.Warn("ldap stop", "err", err)
		}
	}, nil
}
