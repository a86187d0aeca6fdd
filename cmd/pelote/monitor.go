package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
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
		DB: db, Notify: loggedMessages(out, log), Prober: monitor.NewProber(hb), Tr: cat, Lang: cfg.Monitor.Language,
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

// run runs the checks (on the node holding the lease), the hourly
// roll-up, and reloads the checks on SIGHUP.
func (s *supervision) run(ctx context.Context, reload func() (config.Config, error)) {
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
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				s.reload(reload)
			}
		}
	}()
}

// reload applies a new configuration's checks; one with errors is
// refused whole, the running checks stay, and the errors are logged and
// shown on the dashboard.
func (s *supervision) reload(load func() (config.Config, error)) {
	cfg, err := load()
	var apply func()
	if err == nil {
		apply, err = s.prepare(cfg)
	}
	if err != nil {
		var lines []string
		for _, l := range strings.Split(strings.TrimPrefix(err.Error(), "config: "), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		s.engine.SetErrors(lines)
		s.log.Error("configuration reload refused: the previous checks keep running", "errors", len(lines), "err", err)
		return
	}
	apply()
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
