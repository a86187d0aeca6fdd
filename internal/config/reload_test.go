package config

import (
	"errors"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"pelote/internal/testkit"
)

func TestReloadAllOrNothing(t *testing.T) {
	path := write(t, "log_level: info\n")
	load := func() (Config, error) { return load(path, nil, nil) }
	first, err := load()
	if err != nil {
		t.Fatal(err)
	}
	r := NewReloader(first, load, testkit.Quiet)
	var applied []string
	refuse := false
	r.OnReload("a", func(c Config) (func(), error) {
		return func() { applied = append(applied, "a:"+c.LogLevel) }, nil
	})
	r.OnReload("b", func(c Config) (func(), error) {
		if refuse {
			return nil, errors.New("b cannot take it")
		}
		return func() { applied = append(applied, "b:"+c.LogLevel) }, nil
	})

	// A valid file: every part applies it.
	os.WriteFile(path, []byte("log_level: debug\n"), 0o600)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(applied, ",") != "a:debug,b:debug" || r.Current().LogLevel != "debug" || r.Status().Err != nil || r.Status().At.IsZero() {
		t.Fatalf("applied %v, current %q, status %+v", applied, r.Current().LogLevel, r.Status())
	}

	// A file with an error: nobody applies anything, the error is kept.
	applied = nil
	os.WriteFile(path, []byte("log_level: loud\n"), 0o600)
	err = r.Reload()
	if err == nil || !strings.Contains(err.Error(), "log_level") || len(applied) != 0 || r.Current().LogLevel != "debug" {
		t.Fatalf("bad file: err %v, applied %v, current %q", err, applied, r.Current().LogLevel)
	}
	if st := r.Status(); st.Err == nil || !strings.Contains(st.Err.Error(), "loud") {
		t.Fatalf("status %+v", st)
	}

	// A valid file one part refuses: nobody applies it either.
	refuse = true
	os.WriteFile(path, []byte("log_level: warn\n"), 0o600)
	if err := r.Reload(); err == nil || !strings.Contains(err.Error(), "b: b cannot take it") || len(applied) != 0 || r.Current().LogLevel != "debug" {
		t.Fatalf("refused by a part: err %v, applied %v, current %q", err, applied, r.Current().LogLevel)
	}

	// A part that panics refuses the reload instead of killing the server.
	refuse = false
	r.OnReload("c", func(Config) (func(), error) { panic("boom") })
	if err := r.Reload(); err == nil || !strings.Contains(err.Error(), "c: panicked: boom") || len(applied) != 0 {
		t.Fatalf("panicking part: err %v, applied %v", err, applied)
	}
}

func TestReloadOnSignal(t *testing.T) {
	path := write(t, "log_level: info\n")
	load := func() (Config, error) { return load(path, nil, nil) }
	first, _ := load()
	r := NewReloader(first, load, testkit.Quiet)
	done := make(chan string, 1)
	r.OnReload("watch", func(c Config) (func(), error) { return func() { done <- c.LogLevel }, nil })
	// Caught here too, so that a signal sent before Watch subscribes does
	// not end the test process.
	caught := make(chan os.Signal, 16)
	signal.Notify(caught, syscall.SIGUSR2)
	defer signal.Stop(caught)
	go r.Watch(t.Context(), syscall.SIGUSR2)
	os.WriteFile(path, []byte("log_level: error\n"), 0o600)
	// The watcher may not have subscribed yet: signal until it answers.
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case lvl := <-done:
			if lvl != "error" {
				t.Fatalf("reloaded %q", lvl)
			}
			return
		case <-tick.C:
			syscall.Kill(os.Getpid(), syscall.SIGUSR2)
		case <-deadline:
			t.Fatal("no reload on the signal")
		}
	}
}
