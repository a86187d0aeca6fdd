package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"pelote/internal/heartbeat"
	"pelote/internal/monitor"
	"pelote/internal/store"
)

// sparkline is a latency curve drawn by the server as SVG: no script.
type sparkline struct {
	W, H   int
	Points string
	// Fails mark failed results on the curve.
	Fails []sparkPoint
	Label string
}

type sparkPoint struct{ X, Y string }

// newSparkline scales points into a w×h box.
func newSparkline(pts []monitor.Point, w, h int, label string) *sparkline {
	if len(pts) == 0 {
		return nil
	}
	var maxLat time.Duration
	for _, p := range pts {
		maxLat = max(maxLat, p.Latency)
	}
	if maxLat == 0 {
		maxLat = 1
	}
	sp := &sparkline{W: w, H: h, Label: label}
	var b strings.Builder
	step := float64(w-2) / math.Max(1, float64(len(pts)-1))
	for i, p := range pts {
		x := 1 + float64(i)*step
		y := float64(h-2) - float64(p.Latency)/float64(maxLat)*float64(h-4) + 1
		fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		if !p.OK {
			sp.Fails = append(sp.Fails, sparkPoint{X: strconv.FormatFloat(x, 'f', 1, 64), Y: strconv.FormatFloat(y, 'f', 1, 64)})
		}
	}
	sp.Points = strings.TrimSpace(b.String())
	return sp
}

// maxSparklines bounds the dashboards that draw every check's curve: one
// query reads the last hour of results of all of them.
const maxSparklines = 300

// checkRow is one check on the dashboard or the status page.
type checkRow struct {
	Name, Kind, Status string
	StatusText         string
	Since, LastAt      time.Time
	LastOK             bool
	Reason, Detail     string
	Latency            string
	CertDays           string
	Tags               []string
	Owner              string
	Public, Silenced   bool
	Flapping           bool
	Spark              *sparkline
	Uptime             []string
}

func (s *monitorArea) checkRows(r *http.Request, p *page, checks []monitor.Check, states map[string]monitor.State, spark map[string][]monitor.Point) []checkRow {
	e := s.opts.Monitor.Engine
	rows := make([]checkRow, 0, len(checks))
	for _, c := range checks {
		st := states[c.Name]
		row := checkRow{Name: c.Name, Kind: string(c.Kind), Status: string(st.Status), Since: st.Since, LastAt: st.Last.At,
			LastOK: st.Last.OK, Tags: c.Tags, Owner: c.Owner, Public: c.Public, Silenced: e.Silenced(c), Flapping: st.Flapping}
		if row.Status == "" {
			row.Status = string(monitor.Pending)
		}
		row.StatusText = p.T("monitor.status." + row.Status)
		if !st.Last.At.IsZero() {
			row.Reason = monitor.Explain(s.cat, p.Lang, st.Last)
			row.Detail = st.Last.Detail
			row.Latency = st.Last.Latency.Round(time.Millisecond).String()
			if st.Last.Latency < time.Millisecond {
				row.Latency = st.Last.Latency.Round(time.Microsecond).String()
			}
		}
		if st.Last.CertDays != nil {
			row.CertDays = strconv.Itoa(int(math.Floor(*st.Last.CertDays)))
		}
		if pts := spark[c.Name]; len(pts) > 0 {
			if len(pts) > 60 {
				pts = pts[len(pts)-60:]
			}
			row.Spark = newSparkline(pts, 120, 24, p.T("monitor.spark_label", c.Name))
		}
		rows = append(rows, row)
	}
	return rows
}

type adminMonitorView struct {
	page
	Checks   []checkRow
	Silences []monitor.Silence
	Config   []string
	Counts   map[string]int
	Leader   bool
	Form     struct{ Target, Hours, Reason string }
}

func (s *monitorArea) adminMonitor(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminMonitorPage(w, r, &adminMonitorView{page: s.newPage(r, v, "monitor.title")}, http.StatusOK)
}

func (s *monitorArea) adminMonitorPage(w http.ResponseWriter, r *http.Request, view *adminMonitorView, status int) {
	ctx := r.Context()
	e := s.opts.Monitor.Engine
	states, err := e.States(ctx)
	var spark map[string][]monitor.Point
	var sil []monitor.Silence
	checks := e.Checks()
	if err == nil && len(checks) <= maxSparklines {
		// Past a few hundred checks, the curves are on each check's page.
		spark, err = e.Store().RecentAll(ctx, s.now().Add(-time.Hour))
	}
	if err == nil {
		sil, err = e.Store().Silences(ctx, s.now())
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Checks = s.checkRows(r, &view.page, checks, states, spark)
	view.Counts = map[string]int{}
	for _, c := range view.Checks {
		view.Counts[c.Status]++
	}
	view.Silences = append(e.ConfigSilences(), sil...)
	view.Config = e.Errors()
	view.Leader = e.Leader()
	s.render(w, r, status, "admin_monitor", view)
}

type adminCheckView struct {
	page
	Check     checkRow
	Kind      string
	Target    string
	Interval  time.Duration
	Retries   int
	Recovery  int
	DependsOn []string
	Incidents []incidentRow
	Runs      []runRow
	Heartbeat *heartbeat.Spec
	Deadline  time.Time
}

type incidentRow struct {
	Check      string
	Start, End time.Time
	Duration   string
	Reason     string
}

type runRow struct {
	ID        int64
	Kind      string
	ExitCode  int
	At        time.Time
	Duration  string
	Size      int64
	Truncated bool
}

func (s *monitorArea) incidentRows(p *page, list []monitor.Incident) []incidentRow {
	out := make([]incidentRow, 0, len(list))
	for _, in := range list {
		row := incidentRow{Check: in.Check, Start: in.Start, End: in.End,
			Reason: monitor.Explain(s.cat, p.Lang, monitor.Result{Reason: in.Reason, Args: in.Args})}
		end := in.End
		if end.IsZero() {
			end = s.now()
		}
		row.Duration = end.Sub(in.Start).Round(time.Second).String()
		out = append(out, row)
	}
	return out
}

func (s *monitorArea) adminCheck(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	e := s.opts.Monitor.Engine
	c, ok := e.Check(r.PathValue("name"))
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "monitor.err.no_check")
		return
	}
	view := &adminCheckView{page: s.newPage(r, v, "monitor.check_title"), Kind: string(c.Kind), Interval: c.Interval,
		Retries: c.Retries, Recovery: c.Recovery, DependsOn: c.DependsOn, Target: target(c)}
	view.Title = view.T("monitor.check_title", c.Name)
	status := http.StatusOK
	states, err := e.States(ctx)
	var pts []monitor.Point
	var inc []monitor.Incident
	if err == nil {
		pts, err = e.Store().Recent(ctx, c.Name, 60)
	}
	if err == nil {
		inc, err = e.Store().Incidents(ctx, []string{c.Name}, s.now().Add(-90*24*time.Hour), 50)
	}
	if err == nil && c.Heartbeat != nil {
		view.Heartbeat = c.Heartbeat
		var runs []heartbeat.Ping
		runs, err = s.opts.Monitor.Heartbeats.Runs(ctx, c.Heartbeat.UUID, 50, false)
		for _, p := range runs {
			row := runRow{ID: p.ID, Kind: p.Kind, ExitCode: p.ExitCode, At: p.At, Size: p.Size, Truncated: p.Size > heartbeat.MaxBody}
			if p.Duration > 0 {
				row.Duration = p.Duration.Round(time.Second).String()
			}
			view.Runs = append(view.Runs, row)
		}
		if hs, herr := s.opts.Monitor.Heartbeats.State(ctx, c.Heartbeat.UUID); herr == nil {
			view.Deadline = heartbeat.Evaluate(*c.Heartbeat, hs, s.now()).Deadline
		}
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	rows := s.checkRows(r, &view.page, []monitor.Check{c}, states, map[string][]monitor.Point{c.Name: pts})
	view.Check = rows[0]
	view.Incidents = s.incidentRows(&view.page, inc)
	s.render(w, r, status, "admin_check", view)
}

// target is what a check looks at, for the operators.
func target(c monitor.Check) string {
	switch {
	case c.HTTP != nil:
		return c.HTTP.Method + " " + c.HTTP.URL
	case c.TCP != nil:
		return c.TCP.Address
	case c.TLS != nil:
		if c.TLS.StartTLS != "" {
			return c.TLS.Address + " (STARTTLS " + c.TLS.StartTLS + ")"
		}
		return c.TLS.Address
	case c.DNS != nil:
		return c.DNS.Type + " " + c.DNS.Name + " @" + c.DNS.Server
	case c.Mail != nil:
		return c.Mail.Address + " (" + c.Mail.TLS + ")"
	case c.Backup != nil:
		return c.Backup.Tool + " " + c.Backup.Repository
	case c.Heartbeat != nil:
		if c.Heartbeat.Cron != "" {
			return c.Heartbeat.Cron + " " + c.Heartbeat.TZ
		}
		return c.Heartbeat.Period.String()
	}
	return ""
}

type adminRunView struct {
	page
	Check string
	Run   runRow
	Log   string
}

// adminRun shows one heartbeat run's log.
func (s *monitorArea) adminRun(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	c, ok := s.opts.Monitor.Engine.Check(r.PathValue("name"))
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !ok || c.Heartbeat == nil || err != nil {
		s.errorPage(w, r, http.StatusNotFound, "monitor.err.no_check")
		return
	}
	runs, err := s.opts.Monitor.Heartbeats.Runs(ctx, c.Heartbeat.UUID, heartbeat.KeepRuns, true)
	if err != nil {
		view := &adminRunView{page: s.newPage(r, v, "monitor.run_title")}
		s.render(w, r, s.explain(r, &view.page, err, "err.internal"), "error", view)
		return
	}
	i := slices.IndexFunc(runs, func(p heartbeat.Ping) bool { return p.ID == id })
	if i < 0 {
		s.errorPage(w, r, http.StatusNotFound, "monitor.err.no_run")
		return
	}
	p := runs[i]
	view := &adminRunView{page: s.newPage(r, v, "monitor.run_title"), Check: c.Name, Log: strings.ToValidUTF8(string(p.Body), "?"),
		Run: runRow{ID: p.ID, Kind: p.Kind, ExitCode: p.ExitCode, At: p.At, Size: p.Size, Truncated: p.Truncated()}}
	if p.Duration > 0 {
		view.Run.Duration = p.Duration.Round(time.Second).String()
	}
	view.Title = view.T("monitor.run_title", c.Name)
	s.render(w, r, http.StatusOK, "admin_run", view)
}

// adminAddSilence starts a maintenance window over a check or a tag
// ("tag:NAME") for some hours.
func (s *monitorArea) adminAddSilence(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	view := &adminMonitorView{page: s.newPage(r, v, "monitor.title")}
	view.Form.Target, view.Form.Hours, view.Form.Reason = formValue(r, "target"), formValue(r, "hours"), formValue(r, "reason")
	e := s.opts.Monitor.Engine
	si := monitor.Silence{Start: s.now(), Reason: view.Form.Reason, By: v.account.Username}
	if tag, ok := strings.CutPrefix(view.Form.Target, "tag:"); ok && tag != "" {
		si.Tag = tag
	} else if _, ok := e.Check(view.Form.Target); ok {
		si.Check = view.Form.Target
	} else {
		view.Errors = append(view.Errors, view.T("monitor.err.silence_target"))
		s.adminMonitorPage(w, r, view, http.StatusUnprocessableEntity)
		return
	}
	d, ok := parseHours(view.Form.Hours)
	if !ok || len(si.Reason) > 200 {
		view.Errors = append(view.Errors, view.T("monitor.err.silence_hours"))
		s.adminMonitorPage(w, r, view, http.StatusUnprocessableEntity)
		return
	}
	si.End = si.Start.Add(d)
	if _, err := e.Store().AddSilence(r.Context(), si); err != nil {
		s.adminMonitorPage(w, r, view, s.explain(r, &view.page, err, "err.internal"))
		return
	}
	_ = e.RefreshSilences(r.Context())
	s.log.Info("silence added", "request_id", reqID(r), "by", v.account.ID, "check", si.Check, "tag", si.Tag, "until", si.End.UTC())
	http.Redirect(w, r, "/admin/monitor?ok=silence_added", http.StatusSeeOther)
}

func (s *monitorArea) adminDeleteSilence(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	e := s.opts.Monitor.Engine
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = e.Store().RemoveSilence(r.Context(), id)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || id == 0 {
			s.errorPage(w, r, http.StatusNotFound, "monitor.err.no_silence")
			return
		}
		view := &adminMonitorView{page: s.newPage(r, v, "monitor.title")}
		s.adminMonitorPage(w, r, view, s.explain(r, &view.page, err, "err.internal"))
		return
	}
	_ = e.RefreshSilences(r.Context())
	s.log.Info("silence removed", "request_id", reqID(r), "by", v.account.ID, "silence", id)
	http.Redirect(w, r, "/admin/monitor?ok=silence_removed", http.StatusSeeOther)
}

type statusView struct {
	page
	Checks    []checkRow
	AllUp     bool
	Incidents []incidentRow
	Windows   []string
}

// statusPage is the public status page: the checks marked public, their
// uptime over 24 hours, 7 and 90 days, and their incidents.
func (s *monitorArea) statusPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	view := &statusView{page: s.newPage(r, nil, "status.title")}
	e := s.opts.Monitor.Engine
	var public []monitor.Check
	var names []string
	for _, c := range e.Checks() {
		if c.Public {
			public = append(public, c)
			names = append(names, c.Name)
		}
	}
	status := http.StatusOK
	states, err := e.States(ctx)
	var up map[string][]monitor.Uptime
	var inc []monitor.Incident
	if err == nil {
		up, err = e.Store().Uptimes(ctx, names, s.now(), 24*time.Hour, 7*24*time.Hour, 90*24*time.Hour)
	}
	if err == nil && len(names) > 0 {
		inc, err = e.Store().Incidents(ctx, names, s.now().Add(-90*24*time.Hour), 50)
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Checks = s.checkRows(r, &view.page, public, states, nil)
	view.AllUp = true
	for i := range view.Checks {
		row := &view.Checks[i]
		// The public sees the state and the figures, not the reasons.
		row.Reason, row.Detail, row.Latency, row.CertDays, row.Owner, row.Tags = "", "", "", "", "", nil
		if row.Status != string(monitor.Up) {
			view.AllUp = false
		}
		for _, u := range up[row.Name] {
			if u.Count == 0 {
				row.Uptime = append(row.Uptime, "–")
			} else {
				row.Uptime = append(row.Uptime, strconv.FormatFloat(u.Ratio*100, 'f', 2, 64)+" %")
			}
		}
		for len(row.Uptime) < 3 {
			row.Uptime = append(row.Uptime, "–")
		}
	}
	view.Incidents = s.incidentRows(&view.page, inc)
	for i := range view.Incidents {
		view.Incidents[i].Reason = ""
	}
	s.render(w, r, status, "status", view)
}
