package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"pelote/internal/config"
	"pelote/internal/i18n"
	"pelote/internal/inventory"
	"pelote/internal/notify"
	"pelote/internal/releases"
	"pelote/internal/store"
)

// newWatcher builds release watching from the configuration, reading the
// inventory through holder.
func newWatcher(cfg config.Config, db *store.DB, holder *inventory.Holder, n notify.Enqueuer, cat *i18n.Catalog, log *slog.Logger) (*releases.Watcher, error) {
	tokens, err := cfg.ReleaseTokens()
	if err != nil {
		return nil, err
	}
	w := releases.New(db, holder.Load, n, log)
	w.SetTokens(tokens)
	w.UserAgent = "Pelote/" + buildVersion() + " (release watching; " + cfg.URL + ")"
	// Messages are written in the operators' language.
	lang := cfg.Notify.Language
	if lang == "" {
		lang = i18n.Fallback
	}
	w.T = func(key string, args ...any) string { return cat.T(lang, key, args...) }
	w.PageURL = strings.TrimRight(cfg.URL, "/") + "/admin/releases"
	return w, nil
}

func (c *cli) releasesCmd(args []string, verb string) error {
	f := c.flags("releases "+verb, true)
	return c.withConfig(f, args, func(cfg config.Config) error {
		inv, err := cfg.LoadInventory()
		if err != nil {
			return err
		}
		cat, err := i18n.Load()
		if err != nil {
			return err
		}
		log := c.app.log
		// New versions found here wait in the outbox for serve's workers.
		n, err := newNotifier(cfg, c.db, c.app.ids, log)
		if err != nil {
			return err
		}
		w, err := newWatcher(cfg, c.db, inventory.NewHolder(inv), n, cat, log)
		if err != nil {
			return err
		}
		if verb == "poll" {
			ctx, cancel := context.WithTimeout(c.ctx, 10*time.Minute)
			defer cancel()
			cycle, err := w.Poll(ctx)
			if *f.json {
				if jerr := c.printJSON(cycle); jerr != nil {
					return jerr
				}
			} else {
				fmt.Fprintf(c.stdout, "%d upstreams asked in %d requests (%d unchanged), %d new versions notified, %d problems\n",
					cycle.Sources, cycle.Requests, cycle.NotModified, cycle.Notified, cycle.Problems)
			}
			return err
		}
		list, err := w.List(c.ctx)
		if err != nil {
			return err
		}
		if *f.json {
			return c.printJSON(list)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tSOFTWARE\tRUNNING\tLATEST\tSTATE\tPROBLEMS")
		for _, s := range list {
			state := "up to date"
			switch {
			case !s.Watched:
				state = "not watched"
			case s.Latest == "":
				state = "unknown"
			case s.Outdated && s.Security:
				state = "OUTDATED (security)"
			case s.Outdated:
				state = "outdated"
			}
			var probs []string
			for _, p := range s.Problems {
				msg := cat.T(i18n.Fallback, "releases.problem."+p.Key)
				if p.Detail != "" {
					msg += " " + p.Detail
				}
				probs = append(probs, msg)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Service, dash(s.Software), dash(s.Running), dash(s.Latest), state, strings.Join(probs, " "))
		}
		return tw.Flush()
	})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// withConfig parses a verb without arguments, opens the database and runs
// fn with the configuration.
func (c *cli) withConfig(f *flags, args []string, fn func(cfg config.Config) error) error {
	if _, err := f.parse(args, 0, "no argument"); err != nil {
		return err
	}
	cfg, db, _, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(cfg)
}
