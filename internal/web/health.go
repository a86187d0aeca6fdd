package web

import (
	"context"
	"net/http"
	"time"
)

// healthz answers 200 while the database answers, 503 otherwise: what a
// load balancer or a monitoring check should poll.
func (s *healthArea) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("health check: database does not answer", "request_id", reqID(r), "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 once the server is listening and until it starts to
// shut down, so a proxy stops sending traffic before connections close.
func (s *healthArea) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// healthArea is /healthz and /readyz.
type healthArea struct{ *Server }

func (s *healthArea) mount(m *mounter) {
	m.public("GET /healthz", s.healthz)
	m.public("GET /readyz", s.readyz)
}
