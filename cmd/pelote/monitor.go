package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"pelote/internal/config"
	"pelote/internal/heartbeat"
	"pelote/internal/i18n"
	"pelote/internal/monitor"
	"pelote/internal/notify"
	"pelote/internal/store"
	"pelote/internal/web"
)

// supervision is serve's monitor: the engine, its heartbeats and what the
// web server mounts.
type supervision struct {
	engine *monitor.Engine
	hb     *heartbeat.Store
	web    *web.Monitor
	log    *slog.Logger
}

// startMonitor builds the engine from the configuration; run starts it.
// Messages go to out (the notification outbox; nil for the log only).
func startMonitor(ctx context.Context, cfg config.Config, db *store.DB, cat *i18n.Catalog, log *slog.Logger, out notify.Enqueuer) (*supervision, error) {
	checks, err := cfg.MonitorChecks()
	if err != nil {
		return nil, err // validated already; a secret file may have gone
	}
	hb := heartbeat.NewStore(db)
	var metrics *monitor.Metrics
	eng := monitor.New(monitor.Options{
		DB: db, Notify: loggedMessages(out, log), Prober: monitor.NewProber(hb), Tr: cat, Lang: cfg.Notify.Language,
		BaseURL: cfg.URL, Policy: cfg.MonitorPolicy(), Concurrency: cfg.Monitor.Concurrency, Log: log,
		OnResult: func(c monitor.Check, r monitor.Result, late time.Duration) { metrics.Observe(c, r, late) },
	})
	metrics = monitor.NewMetrics(eng, hb)
	eng.Apply(checks, cfg.MonitorSilences())
	if err := hb.Register(ctx, eng.HeartbeatUUIDs(), time.Now()); err != nil {
		return nil, err
	}
	return &supervision{engine: eng, hb: hb, log: log, web: &web.Monitor{
		Engine: eng, Heartbeats: hb, Metrics: metrics.Registry(), MetricsToken: cfg.Monitor.MetricsToken, PingRate: cfg.Monitor.PingRate,
	}}, nil
}

// run runs the checks (on the node holding the lease) and the hourly
// roll-up. Reloads come through serve's config.Reloader: see prepare and
// showReload.
func (s *supervision) run(ctx context.Context) {
	go s.engine.Run(ctx)
	go func() {
		for {
			if err := s.engine.Maintain(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("monitor roll-up", "err", err)
			}
			if s.engine.Leader() {
				if _, err := s.hb.Purge(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("heartbeat purge", "err", err)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Minute):
			}
		}
	}()
}

// showReload puts a refused reload's errors on the dashboard (the running
// checks stay as they were) and clears them once a reload is applied.
func (s *supervision) showReload(st config.ReloadStatus) {
	if st.Err == nil {
		s.engine.SetErrors(nil)
		return
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimPrefix(st.Err.Error(), "config: "), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	s.engine.SetErrors(lines)
}

// prepare reads a new configuration's checks and silences without
// changing what runs, and returns what applies them (a config.Prepare).
func (s *supervision) prepare(cfg config.Config) (func(), error) {
	checks, err := cfg.MonitorChecks()
	if err != nil {
		return nil, err
	}
	silences := cfg.MonitorSilences()
	return func() {
		s.engine.Apply(checks, silences)
		if err := s.hb.Register(context.Background(), s.engine.HeartbeatUUIDs(), time.Now()); err != nil {
			s.log.Warn("heartbeat register", "err", err)
		}
		s.log.Info("configuration reloaded", "checks", len(checks))
	}, nil
}
