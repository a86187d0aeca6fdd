package releases

import (
	"testing"

	"pelote/internal/store/storetest"
)

// TestMigrations: the tables exist on the engine under test, at version 1
// of their own version table, and migrating again changes nothing.
func TestMigrations(t *testing.T) {
	db := storetest.Open(t, Migrations())
	if err := db.Migrate(t.Context(), Migrations()); err != nil {
		t.Fatal(err)
	}
	var v int64
	if err := db.QueryRow(t.Context(), `SELECT MAX(version_id) FROM pelote_releases_version`).Scan(&v); err != nil || v != 1 {
		t.Fatalf("version %d, %v", v, err)
	}
	for _, table := range []string{"release_sources", "release_running", "release_notices", "release_limits"} {
		var n int
		if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Errorf("%s: %v", table, err)
		}
	}
	// Dates are Unix seconds: far dates fit on both engines.
	if _, err := db.Exec(t.Context(), `INSERT INTO release_limits (host, until) VALUES (?, ?)`, "h", int64(1)<<40); err != nil {
		t.Fatal(err)
	}
}
