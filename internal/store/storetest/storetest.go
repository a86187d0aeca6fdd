// Package storetest opens a fresh, migrated database for a test: SQLite in a
// temporary directory by default, or a throwaway PostgreSQL database when
// PELOTE_TEST_POSTGRES holds the URL of a server the test may create
// databases on (the test command sets it for its second pass).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create databases

	"pelote/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL server URL.
const EnvPostgres = "PELOTE_TEST_POSTGRES"

// Engine returns "postgres" when tests run against PostgreSQL, else "sqlite".
func Engine() string {
	if os.Getenv(EnvPostgres) != "" {
		return "postgres"
	}
	return "sqlite"
}

// DSN returns a database URL for a new empty database and registers its
// removal: "" (SQLite in dir) or a postgres:// URL.
func DSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		return ""
	}
	name := "pelote_test_" + strings.ToLower(rand.Text()[:12])
	adm, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	if _, err := adm.Exec("CREATE DATABASE " + name); err != nil {
		adm.Close()
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		defer adm.Close()
		if _, err := adm.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open returns a database migrated with the store's own migrations and sets,
// closed when the test ends.
func Open(t testing.TB, sets ...store.Migrations) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), DSN(t), t.TempDir())
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), append([]store.Migrations{store.Own()}, sets...)...); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	return db
}
