// Package monitortest records the messages producers hand to notify, for
// producers' tests: a real notify.Enqueuer that keeps what was committed.
package monitortest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"pelote/internal/notify"
	"pelote/internal/store"
)

// Recorder is a notify.Enqueuer that keeps each message once the
// transaction it was enqueued in commits, and never when it rolls back,
// as the real outbox does.
type Recorder struct {
	mu   sync.Mutex
	msgs []notify.Message
	// Fail, when set, makes Enqueue fail (an outbox that cannot write).
	Fail error
}

var _ notify.Enqueuer = (*Recorder)(nil)

// Enqueue records m when tx commits (at once when tx is nil).
func (r *Recorder) Enqueue(_ context.Context, tx *store.Tx, m notify.Message) error {
	r.mu.Lock()
	fail := r.Fail
	r.mu.Unlock()
	if fail != nil {
		return fail
	}
	keep := func() {
		r.mu.Lock()
		r.msgs = append(r.msgs, m)
		r.mu.Unlock()
	}
	if tx == nil {
		keep()
	} else {
		tx.AfterCommit(keep)
	}
	return nil
}

// Messages returns what was committed so far.
func (r *Recorder) Messages() []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// Events returns "subject:event" of each message, in order.
func (r *Recorder) Events() []string {
	var out []string
	for _, m := range r.Messages() {
		out = append(out, m.Subject+":"+m.Event)
	}
	return out
}

// Wait polls until a message matching match arrives, failing the test
// after timeout.
func (r *Recorder) Wait(t testing.TB, timeout time.Duration, match func(notify.Message) bool) notify.Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, m := range r.Messages() {
			if match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching message within %v; got %v", timeout, r.Events())
		}
		time.Sleep(20 * time.Millisecond) // polling, not waiting for a duration
	}
}
