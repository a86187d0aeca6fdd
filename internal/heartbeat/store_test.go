package heartbeat

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"pelote/internal/store"
	"pelote/internal/store/storetest"
)

const id = "4b4f3c2e-1d0a-4c8b-9e7f-0a1b2c3d4e5f"

// The migrations apply on both engines, twice without harm, and the
// store keeps runs, run times and the registration across a restart.
func TestStoreRunsAndRestart(t *testing.T) {
	db := storetest.Open(t, Migrations())
	if err := db.Migrate(t.Context(), Migrations()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	s := NewStore(db)
	t0 := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)
	if _, err := s.State(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown heartbeat: %v", err)
	}
	if err := s.Register(ctx, []string{id}, t0); err != nil {
		t.Fatal(err)
	}
	// A second registration (a restart) keeps the first time.
	if err := s.Register(ctx, []string{id}, t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(ctx, Ping{UUID: id, Kind: Start, ExitCode: -1, At: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Record(ctx, Ping{UUID: id, Kind: Fail, ExitCode: 2, At: t0.Add(time.Hour + 90*time.Second), Body: []byte("error"), Size: 200 << 10})
	if err != nil || !p.Truncated() {
		t.Fatalf("ping %+v %v", p, err)
	}
	st, err := s.State(ctx, id)
	if err != nil || !st.Registered.Equal(t0) || st.LastKind != Fail || st.LastExit != 2 || st.LastDuration != 90*time.Second ||
		!st.LastStart.IsZero() || !st.LastSuccess.IsZero() || st.LastPingID == 0 {
		t.Fatalf("state %+v %v", st, err)
	}
	p.ID = st.LastPingID
	// The deadline runs from the stored registration: a restart two days
	// later finds the job late at once.
	v := Evaluate(Spec{UUID: id, Period: 24 * time.Hour, Grace: time.Hour, TZ: "UTC"}, State{Registered: st.Registered}, t0.Add(48*time.Hour))
	if v.OK {
		t.Fatal("a restart reset the deadline")
	}
	body, size, err := s.Body(ctx, p.ID)
	if err != nil || string(body) != "error" || size != 200<<10 {
		t.Fatalf("body %q %d %v", body, size, err)
	}
	for i := range KeepRuns + 20 {
		if _, err := s.Record(ctx, Ping{UUID: id, Kind: Success, At: t0.Add(time.Duration(i+2) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Purge(ctx); err != nil || n != 22 {
		t.Fatalf("purged %d %v", n, err)
	}
	runs, err := s.Runs(ctx, id, 1000, false)
	if err != nil || len(runs) != KeepRuns || runs[0].Kind != Success {
		t.Fatalf("%d runs %v", len(runs), err)
	}
}

// Pings arriving together are written in one batch: a start and its end
// in the same batch keep their order and the end its run time, and
// concurrent pings all get stored.
func TestBatchedPings(t *testing.T) {
	db := storetest.Open(t, Migrations())
	ctx := t.Context()
	s := NewStore(db)
	t0 := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)
	other := "0f8fad5b-d9cb-469f-a165-70867728950e"
	items := []*pingItem{
		{ctx: ctx, p: Ping{UUID: id, Kind: Start, ExitCode: -1, At: t0, Body: []byte{}}},
		{ctx: ctx, p: Ping{UUID: other, Kind: Success, At: t0, Body: []byte("ok")}},
		{ctx: ctx, p: Ping{UUID: id, Kind: Success, At: t0.Add(90 * time.Second), Body: []byte{}}},
	}
	if err := s.writeBatch(items); err != nil {
		t.Fatal(err)
	}
	if items[2].p.Duration != 90*time.Second || items[2].p.ID == 0 {
		t.Fatalf("end of run: %+v", items[2].p)
	}
	st, err := s.State(ctx, id)
	if err != nil || st.LastKind != Success || st.LastDuration != 90*time.Second || !st.LastStart.IsZero() || st.LastPingID != items[2].p.ID {
		t.Fatalf("state %+v %v", st, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			u := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i%10)
			if _, err := s.Record(ctx, Ping{UUID: u, Kind: Success, At: t0.Add(time.Duration(i) * time.Second)}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM heartbeat_pings`).Scan(&n)
	if n != 203 {
		t.Fatalf("%d pings stored", n)
	}
}
