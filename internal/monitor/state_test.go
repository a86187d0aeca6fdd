package monitor

import (
	"strings"
	"testing"
	"time"
)

// TestStep walks the state machine through a scripted sequence of
// results; each step says the result ('+' ok, '-' failure), the context
// and the expected status and event.
func TestStep(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		res    byte // '+' or '-'
		ctx    string
		status Status
		event  string
	}
	c := Check{Name: "web", Retries: 2, Recovery: 2}
	pol := Policy{Remind: 10 * time.Minute, FlapChanges: 4, FlapWindow: 20 * time.Minute}
	tests := []struct {
		name  string
		steps []step
	}{
		{"down after retries, up after recovery", []step{
			{'+', "", Up, ""}, {'-', "", Up, ""}, {'-', "", Down, EventDown}, {'-', "", Down, ""},
			{'+', "", Down, ""}, {'+', "", Up, EventUp}, {'+', "", Up, ""},
		}},
		{"one failure is not down", []step{{'+', "", Up, ""}, {'-', "", Up, ""}, {'+', "", Up, ""}, {'-', "", Up, ""}}},
		{"reminders while down", []step{
			{'-', "", Pending, ""}, {'-', "", Down, EventDown},
			{'-', "", Down, ""}, {'-', "", Down, ""}, {'-', "", Down, ""}, {'-', "", Down, ""}, {'-', "", Down, ""},
			{'-', "", Down, ""}, {'-', "", Down, ""}, {'-', "", Down, ""}, {'-', "", Down, ""}, {'-', "", Down, EventReminder},
		}},
		{"silenced: no message, told when the silence ends", []step{
			{'+', "", Up, ""}, {'-', "silenced", Up, ""}, {'-', "silenced", Down, ""}, {'-', "silenced", Down, ""},
			{'-', "", Down, EventDown}, {'+', "", Down, ""}, {'+', "", Up, EventUp},
		}},
		{"silenced down then up: nothing at all", []step{
			{'+', "", Up, ""}, {'-', "silenced", Up, ""}, {'-', "silenced", Down, ""}, {'+', "silenced", Down, ""}, {'+', "", Up, ""},
		}},
		{"blocked by a dependency", []step{
			{'+', "", Up, ""}, {'-', "dep", Up, ""}, {'-', "dep", Blocked, ""}, {'-', "dep", Blocked, ""},
			{'-', "", Down, EventDown}, {'+', "", Down, ""}, {'+', "", Up, EventUp},
		}},
		{"blocked then recovered with its dependency", []step{
			{'-', "dep", Pending, ""}, {'-', "dep", Blocked, ""}, {'+', "", Blocked, ""}, {'+', "", Up, ""},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s State
			for i, st := range tc.steps {
				now := t0.Add(time.Duration(i) * time.Minute)
				r := Result{At: now, OK: st.res == '+'}
				tr := Step(c, pol, s, r, Context{Now: now, Silenced: st.ctx == "silenced", DependencyDown: st.ctx == "dep"})
				if tr.State.Status != st.status || tr.Event != st.event {
					t.Fatalf("step %d (%c %s): status %s event %q, want %s %q", i, st.res, st.ctx, tr.State.Status, tr.Event, st.status, st.event)
				}
				s = tr.State
			}
		})
	}
}

// A check going up and down every two minutes sends one flapping message,
// then nothing until it has been stable for the whole window.
func TestFlapping(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := Check{Name: "web", Retries: 1, Recovery: 1}
	pol := Policy{Remind: time.Hour, FlapChanges: 4, FlapWindow: 20 * time.Minute}
	var s State
	var events []string
	for i := range 60 {
		now := t0.Add(time.Duration(i) * time.Minute)
		ok := true
		if i < 20 {
			ok = (i/2)%2 == 0
		}
		tr := Step(c, pol, s, Result{At: now, OK: ok}, Context{Now: now})
		if tr.Event != "" {
			events = append(events, tr.Event)
		}
		s = tr.State
	}
	got := strings.Join(events, ",")
	if got != "down,up,down,flapping,stable" {
		t.Fatalf("events %s", got)
	}
	if s.Flapping || s.Status != Up || s.Alerted {
		t.Fatalf("end state %+v", s)
	}
}
