package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"pelote/internal/config"
	"pelote/internal/i18n"
	"pelote/internal/identity"
	"pelote/internal/inventory"
	pmail "pelote/internal/mail"
	"pelote/internal/openid"
	"pelote/internal/pow"
	"pelote/internal/ratelimit"
	"pelote/internal/store"
	"pelote/internal/web"
)

func (c *cli) serve(args []string) error {
	f := c.flags("serve", false)
	if _, err := f.parse(args, 0, "no argument"); err != nil {
		return err
	}
	cfg, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	a := c.app
	log := a.log
	log.Info("database ready", "database", db.String())

	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	// Nodes sharing PostgreSQL count failures and rates together.
	limits := ratelimit.New(db, log)
	st, jobs := a.oidc, a.jobs
	st.Limits = limits
	// Logouts that sessions ending here queue are delivered by this
	// node's worker, woken at once.
	jobs.Handle(openid.LogoutJob, openid.LogoutPolicy, st.DeliverLogout)
	var mailer pmail.Mailer
	if cfg.Mail.Host != "" {
		sender, err := pmail.NewSender(mailConfig(cfg))
		if err != nil {
			return err
		}
		jobs.Handle(pmail.Job, pmail.Policy, sender.Deliver)
		mailer = pmail.NewOutbox(jobs, db)
	}
	// Every node makes sure keys exist before it signs anything; rotation
	// itself runs with the hourly upkeep.
	if err := st.MaintainKeys(c.ctx); err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	provider, err := openid.NewProvider(st, cfg.URL, cfg.OIDC.TokenRate, log)
	if err != nil {
		return err
	}
	notifier, err := newNotifier(cfg, db, ids, log)
	if err != nil {
		return err
	}
	// SIGHUP reloads the supervision sections of the configuration, all
	// of them or, on any error, none.
	reload := config.NewReloader(cfg, func() (config.Config, error) { return f.conf.Load(c.env) }, log)
	reload.OnReload("notify", func(next config.Config) (func(), error) {
		s, err := next.NotifySettings()
		if err != nil {
			return nil, err
		}
		return notifier.Prepare(s)
	})
	inv, err := cfg.LoadInventory()
	if err != nil {
		return err
	}
	holder := inventory.NewHolder(inv)
	accessStore := a.access
	watcher, err := newWatcher(cfg, db, holder, notifier, cat, log)
	if err != nil {
		return err
	}
	// Reloading the configuration swaps the inventory, the tokens and the
	// interval: see reloadInventory.
	interval := &atomicDuration{}
	interval.Store(time.Duration(cfg.Releases.Interval))
	reload.OnReload("inventory", reloadInventory(holder, watcher, interval))
	var puzzles *pow.Puzzles
	if cfg.Registration.ProofOfWork > 0 {
		puzzles = pow.New(db, c.keys.Key("proof of work"), cfg.Registration.ProofOfWork)
	}
	sup, err := startMonitor(c.ctx, cfg, db, cat, log, notifier)
	if err != nil {
		return err
	}
	reload.OnReload("checks", sup.prepare)
	reload.OnOutcome(sup.showReload)
	srv, err := web.New(web.Options{
		PublicURL: cfg.PublicURL(), TrustedProxies: cfg.Proxies(),
		LoginPerAccount: cfg.Login.PerAccount, LoginPerAddress: cfg.Login.PerAddress, LoginWindow: time.Duration(cfg.Login.Window),
		Version: buildVersion(), OIDC: provider, ChallengeKey: c.keys.Key("login challenge"), Access: accessStore,
		Forward: forwardAuth(cfg), Mailer: mailer,
		Registration: cfg.Registration.Mode, SignUpsPerHour: cfg.Registration.PerHour, PoW: puzzles,
		TermsURL: cfg.Registration.TermsURL, AuthorizeRate: cfg.OIDC.AuthorizeRate, Limits: limits,
		Notify: notifier, ReloadStatus: func() (time.Time, error) { st := reload.Status(); return st.At, st.Err },
		Transparency: newTransparency(holder, ids, accessStore, st, watcher), Releases: watcher,
		Monitor: sup.web,
	}, ids, db, cat, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (choose another --listen)", cfg.Listen, err)
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls_cert/tls_key: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}})
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	if err := c.announceSetup(ids, cfg.URL); err != nil {
		ln.Close()
		return err
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	go maintain(ctx, db, ids, st, pow.New(db, nil, 0), log) // purging needs no key
	go jobs.Run(ctx)
	go notifier.Run(ctx)
	go reload.Watch(ctx, syscall.SIGHUP)
	go watcher.Run(ctx, interval.Load)
	sup.run(ctx)
	stopLDAP, err := startLDAP(ctx, cfg, db, ids, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopLDAP()

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	srv.SetReady(true)
	log.Info("listening", "address", ln.Addr().String(), "url", cfg.URL, "version", buildVersion())

	select {
	case err := <-served:
		return fmt.Errorf("web server: %w", err)
	case <-c.ctx.Done():
	}
	// Not ready first, so a proxy polling /readyz stops sending traffic,
	// then let requests in flight finish.
	srv.SetReady(false)
	log.Info("shutting down")
	shutdownCtx, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// announceSetup prints a single-use link to create the first administrator
// when no account exists. It goes to standard error, not to the log: it is a
// secret meant for the person starting Pelote.
func (c *cli) announceSetup(ids *identity.Store, base string) error {
	empty, err := ids.NeedsSetup(c.ctx)
	if err != nil || !empty {
		return err
	}
	token, err := ids.CreateSetupToken(c.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "\nNo account exists yet. Within %v, open this link to create the first administrator:\n\n    %s/setup/%s\n\n(or run: pelote user add NAME --email ADDRESS --admin --password-stdin)\n\n",
		identity.SetupLinkTTL, base, token)
	return nil
}

func (c *cli) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

// maintain runs the hourly upkeep on one node only, the node holding the
// lease: expired sessions, sign-ups never confirmed, signing-key rotation,
// spent OpenID rows and proof-of-work challenges. If that node dies,
// another takes the lease when it lapses.
func maintain(ctx context.Context, db *store.DB, ids *identity.Store, st *openid.Store, puzzles *pow.Puzzles, log *slog.Logger) {
	node := rand.Text()
	const every, lease = time.Hour, 2 * time.Hour
	for {
		ok, err := db.AcquireLease(ctx, "maintenance", node, time.Now(), lease)
		switch {
		case errors.Is(err, context.Canceled):
			return
		case err != nil:
			log.Warn("session purge: lease", "err", err)
		case ok:
			if n, err := ids.PurgeSessions(ctx); err != nil {
				log.Warn("session purge", "err", err)
			} else if n > 0 {
				log.Info("expired sessions purged", "count", n)
			}
			if n, err := ids.PurgeSignUps(ctx); err != nil {
				log.Warn("sign-up purge", "err", err)
			} else if n > 0 {
				log.Info("unconfirmed sign-ups purged", "count", n)
			}
			if err := st.Maintain(ctx); err != nil {
				log.Warn("openid maintenance", "err", err)
			}
			if _, err := puzzles.Purge(ctx); err != nil {
				log.Warn("proof-of-work purge", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// forwardAuth is /auth/forward's configuration, nil when no rule is set.
func forwardAuth(cfg config.Config) *web.ForwardAuth {
	if len(cfg.ForwardAuth.Rules) == 0 {
		return nil
	}
	return &web.ForwardAuth{CookieDomain: strings.TrimPrefix(cfg.ForwardAuth.CookieDomain, "."), Rules: cfg.ForwardRules()}
}
