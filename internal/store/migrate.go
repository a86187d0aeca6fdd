package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrations are one domain's numbered SQL files, one folder per engine
// ("sqlite", "postgres"). Each domain owns its tables, so each has its own
// version table (pelote_<owner>_version).
type Migrations struct {
	Owner string
	FS    fs.FS
	// Code are the numbered migrations SQL cannot express (a Unicode case
	// fold, say), numbered among the files of FS.
	Code []CodeMigration
}

// CodeMigration is a numbered migration written in Go. Up and Down run in
// the migration's transaction, with the portable SQL of Tx ('?'
// placeholders on both engines).
type CodeMigration struct {
	Version  int64
	Up, Down func(ctx context.Context, tx *Tx) error
}

//go:embed migrations
var ownMigrations embed.FS

// Own returns the store's own migrations (the lease table); apply them first.
func Own() Migrations { return Migrations{Owner: "store", FS: ownMigrations} }

// Migrate applies every pending migration of each set, in order. It refuses a
// database whose schema is newer than this binary knows, rather than run on
// tables it does not understand.
func (db *DB) Migrate(ctx context.Context, sets ...Migrations) error {
	for _, m := range sets {
		if err := db.migrate(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) migrate(ctx context.Context, m Migrations) error {
	sub, err := fs.Sub(m.FS, "migrations/"+db.dialect.String())
	if err != nil {
		return fmt.Errorf("store: migrations of %s: %w", m.Owner, err)
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{
		goose.WithTableName("pelote_" + m.Owner + "_version"),
		goose.WithDisableGlobalRegistry(true),
	}
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Several nodes may start at once: one migrates, the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	for _, c := range m.Code {
		opts = append(opts, goose.WithGoMigrations(goose.NewGoMigration(c.Version, db.goFunc(c.Up), db.goFunc(c.Down))))
	}
	p, err := goose.NewProvider(dialect, db.w, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations of %s: %w", m.Owner, err)
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("store: schema version of %s on %s: %w", m.Owner, db.where, err)
	}
	if current > target {
		return fmt.Errorf("store: the %s schema on %s is at version %d but this Pelote knows only up to %d: run a newer Pelote, or restore a matching backup", m.Owner, db.where, current, target)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate %s: %w", m.Owner, err)
	}
	return nil
}

// goFunc runs fn on goose's transaction as a Tx of db.
func (db *DB) goFunc(fn func(context.Context, *Tx) error) *goose.GoFunc {
	if fn == nil {
		return nil
	}
	return &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		return fn(ctx, &Tx{tx: tx, dialect: db.dialect, db: db})
	}}
}
