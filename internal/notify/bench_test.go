package notify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// discard is a webhook receiver that only counts.
func discard(b *testing.B) (string, *atomic.Int64) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got.Add(1)
	}))
	b.Cleanup(srv.Close)
	return srv.URL, &got
}

func benchNotifier(b *testing.B) (*Notifier, *atomic.Int64) {
	url, got := discard(b)
	n, _ := newNotifier(b, nil, Options{}, Settings{
		Channels: []ChannelConfig{{Name: "hook", Kind: "webhook", URL: url}}, Default: []string{"hook"}})
	return n, got
}

// rowsPerMessage counts the outbox's rows per message stored.
func rowsPerMessage(b *testing.B, n *Notifier) float64 {
	var msgs, deliveries int
	n.db.QueryRow(b.Context(), `SELECT COUNT(*) FROM notify_messages`).Scan(&msgs)
	n.db.QueryRow(b.Context(), `SELECT COUNT(*) FROM notify_deliveries`).Scan(&deliveries)
	return float64(msgs+deliveries) / float64(max(msgs, 1))
}

// BenchmarkEnqueue is the outbox's write: one message routed to one
// channel, in its own transaction.
func BenchmarkEnqueue(b *testing.B) {
	n, _ := benchNotifier(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := n.Enqueue(b.Context(), nil, down); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(rowsPerMessage(b, n), "rows/msg")
}

// BenchmarkEnqueueParallel is producers enqueueing at once: on SQLite
// their commits are shared.
func BenchmarkEnqueueParallel(b *testing.B) {
	n, _ := benchNotifier(b)
	b.SetParallelism(8)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := n.Enqueue(b.Context(), nil, down); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkEnqueueDeliver is one message from Enqueue to a local webhook's
// 200, one at a time: claim, read, POST, record.
func BenchmarkEnqueueDeliver(b *testing.B) {
	n, got := benchNotifier(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := n.Enqueue(b.Context(), nil, down); err != nil {
			b.Fatal(err)
		}
		if k, err := n.RunOnce(b.Context()); err != nil || k != 1 {
			b.Fatal(k, err)
		}
	}
	if got.Load() != int64(b.N) {
		b.Fatalf("%d delivered of %d", got.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(rowsPerMessage(b, n), "rows/msg")
}

// BenchmarkBurst enqueues b.N messages over 64 subjects, then times the
// node's workers delivering them all, as after a burst of alerts.
func BenchmarkBurst(b *testing.B) {
	n, got := benchNotifier(b)
	n.Now = time.Now
	n.Poll = 10 * time.Millisecond
	b.ReportAllocs()
	for i := range b.N {
		m := down
		m.Subject = fmt.Sprintf("check-%d", i%64)
		if err := n.Enqueue(b.Context(), nil, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	for got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
