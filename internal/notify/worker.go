package notify

import (
	"context"
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
	id, messageID            int64
	channel, subjectKey, key string
	toOwner                  bool
	attempts                 int
	expiresAt                int64
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

// batch is how many deliveries a worker claims at once: one claim and one
// commit of outcomes serve them all, and their sends run side by side.
const batch = 8

// deliverOne claims due deliveries (up to batch), sends them and records
// the outcomes; it reports whether there was any.
func (n *Notifier) deliverOne(ctx context.Context) (bool, error) {
	st := n.cur.Load()
	if len(st.names) == 0 {
		return false, nil
	}
	claims, err := n.claim(ctx, st, batch)
	if err != nil || len(claims) == 0 {
		return false, err
	}
	posts, err := n.posts(ctx, st, claims)
	if err != nil {
		// The claims lapse and the deliveries are tried again.
		return true, err
	}
	errs := make([]error, len(claims))
	var wg sync.WaitGroup
	for i, c := range claims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.sendPost(ctx, st.channels[c.channel], posts[i])
		}()
	}
	wg.Wait()
	// A stop (ctx ending) interrupts the sends but not their record:
	// left claimed, the deliveries would wait for the claim to lapse (a
	// minute or more) after the restart.
	rec := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		rec, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for i, err := range errs {
			if err != nil {
				errs[i] = fmt.Errorf("interrupted: Pelote was stopping (%w)", err)
			}
		}
	}
	if err := n.record(rec, st, claims, errs, true); err != nil {
		return true, err
	}
	// The next deliveries of these subjects may be due now: idle workers
	// take them rather than wait for their poll.
	n.Wake()
	return true, nil
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

// claim takes the oldest due deliveries (up to limit) of the configured
// channels among the heads, the deliveries with no earlier one of their
// subject pending on their channel: a recovery never overtakes its alert.
// Moving the lock forward in one UPDATE makes the claim exclusive across
// workers and nodes.
func (n *Notifier) claim(ctx context.Context, st *setup, limit int) ([]claimed, error) {
	now := n.Now().Unix()
	in := placeholders(len(st.names))
	lock, index := "", ""
	if n.db.Dialect() == store.Postgres {
		// A worker that finds a row locked by another skips it rather than
		// wait for it; the outer conditions repeat the inner ones for a
		// worker that did wait (see internal/queue).
		lock = " FOR UPDATE SKIP LOCKED"
	} else {
		// Without statistics SQLite prefers the index by channel, and
		// would sort every pending delivery at each claim; the due index
		// hands the heads in order and stops at the limit.
		index = " INDEXED BY notify_deliveries_due"
	}
	args := []any{now, now}
	for _, name := range st.names {
		args = append(args, name)
	}
	args = append(args, limit, now+int64(st.lockFor()/time.Second), now, now)
	var out []claimed
	err := n.db.InGroupTx(ctx, func(tx *store.Tx) error {
		out = out[:0]
		// The heads are chosen, and on PostgreSQL locked, once, in the
		// common table expression.
		rows, err := tx.Query(ctx, `WITH due AS (SELECT id FROM notify_deliveries`+index+`
				WHERE state = 'pending' AND head = 1 AND next_try <= ? AND locked_until <= ? AND channel IN (`+in+`)
				ORDER BY next_try, id LIMIT ?`+lock+`)
			UPDATE notify_deliveries SET locked_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM due) AND state = 'pending' AND head = 1 AND next_try <= ? AND locked_until <= ?
			RETURNING id, message_id, channel, subject_key, delivery_key, to_owner, attempts, expires_at`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			var owner int
			if err := rows.Scan(&c.id, &c.messageID, &c.channel, &c.subjectKey, &c.key, &owner, &c.attempts, &c.expiresAt); err != nil {
				return err
			}
			c.toOwner = owner == 1
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("notify: claim: %w", err)
	}
	return out, nil
}

// posts reads the claimed deliveries' messages, in one query.
func (n *Notifier) posts(ctx context.Context, st *setup, claims []claimed) ([]*Post, error) {
	ids := make([]any, len(claims))
	for i, c := range claims {
		ids[i] = c.messageID
	}
	rows, err := n.db.Query(ctx, `SELECT id, source, subject, event, severity, tags, owner, title, body, url, at
		FROM notify_messages WHERE id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("notify: read messages: %w", err)
	}
	defer rows.Close()
	msgs := make(map[int64]*Message, len(claims))
	for rows.Next() {
		var m Message
		var id, at int64
		var tags string
		if err := rows.Scan(&id, &m.Source, &m.Subject, &m.Event, &m.Severity, &tags, &m.Owner, &m.Title, &m.Text, &m.URL, &at); err != nil {
			return nil, fmt.Errorf("notify: read messages: %w", err)
		}
		if err := json.Unmarshal([]byte(tags), &m.Tags); err != nil {
			return nil, fmt.Errorf("notify: message %d: tags: %w", id, err)
		}
		m.At = time.Unix(at, 0).UTC()
		msgs[id] = &m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notify: read messages: %w", err)
	}
	out := make([]*Post, len(claims))
	for i, c := range claims {
		m, ok := msgs[c.messageID]
		if !ok {
			return nil, fmt.Errorf("notify: message %d of delivery %d: %w", c.messageID, c.id, store.ErrNotFound)
		}
		out[i] = &Post{Message: *m, ID: c.id, Key: c.key, ToOwner: c.toOwner, T: n.t(st)}
	}
	return out, nil
}

func placeholders(k int) string { return strings.Repeat("?, ", k-1) + "?" }

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

// record stores the outcomes of attempts, in one commit, and makes the
// next delivery of each finished subject its head. With retry false (a
// test from an operator) a failure is final at once.
func (n *Notifier) record(ctx context.Context, st *setup, claims []claimed, errs []error, retry bool) error {
	now := n.Now()
	var delivered []any
	var finished []claimed
	err := n.db.InGroupTx(ctx, func(tx *store.Tx) error {
		delivered, finished = delivered[:0], finished[:0]
		for i, c := range claims {
			if errs[i] == nil {
				delivered = append(delivered, c.id)
				finished = append(finished, c)
				continue
			}
			done, err := n.recordFailure(ctx, tx, st, now, c, errs[i], retry)
			if err != nil {
				return fmt.Errorf("notify: record delivery %d: %w", c.id, err)
			}
			if done {
				finished = append(finished, c)
			}
		}
		if len(delivered) > 0 {
			_, err := tx.Exec(ctx, `UPDATE notify_deliveries SET state = 'delivered', head = 0, delivered_at = ?, locked_until = 0, last_error = ''
				WHERE id IN (`+placeholders(len(delivered))+`)`, append([]any{now.Unix()}, delivered...)...)
			if err != nil {
				return fmt.Errorf("notify: record deliveries: %w", err)
			}
		}
		return promote(ctx, tx, finished)
	})
	return err
}

// recordFailure stores a failed attempt: retried later, or failed for good
// (then done is true).
func (n *Notifier) recordFailure(ctx context.Context, tx *store.Tx, st *setup, now time.Time, c claimed, sendErr error, retry bool) (done bool, err error) {
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
		_, err := tx.Exec(ctx, `UPDATE notify_deliveries SET next_try = ?, locked_until = 0, last_error = ? WHERE id = ?`, next.Unix(), msg, c.id)
		return false, err
	}
	n.log.Warn("notification failed for good", "delivery", c.id, "channel", c.channel, "attempts", c.attempts)
	_, err = tx.Exec(ctx, `UPDATE notify_deliveries SET state = 'failed', head = 0, locked_until = 0, last_error = ? WHERE id = ?`, msg, c.id)
	return true, err
}

// promote makes the oldest pending delivery of each finished subject on
// its channel the subject's head.
func promote(ctx context.Context, tx *store.Tx, finished []claimed) error {
	if len(finished) == 0 {
		return nil
	}
	var or []string
	var args []any
	seen := map[[2]string]bool{}
	for _, c := range finished {
		k := [2]string{c.channel, c.subjectKey}
		if !seen[k] {
			seen[k] = true
			or = append(or, "(channel = ? AND subject_key = ?)")
			args = append(args, c.channel, c.subjectKey)
		}
	}
	_, err := tx.Exec(ctx, `UPDATE notify_deliveries SET head = 1 WHERE id IN (SELECT MIN(id) FROM notify_deliveries
		WHERE state = 'pending' AND (`+strings.Join(or, " OR ")+`) GROUP BY channel, subject_key)`, args...)
	if err != nil {
		return fmt.Errorf("notify: next deliveries: %w", err)
	}
	return nil
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
// behind an earlier delivery of their subject), then gives every subject
// left without a head its oldest pending delivery, and says how many
// deliveries expired.
func (n *Notifier) Expire(ctx context.Context) (int64, error) {
	now := n.Now().Unix()
	var k int64
	err := n.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE notify_deliveries SET state = 'failed', head = 0,
			last_error = CASE WHEN last_error = '' THEN 'expired before it could be sent' ELSE last_error || ' (given up: the delivery expired)' END
			WHERE state = 'pending' AND expires_at <= ? AND locked_until <= ?`, now, now)
		if err != nil {
			return err
		}
		k, _ = res.RowsAffected()
		// Also mends the rare subject whose head was being finished on
		// PostgreSQL while a new delivery of it was enqueued, each
		// transaction unaware of the other.
		_, err = tx.Exec(ctx, `UPDATE notify_deliveries SET head = 1 WHERE id IN (SELECT MIN(id) FROM notify_deliveries
			WHERE state = 'pending' GROUP BY channel, subject_key HAVING MAX(head) = 0)`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("notify: expire: %w", err)
	}
	if k > 0 {
		n.log.Warn("notifications expired before delivery", "count", k)
	}
	return k, nil
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
