package transparency

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ChatonsInfos is one set of files: the organisation's and one per service.
type ChatonsInfos struct {
	Organization []byte
	// Services maps a service's name to its file.
	Services map[string][]byte
}

// ServicePath is where a service's file lives under base.
func ServicePath(base, service string) string {
	return strings.TrimRight(base, "/") + "/" + service + ".properties"
}

// ChatonsInfos writes the report as the collective's properties files;
// base is the public address of the directory that serves them, for the
// organisation's subs lines. generator names the program that wrote them.
func (r *Report) ChatonsInfos(base, generator string) ChatonsInfos {
	out := ChatonsInfos{Services: map[string][]byte{}}
	when := r.Generated.UTC().Format("2006-01-02T15:04:05")
	o := r.Organization
	var w props
	w.section("File")
	w.set("file.class", "organization")
	w.set("file.protocol", Protocol)
	w.set("file.datetime", when)
	w.set("file.generator", generator)
	w.section("Organization")
	w.set("organization.name", o.Name)
	w.set("organization.description", o.Description)
	w.set("organization.type", strings.ToUpper(o.Type))
	w.set("organization.status.level", strings.ToUpper(o.Status))
	w.set("organization.website", o.Website)
	w.set("organization.logo", o.Logo)
	w.set("organization.contact.url", o.Contact.URL)
	w.set("organization.contact.email", o.Contact.Email)
	w.set("organization.legal.url", o.Legal)
	w.set("organization.guide.technical", o.Guide.Technical)
	w.set("organization.guide.user", o.Guide.User)
	w.set("organization.country.name", o.CountryName)
	w.set("organization.country.code", o.Country)
	w.set("organization.startdate", string(o.StartDate))
	w.set("organization.memberof.chatons.startdate", string(o.Chatons.Since))
	w.set("organization.memberof.chatons.status.level", strings.ToUpper(o.Chatons.Status))
	w.section("Subs")
	for _, s := range r.Services {
		w.set("subs."+s.Name, ServicePath(base, s.Name))
	}
	out.Organization = w.Bytes()
	machines := map[string]Machine{}
	for _, m := range r.Machines {
		machines[m.Name] = m
	}
	for _, s := range r.Services {
		out.Services[s.Name] = r.serviceFile(s, machines, when, generator)
	}
	return out
}

var (
	statuses      = map[string][2]string{"": {"ON", "OK"}, "on": {"ON", "OK"}, "maintenance": {"MAINTENANCE", "WARNING"}, "down": {"DOWN", "ERROR"}, "off": {"OFF", "OVER"}}
	registrations = map[string]string{"open": "Free", "invite": "Member", "members": "Member", "client": "Client", "none": "None"}
)

func (r *Report) serviceFile(s Service, machines map[string]Machine, when, generator string) []byte {
	var w props
	w.section("File")
	w.set("file.class", "service")
	w.set("file.protocol", Protocol)
	w.set("file.datetime", when)
	w.set("file.generator", generator)
	w.section("Service")
	w.set("service.name", s.Name)
	w.set("service.description", s.Description)
	w.set("service.website", s.URL)
	w.set("service.legal.url", s.Legal)
	w.set("service.guide.user", s.Guide)
	w.set("service.startdate", string(s.StartDate))
	st := statuses[s.Status]
	w.set("service.status", st[0])
	w.set("service.status.level", st[1])
	w.set("service.registration", registrations[s.Registration])
	load := "OPEN"
	if s.Full {
		load = "FULL"
	}
	w.set("service.registration.load", load)
	w.set("service.install.type", strings.ToUpper(s.Install))
	w.section("Software")
	w.set("software.name", s.Software)
	w.set("software.website", s.SoftwareURL)
	w.set("software.license.url", s.LicenseURL)
	w.set("software.license.name", s.License)
	w.set("software.version", s.Running)
	w.set("software.source.url", s.Source)
	if len(s.Machines) > 0 {
		// One host per service in the format: the first machine.
		m := machines[s.Machines[0]]
		w.section("Host")
		w.set("host.name", m.HostedBy)
		desc := m.Name
		for _, part := range []string{m.Role, m.Hardware, m.Location} {
			if part != "" {
				desc += ", " + part
			}
		}
		w.set("host.description", desc)
		w.set("host.server.distribution", m.OS)
		w.set("host.server.type", strings.ToUpper(m.Type))
		w.set("host.provider.type", strings.ToUpper(m.Provider))
		if p, ok := machines[m.On]; ok {
			w.set("host.provider.hypervisor", p.OS)
		}
		w.set("host.country.code", m.Country)
	}
	w.section("Metrics")
	year, month := r.Generated.Year(), int(r.Generated.Month())
	if s.Accounts >= 0 {
		w.set("metrics.service.accounts.name", "Accounts")
		w.set("metrics.service.accounts.description", "Active accounts holding a profile of the service (Pelote single sign-on)")
		w.set(fmt.Sprintf("metrics.service.accounts.%d.months", year), months(month, strconv.Itoa(s.Accounts)))
		w.set("metrics.service.accounts.active.name", "Monthly active sign-ins")
		w.set("metrics.service.accounts.active.description", "Accounts that signed in through Pelote in the 30 days before the file's date")
		w.set(fmt.Sprintf("metrics.service.accounts.active.%d.months", year), months(month, strconv.Itoa(s.ActiveSignIns)))
	}
	if s.Uptime != nil {
		w.set("metrics.service.uptime.name", "Uptime")
		w.set("metrics.service.uptime.description", fmt.Sprintf("Percentage of time the service answered its supervision check over %d days", s.Uptime.Days))
		w.set(fmt.Sprintf("metrics.service.uptime.%d.months", year), months(month, strconv.FormatFloat(100*s.Uptime.Ratio, 'f', 2, 64)))
	}
	return w.Bytes()
}

// months is a MONTHS value with only the given month known.
func months(month int, v string) string {
	parts := make([]string, 12)
	parts[month-1] = v
	return strings.Join(parts, ";")
}

// props writes a properties file.
type props struct{ bytes.Buffer }

func (p *props) section(name string) {
	if p.Len() > 0 {
		p.WriteString("\n")
	}
	p.WriteString("# [" + name + "]\n")
}

// set writes key = value, escaping what would break the line; an empty
// value is written empty, as the collective's templates do.
func (p *props) set(key, value string) {
	value = strings.NewReplacer(`\`, `\\`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(strings.TrimSpace(value))
	p.WriteString(key + " = " + value + "\n")
}
