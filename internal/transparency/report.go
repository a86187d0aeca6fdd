package transparency

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"pelote/internal/inventory"
)

// Facts are the counts Pelote's other domains give the report.
type Facts interface {
	// ActiveAccountCount counts the accounts that may log in.
	ActiveAccountCount(ctx context.Context) (int, error)
	// ActiveMemberNames names the active members of each existing group.
	ActiveMemberNames(ctx context.Context, groups []string) (map[string][]string, error)
	// ReachNames names, per machine-access host, who may log in to it.
	ReachNames(ctx context.Context) (map[string][]string, error)
	// ProfileAccounts counts, per Pelote service, the accounts with a profile.
	ProfileAccounts(ctx context.Context) (map[string]int, error)
	// ActiveSignIns counts, per Pelote service, the accounts that signed in since.
	ActiveSignIns(ctx context.Context, since time.Time) (map[string]int, error)
}

// Uptime is a service's availability as supervision measured it.
type Uptime struct {
	// Ratio is the share of time the service was up, 0 to 1.
	Ratio float64
	// Days is the period it was measured over.
	Days int
}

// UptimeSource is supervision, when it runs: ok is false for a check it
// does not know.
type UptimeSource interface {
	Uptime(ctx context.Context, check string) (u Uptime, ok bool, err error)
}

// Versions gives each service's running version (release watching).
type Versions interface {
	Running(ctx context.Context) (map[string]string, error)
}

// Report is everything the public page and the ChatonsInfos files say.
type Report struct {
	Generated    time.Time
	Organization inventory.Organization
	Machines     []Machine
	Services     []Service
	// Levels are the access levels: each published group, then machine access.
	Levels []Level
	// Accounts counts active accounts; TotalWatts sums the machines' power.
	Accounts   int
	TotalWatts float64
	// ShowNames tells whether Names fields are filled.
	ShowNames bool
	// Graph is the services graph as an SVG document.
	Graph []byte
}

// Machine is a machine with what the page says of it.
type Machine struct {
	inventory.Machine
	// Services run on it; Guests are the machines that run on it.
	Services, Guests []string
	// Access counts who may log in to it; Names names them if published.
	Access int
	Names  []string
}

// Service is a service with its measured figures.
type Service struct {
	inventory.Service
	// Running is its running version, "" when unknown.
	Running string
	// Accounts and ActiveSignIns are -1 when the service does not use
	// Pelote's single sign-on.
	Accounts, ActiveSignIns int
	Uptime                  *Uptime
}

// Level is one access level and how many hold it.
type Level struct {
	// Group is the Pelote group; empty for a machine-access level.
	Group string
	// Machine is the machine whose access this is; empty for a group.
	Machine string
	Count   int
	Names   []string
}

// Builder makes reports, cached for CacheFor.
type Builder struct {
	Inventory func() *inventory.Inventory
	Facts     Facts
	Versions  Versions
	// Uptime is nil until supervision gives it.
	Uptime UptimeSource
	Now    func() time.Time
	// CacheFor is how long a report is served before it is built again.
	CacheFor time.Duration

	mu     sync.Mutex
	cached *Report
	inv    *inventory.Inventory
}

// activeWindow is the period of "monthly active sign-ins".
const activeWindow = 30 * 24 * time.Hour

// Report returns the current report, from the cache when it is fresh and
// the inventory has not been reloaded since.
func (b *Builder) Report(ctx context.Context) (*Report, error) {
	inv := b.Inventory()
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cached != nil && b.inv == inv && now.Sub(b.cached.Generated) < b.CacheFor {
		return b.cached, nil
	}
	r, err := b.build(ctx, inv, now)
	if err != nil {
		return nil, err
	}
	b.cached, b.inv = r, inv
	return r, nil
}

func (b *Builder) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Builder) build(ctx context.Context, inv *inventory.Inventory, now time.Time) (*Report, error) {
	r := &Report{Generated: now.UTC().Truncate(time.Second), Organization: inv.Organization, ShowNames: inv.Access.ShowNames}
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	r.Accounts, err = b.Facts.ActiveAccountCount(ctx)
	keep(err)
	members, err := b.Facts.ActiveMemberNames(ctx, inv.Access.Groups)
	keep(err)
	reach, err := b.Facts.ReachNames(ctx)
	keep(err)
	profiles, err := b.Facts.ProfileAccounts(ctx)
	keep(err)
	active, err := b.Facts.ActiveSignIns(ctx, now.Add(-activeWindow))
	keep(err)
	running := map[string]string{}
	if b.Versions != nil {
		running, err = b.Versions.Running(ctx)
		keep(err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, g := range inv.Access.Groups {
		names, ok := members[g]
		if !ok {
			continue // a group that does not exist is no access level
		}
		r.Levels = append(r.Levels, Level{Group: g, Count: len(names), Names: b.names(inv, names)})
	}
	for _, m := range inv.Machines {
		pm := Machine{Machine: m, Access: len(reach[m.AccessHost()]), Names: b.names(inv, reach[m.AccessHost()])}
		for _, s := range inv.Services {
			for _, on := range s.Machines {
				if on == m.Name {
					pm.Services = append(pm.Services, s.Name)
				}
			}
		}
		for _, g := range inv.Machines {
			if g.On == m.Name {
				pm.Guests = append(pm.Guests, g.Name)
			}
		}
		r.TotalWatts += m.Watts
		r.Machines = append(r.Machines, pm)
		r.Levels = append(r.Levels, Level{Machine: m.Name, Count: pm.Access, Names: pm.Names})
	}
	for _, s := range inv.Services {
		ps := Service{Service: s, Running: running[s.Name], Accounts: -1, ActiveSignIns: -1}
		if s.SSO != "" {
			ps.Accounts, ps.ActiveSignIns = profiles[s.SSO], active[s.SSO]
		}
		if b.Uptime != nil {
			u, ok, err := b.Uptime.Uptime(ctx, s.CheckName())
			if err != nil {
				return nil, err
			}
			if ok {
				ps.Uptime = &u
			}
		}
		r.Services = append(r.Services, ps)
	}
	sort.SliceStable(r.Services, func(i, j int) bool { return r.Services[i].Name < r.Services[j].Name })
	r.Graph = Graph(inv)
	return r, nil
}

// names returns names only when the inventory publishes them.
func (b *Builder) names(inv *inventory.Inventory, names []string) []string {
	if !inv.Access.ShowNames {
		return nil
	}
	return names
}
