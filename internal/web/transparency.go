package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"pelote/internal/releases"
	"pelote/internal/transparency"
)

// ReleaseLister is what the operators' inventory page needs of release
// watching.
type ReleaseLister interface {
	List(ctx context.Context) ([]releases.Status, error)
}

// transparencyArea is the public transparency page, its graph, the
// ChatonsInfos files and the operators' inventory and releases page.
type transparencyArea struct{ *Server }

func (s *transparencyArea) mount(m *mounter) {
	if s.opts.Transparency == nil {
		return
	}
	m.entry(menuEntry{Order: 180, Path: "/admin/inventory", Key: "transparency.nav.inventory", Admin: true})
	m.public("GET /transparency", s.transparencyPage)
	m.public("GET /transparency/services.svg", s.transparencyGraph)
	m.public("GET /.well-known/chatonsinfos/{file}", s.chatonsInfos)
	m.admin("GET /admin/inventory", s.adminInventory)
}

type transparencyView struct {
	page
	R        *transparency.Report
	Machines []machineRow
	Services []serviceRow
	Levels   []levelRow
	Empty    bool
}

// The rows are flat and their words translated in Go: a page of 300
// services renders without a reflective lookup through embedded structs
// or a template call per cell.
type machineRow struct {
	Name, Role, Where, Hardware, OS, Power, Encryption, Runs string
}

type serviceRow struct {
	Name, URL, Description, Software, Source, Version, License, LicenseURL string
	Registration, People, Uptime, Backup                                   string
}

type levelRow struct{ Level, People string }

func (s *transparencyArea) transparencyPage(w http.ResponseWriter, r *http.Request) {
	v := &transparencyView{page: s.newPage(r, nil, "transparency.title")}
	rep, err := s.opts.Transparency.Report(r.Context())
	if err != nil {
		s.render(w, r, s.explain(r, &v.page, err, "err.internal"), "transparency", v)
		return
	}
	t := v.T
	v.R, v.Empty = rep, rep.Organization.Name == "" && len(rep.Machines) == 0 && len(rep.Services) == 0
	for _, m := range rep.Machines {
		row := machineRow{Name: m.Name, Role: m.Role, Hardware: m.Hardware, OS: m.OS, Power: t("transparency.unknown"),
			Encryption: t("transparency.not_encrypted"), Runs: strings.Join(append(append([]string{}, m.Services...), m.Guests...), ", ")}
		var where []string
		if m.Type != "" {
			where = append(where, t("transparency.type."+m.Type))
		}
		if m.On != "" {
			where = append(where, t("transparency.on", m.On))
		}
		if m.Provider != "" {
			where = append(where, t("transparency.provider."+m.Provider))
		}
		if m.HostedBy != "" {
			where = append(where, t("transparency.hosted_by", m.HostedBy))
		}
		if m.Location != "" {
			where = append(where, m.Location)
		}
		row.Where = strings.Join(where, ", ")
		if m.Watts > 0 {
			row.Power = watts(m.Watts)
		}
		if m.Encrypted {
			row.Encryption = t("transparency.encrypted")
		}
		v.Machines = append(v.Machines, row)
	}
	for _, sv := range rep.Services {
		row := serviceRow{Name: sv.Name, URL: sv.URL, Description: sv.Description, Software: sv.Software, Source: sv.Source,
			Version: sv.Running, License: sv.License, LicenseURL: sv.LicenseURL, Uptime: "—", People: t("transparency.no_sso"),
			Registration: t("transparency.registration." + orDefault(sv.Registration, "unknown")), Backup: backupWords(t, sv)}
		if row.Software == "" && row.Source != "" {
			row.Software = sv.Name
		}
		if row.Version == "" {
			row.Version = t("transparency.unknown")
		}
		if sv.Data != "" {
			row.Backup += " " + t("transparency.data_in", sv.Data)
		}
		if sv.Accounts >= 0 {
			row.People = t("transparency.sso_figures", sv.Accounts, sv.ActiveSignIns)
		}
		if sv.Uptime != nil {
			row.Uptime = t("transparency.uptime_value", strconv.FormatFloat(100*sv.Uptime.Ratio, 'f', 2, 64), sv.Uptime.Days)
		}
		v.Services = append(v.Services, row)
	}
	for _, l := range rep.Levels {
		row := levelRow{Level: t("transparency.level_machine", l.Machine), People: t("transparency.people_count", l.Count)}
		if l.Group != "" {
			row.Level = t("transparency.level_group", l.Group)
		}
		if len(l.Names) > 0 {
			row.People += ": " + strings.Join(l.Names, ", ")
		}
		v.Levels = append(v.Levels, row)
	}
	s.render(w, r, http.StatusOK, "transparency", v)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// backupWords says a service's backup policy in a sentence.
func backupWords(t func(string, ...any) string, s transparency.Service) string {
	b := s.Backup
	if b.Frequency == "" {
		return t("transparency.backup.unknown")
	}
	parts := []string{t("transparency.backup." + b.Frequency)}
	if b.Frequency != "never" {
		if b.RetentionDays > 0 {
			parts = append(parts, t("transparency.backup.keep", b.RetentionDays))
		}
		if b.Where != "" {
			parts = append(parts, t("transparency.backup.where", b.Where))
		}
		if b.Encrypted {
			parts = append(parts, t("transparency.backup.encrypted"))
		}
		if b.Offsite {
			parts = append(parts, t("transparency.backup.offsite"))
		}
	}
	out := strings.Join(parts, ", ") + "."
	if b.Note != "" {
		out += " " + b.Note
	}
	return out
}

func (s *transparencyArea) transparencyGraph(w http.ResponseWriter, r *http.Request) {
	rep, err := s.opts.Transparency.Report(r.Context())
	if err != nil {
		s.log.Error("transparency report", "request_id", reqID(r), "err", err)
		s.errorPage(w, r, http.StatusServiceUnavailable, "err.unavailable", reqID(r))
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(rep.Graph)
}

// chatonsInfos serves organization.properties and NAME.properties for
// each service.
func (s *transparencyArea) chatonsInfos(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".properties")
	if !ok {
		s.notFound(w, r)
		return
	}
	rep, err := s.opts.Transparency.Report(r.Context())
	if err != nil {
		s.log.Error("transparency report", "request_id", reqID(r), "err", err)
		s.errorPage(w, r, http.StatusServiceUnavailable, "err.unavailable", reqID(r))
		return
	}
	if rep.Organization.Name == "" {
		s.notFound(w, r)
		return
	}
	files := rep.ChatonsInfos(s.publicBase(r)+"/.well-known/chatonsinfos", "Pelote "+s.opts.Version)
	body := files.Organization
	if name != "organization" {
		if body, ok = files.Services[name]; !ok {
			s.notFound(w, r)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*") // the collective's crawler and tools read it from anywhere
	w.Write(body)
}

type adminInventoryView struct {
	page
	Statuses []statusRow
	R        *transparency.Report
}

type statusRow struct {
	releases.Status
	Problems []string
}

func (s *transparencyArea) adminInventory(w http.ResponseWriter, r *http.Request, vis *visit) {
	v := &adminInventoryView{page: s.newPage(r, vis, "inventory.title")}
	status := http.StatusOK
	rep, err := s.opts.Transparency.Report(r.Context())
	if err == nil && s.opts.Releases != nil {
		var list []releases.Status
		list, err = s.opts.Releases.List(r.Context())
		for _, st := range list {
			row := statusRow{Status: st}
			for _, p := range st.Problems {
				msg := v.T("releases.problem." + p.Key)
				if p.Detail != "" {
					msg += " " + p.Detail
				}
				row.Problems = append(row.Problems, msg)
			}
			v.Statuses = append(v.Statuses, row)
		}
	}
	if err != nil {
		status = s.explain(r, &v.page, err, "err.internal")
	}
	v.R = rep
	s.render(w, r, status, "admin_inventory", v)
}

// watts writes a power figure.
func watts(f float64) string { return fmt.Sprintf("%g W", f) }
