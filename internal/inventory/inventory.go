package inventory

import "time"

// Inventory is the whole description. The zero Inventory is valid and
// describes nothing.
type Inventory struct {
	Organization Organization `yaml:"organization"`
	Machines     []Machine    `yaml:"machines"`
	Services     []Service    `yaml:"services"`
	// Access says what the public page tells of who holds which access.
	Access Access `yaml:"access"`
}

// Empty reports whether the inventory describes nothing at all.
func (inv *Inventory) Empty() bool {
	return inv == nil || (inv.Organization.Name == "" && len(inv.Machines) == 0 && len(inv.Services) == 0)
}

// Machine returns the machine called name.
func (inv *Inventory) Machine(name string) (Machine, bool) {
	for _, m := range inv.Machines {
		if m.Name == name {
			return m, true
		}
	}
	return Machine{}, false
}

// Service returns the service called name.
func (inv *Inventory) Service(name string) (Service, bool) {
	for _, s := range inv.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// Organization is the hoster itself, as the CHATONS collective describes
// its members.
type Organization struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Type is the legal form: association, informal, cooperative,
	// microcompany, company, individual or other.
	Type string `yaml:"type"`
	// Status is active, idle or away.
	Status  string `yaml:"status"`
	Website string `yaml:"website"`
	Logo    string `yaml:"logo"`
	Contact struct {
		Email string `yaml:"email"`
		URL   string `yaml:"url"`
	} `yaml:"contact"`
	// Legal links the legal notice (mentions légales, Impressum).
	Legal string `yaml:"legal"`
	// Country is the ISO 3166-1 alpha-2 code, CountryName its name.
	Country     string `yaml:"country"`
	CountryName string `yaml:"country_name"`
	StartDate   Date   `yaml:"start_date"`
	// Charters links the charters the hoster has signed (CHATONS, Libre
	// Hosters…).
	Charters []string `yaml:"charters"`
	Guide    struct {
		Technical string `yaml:"technical"`
		User      string `yaml:"user"`
	} `yaml:"guide"`
	// Chatons is the membership of the CHATONS collective, if any.
	Chatons struct {
		Since  Date   `yaml:"since"`
		Status string `yaml:"status"`
	} `yaml:"chatons"`

	at position
}

// Machine is one physical or virtual machine.
type Machine struct {
	Name string `yaml:"name"`
	// Role says what the machine is for, in a few words.
	Role string `yaml:"role"`
	// Type is nano, physical, virtual, shared or cloud.
	Type string `yaml:"type"`
	// Provider is how it is hosted: home, hostedbay (one's own machine in
	// someone's rack), hostedserver (a rented machine) or outsourced.
	Provider string `yaml:"provider"`
	// HostedBy names who hosts it (a data centre, an association, a home).
	HostedBy string `yaml:"hosted_by"`
	// Location is where it is, in words (a town, a country).
	Location string `yaml:"location"`
	// Country is the ISO 3166-1 alpha-2 code of where it is.
	Country  string `yaml:"country"`
	Hardware string `yaml:"hardware"`
	OS       string `yaml:"os"`
	// Watts is the average power it draws; 0 when unknown.
	Watts float64 `yaml:"watts"`
	// Encrypted tells whether its disks are encrypted.
	Encrypted bool `yaml:"encrypted"`
	// On names the machine this one runs on (a virtual machine's
	// hypervisor); empty for a machine of its own.
	On string `yaml:"on"`
	// Host is the name of the machine in Pelote's machine access (`pelote
	// host`), whose grants are counted on the public page; empty means the
	// same name.
	Host string `yaml:"host"`

	at position
}

// AccessHost is the name of the machine in Pelote's machine access.
func (m Machine) AccessHost() string {
	if m.Host != "" {
		return m.Host
	}
	return m.Name
}

// Service is one hosted service.
type Service struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// URL is where people use it.
	URL string `yaml:"url"`
	// Software is what it runs, with its website, license and source.
	Software    string `yaml:"software"`
	SoftwareURL string `yaml:"software_url"`
	License     string `yaml:"license"`
	LicenseURL  string `yaml:"license_url"`
	Source      string `yaml:"source"`
	// Version is the running version when it is fixed here; VersionFrom
	// reads it from the service instead.
	Version     string       `yaml:"version"`
	VersionFrom *VersionFrom `yaml:"version_from"`
	// Upstream is where new releases are watched, if anywhere.
	Upstream *Upstream `yaml:"upstream"`
	// Machines it runs on; the first is the one the CHATONS export names.
	Machines []string `yaml:"machines"`
	// Data says where the data lives, in words.
	Data   string `yaml:"data"`
	Backup Backup `yaml:"backup"`
	// Registration is open, invite, members, client or none.
	Registration string `yaml:"registration"`
	// Full is true when the service takes no new accounts for now.
	Full bool `yaml:"full"`
	// SSO names the Pelote service (profile namespace) it signs people in
	// with; empty when it does not use Pelote's single sign-on.
	SSO string `yaml:"sso"`
	// Status is on, maintenance, down or off.
	Status    string `yaml:"status"`
	StartDate Date   `yaml:"start_date"`
	// Install is how it is installed, in the CHATONS collective's terms:
	// distribution, provider, package, tooling, clonerepo, archive,
	// sources or container.
	Install string `yaml:"install"`
	// Check names the supervision check whose uptime the page shows;
	// empty means the service's name.
	Check string `yaml:"check"`
	// Legal links the service's terms; Guide its user documentation.
	Legal string `yaml:"legal"`
	Guide string `yaml:"guide"`

	at position
}

// CheckName is the supervision check the service's uptime comes from.
func (s Service) CheckName() string {
	if s.Check != "" {
		return s.Check
	}
	return s.Name
}

// Where tells the file and line the service was described at.
func (s Service) Where() string { return s.at.String() }

// Where tells the file and line the machine was described at.
func (m Machine) Where() string { return m.at.String() }

// VersionFrom reads the running version from the service itself: an HTTP
// GET of URL, then a dotted path in the JSON answer ("version",
// "data.0.version") or a regular expression whose first group is the
// version.
type VersionFrom struct {
	URL   string `yaml:"url"`
	JSON  string `yaml:"json"`
	Regex string `yaml:"regex"`
}

// Forges Pelote reads releases from.
const (
	ForgeGitHub  = "github"
	ForgeGitea   = "gitea"
	ForgeForgejo = "forgejo"
	ForgeGitLab  = "gitlab"
	ForgeFeed    = "feed"
)

// Upstream is where a service's software publishes its releases.
type Upstream struct {
	// Forge is github, gitea, forgejo, gitlab or feed (Atom or RSS).
	Forge string `yaml:"forge"`
	// Repo is owner/name (a GitLab project path may have more levels).
	Repo string `yaml:"repo"`
	// URL is the forge's address (https://codeberg.org,
	// https://framagit.org); empty for github.com and gitlab.com. For a
	// feed, the feed's address.
	URL string `yaml:"url"`
	// Tags reads tags instead of releases, for projects that only tag.
	Tags bool `yaml:"tags"`
	// TagPattern is a regular expression a tag must match to count; its
	// first group, when it has one, is the version.
	TagPattern string `yaml:"tag_pattern"`
	// Prereleases counts pre-releases (1.2.0-rc.1) as new versions.
	Prereleases bool `yaml:"prereleases"`
}

// Backup frequencies.
var backupFrequencies = []string{"hourly", "daily", "weekly", "monthly", "never"}

// Backup is a service's backup policy, which the public page says in
// plain words.
type Backup struct {
	// Frequency is hourly, daily, weekly, monthly or never; empty when not
	// told.
	Frequency string `yaml:"frequency"`
	// RetentionDays is how long copies are kept.
	RetentionDays int `yaml:"retention_days"`
	// Where the copies are (a machine, a town, a provider).
	Where string `yaml:"where"`
	// Encrypted and Offsite describe the copies.
	Encrypted bool `yaml:"encrypted"`
	Offsite   bool `yaml:"offsite"`
	// Note is anything else worth saying.
	Note string `yaml:"note"`
}

// Access is what the public page says of access levels.
type Access struct {
	// Groups are Pelote groups whose size the page publishes, each an
	// access level (admin, sysadmins…). Machine access is always counted.
	Groups []string `yaml:"groups"`
	// ShowNames publishes the names of the people, not only their count.
	ShowNames bool `yaml:"show_names"`

	at position
}

// Date is a calendar day written 2006-01-02 (checked by Parse).
type Date string

// Time is the day at midnight UTC; zero when unset.
func (d Date) Time() time.Time {
	t, _ := time.Parse(time.DateOnly, string(d))
	return t
}
