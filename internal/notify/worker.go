package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"pelote/internal/store"
)

// claimed is a delivery a worker holds, with its message.
type claimed struct {
	id, messageID int64
	channel, key  string
	toOwner       bool
	attempts      int
	expiresAt     int64
}

// Run delivers until ctx ends, with Workers goroutines; it also fails the
// deliveries that expired and forgets old ones.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range max(n.Workers, 1) {
		wg.Add(1)
		go func() { defer wg.Done(); n.work(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); n.upkeep(ctx) }()
	wg.Wait()
}

func (n *Notifier) work(ctx context.Context) {
	backoff := n.Poll
	for {
		ok, err := n.deliverOne(ctx)
		wait := n.Poll
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			n.log.Warn("notification outbox", "err", err)
			// The database may be down: back off, up to a minute.
			backoff = min(2*backoff, time.Minute)
			wait = backoff
		case ok:
			backoff = n.Poll
			continue
		default:
			backoff = n.Poll
		}
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		case <-time.After(wait):
		}
	}
}

// upkeep fails expired deliveries every poll and purges old rows hourly.
// Every node may run it: both are idempotent.
func (n *Notifier) upkeep(ctx context.Context) {
	var purged time.Time
	for {
		if _, err := n.Expire(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("notification outbox: expiry", "err", err)
		}
		if time.Since(purged) > time.Hour {
			if _, err := n.Purge(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("notification outbox: purge", "err", err)
			} else {
				purged = time.Now()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(n.Poll, time.Second)):
		}
	}
}

// RunOnce fails expired deliveries, then makes every delivery due now, one
// after the other, and says how many it tried.
func (n *Notifier) RunOnce(ctx context.Context) (int, error) {
	if _, err := n.Expire(ctx); err != nil {
		return 0, err
	}
	tried := 0
	for {
		ok, err := n.deliverOne(ctx)
		if err != nil || !ok {
			return tried, err
		}
		tried++
	}
}

// deliverOne claims a due delivery, sends it and records the outcome.
func (n *Notifier) deliverOne(ctx context.Context) (bool, error) {
	st := n.cur.Load()
	if len(st.names) == 0 {
		return false, nil
	}
	c, ok, err := n.claim(ctx, st)
	if err != nil || !ok {
		return false, err
	}
	p, err := n.post(ctx, st, c)
	if err == nil {
		err = n.sendPost(ctx, st.channels[c.channel], p)
	}
	return true, n.record(ctx, st, c, err, true)
}

// lockFor is how long a claim lasts: longer than any send may take, so
// that two workers never send one delivery at once, short enough for a
// crashed worker's claim to lapse soon.
func (st *setup) lockFor() time.Duration {
	longest := DefaultTimeout
	for _, c := range st.channels {
		longest = max(longest, c.cfg.Timeout)
	}
	return 2*longest + 30*time.Second
}

// claim takes the oldest due delivery of a configured channel whose
// subject has no earlier delivery still pending on that channel: a
// recovery never overtakes its alert. Moving the lock forward in one
// UPDATE makes the claim exclusive across workers and nodes.
func (n *Notifier) claim(ctx context.Context, st *setup) (claimed, bool, error) {
	now := n.Now().Unix()
	in := strings.Repeat("?, ", len(st.names)-1) + "?"
	lock := ""
	if n.db.Dialect() == store.Postgres {
		// A worker that finds a row locked by another skips it rather than
		// wait for it; the outer conditions repeat the inner ones for a
		// worker that did wait (see internal/queue).
		lock = " FOR UPDATE SKIP LOCKED"
	}
	args := []any{now + int64(st.lockFor()/time.Second), now, now}
	for _, name := range st.names {
		args = append(args, name)
	}
	args = append(args, now, now)
	var c claimed
	var owner int
	err := n.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `UPDATE notify_deliveries SET locked_until = ?, attempts = attempts + 1
			WHERE id = (SELECT d.id FROM notify_deliveries d
				WHERE d.state = 'pending' AND d.next_try <= ? AND d.locked_until <= ? AND d.channel IN (`+in+`)
				AND NOT EXISTS (SELECT 1 FROM notify_deliveries e WHERE e.channel = d.channel AND e.subject_key = d.subject_key
					AND e.state = 'pending' AND e.id < d.id)
				ORDER BY d.next_try, d.id LIMIT 1`+lock+`)
			AND state = 'pending' AND next_try <= ? AND locked_until <= ?
			RETURNING id, message_id, channel, delivery_key, to_owner, attempts, expires_at`, args...).
			Scan(&c.id, &c.messageID, &c.channel, &c.key, &owner, &c.attempts, &c.expiresAt)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return claimed{}, false, nil
	}
	if err != nil {
		return claimed{}, false, fmt.Errorf("notify: claim: %w", err)
	}
	c.toOwner = owner == 1
	return c, true, nil
}

// post reads the claimed delivery's message.
func (n *Notifier) post(ctx context.Context, st *setup, c claimed) (*Post, error) {
	p := &Post{ID: c.id, Key: c.key, ToOwner: c.toOwner, T: n.t(st)}
	var tags string
	var at int64
	err := n.db.QueryRow(ctx, `SELECT source, subject, event, severity, tags, owner, title, body, url, at FROM notify_messages WHERE id = ?`, c.messageID).
		Scan(&p.Source, &p.Subject, &p.Event, &p.Severity, &tags, &p.Owner, &p.Title, &p.Text, &p.URL, &at)
	if err != nil {
		return nil, fmt.Errorf("notify: message %d: %w", c.messageID, err)
	}
	if err := json.Unmarshal([]byte(tags), &p.Tags); err != nil {
		return nil, Permanent(fmt.Errorf("notify: message %d: tags: %w", c.messageID, err))
	}
	p.At = time.Unix(at, 0).UTC()
	return p, nil
}

// sendPost sends within the channel's timeout; a panic in a channel is a
// failed attempt, not a dead node.
func (n *Notifier) sendPost(ctx context.Context, c *configured, p *Post) (err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("channel %s panicked: %v", c.cfg.Name, v)
		}
	}()
	return c.ch.Send(ctx, p)
}

// record stores the outcome of an attempt. With retry false (a test from
// an operator) a failure is final at once.
func (n *Notifier) record(ctx context.Context, st *setup, c claimed, sendErr error, retry bool) error {
	now := n.Now()
	if sendErr == nil {
		_, err := n.db.Exec(ctx, `UPDATE notify_deliveries SET state = 'delivered', delivered_at = ?, locked_until = 0, last_error = '' WHERE id = ?`, now.Unix(), c.id)
		return err
	}
	// The error is kept for the operators, not logged: it may quote an
	// address or an answer holding one.
	msg := shorten(sendErr.Error(), 1000)
	next := now.Add(st.backoff(c.attempts))
	var later retryLater
	if errors.As(sendErr, &later) {
		next = now.Add(min(max(later.after, time.Second), st.maxBackoff))
	}
	switch {
	case IsPermanent(sendErr) || !retry:
	case next.Unix() >= c.expiresAt:
		msg = shorten(msg, 900) + " (given up: the delivery expired)"
	default:
		n.log.Info("notification will be retried", "delivery", c.id, "channel", c.channel, "attempts", c.attempts, "at", next.UTC().Format(time.RFC3339))
		_, err := n.db.Exec(ctx, `UPDATE notify_deliveries SET next_try = ?, locked_until = 0, last_error = ? WHERE id = ?`, next.Unix(), msg, c.id)
		return err
	}
	n.log.Warn("notification failed for good", "delivery", c.id, "channel", c.channel, "attempts", c.attempts)
	_, err := n.db.Exec(ctx, `UPDATE notify_deliveries SET state = 'failed', locked_until = 0, last_error = ? WHERE id = ?`, msg, c.id)
	return err
}

// backoff is the wait after the given number of attempts: doubling from
// minBackoff, capped at maxBackoff, between half and all of that (the
// jitter spreads the retries of many deliveries to one receiver).
func (st *setup) backoff(attempts int) time.Duration {
	d := st.minBackoff
	for i := 1; i < attempts && d < st.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, st.maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// Expire fails the pending deliveries past their expiry that no worker
// holds (those of a channel removed from the configuration, or waiting
// behind an earlier delivery of their subject), and says how many.
func (n *Notifier) Expire(ctx context.Context) (int64, error) {
	now := n.Now().Unix()
	res, err := n.db.Exec(ctx, `UPDATE notify_deliveries SET state = 'failed',
		last_error = CASE WHEN last_error = '' THEN 'expired before it could be sent' ELSE last_error || ' (given up: the delivery expired)' END
		WHERE state = 'pending' AND expires_at <= ? AND locked_until <= ?`, now, now)
	if err != nil {
		return 0, fmt.Errorf("notify: expire: %w", err)
	}
	k, err := res.RowsAffected()
	if k > 0 {
		n.log.Warn("notifications expired before delivery", "count", k)
	}
	return k, err
}

// Retention of the outbox's history.
const (
	keepDelivered = 7 * 24 * time.Hour
	keepFailed    = 30 * 24 * time.Hour
)

// Purge forgets deliveries delivered over a week ago and failures over a
// month old, then the messages left without deliveries, and says how many
// deliveries went.
func (n *Notifier) Purge(ctx context.Context) (int64, error) {
	now := n.Now()
	var k int64
	err := n.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM notify_deliveries WHERE (state = 'delivered' AND delivered_at < ?) OR (state = 'failed' AND created_at < ?)`,
			now.Add(-keepDelivered).Unix(), now.Add(-keepFailed).Unix())
		if err != nil {
			return err
		}
		k, _ = res.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM notify_messages WHERE created_at < ?
			AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.message_id = notify_messages.id)`, now.Add(-keepDelivered).Unix())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("notify: purge: %w", err)
	}
	return k, nil
}
