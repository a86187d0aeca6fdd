package ldap

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
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
// before children) and indexes by canonical DN and by attribute value.
type Snapshot struct {
	Version int64
	Entries []*Entry
	byDN    map[string]*Entry
	index   index
	// owners maps a profile entry's canonical DN to its account's
	// username, for binds; it is not served.
	owners map[string]string
	// machinesVersion is the access counter the snapshot reflects.
	machinesVersion int64
}

// entry looks one up by canonical DN.
func (s *Snapshot) entry(dn string) *Entry { return s.byDN[dn] }

// Attribute IDs of the entries the snapshot makes.
var (
	idUID, idCN, idSN, idGivenName, idDisplayName = lookupAttrDef("uid").id, lookupAttrDef("cn").id, lookupAttrDef("sn").id, lookupAttrDef("givenname").id, lookupAttrDef("displayname").id
	idMail, idUIDNumber, idGIDNumber              = lookupAttrDef("mail").id, lookupAttrDef("uidnumber").id, lookupAttrDef("gidnumber").id
	idHomeDirectory, idLoginShell, idMemberOf     = lookupAttrDef("homedirectory").id, lookupAttrDef("loginshell").id, lookupAttrDef("memberof").id
	idSSHPublicKey, idHost, idDescription         = lookupAttrDef("sshpublickey").id, lookupAttrDef("host").id, lookupAttrDef("description").id
	idMember, idMemberUID, idOU, idDC, idO        = lookupAttrDef("member").id, lookupAttrDef("memberuid").id, lookupAttrDef("ou").id, lookupAttrDef("dc").id, lookupAttrDef("o").id
)

// Values many entries share: one string each.
var (
	personClasses  = []string{"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount"}
	profileClasses = []string{"top", "person", "organizationalPerson", "inetOrgPerson"}
	groupClasses   = []string{"top", "groupOfNames", "posixGroup"}
	ouClasses      = []string{"top", "organizationalUnit"}
	bash           = []string{"/bin/bash"}
	isTrue         = []string{"TRUE"}
	isFalse        = []string{"FALSE"}
)

// builder makes one snapshot.
type builder struct {
	s    *Snapshot
	norm normalizer
}

func (b *builder) add(dn string, children bool, attrs ...attrValues) {
	n := normDN(dn)
	if n == dn {
		n = dn // one string for both
	}
	sub := isFalse
	if children {
		sub = isTrue
	}
	e := newEntry(dn, n, append(attrs, attrValues{idHasSubordinates, sub}), &b.norm)
	b.s.Entries = append(b.s.Entries, e)
	b.s.byDN[n] = e
}

// build makes the snapshot of d under t, with each person's SSH keys and
// reachable hosts when reach is given.
func build(t Tree, d identity.Directory, reach map[int64]*access.Reach) *Snapshot {
	s := &Snapshot{Version: d.Version, owners: map[string]string{},
		byDN: make(map[string]*Entry, len(d.Accounts)+len(d.Groups)+len(d.Profiles)+3)}
	b := &builder{s: s}
	rdn, _, _ := strings.Cut(t.Base, ",")
	_, first, _ := strings.Cut(rdn, "=")
	b.add(t.Base, true, attrValues{idObjectClass, []string{"top", "dcObject", "organization"}}, attrValues{idDC, []string{first}}, attrValues{idO, []string{first}})
	b.add("ou=people,"+t.Base, len(d.Accounts) > 0, attrValues{idObjectClass, ouClasses}, attrValues{idOU, []string{"people"}})
	b.add("ou=groups,"+t.Base, len(d.Groups) > 0, attrValues{idObjectClass, ouClasses}, attrValues{idOU, []string{"groups"}})

	// Each person's and each group's DN is made once and shared by every
	// member and memberOf value that names it.
	people := make(map[int64]int, len(d.Accounts))
	personDN := make([]string, len(d.Accounts))
	for i, a := range d.Accounts {
		people[a.ID] = i
		personDN[i] = t.PersonDN(a.Username)
	}
	memberOf := map[int64][]string{}
	for _, g := range d.Groups {
		gdn := t.GroupDN(g.Name)
		for _, m := range g.Members {
			memberOf[m] = append(memberOf[m], gdn)
		}
	}
	for i, a := range d.Accounts {
		attrs := personAttrs(a, memberOf[a.ID])
		if r := reach[a.ID]; r != nil {
			// openssh-lpk's sshPublicKey for sshd, and the hosts the account
			// may reach for SSSD's ldap_user_authorized_host.
			classes := attrs[0].values
			if len(r.Keys) > 0 {
				classes = append(slices.Clip(classes), "ldapPublicKey")
				attrs = append(attrs, attrValues{idSSHPublicKey, r.Keys})
			}
			if len(r.Hosts) > 0 {
				classes = append(slices.Clip(classes), "hostObject")
				attrs = append(attrs, attrValues{idHost, r.Hosts})
			}
			attrs[0].values = classes
		}
		b.add(personDN[i], false, attrs...)
	}
	for _, g := range d.Groups {
		attrs := []attrValues{
			{idObjectClass, groupClasses},
			{idCN, []string{g.Name}},
			{idGIDNumber, []string{strconv.FormatInt(gidBase+g.ID, 10)}},
		}
		if g.Description != "" {
			attrs = append(attrs, attrValues{idDescription, []string{g.Description}})
		}
		members := make([]string, 0, len(g.Members))
		uids := make([]string, 0, len(g.Members))
		for _, m := range g.Members {
			if i, ok := people[m]; ok {
				members = append(members, personDN[i])
				uids = append(uids, d.Accounts[i].Username)
			}
		}
		attrs = append(attrs, attrValues{idMember, members}, attrValues{idMemberUID, uids})
		b.add(t.GroupDN(g.Name), false, attrs...)
	}
	b.addProfiles(t, d, memberOf)
	s.index = buildIndex(s.Entries)
	return s
}

// addProfiles serves, for each configured service, its profiles as people
// of their own: what an application of that service should know, the
// profile's name, not the account's.
func (b *builder) addProfiles(t Tree, d identity.Directory, memberOf map[int64][]string) {
	if len(t.profileServices) == 0 {
		return
	}
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
		b.add("ou="+escapeRDN(service)+","+t.Base, len(ps) > 0, attrValues{idObjectClass, ouClasses}, attrValues{idOU, []string{service}})
		for _, p := range ps {
			a, ok := accounts[p.AccountID]
			if !ok {
				continue
			}
			dn := t.ProfileDN(service, p.Name)
			name := []string{p.Name}
			b.add(dn, false,
				attrValues{idObjectClass, profileClasses},
				attrValues{idUID, name}, attrValues{idCN, name}, attrValues{idSN, name}, attrValues{idDisplayName, name},
				attrValues{idMail, []string{a.Email}},
				attrValues{idMemberOf, memberOf[a.ID]})
			b.s.owners[normDN(dn)] = a.Username
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

// personAttrs are an account's attributes; objectClass comes first.
func personAttrs(a identity.DirAccount, groups []string) []attrValues {
	cn := a.DisplayName
	if cn == "" {
		cn = a.Username
	}
	words := strings.Fields(cn)
	if len(words) == 0 {
		words = []string{a.Username}
	}
	display := []string{cn}
	number := []string{strconv.FormatInt(uidBase+a.ID, 10)}
	attrs := []attrValues{
		{idObjectClass, personClasses},
		{idUID, []string{a.Username}},
		{idCN, display},
		{idSN, []string{words[len(words)-1]}},
		{idDisplayName, display},
		{idMail, []string{a.Email}},
		{idUIDNumber, number},
		{idGIDNumber, number},
		{idHomeDirectory, []string{"/home/" + a.Username}},
		{idLoginShell, bash},
		{idMemberOf, groups},
	}
	if len(words) > 1 {
		attrs = append(attrs, attrValues{idGivenName, []string{strings.Join(words[:len(words)-1], " ")}})
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
	// A build allocates about three times what the snapshot keeps (rows,
	// DN parses, the old snapshot): give it back to the system now rather
	// than keep it as idle heap. Builds follow changes to the directory,
	// not logins, so this full collection is rare.
	data = identity.Directory{}
	debug.FreeOSMemory()
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
