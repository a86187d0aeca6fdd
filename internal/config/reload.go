package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"time"
)

// Prepare is one part's answer to a new configuration: it checks what it
// needs (reads secret files, builds its objects) without changing anything
// running, and returns the function that switches to the new
// configuration. An error leaves everything as it was.
type Prepare func(Config) (apply func(), err error)

// Reloader reads the configuration again when told (SIGHUP) and hands it to
// the parts registered with OnReload, all or nothing: each part prepares
// first, and only when the whole file is valid and every part is ready
// does each apply. Otherwise the old configuration keeps running and the
// error is logged and kept for the operators' pages.
//
// Only the parts that register follow a reload (the supervision sections:
// checks, notify); the listeners, the database and the other settings
// need a restart.
type Reloader struct {
	load func() (Config, error)
	log  *slog.Logger
	// Now is injected so tests control time.
	Now func() time.Time

	mu      sync.Mutex
	parts   []part
	current Config
	status  ReloadStatus
}

type part struct {
	name    string
	prepare Prepare
}

// ReloadStatus is what the operators' pages say of the last reload.
type ReloadStatus struct {
	// At is when the last reload was tried; zero before the first.
	At time.Time
	// Err is why it was refused, nil when it was applied.
	Err error
}

// NewReloader starts from current, the configuration already running;
// load reads it again (the same file, variables and flags).
func NewReloader(current Config, load func() (Config, error), log *slog.Logger) *Reloader {
	return &Reloader{load: load, log: log, Now: time.Now, current: current}
}

// OnReload registers a part; call it before the first Reload.
func (r *Reloader) OnReload(name string, p Prepare) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parts = append(r.parts, part{name: name, prepare: p})
}

// Current is the configuration running now.
func (r *Reloader) Current() Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current
}

// Status tells how the last reload went.
func (r *Reloader) Status() ReloadStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Reload reads the configuration and applies it to every part, or to none.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.reload()
	r.status = ReloadStatus{At: r.Now(), Err: err}
	if err != nil {
		r.log.Error("configuration reload refused, the previous configuration keeps running", "err", err)
		return err
	}
	r.log.Info("configuration reloaded")
	return nil
}

func (r *Reloader) reload() error {
	next, err := r.load()
	if err != nil {
		return err
	}
	applies := make([]func(), 0, len(r.parts))
	var errs []error
	for _, p := range r.parts {
		apply, err := safePrepare(p, next)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
			continue
		}
		applies = append(applies, apply)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: reload: %w", err)
	}
	for _, apply := range applies {
		if apply != nil {
			apply()
		}
	}
	r.current = next
	return nil
}

// safePrepare turns a part's panic into a refused reload: a bad file must
// not take the server down.
func safePrepare(p part, c Config) (apply func(), err error) {
	defer func() {
		if v := recover(); v != nil {
			apply, err = nil, fmt.Errorf("panicked: %v", v)
		}
	}()
	return p.prepare(c)
}

// Watch reloads on each of the signals (SIGHUP) until ctx ends.
func (r *Reloader) Watch(ctx context.Context, signals ...os.Signal) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, signals...)
	defer signal.Stop(ch)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			_ = r.Reload() // logged and kept in Status
		}
	}
}
