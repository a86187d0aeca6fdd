package main

import (
	"sync/atomic"
	"time"

	"pelote/internal/config"
	"pelote/internal/inventory"
	"pelote/internal/releases"
)

// atomicDuration is a setting a reload may change while it is read.
type atomicDuration struct{ v atomic.Int64 }

func (d *atomicDuration) Load() time.Duration   { return time.Duration(d.v.Load()) }
func (d *atomicDuration) Store(v time.Duration) { d.v.Store(int64(v)) }

// reloadInventory prepares a new configuration's inventory, tokens and
// polling interval without touching the running ones, and returns the
// function that switches to them: the shape of a configuration reload's
// part (read everything first, apply all at once or nothing).
func reloadInventory(holder *inventory.Holder, w *releases.Watcher, interval *atomicDuration) func(config.Config) (func(), error) {
	return func(next config.Config) (func(), error) {
		inv, err := next.LoadInventory()
		if err != nil {
			return nil, err
		}
		tokens, err := next.ReleaseTokens()
		if err != nil {
			return nil, err
		}
		return func() {
			holder.Store(inv)
			w.SetTokens(tokens)
			interval.Store(time.Duration(next.Releases.Interval))
		}, nil
	}
}
