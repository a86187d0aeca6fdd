package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"pelote/internal/store"
	"pelote/internal/store/storetest"
)

// insertLease is one caller's write in the tests below.
func insertLease(ctx context.Context, tx *store.Tx, name string) error {
	_, err := tx.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)`, name, "a", 1)
	return err
}

func TestGroupTxIsolatesFailures(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	const callers = 40
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			errs[i] = db.InGroupTx(ctx, func(tx *store.Tx) error {
				if err := insertLease(ctx, tx, fmt.Sprintf("ok-%d", i)); err != nil {
					return err
				}
				switch i % 4 {
				case 1:
					// A failing caller loses its own writes only.
					insertLease(ctx, tx, fmt.Sprintf("lost-%d", i))
					return errors.New("refused")
				case 2:
					// A duplicate name fails in the database itself.
					return insertLease(ctx, tx, fmt.Sprintf("ok-%d", i))
				case 3:
					if i == 3 {
						panic("bug in a caller")
					}
				}
				return nil
			})
		})
	}
	wg.Wait()
	want := 0
	for i, err := range errs {
		switch {
		case i%4 == 1 && (err == nil || err.Error() != "refused"):
			t.Errorf("caller %d: %v, want its own error", i, err)
		case i%4 == 2 && !store.IsUniqueViolation(err):
			t.Errorf("caller %d: %v, want a unique violation", i, err)
		case i == 3 && (err == nil || !strings.Contains(err.Error(), "panic")):
			t.Errorf("caller %d: %v, want the panic as an error", i, err)
		case (i%4 == 0 || (i%4 == 3 && i != 3)) && err != nil:
			t.Errorf("caller %d: %v", i, err)
		}
		if err == nil {
			want++
		}
	}
	var got, lost int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM leases WHERE name LIKE 'ok-%'`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM leases WHERE name LIKE 'lost-%'`).Scan(&lost); err != nil {
		t.Fatal(err)
	}
	if got != want || lost != 0 {
		t.Fatalf("%d rows of successful callers (want %d), %d of failed ones", got, want, lost)
	}
}

func TestGroupTxCancelledAndClosed(t *testing.T) {
	db := storetest.Open(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := db.InGroupTx(ctx, func(tx *store.Tx) error { return insertLease(ctx, tx, "never") })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	if err := db.InGroupTx(t.Context(), func(tx *store.Tx) error { return insertLease(t.Context(), tx, "first") }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	err = db.InGroupTx(t.Context(), func(tx *store.Tx) error { return insertLease(t.Context(), tx, "late") })
	if err == nil {
		t.Fatal("a closed database took a write")
	}
}

// AfterCommit hooks run once the writes are committed, and only the hooks
// of what was committed.
func TestAfterCommit(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	for _, run := range []struct {
		name string
		tx   func(context.Context, func(*store.Tx) error) error
	}{{"alone", db.InTx}, {"grouped", db.InGroupTx}} {
		t.Run(run.name, func(t *testing.T) {
			var mu sync.Mutex
			ran := map[string]bool{}
			var wg sync.WaitGroup
			for i := range 12 {
				wg.Go(func() {
					name := fmt.Sprintf("%s-%d", run.name, i)
					_ = run.tx(ctx, func(tx *store.Tx) error {
						if err := insertLease(ctx, tx, name); err != nil {
							return err
						}
						tx.AfterCommit(func() {
							// The writes are visible to anyone by now.
							var n int
							_ = db.QueryRow(context.Background(), `SELECT COUNT(*) FROM leases WHERE name = ?`, name).Scan(&n)
							mu.Lock()
							ran[name] = n == 1
							mu.Unlock()
						})
						if i%3 == 0 {
							return errors.New("refused")
						}
						return nil
					})
				})
			}
			wg.Wait()
			for i := range 12 {
				name := fmt.Sprintf("%s-%d", run.name, i)
				visible, called := ran[name]
				if want := i%3 != 0; called != want || called && !visible {
					t.Errorf("%s: hook called %v (want %v), writes visible then %v", name, called, want, visible)
				}
			}
		})
	}
}

// InGroupTxLater returns before fn ran; wait then says whether the writes
// reached the disk. A failing fn is told by wait and leaves nothing.
func TestGroupTxLater(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	wait := db.InGroupTxLater(ctx, func(tx *store.Tx) error { return insertLease(ctx, tx, "later") })
	if err := wait(); err != nil {
		t.Fatalf("wait: %v", err)
	}
	if err := wait(); err != nil {
		t.Fatalf("wait, asked again: %v", err)
	}
	var n int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM leases WHERE name = 'later'`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d rows after wait", n)
	}
	boom := errors.New("boom")
	failed := db.InGroupTxLater(ctx, func(tx *store.Tx) error {
		if err := insertLease(ctx, tx, "failed"); err != nil {
			return err
		}
		return boom
	})
	if err := failed(); !errors.Is(err, boom) {
		t.Fatalf("a failing fn: %v", err)
	}
	// The committer goes on, and the failed writes are not there.
	if err := db.InGroupTx(ctx, func(tx *store.Tx) error { return insertLease(ctx, tx, "after") }); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(ctx, `SELECT COUNT(*) FROM leases WHERE name = 'failed'`).Scan(&n)
	if n != 0 {
		t.Fatal("the failed fn's writes were committed")
	}
	// A closed database answers at once.
	db.Close()
	if err := db.InGroupTxLater(ctx, func(tx *store.Tx) error { return nil })(); err == nil {
		t.Fatal("a closed database took writes")
	}
}
