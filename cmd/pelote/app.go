package main

import (
	"log/slog"
	"strings"

	"pelote/internal/access"
	"pelote/internal/config"
	"pelote/internal/heartbeat"
	"pelote/internal/identity"
	"pelote/internal/ldap"
	"pelote/internal/monitor"
	"pelote/internal/notify"
	"pelote/internal/openid"
	"pelote/internal/pow"
	"pelote/internal/queue"
	"pelote/internal/ratelimit"
	"pelote/internal/releases"
	"pelote/internal/secret"
	"pelote/internal/store"
)

// app is the application one invocation works with, built once by open
// from the configuration: the migrated database and the domain stores
// wired to each other. serve adds its listeners and workers to it; every
// other verb uses the parts it needs.
type app struct {
	cfg  config.Config
	db   *store.DB
	keys *secret.Keyring
	log  *slog.Logger
	ids  *identity.Store
	// oidc is the OpenID provider's store. Sessions and grants a verb ends
	// (user disable, user passwd) reach the applications through jobs,
	// which serve's worker delivers.
	oidc   *openid.Store
	jobs   *queue.Queue
	access *access.Store
}

// migrations are every domain's, in the order they are applied.
func migrations() []store.Migrations {
	return []store.Migrations{store.Own(), identity.Migrations(), openid.Migrations(), queue.Migrations(), ldap.Migrations(), access.Migrations(), pow.Migrations(),
		notify.Migrations(), releases.Migrations(), monitor.Migrations(), heartbeat.Migrations(), ratelimit.Migrations()}
}

// open loads the configuration, opens and migrates the database and
// builds the application on it. The caller closes a.db.
func (c *cli) open(f *flags) (config.Config, *store.DB, *identity.Store, error) {
	cfg, err := f.conf.Load(c.env)
	if err != nil {
		return cfg, nil, nil, err
	}
	db, err := store.Open(c.ctx, cfg.Database, cfg.Data)
	if err != nil {
		return cfg, nil, nil, err
	}
	if err := db.Migrate(c.ctx, migrations()...); err != nil {
		db.Close()
		return cfg, nil, nil, err
	}
	keys, err := secret.LoadOrCreate(cfg.SecretPath())
	if err != nil {
		db.Close()
		return cfg, nil, nil, err
	}
	a := &app{cfg: cfg, db: db, keys: keys, log: c.logger(cfg.Level())}
	hasher := identity.NewHasher(cfg.Argon2())
	hasher.Log = a.log
	a.ids = identity.NewStore(db, hasher)
	a.ids.Sessions = cfg.Sessions()
	a.ids.Seal = keys.Sealer("totp")
	a.jobs = queue.New(db, a.log)
	a.oidc = openid.NewStore(db, a.ids, keys, a.log)
	a.oidc.Life = cfg.Lifetimes()
	a.oidc.Issuer = strings.TrimRight(cfg.URL, "/")
	a.oidc.Queue = a.jobs
	a.ids.SessionsEnded = a.oidc.SessionsEnded
	a.ids.PasswordChanged = a.oidc.RevokeAccountGrants
	a.access = access.NewStore(db)
	c.app, c.keys, c.db = a, keys, db
	return cfg, db, a.ids, nil
}
