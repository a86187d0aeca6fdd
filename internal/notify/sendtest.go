package notify

import (
	"context"
	"crypto/rand"
	"fmt"

	"pelote/internal/store"
)

// ErrNoChannel is returned (wrapped, with store.ErrNotFound) for a
// channel the configuration does not name.
var ErrNoChannel = fmt.Errorf("no such channel: %w", store.ErrNotFound)

// Test sends a test message to one channel now and records it in the
// outbox like any delivery (a failure is not retried). It returns the
// delivery and, when the channel failed, why.
func (n *Notifier) Test(ctx context.Context, channel string) (Delivery, error) {
	st := n.cur.Load()
	c, ok := st.channels[channel]
	if !ok {
		return Delivery{}, fmt.Errorf("notify: %q: %w", channel, ErrNoChannel)
	}
	t := n.t(st)
	m := Message{Source: "test", Subject: channel, Event: "test", Severity: Info,
		Title: t("notify.test.title"), Text: t("notify.test.text", channel)}
	if err := n.normalize(&m); err != nil {
		return Delivery{}, err
	}
	now := n.Now()
	cl := claimed{channel: channel, subjectKey: subjectKey(&m), key: rand.Text(), attempts: 1, expiresAt: now.Add(st.expiry).Unix()}
	err := n.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO notify_messages (source, subject, subject_key, event, severity, tags, owner, title, body, url, at, routed, created_at)
			VALUES (?, ?, ?, ?, ?, '[]', '', ?, ?, '', ?, 1, ?) RETURNING id`,
			m.Source, m.Subject, subjectKey(&m), m.Event, string(m.Severity), m.Title, m.Text, m.At.Unix(), now.Unix()).Scan(&cl.messageID)
		if err != nil {
			return err
		}
		// Held by this call from the start: no worker sends it too.
		return tx.QueryRow(ctx, `INSERT INTO notify_deliveries (message_id, channel, subject_key, delivery_key, attempts, next_try, locked_until, expires_at, created_at)
			VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING id`, cl.messageID, channel, subjectKey(&m), cl.key, now.Unix(),
			now.Add(st.lockFor()).Unix(), cl.expiresAt, now.Unix()).Scan(&cl.id)
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("notify: test %s: %w", channel, err)
	}
	p := &Post{Message: m, ID: cl.id, Key: cl.key, T: t}
	sendErr := n.sendPost(ctx, c, p)
	if err := n.record(ctx, st, []claimed{cl}, []error{sendErr}, false); err != nil {
		return Delivery{}, err
	}
	d, err := n.DeliveryByID(ctx, cl.id)
	if err != nil {
		return d, err
	}
	if sendErr != nil {
		return d, fmt.Errorf("notify: test %s: %w", channel, sendErr)
	}
	return d, nil
}
