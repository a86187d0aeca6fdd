package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pelote/internal/access"
	"pelote/internal/identity"
	"pelote/internal/inventory"
	"pelote/internal/openid"
	"pelote/internal/releases"
	"pelote/internal/transparency"
)

// transparencyFacts joins the stores the public report counts from.
type transparencyFacts struct {
	ids *identity.Store
	acc *access.Store
	oid *openid.Store
}

func (f transparencyFacts) ActiveAccountCount(ctx context.Context) (int, error) {
	return f.ids.ActiveAccountCount(ctx)
}
func (f transparencyFacts) ActiveMemberNames(ctx context.Context, g []string) (map[string][]string, error) {
	return f.ids.ActiveMemberNames(ctx, g)
}
func (f transparencyFacts) ReachNames(ctx context.Context) (map[string][]string, error) {
	return f.acc.ReachNames(ctx)
}
func (f transparencyFacts) ProfileAccounts(ctx context.Context) (map[string]int, error) {
	return f.ids.ProfileAccounts(ctx)
}
func (f transparencyFacts) ActiveSignIns(ctx context.Context, since time.Time) (map[string]int, error) {
	return f.oid.ActiveSignIns(ctx, since)
}

// newTransparency builds the report maker. Uptime stays nil until
// supervision offers it (transparency.UptimeSource).
func newTransparency(holder *inventory.Holder, ids *identity.Store, acc *access.Store, oid *openid.Store, w *releases.Watcher) *transparency.Builder {
	return &transparency.Builder{Inventory: holder.Load, Facts: transparencyFacts{ids: ids, acc: acc, oid: oid}, Versions: w,
		CacheFor: 5 * time.Minute}
}

// export writes the ChatonsInfos files: pelote export chatonsinfos DIR.
func (c *cli) exportChatonsInfos(args []string) error {
	f := c.flags("export chatonsinfos", false)
	base := f.String("base-url", "", "public address of the directory the files are served from (default: URL/.well-known/chatonsinfos)")
	pos, err := f.parse(args, 1, "one directory")
	if err != nil {
		return err
	}
	cfg, db, ids, err := c.open(f)
	if err != nil {
		return err
	}
	defer db.Close()
	inv, err := cfg.LoadInventory()
	if err != nil {
		return err
	}
	if inv.Organization.Name == "" {
		return fmt.Errorf("the inventory has no organization.name: describe the organisation first (see pelote inventory check)")
	}
	log := c.app.log
	holder := inventory.NewHolder(inv)
	n, err := newNotifier(cfg, db, ids, log)
	if err != nil {
		return err
	}
	w := releases.New(db, holder.Load, n, log)
	b := newTransparency(holder, ids, c.app.access, c.app.oidc, w)
	rep, err := b.Report(c.ctx)
	if err != nil {
		return err
	}
	if *base == "" {
		*base = strings.TrimRight(cfg.URL, "/") + "/.well-known/chatonsinfos"
	}
	files := rep.ChatonsInfos(*base, "Pelote "+buildVersion())
	// Pelote checks its own files against the format before writing any.
	all := map[string][]byte{"organization": files.Organization}
	for name, b := range files.Services {
		all[name] = b
	}
	for name, b := range all {
		p, err := transparency.ParseProperties(b)
		if err == nil {
			if errs := transparency.CheckProperties(p); len(errs) > 0 {
				err = fmt.Errorf("%v", errs)
			}
		}
		if err != nil {
			return fmt.Errorf("%s.properties would not follow the ChatonsInfos format: %w", name, err)
		}
	}
	dir := pos[0]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	for name, b := range all {
		if err := os.WriteFile(filepath.Join(dir, name+".properties"), b, 0o644); err != nil {
			return fmt.Errorf("cannot write: %w", err)
		}
	}
	fmt.Fprintf(c.stdout, "%d files written to %s (organization.properties and one per service)\n", len(all), dir)
	return nil
}
