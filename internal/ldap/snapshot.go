package ldap

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"pelote/internal/access"
	"pelote/internal/identity"
)

// Numbers for posixAccount and posixGroup: stable because they derive from
// database ids, in ranges that stay clear of local users and groups.
const (
	uidBase = 100000
	gidBase = 200000
)

// Tree names the directory's fixed entries.
type Tree struct {
	Base     string // as configured, e.g. dc=example,dc=org
	base     string // normalised
	People   string
	Groups   string
	Services string
	// profiles maps the normalised ou=SERVICE,BASE of each service whose
	// profiles are served to the service's name.
	profiles map[string]string
	// profileServices are those services, as configured.
	profileServices []string
}

// NewTree checks and names the tree under base; each of profileServices
// gets an ou=SERVICE subtree of its profiles.
func NewTree(base string, profileServices ...string) (Tree, error) {
	n := normDN(base)
	if n == "" {
		return Tree{}, fmt.Errorf("ldap: base DN %q is not a DN (expected e.g. dc=example,dc=org)", base)
	}
	t := Tree{Base: base, base: n, People: "ou=people," + n, Groups: "ou=groups," + n, Services: "ou=services," + n, profiles: map[string]string{}}
	for _, s := range profileServices {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" || s == "people" || s == "groups" || s == "services" {
			return Tree{}, fmt.Errorf("ldap: %q cannot be a profile subtree (people, groups and services are taken)", s)
		}
		t.profiles[normDN("ou="+escapeRDN(s)+","+base)] = s
		t.profileServices = append(t.profileServices, s)
	}
	return t, nil
}

// ProfileDN is a profile's DN in its service's subtree.
func (t Tree) ProfileDN(service, name string) string {
	return "uid=" + escapeRDN(name) + ",ou=" + escapeRDN(service) + "," + t.Base
}

// PersonDN is an account's DN.
func (t Tree) PersonDN(username string) string {
	return "uid=" + escapeRDN(username) + ",ou=people," + t.Base
}

// GroupDN is a group's DN.
func (t Tree) GroupDN(name string) string { return "cn=" + escapeRDN(name) + ",ou=groups," + t.Base }

// Snapshot is the directory at one version: entries in tree order (parents
// before children) and indexes by normalised DN.
type Snapshot struct {
	Version int64
	Entries []*Entry
	byDN    map[string]*Entry
	norm    map[*Entry]string
	index   index
	// owners maps a profile entry's normalised DN to its account's
	// username, for binds; it is not served.
	owners map[string]string
	// machinesVersion is the access counter the snapshot reflects.
	machinesVersion int64
}

// entry looks one up by normalised DN.
func (s *Snapshot) entry(dn string) *Entry { return s.byDN[dn] }

// build makes the snapshot of d under t, with each person's SSH keys and
// reachable hosts when reach is given.
func build(t Tree, d identity.Directory, reach map[int64]*access.Reach) *Snapshot {
	s := &Snapshot{Version: d.Version, byDN: map[string]*Entry{}, norm: map[*Entry]string{}, owners: map[string]string{}}
	add := func(dn string, attrs map[string][]string, children bool) {
		e := &Entry{DN: dn, Attrs: attrs}
		n := normDN(dn)
		attrs["entrydn"] = []string{dn}
		attrs["hassubordinates"] = []string{strings.ToUpper(strconv.FormatBool(children))}
		s.Entries = append(s.Entries, e)
		s.byDN[n] = e
		s.norm[e] = n
	}
	rdn, _, _ := strings.Cut(t.Base, ",")
	_, first, _ := strings.Cut(rdn, "=")
	add(t.Base, map[string][]string{"objectclass": {"top", "dcObject", "organization"}, "dc": {first}, "o": {first}}, true)
	add("ou=people,"+t.Base, map[string][]string{"objectclass": {"top", "organizationalUnit"}, "ou": {"people"}}, len(d.Accounts) > 0)
	add("ou=groups,"+t.Base, map[string][]string{"objectclass": {"top", "organizationalUnit"}, "ou": {"groups"}}, len(d.Groups) > 0)

	memberOf := map[int64][]string{}
	names := map[int64]string{}
	for _, a := range d.Accounts {
		names[a.ID] = a.Username
	}
	for _, g := range d.Groups {
		for _, m := range g.Members {
			memberOf[m] = append(memberOf[m], t.GroupDN(g.Name))
		}
	}
	for _, a := range d.Accounts {
		attrs := personAttrs(a, memberOf[a.ID])
		if r := reach[a.ID]; r != nil {
			// openssh-lpk's sshPublicKey for sshd, and the hosts the account
			// may reach for SSSD's ldap_user_authorized_host.
			if len(r.Keys) > 0 {
				attrs["objectclass"] = append(attrs["objectclass"], "ldapPublicKey")
				attrs["sshpublickey"] = slices.Clone(r.Keys)
			}
			if len(r.Hosts) > 0 {
				attrs["objectclass"] = append(attrs["objectclass"], "hostObject")
				attrs["host"] = slices.Clone(r.Hosts)
			}
		}
		add(t.PersonDN(a.Username), attrs, false)
	}
	for _, g := range d.Groups {
		attrs := map[string][]string{
			"objectclass": {"top", "groupOfNames", "posixGroup"},
			"cn":          {g.Name},
			"gidnumber":   {strconv.FormatInt(gidBase+g.ID, 10)},
		}
		if g.Description != "" {
			attrs["description"] = []string{g.Description}
		}
		for _, m := range g.Members {
			if n, ok := names[m]; ok {
				attrs["member"] = append(attrs["member"], t.PersonDN(n))
				attrs["memberuid"] = append(attrs["memberuid"], n)
			}
		}
		add(t.GroupDN(g.Name), attrs, false)
	}
	s.addProfiles(t, d, memberOf, add)
	s.index = buildIndex(s.Entries)
	return s
}

// addProfiles serves, for each configured service, its profiles as people
// of their own: what an application of that service should know, the
// profile's name, not the account's.
func (s *Snapshot) addProfiles(t Tree, d identity.Directory, memberOf map[int64][]string, add func(string, map[string][]string, bool)) {
	accounts := map[int64]identity.DirAccount{}
	for _, a := range d.Accounts {
		accounts[a.ID] = a
	}
	for _, service := range t.profileServices {
		var ps []identity.DirProfile
		for _, p := range d.Profiles {
			if p.Service == service {
				ps = append(ps, p)
			}
		}
		add("ou="+escapeRDN(service)+","+t.Base, map[string][]string{"objectclass": {"top", "organizationalUnit"}, "ou": {service}}, len(ps) > 0)
		for _, p := range ps {
			a, ok := accounts[p.AccountID]
			if !ok {
				continue
			}
			dn := t.ProfileDN(service, p.Name)
			attrs := map[string][]string{
				"objectclass": {"top", "person", "organizationalPerson", "inetOrgPerson"},
				"uid":         {p.Name}, "cn": {p.Name}, "sn": {p.Name}, "displayname": {p.Name},
				"mail": {a.Email},
			}
			if g := memberOf[a.ID]; len(g) > 0 {
				attrs["memberof"] = slices.Clone(g)
			}
			add(dn, attrs, false)
			s.owners[normDN(dn)] = a.Username
		}
	}
}

// ProfileOwner is the username of the account holding the profile at dn.
func (s *Snapshot) ProfileOwner(dn string) (string, bool) {
	u, ok := s.owners[dn]
	return u, ok
}

// selected returns the entries f may match, in tree order.
func (s *Snapshot) selected(f Filter) []*Entry {
	cf, ok := f.(compiledFilter)
	if !ok {
		return s.Entries
	}
	pos, all := s.index.candidates(cf.root)
	if all {
		return s.Entries
	}
	out := make([]*Entry, len(pos))
	for i, p := range pos {
		out[i] = s.Entries[p]
	}
	return out
}

func personAttrs(a identity.DirAccount, groups []string) map[string][]string {
	cn := a.DisplayName
	if cn == "" {
		cn = a.Username
	}
	words := strings.Fields(cn)
	attrs := map[string][]string{
		"objectclass":   {"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount"},
		"uid":           {a.Username},
		"cn":            {cn},
		"sn":            {words[len(words)-1]},
		"displayname":   {cn},
		"mail":          {a.Email},
		"uidnumber":     {strconv.FormatInt(uidBase+a.ID, 10)},
		"gidnumber":     {strconv.FormatInt(uidBase+a.ID, 10)},
		"homedirectory": {"/home/" + a.Username},
		"loginshell":    {"/bin/bash"},
	}
	if len(words) > 1 {
		attrs["givenname"] = []string{strings.Join(words[:len(words)-1], " ")}
	}
	if len(groups) > 0 {
		attrs["memberof"] = slices.Clone(groups)
	}
	return attrs
}

// Source is what the snapshot is built from.
type Source interface {
	DirectoryVersion(ctx context.Context) (int64, error)
	LoadDirectory(ctx context.Context) (identity.Directory, error)
}

// Machines adds SSH keys and reachable hosts to people (package access).
type Machines interface {
	Version(ctx context.Context) (int64, error)
	ReachByAccount(ctx context.Context) (map[int64]*access.Reach, error)
}

// Directory keeps the current snapshot and rebuilds it when the sources'
// versions move.
type Directory struct {
	tree     Tree
	src      Source
	machines Machines
	log      *slog.Logger
	cur      atomic.Pointer[Snapshot]
}

// NewDirectory loads the first snapshot; machines may be nil.
func NewDirectory(ctx context.Context, t Tree, src Source, machines Machines, log *slog.Logger) (*Directory, error) {
	d := &Directory{tree: t, src: src, machines: machines, log: log}
	if err := d.Refresh(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Current is the snapshot searches read.
func (d *Directory) Current() *Snapshot { return d.cur.Load() }

// Refresh rebuilds the snapshot if the source changed since.
func (d *Directory) Refresh(ctx context.Context) error {
	v, err := d.src.DirectoryVersion(ctx)
	if err != nil {
		return err
	}
	var mv int64
	if d.machines != nil {
		if mv, err = d.machines.Version(ctx); err != nil {
			return err
		}
	}
	if cur := d.cur.Load(); cur != nil && cur.Version == v && cur.machinesVersion == mv {
		return nil
	}
	data, err := d.src.LoadDirectory(ctx)
	if err != nil {
		return err
	}
	var reach map[int64]*access.Reach
	if d.machines != nil {
		if reach, err = d.machines.ReachByAccount(ctx); err != nil {
			return err
		}
	}
	s := build(d.tree, data, reach)
	s.machinesVersion = mv
	d.cur.Store(s)
	return nil
}

// Watch refreshes every interval until ctx ends. A database that does not
// answer leaves the last snapshot in service, and is logged once per
// outage.
func (d *Directory) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := d.Refresh(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			d.log.Error("directory refresh failed; serving the last snapshot", "err", err)
			failing = true
		case err == nil && failing:
			d.log.Info("directory refresh works again")
			failing = false
		}
	}
}
