package main

import (
	"context"
	"log/slog"

	"pelote/internal/config"
	"pelote/internal/notify"
	"pelote/internal/store"
)

// newNotifier returns what the checks hand their messages to. Until the
// notification channels are configured here, messages are written to the
// log (title at info, text at debug: it may hold a job's output).
func newNotifier(_ config.Config, _ *store.DB, log *slog.Logger) notify.Enqueuer {
	return logNotifier{log: log}
}

type logNotifier struct{ log *slog.Logger }

func (n logNotifier) Enqueue(_ context.Context, tx *store.Tx, m notify.Message) error {
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
