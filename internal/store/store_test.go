package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pelote/internal/store"
	"pelote/internal/store/storetest"
)

func TestLease(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	steps := []struct {
		name   string
		holder string
		at     time.Time
		want   bool
	}{
		{"first node takes it", "a", now, true},
		{"second node waits", "b", now.Add(10 * time.Second), false},
		{"holder renews", "a", now.Add(20 * time.Second), true},
		{"still held after renewal", "b", now.Add(40 * time.Second), false},
		{"expired lease moves", "b", now.Add(81 * time.Second), true},
		{"old holder lost it", "a", now.Add(82 * time.Second), false},
	}
	for _, s := range steps {
		got, err := db.AcquireLease(ctx, "checks", s.holder, s.at, time.Minute)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
		}
	}
	if err := db.ReleaseLease(ctx, "checks", "b"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.AcquireLease(ctx, "checks", "a", now.Add(83*time.Second), time.Minute); !ok {
		t.Fatal("released lease not taken")
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	db := storetest.Open(t)
	// Pretend a newer Pelote migrated this database.
	if _, err := db.Exec(t.Context(), `INSERT INTO pelote_store_version (version_id, is_applied) VALUES (?, ?)`, 999, true); err != nil {
		t.Fatal(err)
	}
	err := db.Migrate(t.Context(), store.Own())
	if err == nil || !strings.Contains(err.Error(), "knows only up to") {
		t.Fatalf("got %v, want a refusal naming the versions", err)
	}
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	db := storetest.Open(t)
	if err := db.Migrate(t.Context(), store.Own()); err != nil {
		t.Fatal(err)
	}
}

func TestUniqueViolation(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	if _, err := db.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)`, "x", "a", 1); err != nil {
		t.Fatal(err)
	}
	_, err := db.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)`, "x", "b", 1)
	if !store.IsUniqueViolation(err) {
		t.Fatalf("got %v, want a unique violation", err)
	}
}

func TestTxRollsBack(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	boom := errors.New("boom")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)`, "y", "a", 1); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM leases WHERE name = ?`, "y").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rolled-back row visible: n=%d err=%v", n, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Run("data directory not writable", func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ro")
			if err := os.Mkdir(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			_, err := store.Open(context.Background(), "", dir)
			if err == nil || !strings.Contains(err.Error(), "not writable") {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("data directory under a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(context.Background(), "", filepath.Join(file, "data"))
		if err == nil || !strings.Contains(err.Error(), "cannot be created") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("postgres that does not answer", func(t *testing.T) {
		// Port 1 on loopback: nothing listens there, the refusal is immediate.
		_, err := store.Open(context.Background(), "postgres://pelote:secret@127.0.0.1:1/pelote?connect_timeout=2", t.TempDir())
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("error leaks the password: %v", err)
		}
	})
	t.Run("postgres URL that does not parse", func(t *testing.T) {
		_, err := store.Open(context.Background(), "postgres://pelote:secret@127.0.0.1:notaport/x", t.TempDir())
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Fatalf("got %v", err)
		}
	})
}
