package notify

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"pelote/internal/store"
)

// ErrInvalid is returned (wrapped) for a message a producer got wrong.
var ErrInvalid = errors.New("invalid message")

// Limits on what one message stores: the text may carry a job's output.
const (
	maxTitle = 1000
	maxText  = 64 << 10
	maxTags  = 64
)

// normalize checks m and fills what a producer may leave out.
func (n *Notifier) normalize(m *Message) error {
	if m.Source == "" || m.Subject == "" || m.Event == "" {
		return fmt.Errorf("notify: source, subject and event are required: %w", ErrInvalid)
	}
	if !m.Severity.Valid() {
		return fmt.Errorf("notify: severity %q is not info, warning or critical: %w", m.Severity, ErrInvalid)
	}
	if strings.TrimSpace(m.Title) == "" {
		m.Title = m.Subject
	}
	m.Title = shorten(m.Title, maxTitle)
	m.Text = shorten(m.Text, maxText)
	if len(m.Tags) > maxTags {
		m.Tags = m.Tags[:maxTags]
	}
	if m.Owner == "" {
		// Producers may name the owner as a tag, as Alertmanager's labels
		// do.
		for _, t := range m.Tags {
			if g, ok := strings.CutPrefix(t, "owner="); ok && g != "" {
				m.Owner = g
				break
			}
		}
	}
	if m.At.IsZero() {
		m.At = n.Now()
	}
	return nil
}

func subjectKey(m *Message) string { return m.Source + "\n" + m.Subject }

// Enqueue stores m with one delivery per channel its routes select, in tx
// when it is not nil (the message then exists only if tx commits), and
// wakes the workers once it is committed. A message no route selects is
// stored as unrouted, logged and counted. A recovery ("up", "resolved")
// also goes to every channel that got the subject's last problem.
func (n *Notifier) Enqueue(ctx context.Context, tx *store.Tx, m Message) error {
	if err := n.normalize(&m); err != nil {
		return err
	}
	if tx == nil {
		// Shared with other callers' commits on SQLite: a burst of
		// messages waits on the disk once, not once per message.
		return n.db.InGroupTx(ctx, func(tx *store.Tx) error { return n.enqueue(ctx, tx, &m) })
	}
	return n.enqueue(ctx, tx, &m)
}

func (n *Notifier) enqueue(ctx context.Context, tx *store.Tx, m *Message) error {
	st := n.cur.Load()
	key := subjectKey(m)
	targets := st.route(m)
	if recovery(m.Event) {
		prev, err := lastProblemTargets(ctx, tx, key)
		if err != nil {
			return err
		}
		for _, p := range prev {
			if _, ok := st.channels[p.channel]; !ok {
				continue // removed since
			}
			i := indexOf(targets, p.channel)
			if i < 0 {
				targets = append(targets, p)
			} else {
				targets[i].toOwner = targets[i].toOwner || p.toOwner
			}
		}
	}
	tags, err := json.Marshal(nonNil(m.Tags))
	if err != nil {
		return err
	}
	now := n.Now()
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO notify_messages (source, subject, subject_key, event, severity, tags, owner, title, body, url, at, routed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Source, m.Subject, key, m.Event, string(m.Severity), string(tags), m.Owner, m.Title, m.Text, m.URL, m.At.Unix(),
		boolInt(len(targets) > 0), now.Unix()).Scan(&id)
	if err != nil {
		return fmt.Errorf("notify: store message: %w", err)
	}
	for _, t := range targets {
		// The head of its subject on the channel unless an earlier one
		// waits: it then goes once those before it are done.
		if _, err := tx.Exec(ctx, `INSERT INTO notify_deliveries (message_id, channel, subject_key, to_owner, delivery_key, head, next_try, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, (SELECT CASE WHEN EXISTS (SELECT 1 FROM notify_deliveries WHERE channel = ? AND subject_key = ? AND state = 'pending') THEN 0 ELSE 1 END),
			?, ?, ?)`, id, t.channel, key, boolInt(t.toOwner), rand.Text(), t.channel, key, now.Unix(), now.Add(st.expiry).Unix(), now.Unix()); err != nil {
			return fmt.Errorf("notify: store delivery: %w", err)
		}
	}
	if len(targets) == 0 {
		source, event, severity := m.Source, m.Event, m.Severity
		tx.AfterCommit(func() {
			n.unrouted.Add(1)
			n.log.Warn("notification selected by no route: stored, not sent", "message", id, "source", source, "event", event, "severity", severity)
		})
		return nil
	}
	tx.AfterCommit(n.Wake)
	return nil
}

// lastProblemTargets are the channels that got the subject's last message
// that was not a recovery.
func lastProblemTargets(ctx context.Context, tx *store.Tx, key string) ([]target, error) {
	rows, err := tx.Query(ctx, `SELECT channel, to_owner FROM notify_deliveries WHERE message_id = (
		SELECT MAX(id) FROM notify_messages WHERE subject_key = ? AND event NOT IN ('up', 'resolved'))`, key)
	if err != nil {
		return nil, fmt.Errorf("notify: last problem: %w", err)
	}
	defer rows.Close()
	var out []target
	for rows.Next() {
		var t target
		var owner int
		if err := rows.Scan(&t.channel, &owner); err != nil {
			return nil, err
		}
		t.toOwner = owner == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

func indexOf(ts []target, channel string) int {
	for i, t := range ts {
		if t.channel == channel {
			return i
		}
	}
	return -1
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
