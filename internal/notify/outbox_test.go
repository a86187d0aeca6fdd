package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pelote/internal/store"
	"pelote/internal/store/storetest"
)

func TestRouting(t *testing.T) {
	hook := func(name string) ChannelConfig {
		return ChannelConfig{Name: name, Kind: "webhook", URL: "http://127.0.0.1:1/" + name}
	}
	s := Settings{
		Channels: []ChannelConfig{hook("chat"), hook("pager"), hook("fallback"), hook("alerts"),
			{Name: "owners", Kind: "email"}, {Name: "ops-mail", Kind: "email", To: []string{"ops@example.org"}}},
		Routes: []Route{
			{MatchTags: []string{"mail"}, MinSeverity: Warning, Channels: []string{"chat", "ops-mail"}},
			{MinSeverity: Critical, Channels: []string{"pager", "chat"}},
			{MatchTags: []string{"web"}, Channels: []string{"owners"}, Owner: true},
			{MatchSources: []string{"alertmanager"}, Channels: []string{"alerts"}},
		},
		Default: []string{"fallback"},
	}
	n, _ := newNotifier(t, nil, Options{Mail: noMail{}}, s)
	st := n.cur.Load()
	tests := []struct {
		name string
		m    Message
		want []string
	}{
		{"tags and severity", Message{Severity: Warning, Tags: []string{"mail", "smtp"}}, []string{"chat", "ops-mail"}},
		{"below the route's severity", Message{Severity: Info, Tags: []string{"mail"}}, []string{"fallback"}},
		{"two routes, each channel once", Message{Severity: Critical, Tags: []string{"mail"}}, []string{"chat", "ops-mail", "pager"}},
		{"owner route with an owner", Message{Severity: Info, Tags: []string{"web"}, Owner: "webteam"}, []string{"owners+owner"}},
		{"owner route without an owner: an address-less channel has no one to mail", Message{Severity: Info, Tags: []string{"web"}}, nil},
		{"by source", Message{Source: "alertmanager", Severity: Info}, []string{"alerts"}},
		{"nothing matches", Message{Severity: Info, Tags: []string{"dns"}}, []string{"fallback"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tg := range st.route(&tt.m) {
				name := tg.channel
				if tg.toOwner {
					name += "+owner"
				}
				got = append(got, name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("routed to %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEnqueueFollowsTheTransaction(t *testing.T) {
	r := newReceiver(t, nil)
	n, _ := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: r.URL}}, Default: []string{"hook"}})
	errRollback := errors.New("the check's state change failed")
	err := n.db.InTx(t.Context(), func(tx *store.Tx) error {
		if err := n.Enqueue(t.Context(), tx, down); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if k := deliverAll(t, n); k != 0 || len(r.requests()) != 0 {
		t.Fatalf("a rolled-back message was sent (%d)", k)
	}
	if err := n.Enqueue(t.Context(), nil, Message{Source: "check", Subject: "x", Event: "down", Severity: "urgent"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a bad severity: %v", err)
	}
}

// TestChannelDownForever: a receiver answering 500 to everything gets the
// delivery again and again, with growing waits, until it expires; then it
// stays, failed, with its last error; nothing else is lost, and "retry
// now" puts it back.
func TestChannelDownForever(t *testing.T) {
	var mu sync.Mutex
	healthy := false
	r := newReceiver(t, func(int) int {
		mu.Lock()
		defer mu.Unlock()
		if healthy {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	})
	n, c := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: r.URL}}, Default: []string{"hook"},
		Expiry: 24 * time.Hour, MinBackoff: time.Minute, MaxBackoff: time.Hour,
	})
	if err := n.Enqueue(t.Context(), nil, down); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, n)
	o, _ := n.Overview(t.Context())
	if len(o.Pending) != 1 || o.Pending[0].Attempts != 1 || !strings.Contains(o.Pending[0].LastError, "answered 500") || o.Pending[0].NextTry.IsZero() {
		t.Fatalf("after one failure: %+v", o.Pending)
	}
	first := o.Pending[0].NextTry.Sub(c.Now())
	if first < 30*time.Second || first > time.Minute {
		t.Fatalf("first wait %v, want between half and all of min_backoff", first)
	}
	// Not tried again before its time.
	c.Add(first - time.Second)
	if deliverAll(t, n); len(r.requests()) != 1 {
		t.Fatalf("retried early: %d requests", len(r.requests()))
	}
	var waits []time.Duration
	for range 100 {
		o, _ = n.Overview(t.Context())
		if len(o.Pending) == 0 {
			break
		}
		wait := o.Pending[0].NextTry.Sub(c.Now())
		waits = append(waits, wait)
		c.Add(wait)
		deliverAll(t, n)
	}
	o, _ = n.Overview(t.Context())
	if len(o.Failed) != 1 || len(o.Pending) != 0 {
		t.Fatalf("after a day of 500s: %+v", o)
	}
	f := o.Failed[0]
	if !strings.Contains(f.LastError, "answered 500") || !strings.Contains(f.LastError, "expired") || f.Attempts != len(r.requests()) || f.Attempts < 10 || f.Attempts > 40 {
		t.Fatalf("failed delivery %+v after %d requests", f, len(r.requests()))
	}
	if waits[len(waits)/2] < 10*time.Minute || slices.Max(waits) > time.Hour {
		t.Fatalf("waits do not grow to max_backoff: %v", waits)
	}
	if o.Channels[0].Failed != 1 || o.Channels[0].LastError != f.LastError {
		t.Fatalf("channel status %+v", o.Channels[0])
	}

	// The receiver is back; an operator retries.
	mu.Lock()
	healthy = true
	mu.Unlock()
	if err := n.Retry(t.Context(), f.ID); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, n)
	o, _ = n.Overview(t.Context())
	if len(o.Delivered) != 1 || len(o.Failed) != 0 || o.Channels[0].LastDelivered.IsZero() {
		t.Fatalf("after retry: %+v", o)
	}
	if err := n.Retry(t.Context(), f.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("retrying a delivered delivery: %v", err)
	}
}

// TestOrderPerSubject: on one channel, a subject's recovery waits for its
// alert, even when the alert has to be retried; other subjects do not wait.
func TestOrderPerSubject(t *testing.T) {
	var mu sync.Mutex
	var events []string
	failed := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b WebhookBody
		json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		defer mu.Unlock()
		events = append(events, b.Subject+" "+b.Event)
		if b.Subject == "web" && !failed {
			failed = true
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	n, c := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: srv.URL}}, Default: []string{"hook"}})
	up := down
	up.Event, up.Severity, up.Title = "up", Info, "web is up"
	other := down
	other.Subject, other.Title = "mail", "mail is down"
	for _, m := range []Message{down, up, other} {
		if err := n.Enqueue(t.Context(), nil, m); err != nil {
			t.Fatal(err)
		}
	}
	deliverAll(t, n) // web down fails; web up must wait; mail goes
	mu.Lock()
	first := slices.Clone(events)
	mu.Unlock()
	slices.Sort(first)
	if want := []string{"mail down", "web down"}; !slices.Equal(first, want) {
		t.Fatalf("first round %v, want %v", first, want)
	}
	c.Add(time.Hour)
	deliverAll(t, n)
	var web []string
	for _, e := range events {
		if strings.HasPrefix(e, "web ") {
			web = append(web, e)
		}
	}
	if want := []string{"web down", "web down", "web up"}; !slices.Equal(web, want) {
		t.Fatalf("web's order %v, want %v", web, want)
	}
}

// TestRecoveryFollowsItsAlert: a recovery of low severity still reaches
// the channels the alert went to, though no route would send it there.
func TestRecoveryFollowsItsAlert(t *testing.T) {
	pager, chat := newReceiver(t, nil), newReceiver(t, nil)
	n, _ := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "pager", Kind: "webhook", URL: pager.URL}, {Name: "chat", Kind: "webhook", URL: chat.URL}},
		Routes:   []Route{{MinSeverity: Critical, Channels: []string{"pager"}}},
		Default:  []string{"chat"},
	})
	up := down
	up.Event, up.Severity = "up", Info
	for _, m := range []Message{down, up} {
		if err := n.Enqueue(t.Context(), nil, m); err != nil {
			t.Fatal(err)
		}
	}
	deliverAll(t, n)
	if len(pager.requests()) != 2 || len(chat.requests()) != 1 {
		t.Fatalf("pager got %d, chat %d; want the alert and its recovery on the pager", len(pager.requests()), len(chat.requests()))
	}
}

func TestUnroutedIsKeptAndCounted(t *testing.T) {
	n, _ := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: "http://127.0.0.1:1/"}},
		Routes:   []Route{{MatchTags: []string{"mail"}, Channels: []string{"hook"}}},
	})
	if err := n.Enqueue(t.Context(), nil, down); err != nil {
		t.Fatal(err)
	}
	o, err := n.Overview(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n.Unrouted() != 1 || len(o.Unrouted) != 1 || o.Unrouted[0].Subject != "web" || len(o.Pending) != 0 {
		t.Fatalf("unrouted %d, overview %+v", n.Unrouted(), o)
	}
}

// TestRestartLosesNothing: messages enqueued while a receiver is down,
// the process's notifier closed with its database, and a new process
// delivers them all, once each.
func TestRestartLosesNothing(t *testing.T) {
	dsn, dir := storetest.DSN(t), t.TempDir()
	open := func() *store.DB {
		db, err := store.Open(context.Background(), dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(context.Background(), store.Own(), Migrations()); err != nil {
			t.Fatal(err)
		}
		return db
	}
	var mu sync.Mutex
	up := false
	r := newReceiver(t, func(int) int {
		mu.Lock()
		defer mu.Unlock()
		if up {
			return http.StatusOK
		}
		return http.StatusBadGateway
	})
	s := Settings{Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: r.URL}}, Default: []string{"hook"}}

	db1 := open()
	n1 := New(db1, quiet, Options{Translator: catalog(t)})
	if err := n1.Configure(s); err != nil {
		t.Fatal(err)
	}
	n1.Poll = 10 * time.Millisecond
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { n1.Run(ctx); close(done) }()
	const k = 20
	for i := range k {
		m := down
		m.Subject = fmt.Sprintf("check-%d", i)
		if err := n1.Enqueue(t.Context(), nil, m); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the first process has tried every message once.
	waitFor(t, func() bool { return len(r.requests()) >= k })
	stop()
	<-done
	db1.Close()

	mu.Lock()
	up = true
	mu.Unlock()
	db2 := open()
	defer db2.Close()
	n2, _ := newNotifier(t, db2, Options{}, s)
	n2.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } // past every backoff
	deliverAll(t, n2)
	o, _ := n2.Overview(t.Context())
	if len(o.Delivered) != k || len(o.Pending) != 0 || len(o.Failed) != 0 {
		t.Fatalf("after the restart: %d delivered, %d pending, %d failed", len(o.Delivered), len(o.Pending), len(o.Failed))
	}
	seen := map[string]int{}
	for _, g := range r.requests() {
		var b WebhookBody
		mustJSON(t, g.Body, &b)
		seen[b.Subject]++
	}
	for i := range k {
		if n := seen[fmt.Sprintf("check-%d", i)]; n < 2 {
			t.Errorf("check-%d sent %d times, want a failure then a delivery", i, n)
		}
	}
}

// TestNodesShareDeliveriesOnce: two notifiers on one database (two nodes)
// send each delivery once.
func TestNodesShareDeliveriesOnce(t *testing.T) {
	dsn, dir := storetest.DSN(t), t.TempDir()
	r := newReceiver(t, nil)
	s := Settings{Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: r.URL}}, Default: []string{"hook"}}
	var nodes []*Notifier
	for range 2 {
		db, err := store.Open(t.Context(), dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(t.Context(), store.Own(), Migrations()); err != nil {
			t.Fatal(err)
		}
		n, _ := newNotifier(t, db, Options{}, s)
		nodes = append(nodes, n)
	}
	const k = 100
	for i := range k {
		m := down
		m.Subject = fmt.Sprintf("s%d", i%10) // ten subjects, in order each
		if err := nodes[0].Enqueue(t.Context(), nil, m); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, n := range nodes {
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ok, err := n.deliverOne(t.Context())
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	// A worker may stop while a subject's next delivery waits on another
	// worker's: finish by hand.
	deliverAll(t, nodes[0])
	seen := map[string]bool{}
	for _, g := range r.requests() {
		id := g.Header.Get("X-Pelote-Delivery")
		if seen[id] {
			t.Fatalf("delivery %s sent twice", id)
		}
		seen[id] = true
	}
	if len(seen) != k {
		t.Fatalf("%d deliveries sent, want %d", len(seen), k)
	}
}

func TestTestMessage(t *testing.T) {
	ok, broken := newReceiver(t, nil), newReceiver(t, always(http.StatusInternalServerError))
	n, _ := newNotifier(t, nil, Options{}, Settings{
		Language: "de",
		Channels: []ChannelConfig{{Name: "ok", Kind: "webhook", URL: ok.URL}, {Name: "broken", Kind: "webhook", URL: broken.URL}},
	})
	d, err := n.Test(t.Context(), "ok")
	if err != nil || d.State != Delivered {
		t.Fatalf("test to ok: %+v %v", d, err)
	}
	var b WebhookBody
	mustJSON(t, ok.requests()[0].Body, &b)
	if b.Title != "Testbenachrichtigung von Pelote" || b.Text != "Wenn du das liest, funktioniert der Kanal ok." || b.Source != "test" {
		t.Fatalf("test message %+v", b)
	}
	d, err = n.Test(t.Context(), "broken")
	if err == nil || !strings.Contains(err.Error(), "answered 500") || d.State != Failed || d.Attempts != 1 {
		t.Fatalf("test to broken: %+v %v", d, err)
	}
	// A failed test is not retried by the workers.
	if k := deliverAll(t, n); k != 0 || len(broken.requests()) != 1 {
		t.Fatalf("the failed test was retried")
	}
	if _, err := n.Test(t.Context(), "nope"); !errors.Is(err, ErrNoChannel) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown channel: %v", err)
	}
}

func TestPurgeKeepsRecentHistory(t *testing.T) {
	r := newReceiver(t, nil)
	n, c := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: r.URL}}, Default: []string{"hook"}})
	n.Enqueue(t.Context(), nil, down)
	deliverAll(t, n)
	if k, _ := n.Purge(t.Context()); k != 0 {
		t.Fatalf("purged a fresh delivery")
	}
	c.Add(8 * 24 * time.Hour)
	if k, err := n.Purge(t.Context()); k != 1 || err != nil {
		t.Fatalf("purged %d, %v", k, err)
	}
	var msgs int
	n.db.QueryRow(t.Context(), `SELECT COUNT(*) FROM notify_messages`).Scan(&msgs)
	if msgs != 0 {
		t.Fatalf("%d messages left", msgs)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHeadlessSubjectIsMended: on PostgreSQL a delivery enqueued while its
// subject's head was being finished elsewhere can be left without a head;
// the next upkeep gives the subject one, and its deliveries go in order.
func TestHeadlessSubjectIsMended(t *testing.T) {
	r := newReceiver(t, nil)
	n, _ := newNotifier(t, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: r.URL}}, Default: []string{"hook"}})
	up := down
	up.Event = "up"
	for _, m := range []Message{down, up} {
		if err := n.Enqueue(t.Context(), nil, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.db.Exec(t.Context(), `UPDATE notify_deliveries SET head = 0`); err != nil {
		t.Fatal(err)
	}
	if k, err := n.claim(t.Context(), n.cur.Load(), batch); err != nil || len(k) != 0 {
		t.Fatalf("claimed %v without a head: %v", k, err)
	}
	deliverAll(t, n) // mends, then delivers
	var events []string
	for _, g := range r.requests() {
		var b WebhookBody
		mustJSON(t, g.Body, &b)
		events = append(events, b.Event)
	}
	if !slices.Equal(events, []string{"down", "up"}) {
		t.Fatalf("events %v", events)
	}
}

// A stop during a send records the interrupted attempt: left claimed, the
// delivery would wait for its claim to lapse after the restart. Settings
// with a backoff shorter than a claim let the next node retry at once.
func TestStopDuringSendRecordsIt(t *testing.T) {
	arrived, release := make(chan struct{}, 10), make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		// The channel hangs until the sender gives up.
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	s := Settings{Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: hang.URL}}, Default: []string{"hook"},
		MinBackoff: time.Second, MaxBackoff: 2 * time.Second}
	n, clock := newNotifier(t, nil, Options{}, s)
	if err := n.Enqueue(t.Context(), nil, down); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	<-arrived
	stop()
	<-done

	o, err := n.Overview(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Pending) != 1 || !strings.Contains(o.Pending[0].LastError, "interrupted") || o.Pending[0].Attempts != 1 {
		t.Fatalf("after the stop: %+v", o.Pending)
	}
	// Due again after the backoff, not after the claim's minute.
	clock.Add(3 * time.Second)
	claims, err := n.claim(t.Context(), n.cur.Load(), batch)
	if err != nil || len(claims) != 1 {
		t.Fatalf("claim after the backoff: %v, %v", claims, err)
	}
}
