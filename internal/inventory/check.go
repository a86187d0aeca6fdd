package inventory

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Values the enumerations accept, as the CHATONS collective names them
// (lower case here; the export writes them its way).
var (
	orgTypes      = []string{"association", "informal", "cooperative", "microcompany", "company", "individual", "other"}
	orgStatuses   = []string{"active", "idle", "away"}
	machineTypes  = []string{"nano", "physical", "virtual", "shared", "cloud"}
	providers     = []string{"home", "hostedbay", "hostedserver", "outsourced"}
	registrations = []string{"open", "invite", "members", "client", "none"}
	statuses      = []string{"on", "maintenance", "down", "off"}
	installs      = []string{"distribution", "provider", "package", "tooling", "clonerepo", "archive", "sources", "container"}
	forges        = []string{ForgeGitHub, ForgeGitea, ForgeForgejo, ForgeGitLab, ForgeFeed}
)

// nameRE is the shape of machine and service names: they appear in URLs
// (/.well-known/chatonsinfos/NAME.properties) and file names.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// repoRE is owner/name, with more levels for GitLab groups.
var repoRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$`)

var countryRE = regexp.MustCompile(`^[A-Z]{2}$`)

// checker gathers the problems of one inventory.
type checker struct{ probs Problems }

func (c *checker) bad(at position, format string, args ...any) {
	c.probs = append(c.probs, Problem{File: at.File, Line: at.Line, Msg: fmt.Sprintf(format, args...)})
}

// check applies every rule and returns what breaks them.
func (inv *Inventory) check() Problems {
	c := &checker{}
	c.organization(inv.Organization)
	machines := map[string]Machine{}
	for _, m := range inv.Machines {
		c.machine(m)
		if prev, dup := machines[m.Name]; dup && m.Name != "" {
			c.bad(m.at.of("name"), "machine %q is described twice (first at %s)", m.Name, prev.at)
			continue
		}
		machines[m.Name] = m
	}
	for _, m := range inv.Machines {
		if m.On == "" {
			continue
		}
		if _, ok := machines[m.On]; !ok {
			c.bad(m.at.of("on"), "machine %q runs on %q, which is not in the inventory's machines", m.Name, m.On)
		}
	}
	c.loops(inv.Machines, machines)
	services := map[string]Service{}
	for _, s := range inv.Services {
		c.service(s, machines)
		if prev, dup := services[s.Name]; dup && s.Name != "" {
			c.bad(s.at.of("name"), "service %q is described twice (first at %s)", s.Name, prev.at)
			continue
		}
		services[s.Name] = s
	}
	for _, g := range inv.Access.Groups {
		if !nameRE.MatchString(g) {
			c.bad(inv.Access.at.of("groups"), "access.groups: %q is not a group name", g)
		}
	}
	c.text(reflectStrings(inv))
	return c.probs
}

// loops refuses machines that run on themselves through a chain of on:.
func (c *checker) loops(list []Machine, byName map[string]Machine) {
	reported := map[string]bool{}
	for _, m := range list {
		if m.On == m.Name {
			continue // reported as running on itself
		}
		seen := []string{m.Name}
		cur := m
		for cur.On != "" {
			next, ok := byName[cur.On]
			if !ok {
				break
			}
			if i := slices.Index(seen, next.Name); i >= 0 {
				loop := append(seen[i:], next.Name)
				key := strings.Join(sortedCopy(loop[:len(loop)-1]), ",")
				if !reported[key] {
					reported[key] = true
					c.bad(m.at.of("on"), "machines run on each other in a loop: %s", strings.Join(loop, " → "))
				}
				break
			}
			seen = append(seen, next.Name)
			cur = next
		}
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func (c *checker) organization(o Organization) {
	at := o.at
	if orgEmpty(o) {
		return
	}
	if strings.TrimSpace(o.Name) == "" {
		c.bad(at, "organization.name is missing")
	}
	c.oneOf(at.of("type"), "organization.type", o.Type, orgTypes)
	c.oneOf(at.of("status"), "organization.status", o.Status, orgStatuses)
	c.oneOf(at.of("chatons"), "organization.chatons.status", o.Chatons.Status, orgStatuses)
	for _, f := range []struct{ key, v string }{
		{"website", o.Website}, {"logo", o.Logo}, {"contact", o.Contact.URL}, {"legal", o.Legal},
		{"guide", o.Guide.Technical}, {"guide", o.Guide.User},
	} {
		c.url(at.of(f.key), "organization."+f.key, f.v)
	}
	for _, ch := range o.Charters {
		c.url(at.of("charters"), "organization.charters", ch)
	}
	if e := o.Contact.Email; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			c.bad(at.of("contact"), "organization.contact.email: %q is not an address like contact@example.org", e)
		}
	}
	c.country(at.of("country"), "organization.country", o.Country)
	c.date(at.of("start_date"), "organization.start_date", o.StartDate)
	c.date(at.of("chatons"), "organization.chatons.since", o.Chatons.Since)
}

func (c *checker) machine(m Machine) {
	at := m.at
	if !nameRE.MatchString(m.Name) {
		c.bad(at.of("name"), "machine name %q: use 1 to 64 letters a-z, digits, '.', '_' or '-'", m.Name)
	}
	c.oneOf(at.of("type"), "machine "+m.Name+": type", m.Type, machineTypes)
	c.oneOf(at.of("provider"), "machine "+m.Name+": provider", m.Provider, providers)
	c.country(at.of("country"), "machine "+m.Name+": country", m.Country)
	if m.Watts < 0 || m.Watts > 1e6 {
		c.bad(at.of("watts"), "machine %s: watts must be between 0 and 1,000,000", m.Name)
	}
	if m.Host != "" && !nameRE.MatchString(m.Host) {
		c.bad(at.of("host"), "machine %s: host %q is not a host name of Pelote's machine access", m.Name, m.Host)
	}
	if m.On == m.Name && m.On != "" {
		c.bad(at.of("on"), "machine %s runs on itself", m.Name)
	}
}

func (c *checker) service(s Service, machines map[string]Machine) {
	at := s.at
	if !nameRE.MatchString(s.Name) {
		c.bad(at.of("name"), "service name %q: use 1 to 64 letters a-z, digits, '.', '_' or '-'", s.Name)
	} else if s.Name == "organization" {
		c.bad(at.of("name"), "service name %q is reserved for the organisation's file", s.Name)
	}
	who := "service " + s.Name
	c.url(at.of("url"), who+": url", s.URL)
	c.url(at.of("software_url"), who+": software_url", s.SoftwareURL)
	c.url(at.of("license_url"), who+": license_url", s.LicenseURL)
	c.url(at.of("source"), who+": source", s.Source)
	c.url(at.of("legal"), who+": legal", s.Legal)
	c.url(at.of("guide"), who+": guide", s.Guide)
	if len(s.Machines) == 0 {
		c.bad(at.of("machines"), "%s: machines is missing: name the machines it runs on", who)
	}
	seen := map[string]bool{}
	for _, m := range s.Machines {
		if _, ok := machines[m]; !ok {
			c.bad(at.of("machines"), "%s runs on %q, which is not in the inventory's machines", who, m)
		}
		if seen[m] {
			c.bad(at.of("machines"), "%s: machine %q is listed twice", who, m)
		}
		seen[m] = true
	}
	c.oneOf(at.of("registration"), who+": registration", s.Registration, registrations)
	c.oneOf(at.of("status"), who+": status", s.Status, statuses)
	c.oneOf(at.of("install"), who+": install", s.Install, installs)
	c.oneOf(at.of("backup"), who+": backup.frequency", s.Backup.Frequency, backupFrequencies)
	if s.Backup.RetentionDays < 0 {
		c.bad(at.of("backup"), "%s: backup.retention_days must not be negative", who)
	}
	c.date(at.of("start_date"), who+": start_date", s.StartDate)
	if s.SSO != "" && !nameRE.MatchString(s.SSO) {
		c.bad(at.of("sso"), "%s: sso %q is not a Pelote service name", who, s.SSO)
	}
	if s.Version != "" && s.VersionFrom != nil {
		c.bad(at.of("version_from"), "%s: set version or version_from, not both", who)
	}
	if v := s.VersionFrom; v != nil {
		c.url(at.of("version_from"), who+": version_from.url", v.URL)
		if v.URL == "" {
			c.bad(at.of("version_from"), "%s: version_from.url is missing", who)
		}
		switch {
		case (v.JSON == "") == (v.Regex == ""):
			c.bad(at.of("version_from"), "%s: version_from needs json (a path like version or data.version) or regex, one of them", who)
		case v.Regex != "":
			c.pattern(at.of("version_from"), who+": version_from.regex", v.Regex, true)
		case !jsonPathRE.MatchString(v.JSON):
			c.bad(at.of("version_from"), "%s: version_from.json %q is not a dotted path like version or data.0.version", who, v.JSON)
		}
	}
	if u := s.Upstream; u != nil {
		c.upstream(at.of("upstream"), who, u)
	}
}

// jsonPathRE is a dotted path of object keys and array indexes.
var jsonPathRE = regexp.MustCompile(`^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$`)

func (c *checker) upstream(at position, who string, u *Upstream) {
	if !slices.Contains(forges, u.Forge) {
		c.bad(at, "%s: upstream.forge %q must be one of %s", who, u.Forge, strings.Join(forges, ", "))
		return
	}
	if u.Forge == ForgeFeed {
		if u.URL == "" {
			c.bad(at, "%s: upstream.url must be the feed's address", who)
		}
		if u.Repo != "" || u.Tags {
			c.bad(at, "%s: a feed has no repo or tags: give its url only", who)
		}
	} else if !repoRE.MatchString(u.Repo) {
		c.bad(at, "%s: upstream.repo %q must be owner/name", who, u.Repo)
	}
	if (u.Forge == ForgeGitea || u.Forge == ForgeForgejo) && u.URL == "" {
		c.bad(at, "%s: upstream.url must be the %s forge's address (e.g. https://codeberg.org)", who, u.Forge)
	}
	c.url(at, who+": upstream.url", u.URL)
	if u.TagPattern != "" {
		c.pattern(at, who+": upstream.tag_pattern", u.TagPattern, false)
	}
}

// pattern checks a regular expression; a version pattern has at most one
// group, which is the version.
func (c *checker) pattern(at position, what, expr string, needGroup bool) {
	re, err := regexp.Compile(expr)
	if err != nil {
		c.bad(at, "%s: %q is not a regular expression: %v", what, expr, err)
		return
	}
	if n := re.NumSubexp(); n > 1 || (needGroup && n != 1) {
		c.bad(at, "%s: %q must have exactly one group (…), the version", what, expr)
	}
}

func (c *checker) oneOf(at position, what, v string, allowed []string) {
	if v != "" && !slices.Contains(allowed, v) {
		c.bad(at, "%s %q must be one of %s", what, v, strings.Join(allowed, ", "))
	}
}

func (c *checker) url(at position, what, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.Contains(u.Hostname(), ".") && u.Hostname() != "localhost" && !isIP(u.Hostname()) {
		c.bad(at, "%s: %q is not an http(s) address like https://example.org", what, v)
	}
}

func isIP(h string) bool { return strings.Trim(h, "0123456789.:[]abcdef") == "" }

func (c *checker) country(at position, what, v string) {
	if v != "" && !countryRE.MatchString(v) {
		c.bad(at, "%s %q must be a two-letter ISO 3166 code in capitals, like FR or BE", what, v)
	}
}

func (c *checker) date(at position, what string, d Date) {
	if d == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, string(d)); err != nil {
		c.bad(at, "%s %q is not a date like 2021-03-14", what, string(d))
	}
}

// text refuses control characters and text-direction marks in every
// value: they would break the properties export and could disguise text
// on the public page.
func (c *checker) text(values []located) {
	for _, v := range values {
		for _, r := range v.s {
			if (unicode.IsControl(r) && r != '\n' && r != '\t') || unicode.Is(unicode.Bidi_Control, r) {
				c.bad(v.at, "%s: control characters and text-direction marks are not accepted (%U)", v.what, r)
				break
			}
		}
	}
}
