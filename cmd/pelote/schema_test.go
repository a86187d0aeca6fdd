package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"pelote/internal/store"
	"pelote/internal/store/storetest"
)

// schema is a database's shape after every migration: each table's
// columns, and its indexes by table, columns and uniqueness (names and
// types differ between the engines and are left out).
type schema struct {
	columns map[string][]string
	indexes []string
}

func (s schema) tables() []string {
	var out []string
	for t := range s.columns {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// sqliteSchema reads the shape of a SQLite database.
func sqliteSchema(ctx context.Context, t *testing.T, db *store.DB) schema {
	t.Helper()
	s := schema{columns: map[string][]string{}}
	tables := query(ctx, t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	for _, tb := range tables {
		s.columns[tb[0]] = column(query(ctx, t, db, `SELECT name FROM pragma_table_info(?)`, tb[0]))
		for _, ix := range query(ctx, t, db, `SELECT name, "unique", origin FROM pragma_index_list(?)`, tb[0]) {
			if ix[2] == "pk" {
				continue
			}
			cols := column(query(ctx, t, db, `SELECT coalesce(name, '(expression)') FROM pragma_index_xinfo(?) WHERE key = 1`, ix[0]))
			s.indexes = append(s.indexes, indexLine(tb[0], cols, ix[1] == "1"))
		}
	}
	slices.Sort(s.indexes)
	return s
}

// postgresSchema reads the shape of the PostgreSQL database's public schema.
func postgresSchema(ctx context.Context, t *testing.T, db *store.DB) schema {
	t.Helper()
	s := schema{columns: map[string][]string{}}
	for _, r := range query(ctx, t, db, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`) {
		s.columns[r[0]] = append(s.columns[r[0]], r[1])
	}
	for _, r := range query(ctx, t, db, `SELECT c.relname, i.indisunique::text,
			array_to_string(array(SELECT coalesce(a.attname, '(expression)') FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
				LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n AND k.n > 0 ORDER BY k.o), ',')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace ns ON ns.oid = c.relnamespace
		WHERE ns.nspname = 'public' AND NOT i.indisprimary`) {
		s.indexes = append(s.indexes, indexLine(r[0], strings.Split(r[2], ","), r[1] == "true"))
	}
	slices.Sort(s.indexes)
	return s
}

func indexLine(table string, cols []string, unique bool) string {
	kind := "index"
	if unique {
		kind = "unique"
	}
	return fmt.Sprintf("%s %s (%s)", table, kind, strings.Join(cols, ", "))
}

func column(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out
}

func query(ctx context.Context, t *testing.T, db *store.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := make([]string, len(cols))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			r[i] = fmt.Sprint(v)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// After every migration, SQLite and PostgreSQL have the same tables, the
// same columns in the same order, and the same indexes and unique
// constraints: the per-engine DDL says one thing twice.
func TestSchemasMatch(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skipf("needs PostgreSQL too (%s)", storetest.EnvPostgres)
	}
	ctx := t.Context()
	open := func(dsn string) *store.DB {
		db, err := store.Open(ctx, dsn, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx, migrations()...); err != nil {
			t.Fatal(err)
		}
		return db
	}
	lite, pg := sqliteSchema(ctx, t, open("")), postgresSchema(ctx, t, open(storetest.DSN(t)))
	if len(lite.columns) < 30 || len(lite.indexes) < 20 {
		t.Fatalf("read only %d tables and %d indexes: %v", len(lite.columns), len(lite.indexes), lite.indexes)
	}
	if got, want := lite.tables(), pg.tables(); !slices.Equal(got, want) {
		t.Errorf("tables differ:\nSQLite     %v\nPostgreSQL %v", got, want)
	}
	for tb, cols := range lite.columns {
		if other, ok := pg.columns[tb]; ok && !slices.Equal(cols, other) {
			t.Errorf("%s: columns differ:\nSQLite     %v\nPostgreSQL %v", tb, cols, other)
		}
	}
	for _, ix := range lite.indexes {
		if !slices.Contains(pg.indexes, ix) {
			t.Errorf("only SQLite has %s", ix)
		}
	}
	for _, ix := range pg.indexes {
		if !slices.Contains(lite.indexes, ix) {
			t.Errorf("only PostgreSQL has %s", ix)
		}
	}
}
