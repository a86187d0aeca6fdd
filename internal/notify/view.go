package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"pelote/internal/store"
)

// Delivery is one delivery as operators see it.
type Delivery struct {
	ID          int64     `json:"id"`
	Channel     string    `json:"channel"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	NextTry     time.Time `json:"next_try,omitzero"`
	ExpiresAt   time.Time `json:"expires_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	Source      string    `json:"source"`
	Subject     string    `json:"subject"`
	Event       string    `json:"event"`
	Severity    Severity  `json:"severity"`
	Title       string    `json:"title"`
}

// Delivery states.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Failed    = "failed"
)

// ChannelStatus is one configured channel and how its deliveries go.
type ChannelStatus struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Target says where posts go, without secrets.
	Target        string    `json:"target"`
	Pending       int       `json:"pending"`
	Failed        int       `json:"failed"`
	LastDelivered time.Time `json:"last_delivered,omitzero"`
	LastFailed    time.Time `json:"last_failed,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
}

// Unrouted is a message no route selected.
type Unrouted struct {
	ID        int64     `json:"id"`
	Source    string    `json:"source"`
	Subject   string    `json:"subject"`
	Event     string    `json:"event"`
	Severity  Severity  `json:"severity"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
}

// Overview is what the operators' page and `pelote notify list` show.
type Overview struct {
	Channels []ChannelStatus `json:"channels"`
	// Pending and Failed are the newest of each; Delivered those of the
	// last day.
	Pending   []Delivery `json:"pending"`
	Failed    []Delivery `json:"failed"`
	Delivered []Delivery `json:"delivered"`
	// Unrouted are the newest messages no route selected, of the week.
	Unrouted []Unrouted `json:"unrouted"`
}

// listLimit bounds each list of the overview.
const listLimit = 100

// Overview gathers channels and outbox.
func (n *Notifier) Overview(ctx context.Context) (Overview, error) {
	st := n.cur.Load()
	var o Overview
	var err error
	if o.Channels, err = n.channelStatus(ctx, st); err != nil {
		return o, err
	}
	now := n.Now()
	if o.Pending, err = n.deliveries(ctx, Pending, time.Time{}); err != nil {
		return o, err
	}
	if o.Failed, err = n.deliveries(ctx, Failed, time.Time{}); err != nil {
		return o, err
	}
	if o.Delivered, err = n.deliveries(ctx, Delivered, now.Add(-24*time.Hour)); err != nil {
		return o, err
	}
	o.Unrouted, err = n.unroutedList(ctx)
	return o, err
}

func (n *Notifier) channelStatus(ctx context.Context, st *setup) ([]ChannelStatus, error) {
	out := make([]ChannelStatus, 0, len(st.names))
	for _, name := range st.names {
		c := st.channels[name]
		cs := ChannelStatus{Name: name, Kind: c.cfg.Kind, Target: c.ch.Target()}
		var delivered, failed int64
		err := n.db.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0),
			COALESCE(MAX(delivered_at), 0) FROM notify_deliveries WHERE channel = ?`, name).Scan(&cs.Pending, &cs.Failed, &delivered)
		if err != nil {
			return nil, fmt.Errorf("notify: channel %s: %w", name, err)
		}
		err = n.db.QueryRow(ctx, `SELECT created_at, last_error FROM notify_deliveries WHERE channel = ? AND state = 'failed' ORDER BY id DESC LIMIT 1`, name).
			Scan(&failed, &cs.LastError)
		if err != nil && !isNoRows(err) {
			return nil, fmt.Errorf("notify: channel %s: %w", name, err)
		}
		cs.LastDelivered, cs.LastFailed = unix(delivered), unix(failed)
		out = append(out, cs)
	}
	return out, nil
}

const deliveryCols = `d.id, d.channel, d.state, d.attempts, d.last_error, d.next_try, d.expires_at, d.delivered_at, d.created_at,
	m.source, m.subject, m.event, m.severity, m.title`

func (n *Notifier) deliveries(ctx context.Context, state string, since time.Time) ([]Delivery, error) {
	q := `SELECT ` + deliveryCols + ` FROM notify_deliveries d JOIN notify_messages m ON m.id = d.message_id WHERE d.state = ?`
	args := []any{state}
	if !since.IsZero() {
		q += ` AND d.delivered_at >= ?`
		args = append(args, since.Unix())
	}
	q += ` ORDER BY d.id DESC LIMIT ?`
	args = append(args, listLimit)
	rows, err := n.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("notify: list %s: %w", state, err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanDelivery(r scanner) (Delivery, error) {
	var d Delivery
	var next, expires, delivered, created int64
	err := r.Scan(&d.ID, &d.Channel, &d.State, &d.Attempts, &d.LastError, &next, &expires, &delivered, &created,
		&d.Source, &d.Subject, &d.Event, &d.Severity, &d.Title)
	if err != nil {
		return d, fmt.Errorf("notify: read delivery: %w", err)
	}
	if d.State == Pending {
		d.NextTry = unix(next)
	}
	d.ExpiresAt, d.DeliveredAt, d.CreatedAt = unix(expires), unix(delivered), unix(created)
	return d, nil
}

// DeliveryByID reads one delivery.
func (n *Notifier) DeliveryByID(ctx context.Context, id int64) (Delivery, error) {
	d, err := scanDelivery(n.db.QueryRow(ctx, `SELECT `+deliveryCols+` FROM notify_deliveries d JOIN notify_messages m ON m.id = d.message_id WHERE d.id = ?`, id))
	if isNoRows(err) {
		return d, fmt.Errorf("notify: delivery %d: %w", id, store.ErrNotFound)
	}
	return d, err
}

func (n *Notifier) unroutedList(ctx context.Context) ([]Unrouted, error) {
	rows, err := n.db.Query(ctx, `SELECT id, source, subject, event, severity, title, created_at FROM notify_messages
		WHERE routed = 0 AND created_at >= ? ORDER BY id DESC LIMIT ?`, n.Now().Add(-keepDelivered).Unix(), listLimit)
	if err != nil {
		return nil, fmt.Errorf("notify: unrouted: %w", err)
	}
	defer rows.Close()
	out := []Unrouted{}
	for rows.Next() {
		var u Unrouted
		var created int64
		if err := rows.Scan(&u.ID, &u.Source, &u.Subject, &u.Event, &u.Severity, &u.Title, &created); err != nil {
			return nil, err
		}
		u.CreatedAt = unix(created)
		out = append(out, u)
	}
	return out, rows.Err()
}

// Retry puts a failed or waiting delivery back in line now, with its
// attempts and expiry started afresh. A delivery being sent, or already
// delivered, is ErrNotFound.
func (n *Notifier) Retry(ctx context.Context, id int64) error {
	st := n.cur.Load()
	now := n.Now()
	// Back at its place in its subject's order: the head if nothing else
	// of its subject waits on its channel, else after the current head.
	res, err := n.db.Exec(ctx, `UPDATE notify_deliveries SET state = 'pending', attempts = 0, next_try = ?, locked_until = 0, expires_at = ?,
		head = CASE WHEN head = 1 OR NOT EXISTS (SELECT 1 FROM notify_deliveries o WHERE o.channel = notify_deliveries.channel
			AND o.subject_key = notify_deliveries.subject_key AND o.state = 'pending' AND o.id <> notify_deliveries.id) THEN 1 ELSE 0 END
		WHERE id = ? AND state IN ('pending', 'failed') AND locked_until <= ?`, now.Unix(), now.Add(st.expiry).Unix(), id, now.Unix())
	if err != nil {
		return fmt.Errorf("notify: retry %d: %w", id, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("notify: no failed or waiting delivery %d: %w", id, store.ErrNotFound)
	}
	n.Wake()
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
