package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"pelote/internal/store"
	"pelote/internal/store/storetest"
)

func countLeases(t *testing.T, ctx context.Context, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM leases`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The reads of a snapshot see the database as it was at the first of
// them; once it ends, reads see the writes made meanwhile. PostgreSQL
// reads at each statement.
func TestSnapshotReadsOneState(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	write := func(name string) {
		if err := db.InTx(ctx, func(tx *store.Tx) error { return insertLease(ctx, tx, name) }); err != nil {
			t.Fatal(err)
		}
	}
	write("before")
	snap, end := db.WithSnapshot(ctx)
	defer end()
	if n := countLeases(t, snap, db); n != 1 {
		t.Fatalf("first read: %d leases", n)
	}
	write("meanwhile")
	want := 1
	if db.Dialect() == store.Postgres {
		want = 2
	}
	if n := countLeases(t, snap, db); n != want {
		t.Fatalf("second read in the snapshot: %d leases, want %d", n, want)
	}
	rows, err := db.Query(snap, `SELECT name FROM leases ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	if len(names) != want {
		t.Fatalf("Query in the snapshot: %v", names)
	}
	store.EndSnapshot(snap)
	if n := countLeases(t, snap, db); n != 2 {
		t.Fatalf("after the snapshot's end: %d leases", n)
	}
	end() // a second end is harmless
}

// More snapshots than readers, each reading queries never prepared before:
// none waits for a reader another one holds (preparing needs a free
// reader).
func TestSnapshotsOutnumberReaders(t *testing.T) {
	db := storetest.Open(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	start := make(chan struct{})
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			snap, end := db.WithSnapshot(ctx)
			defer end()
			<-start
			for q := range 3 {
				var got int
				if err := db.QueryRow(snap, fmt.Sprintf(`SELECT %d + ?`, q), i).Scan(&got); err != nil || got != q+i {
					errs <- fmt.Errorf("read %d: %d, %v", q, got, err)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
