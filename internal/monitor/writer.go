package monitor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"pelote/internal/store"
)

// Batch bounds of the writer: results are stored together, in one
// transaction per batch, so 10,000 checks a minute cost a few commits a
// second rather than 170.
const (
	maxBatch  = 512
	batchWait = 250 * time.Millisecond
)

// write stores the results as they come, in batches.
func (e *Engine) write(ctx context.Context) {
	batch := make([]outcome, 0, maxBatch)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		// The batch is stored even while shutting down: its results ran.
		if err := e.commit(context.WithoutCancel(ctx), batch); err != nil {
			e.o.Log.Warn("monitor: store results", "err", err, "results", len(batch))
		}
		batch = batch[:0]
	}
	timer := time.NewTimer(batchWait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case o := <-e.results:
					batch = append(batch, o)
				default:
					flush()
					return
				}
			}
		case o := <-e.results:
			batch = append(batch, o)
			if len(batch) >= maxBatch {
				flush()
			}
		case <-timer.C:
			flush()
			timer.Reset(batchWait)
		}
	}
}

// Record runs one result of the named check through the state machine
// and stores it, as the scheduler's results are: for `pelote check run`
// and tests.
func (e *Engine) Record(ctx context.Context, name string, r Result) error {
	e.mu.RLock()
	en, ok := e.checks[name]
	e.mu.RUnlock()
	if !ok {
		return fmt.Errorf("monitor: check %q: %w", name, store.ErrNotFound)
	}
	return e.commit(ctx, []outcome{{e: en, r: r}})
}

// pending is a transition computed but not yet committed.
type pending struct {
	en       *entry
	t        Transition
	incident int64
}

// commit applies a batch of results: state machine, results, incidents
// and notifications in one transaction; the live states change only once
// it is committed.
func (e *Engine) commit(ctx context.Context, batch []outcome) error {
	now := e.now()
	e.mu.RLock()
	overlay := map[*entry]State{}
	stateOf := func(en *entry) State {
		if s, ok := overlay[en]; ok {
			return s
		}
		return en.state
	}
	var out []pending
	for _, o := range batch {
		c := o.e.check
		if cur, ok := e.checks[c.Name]; !ok || cur != o.e {
			continue // removed by a reload meanwhile
		}
		cx := Context{Now: o.r.At, Silenced: e.silencedLocked(c, now)}
		if cx.Now.IsZero() {
			cx.Now = now
		}
		for _, d := range c.DependsOn {
			if dep, ok := e.checks[d]; ok {
				if st := stateOf(dep).Status; st == Down || st == Blocked {
					cx.DependencyDown = true
				}
			}
		}
		t := Step(c, e.o.Policy, stateOf(o.e), o.r, cx)
		overlay[o.e] = t.State
		out = append(out, pending{en: o.e, t: t, incident: o.e.incident})
	}
	e.mu.RUnlock()
	if len(out) == 0 {
		return nil
	}
	err := e.o.DB.InTx(ctx, func(tx *store.Tx) error {
		last := map[*entry]int{} // each check's last transition in the batch
		for i := range out {
			p := &out[i]
			c, r := p.en.check, p.t.State.Last
			if p.t.Changed {
				if err := e.incident(ctx, tx, p, r); err != nil {
					return err
				}
				// Later results of the same check in the batch carry on
				// from this incident.
				for j := i + 1; j < len(out); j++ {
					if out[j].en == p.en {
						out[j].incident = p.incident
					}
				}
			}
			last[p.en] = i
			if p.t.Event != "" && e.o.Notify != nil {
				m := message(e.o.Tr, e.o.Lang, e.o.BaseURL, c, p.t, now)
				if err := e.o.Notify.Enqueue(ctx, tx, m); err != nil {
					return fmt.Errorf("monitor: notify: %w", err)
				}
			}
		}
		if err := insertResults(ctx, tx, out); err != nil {
			return err
		}
		final := make([]pending, 0, len(last))
		for i := range out {
			if last[out[i].en] == i {
				final = append(final, out[i])
			}
		}
		return saveStates(ctx, tx, final)
	})
	if err != nil {
		return err
	}
	e.mu.Lock()
	for _, p := range out { // in order: the last of a check's wins
		p.en.state, p.en.incident = p.t.State, p.incident
	}
	if !e.ranAll && !e.started.IsZero() {
		e.ranAll = true
		for _, en := range e.checks {
			if en.state.Last.At.Before(e.started) {
				e.ranAll = false
				break
			}
		}
		if e.ranAll {
			// The start-up spread is over: a figure for operators and
			// bench/monitor.sh.
			e.o.Log.Info("monitor: every check has run", "checks", len(e.checks), "after", now.Sub(e.started).Round(time.Millisecond))
		}
	}
	e.mu.Unlock()
	for _, p := range out {
		if p.t.Event != "" {
			e.o.Log.Info("check changed", "check", p.en.check.Name, "status", p.t.State.Status, "event", p.t.Event)
		}
	}
	return nil
}

// incident opens an incident when a check goes down and closes it when
// it leaves down.
func (e *Engine) incident(ctx context.Context, tx *store.Tx, p *pending, r Result) error {
	s := p.t.State
	if p.incident != 0 && s.Status != Down {
		if _, err := tx.Exec(ctx, `UPDATE monitor_incidents SET ended_at = ? WHERE id = ?`, s.Since.Unix(), p.incident); err != nil {
			return fmt.Errorf("monitor: close incident: %w", err)
		}
		p.incident = 0
	}
	if s.Status == Down && p.incident == 0 {
		if err := tx.QueryRow(ctx, `INSERT INTO monitor_incidents (name, started_at, reason, args) VALUES (?, ?, ?, ?) RETURNING id`,
			p.en.check.Name, s.Since.Unix(), r.Reason, encodeArgs(r.Args)).Scan(&p.incident); err != nil {
			return fmt.Errorf("monitor: open incident: %w", err)
		}
	}
	return nil
}

// silencedLocked reports whether a silence covers c; e.mu is held.
func (e *Engine) silencedLocked(c Check, now time.Time) bool {
	for _, s := range e.silences {
		if s.Covers(c, now) {
			return true
		}
	}
	for _, s := range e.stored {
		if s.Covers(c, now) {
			return true
		}
	}
	return false
}

// Silenced reports whether a silence covers c now.
func (e *Engine) Silenced(c Check) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.silencedLocked(c, e.now())
}

// Maintain rolls results up and purges old rows; run hourly by the node
// holding the lease.
func (e *Engine) Maintain(ctx context.Context) error {
	if !e.Leader() {
		return nil
	}
	_, err := e.store.RollUp(ctx, e.now())
	return err
}

// rowsPerStatement bounds a multi-row statement: one statement stores many
// results, where one each would cost the engine's CPU budget; and its text
// repeats, so prepared statements are reused.
const rowsPerStatement = 64

// chunks calls fn for consecutive slices of at most rowsPerStatement.
func chunks[T any](all []T, fn func([]T) error) error {
	for len(all) > 0 {
		n := min(len(all), rowsPerStatement)
		if err := fn(all[:n]); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

func insertResults(ctx context.Context, tx *store.Tx, out []pending) error {
	return chunks(out, func(part []pending) error {
		q := "INSERT INTO monitor_results (name, at, ok, latency_us) VALUES " + placeholders(len(part), 4)
		args := make([]any, 0, 4*len(part))
		for _, p := range part {
			r := p.t.State.Last
			args = append(args, p.en.check.Name, r.At.Unix(), b2i(r.OK), r.Latency.Microseconds())
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("monitor: store results: %w", err)
		}
		return nil
	})
}

func saveStates(ctx context.Context, tx *store.Tx, final []pending) error {
	return chunks(final, func(part []pending) error {
		q := `INSERT INTO monitor_states (name, status, fails, successes, since, alerted, notified, flapping, changes,
			last_at, last_ok, latency_us, reason, args, detail, cert_days, incident_id) VALUES ` + placeholders(len(part), 17) + `
			ON CONFLICT (name) DO UPDATE SET status = excluded.status, fails = excluded.fails, successes = excluded.successes,
			since = excluded.since, alerted = excluded.alerted, notified = excluded.notified, flapping = excluded.flapping,
			changes = excluded.changes, last_at = excluded.last_at, last_ok = excluded.last_ok, latency_us = excluded.latency_us,
			reason = excluded.reason, args = excluded.args, detail = excluded.detail, cert_days = excluded.cert_days,
			incident_id = excluded.incident_id`
		args := make([]any, 0, 17*len(part))
		for _, p := range part {
			args = append(args, stateArgs(p.en.check.Name, p.t.State, p.incident)...)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("monitor: store states: %w", err)
		}
		return nil
	})
}

// placeholders is "(?, ?), (?, ?)" for rows of cols values.
func placeholders(rows, cols int) string {
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(one+", ", rows-1) + one
}
