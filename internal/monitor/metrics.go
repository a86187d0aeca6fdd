package monitor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics exposes the checks to Prometheus: per check up, latency,
// certificate days left, and heartbeats' last success; the scheduler's
// lateness; Go and process metrics.
type Metrics struct {
	engine   *Engine
	hb       HeartbeatReader
	lateness prometheus.Summary
	runs     *prometheus.CounterVec

	up, latency, certDays, lastSuccess, status, pending *prometheus.Desc
}

// NewMetrics returns the metrics of e; register Registry's collectors
// with a handler. Observe must be the engine's OnResult.
func NewMetrics(e *Engine, hb HeartbeatReader) *Metrics {
	labels := []string{"check", "kind"}
	return &Metrics{
		engine: e, hb: hb,
		lateness: prometheus.NewSummary(prometheus.SummaryOpts{
			Name: "pelote_check_lateness_seconds", Help: "How late checks start against their schedule.",
			Objectives: map[float64]float64{0.5: 0.01, 0.99: 0.001}, MaxAge: 2 * time.Minute,
		}),
		runs:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pelote_check_runs_total", Help: "Checks run, by result."}, []string{"result"}),
		up:          prometheus.NewDesc("pelote_check_up", "1 when the check's last result succeeded, 0 when it failed.", labels, nil),
		status:      prometheus.NewDesc("pelote_check_status", "1 for the check's current status.", append(labels, "status"), nil),
		latency:     prometheus.NewDesc("pelote_check_latency_seconds", "Latency of the check's last run.", labels, nil),
		certDays:    prometheus.NewDesc("pelote_check_certificate_days_left", "Days before the certificate the check read expires.", labels, nil),
		pending:     prometheus.NewDesc("pelote_checks_never_run", "Configured checks without a result yet.", nil, nil),
		lastSuccess: prometheus.NewDesc("pelote_heartbeat_last_success_timestamp_seconds", "Unix time of the heartbeat's last successful run.", []string{"check"}, nil),
	}
}

// Observe records one run; set it as Options.OnResult.
func (m *Metrics) Observe(_ Check, r Result, late time.Duration) {
	m.lateness.Observe(late.Seconds())
	if r.OK {
		m.runs.WithLabelValues("success").Inc()
	} else {
		m.runs.WithLabelValues("failure").Inc()
	}
}

// Registry returns a registry with the checks', Go's and the process's
// metrics.
func (m *Metrics) Registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), m, m.lateness, m.runs)
	return reg
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.up, m.status, m.latency, m.certDays, m.lastSuccess, m.pending} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	states, err := m.engine.States(ctx)
	if err != nil {
		return
	}
	never := 0
	defer func() { ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(never)) }()
	for _, c := range m.engine.Checks() {
		if c.Heartbeat != nil && m.hb != nil {
			if hs, err := m.hb.State(ctx, c.Heartbeat.UUID); err == nil && !hs.LastSuccess.IsZero() {
				ch <- prometheus.MustNewConstMetric(m.lastSuccess, prometheus.GaugeValue, float64(hs.LastSuccess.UnixMilli())/1000, c.Name)
			}
		}
		s, ok := states[c.Name]
		if !ok || s.Last.At.IsZero() {
			never++
			continue
		}
		kind := string(c.Kind)
		up := 0.0
		if s.Last.OK {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, up, c.Name, kind)
		ch <- prometheus.MustNewConstMetric(m.status, prometheus.GaugeValue, 1, c.Name, kind, string(s.Status))
		ch <- prometheus.MustNewConstMetric(m.latency, prometheus.GaugeValue, s.Last.Latency.Seconds(), c.Name, kind)
		if s.Last.CertDays != nil {
			ch <- prometheus.MustNewConstMetric(m.certDays, prometheus.GaugeValue, *s.Last.CertDays, c.Name, kind)
		}
	}
}
