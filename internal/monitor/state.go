package monitor

import (
	"time"
)

// Status is where a check stands.
type Status string

// Statuses.
const (
	// Pending: no verdict yet (fewer results than retries).
	Pending Status = "pending"
	Up      Status = "up"
	Down    Status = "down"
	// Blocked: failing while a dependency is down; it sends nothing of
	// its own, the dependency's alert covers it.
	Blocked Status = "blocked"
)

// State is a check's state machine, as stored.
type State struct {
	Status Status
	// Fails and Successes count the consecutive results of each kind.
	Fails, Successes int
	// Since is when Status began.
	Since time.Time
	// Alerted is true once operators were told the check is down (false
	// while a silence or flapping kept it quiet); an up message goes only
	// after a down message.
	Alerted bool
	// Notified is when the last down or reminder message went.
	Notified time.Time
	// Flapping is set once the check changed too often; Changes are the
	// times of its recent changes between up and down.
	Flapping bool
	Changes  []time.Time
	// Last is the last result.
	Last Result
}

// Event names, as in notify.Message.Event.
const (
	EventDown     = "down"
	EventUp       = "up"
	EventReminder = "reminder"
	EventFlapping = "flapping"
	EventStable   = "stable"
)

// Policy holds the engine-wide rules of the state machine.
type Policy struct {
	// Remind is the default reminder period while down (0: never).
	Remind time.Duration
	// FlapChanges changes within FlapWindow make a check flapping; it is
	// stable again after FlapWindow without a change.
	FlapChanges int
	FlapWindow  time.Duration
}

// DefaultPolicy reminds every 4 hours and calls 5 changes in 30 minutes
// flapping.
var DefaultPolicy = Policy{Remind: 4 * time.Hour, FlapChanges: 5, FlapWindow: 30 * time.Minute}

// Context is what the state machine needs to know besides the result.
type Context struct {
	Now time.Time
	// Silenced: a maintenance window covers the check.
	Silenced bool
	// DependencyDown: a check it depends on is down or blocked.
	DependencyDown bool
}

// Transition is what a result did to a check: the new state, whether the
// status changed, and the event to tell operators ("" for none).
type Transition struct {
	State   State
	Changed bool
	From    Status
	Event   string
	// downAt is when the status left was entered, for an up message.
	downAt time.Time
}

// Step applies result r to state s of check c.
func Step(c Check, p Policy, s State, r Result, cx Context) Transition {
	now := cx.Now
	t := Transition{From: s.Status}
	if s.Status == "" {
		s.Status, s.Since = Pending, now
	}
	s.Last = r
	if r.OK {
		s.Successes++
		s.Fails = 0
	} else {
		s.Fails++
		s.Successes = 0
	}
	next := s.Status
	switch s.Status {
	case Pending, Up:
		if !r.OK && s.Fails >= c.Retries {
			next = Down
			if cx.DependencyDown {
				next = Blocked
			}
		} else if r.OK && s.Status == Pending {
			next = Up
		}
	case Down:
		if r.OK && s.Successes >= c.Recovery {
			next = Up
		}
	case Blocked:
		switch {
		case r.OK && s.Successes >= c.Recovery:
			next = Up
		case !r.OK && !cx.DependencyDown:
			next = Down
		}
	}
	quiet := cx.Silenced
	if next != s.Status {
		t.Changed, t.downAt = true, s.Since
		if (s.Status == Up || s.Status == Down) && (next == Up || next == Down) {
			s.Changes = append(s.Changes, now)
		}
		s.Status, s.Since = next, now
	}
	// Flapping: too many changes in the window, one message, then quiet
	// until a whole window passes without a change.
	if p.FlapChanges > 0 {
		cut := 0
		for cut < len(s.Changes) && now.Sub(s.Changes[cut]) > p.FlapWindow {
			cut++
		}
		s.Changes = s.Changes[cut:]
		switch {
		case !s.Flapping && len(s.Changes) >= p.FlapChanges:
			s.Flapping = true
			if !quiet {
				t.Event = EventFlapping
			}
			t.State = s
			return t
		case s.Flapping && len(s.Changes) == 0:
			s.Flapping = false
			if s.Status == Down && !quiet {
				t.Event, s.Alerted, s.Notified = EventStable, true, now
			} else if s.Status == Up && s.Alerted && !quiet {
				t.Event, s.Alerted = EventStable, false
			}
			t.State = s
			return t
		}
		quiet = quiet || s.Flapping
	}
	remind := c.Remind
	if remind == 0 {
		remind = p.Remind
	}
	switch {
	case s.Status == Down && t.Changed && !quiet:
		t.Event, s.Alerted, s.Notified = EventDown, true, now
	case s.Status == Down && !s.Alerted && !quiet:
		// Down while silenced: the silence is over and it still is.
		t.Event, s.Alerted, s.Notified = EventDown, true, now
	case s.Status == Down && s.Alerted && !quiet && remind > 0 && now.Sub(s.Notified) >= remind:
		t.Event, s.Notified = EventReminder, now
	case s.Status == Up && t.Changed && s.Alerted && !s.Flapping:
		// Told even under a silence: operators heard it was down.
		t.Event, s.Alerted = EventUp, false
	case s.Status == Blocked || s.Status == Pending:
		s.Alerted = false
	}
	t.State = s
	return t
}
