package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pelote/internal/store"
	"pelote/internal/store/storetest"
	"pelote/internal/testkit"
)

var quiet = testkit.Quiet

func newQueue(t *testing.T, db *store.DB) (*Queue, *testkit.Clock) {
	if db == nil {
		db = storetest.Open(t, Migrations())
	}
	q := New(db, quiet)
	c := testkit.NewClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	q.Now = c.Now
	return q, c
}

var policy = Policy{MaxAttempts: 3, MinBackoff: time.Minute, MaxBackoff: time.Hour}

func TestOutcomes(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name      string
		handler   Handler
		wantState string // "" = deleted
		wantRuns  int    // after advancing time enough for every retry
	}{
		{"success deletes", func(context.Context, []byte) error { return nil }, "", 1},
		{"errors retry then fail", func(context.Context, []byte) error { return errors.New("peer down") }, "failed", 3},
		{"permanent fails at once", func(context.Context, []byte) error { return Permanent(errors.New("refused")) }, "failed", 1},
		{"panic is a failed attempt", func(context.Context, []byte) error { panic("boom") }, "failed", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, c := newQueue(t, nil)
			runs := 0
			q.Handle("k", policy, func(ctx context.Context, p []byte) error { runs++; return tt.handler(ctx, p) })
			id, err := q.Enqueue(ctx, q.db, "k", []byte("payload"))
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if _, err := q.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				c.Add(2 * time.Hour)
			}
			if runs != tt.wantRuns {
				t.Errorf("ran %d times, want %d", runs, tt.wantRuns)
			}
			jobs, _ := q.Jobs(ctx, "", 10)
			switch {
			case tt.wantState == "" && len(jobs) != 0:
				t.Errorf("job left: %+v", jobs)
			case tt.wantState != "" && (len(jobs) != 1 || jobs[0].State != tt.wantState || jobs[0].LastError == "" || jobs[0].ID != id):
				t.Errorf("jobs %+v, want one %s with its error", jobs, tt.wantState)
			}
		})
	}
}

func TestBackoffGrowsAndRetryRevives(t *testing.T) {
	ctx := t.Context()
	q, c := newQueue(t, nil)
	fail := true
	runs := 0
	q.Handle("k", policy, func(context.Context, []byte) error {
		runs++
		if fail {
			return errors.New("down")
		}
		return nil
	})
	q.Enqueue(ctx, q.db, "k", nil)
	q.RunOnce(ctx)
	// Not due again before the first backoff (at least half a minute).
	c.Add(20 * time.Second)
	q.RunOnce(ctx)
	if runs != 1 {
		t.Fatalf("retried before its backoff: %d runs", runs)
	}
	if d1, d3 := policy.backoff(1), policy.backoff(3); d1 > time.Minute || d3 < 2*time.Minute {
		t.Errorf("backoff does not grow: %v then %v", d1, d3)
	}
	for range 5 {
		c.Add(2 * time.Hour)
		q.RunOnce(ctx)
	}
	failed, _ := q.Jobs(ctx, "failed", 10)
	if len(failed) != 1 {
		t.Fatalf("failed jobs %+v", failed)
	}
	if p, f, _ := q.Stats(ctx); p != 0 || f != 1 {
		t.Fatalf("stats %d pending %d failed", p, f)
	}
	fail = false
	if err := q.Retry(ctx, failed[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := q.Retry(ctx, failed[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("retrying a job that is not failed: %v", err)
	}
	q.RunOnce(ctx)
	if jobs, _ := q.Jobs(ctx, "", 10); len(jobs) != 0 {
		t.Fatalf("revived job not done: %+v", jobs)
	}
}

func TestEnqueueFollowsTheTransaction(t *testing.T) {
	ctx := t.Context()
	q, _ := newQueue(t, nil)
	err := q.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := q.Enqueue(ctx, tx, "k", nil); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if jobs, _ := q.Jobs(ctx, "", 10); len(jobs) != 0 {
		t.Fatalf("rolled-back job kept: %+v", jobs)
	}
}

func TestUnknownKindsAndExpiredLocks(t *testing.T) {
	ctx := t.Context()
	q, c := newQueue(t, nil)
	q.Handle("mine", policy, func(context.Context, []byte) error { return nil })
	q.Enqueue(ctx, q.db, "theirs", nil)
	if n, _ := q.RunOnce(ctx); n != 0 {
		t.Fatal("ran a kind this node has no handler for")
	}
	// A worker died holding a job: the lock lapses and the job runs.
	id, _ := q.Enqueue(ctx, q.db, "mine", nil)
	q.db.Exec(ctx, `UPDATE queue_jobs SET locked_until = ? WHERE id = ?`, c.Now().Add(time.Minute).Unix(), id)
	if n, _ := q.RunOnce(ctx); n != 0 {
		t.Fatal("ran a locked job")
	}
	c.Add(2 * time.Minute)
	if n, _ := q.RunOnce(ctx); n != 1 {
		t.Fatal("expired lock not reclaimed")
	}
}

func TestWorkersShareJobsOnce(t *testing.T) {
	ctx := t.Context()
	dsn := storetest.DSN(t)
	dir := t.TempDir()
	var runs sync.Map
	var total atomic.Int64
	var queues []*Queue
	for range 2 {
		db, err := store.Open(ctx, dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx, Migrations()); err != nil {
			t.Fatal(err)
		}
		q := New(db, quiet)
		q.Handle("k", policy, func(_ context.Context, p []byte) error {
			total.Add(1)
			if _, dup := runs.LoadOrStore(string(p), true); dup {
				t.Errorf("job %s ran twice", p)
			}
			return nil
		})
		queues = append(queues, q)
	}
	const jobs = 200
	for i := range jobs {
		if _, err := queues[0].Enqueue(ctx, queues[0].db, "k", fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, q := range queues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := q.RunOnce(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if total.Load() != jobs {
		t.Fatalf("%d deliveries for %d jobs", total.Load(), jobs)
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	q, _ := newQueue(t, nil)
	done := make(chan struct{})
	delivered := make(chan struct{}, 1)
	q.Now = time.Now
	q.Handle("k", policy, func(context.Context, []byte) error { delivered <- struct{}{}; return nil })
	ctx, cancel := context.WithCancel(t.Context())
	go func() { q.Run(ctx); close(done) }()
	q.Enqueue(ctx, q.db, "k", nil)
	q.Wake()
	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
		t.Fatal("woken worker did not run the job")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func BenchmarkEnqueueRun(b *testing.B) {
	ctx := b.Context()
	q := New(storetest.Open(b, Migrations()), quiet)
	q.Handle("k", policy, func(context.Context, []byte) error { return nil })
	b.ResetTimer()
	for range b.N {
		if _, err := q.Enqueue(ctx, q.db, "k", []byte("x")); err != nil {
			b.Fatal(err)
		}
		if n, err := q.RunOnce(ctx); err != nil || n != 1 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
