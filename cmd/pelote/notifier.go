package main

import (
	"context"
	"log/slog"

	"pelote/internal/notify"
	"pelote/internal/store"
)

// loggedMessages hands the checks' messages to next (the notification
// channels' outbox; nil for none) and writes each to the log once
// committed: its title at info, its text at debug (it may hold a job's
// output).
func loggedMessages(next notify.Enqueuer, log *slog.Logger) notify.Enqueuer {
	return messageLog{next: next, log: log}
}

type messageLog struct {
	next notify.Enqueuer
	log  *slog.Logger
}

func (n messageLog) Enqueue(ctx context.Context, tx *store.Tx, m notify.Message) error {
	if n.next != nil {
		if err := n.next.Enqueue(ctx, tx, m); err != nil {
			return err
		}
	}
	out := func() {
		n.log.Info("notification", "source", m.Source, "subject", m.Subject, "event", m.Event, "severity", m.Severity, "title", m.Title)
		n.log.Debug("notification text", "subject", m.Subject, "event", m.Event, "text", m.Text)
	}
	if tx == nil {
		out()
	} else {
		tx.AfterCommit(out)
	}
	return nil
}
