package notify

import (
	"testing"

	"pelote/internal/store"
	"pelote/internal/store/storetest"
)

// TestMigrations: the outbox's schema on this engine (SQLite, or
// PostgreSQL under PELOTE_TEST_POSTGRES): applied once, again a no-op,
// a delivery's state constrained, deliveries going with their message.
func TestMigrations(t *testing.T) {
	ctx := t.Context()
	db := storetest.Open(t, Migrations())
	if err := db.Migrate(ctx, Migrations()); err != nil {
		t.Fatalf("migrating again: %v", err)
	}
	var version int
	if err := db.QueryRow(ctx, `SELECT MAX(version_id) FROM pelote_notify_version`).Scan(&version); err != nil || version != 1 {
		t.Fatalf("version %d, %v", version, err)
	}
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO notify_messages (source, subject, subject_key, event, severity, title, body, at, routed, created_at)
			VALUES ('check', 'web', 'check web', 'down', 'critical', 't', '', 1, 1, 1) RETURNING id`).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO notify_deliveries (message_id, channel, subject_key, delivery_key, state, next_try, expires_at, created_at) VALUES (?, 'c', 'k', 'x', ?, 1, 2, 1)`
	if _, err := db.Exec(ctx, insert, id, "pending"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, insert, id, "lost"); err == nil {
		t.Fatal("a delivery in an unknown state was stored")
	}
	if _, err := db.Exec(ctx, insert, id+1, "pending"); err == nil {
		t.Fatal("a delivery of no message was stored")
	}
	if _, err := db.Exec(ctx, `DELETE FROM notify_messages WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	var left int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM notify_deliveries`).Scan(&left)
	if left != 0 {
		t.Fatalf("%d deliveries outlived their message", left)
	}
}
