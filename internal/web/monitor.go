package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pelote/internal/heartbeat"
	"pelote/internal/monitor"
	"pelote/internal/ratelimit"
)

// Monitor is what the supervision pages need; nil in Options serves none.
type Monitor struct {
	Engine     *monitor.Engine
	Heartbeats *heartbeat.Store
	// Metrics is served on /metrics to requests bearing MetricsToken;
	// without a token, /metrics is not served.
	Metrics      *prometheus.Registry
	MetricsToken string
	// PingRate bounds the pings per second of one uuid (bursts of twice).
	PingRate int
}

// maxPingRead bounds what a ping's body is read to: past MaxBody it is
// only counted, and past this the count stops.
const maxPingRead = 16 << 20

// monitorArea is the ping endpoint, /metrics, /status and the operators'
// dashboard.
type monitorArea struct{ *Server }

func (s *monitorArea) mount(mt *mounter) {
	m := s.opts.Monitor
	if m == nil {
		return
	}
	mt.entry(menuEntry{Order: 190, Path: "/admin/monitor", Key: "monitor.nav.monitor", Admin: true})
	mux, admin := mt, mt.admin
	rate := m.PingRate
	if rate < 1 {
		rate = 10
	}
	s.pings = ratelimit.NewBuckets(rate, s.clock)
	mux.public("/ping/{uuid}", s.ping)
	mux.public("/ping/{uuid}/{action}", s.ping)
	mux.public("GET /status", s.statusPage)
	if m.MetricsToken != "" && m.Metrics != nil {
		h := promhttp.HandlerFor(m.Metrics, promhttp.HandlerOpts{})
		mux.handle("GET /metrics", s.bearer(m.MetricsToken, h))
	}
	admin("GET /admin/monitor", s.adminMonitor)
	admin("GET /admin/monitor/{name}", s.adminCheck)
	admin("GET /admin/monitor/{name}/runs/{id}", s.adminRun)
	admin("POST /admin/monitor/silences", s.adminAddSilence)
	admin("POST /admin/monitor/silences/{id}/delete", s.adminDeleteSilence)
}

// bearer lets through requests with the token, compared in constant time.
func (s *monitorArea) bearer(token string, h http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "a bearer token is needed (monitor.metrics_token)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ping records a heartbeat's ping: /ping/UUID (success), /start, /fail or
// /EXIT-CODE. It needs no session: the uuid is the secret. Answers are
// plain text for scripts.
func (s *monitorArea) ping(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut:
	default:
		w.Header().Set("Allow", "GET, POST, HEAD")
		http.Error(w, "use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	uuid := strings.ToLower(r.PathValue("uuid"))
	kind, code := heartbeat.Success, 0
	switch a := r.PathValue("action"); a {
	case "":
	case "start":
		kind, code = heartbeat.Start, -1
	case "fail":
		kind, code = heartbeat.Fail, -1
	default:
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 || n > 255 {
			http.Error(w, "the last part must be start, fail or an exit code from 0 to 255", http.StatusBadRequest)
			return
		}
		code = n
		if n != 0 {
			kind = heartbeat.Fail
		}
	}
	m := s.opts.Monitor
	if _, ok := m.Engine.Heartbeat(uuid); !ok {
		// Nothing is stored for a uuid nobody configured.
		http.Error(w, "no heartbeat has this uuid", http.StatusNotFound)
		return
	}
	if ok, wait := s.pings.Allow(uuid); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		http.Error(w, "too many pings for this uuid", http.StatusTooManyRequests)
		return
	}
	body, size, err := readPingBody(r.Body)
	if err != nil {
		http.Error(w, "the body could not be read", http.StatusBadRequest)
		return
	}
	p, err := m.Heartbeats.Record(r.Context(), heartbeat.Ping{UUID: uuid, Kind: kind, ExitCode: code, At: s.now(), Body: body, Size: size})
	if err != nil {
		s.log.Error("ping", "request_id", reqID(r), "err", err)
		http.Error(w, "the ping could not be stored, try again", http.StatusServiceUnavailable)
		return
	}
	if kind != heartbeat.Start {
		m.Engine.Wake(uuid, kind == heartbeat.Fail)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if p.Truncated() {
		fmt.Fprintf(w, "OK, body truncated to %d of %d bytes\n", len(p.Body), p.Size)
		return
	}
	io.WriteString(w, "OK\n")
}

// readPingBody keeps the first MaxBody bytes and counts the rest, up to
// maxPingRead.
func readPingBody(body io.Reader) ([]byte, int64, error) {
	b, err := io.ReadAll(io.LimitReader(body, heartbeat.MaxBody))
	if err != nil {
		return nil, 0, err
	}
	rest, err := io.Copy(io.Discard, io.LimitReader(body, maxPingRead-heartbeat.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) {
			return nil, 0, err
		}
	}
	return b, int64(len(b)) + rest, nil
}

// parseDuration reads a form's duration in hours (e.g. "2" or "0.5").
func parseHours(v string) (time.Duration, bool) {
	h, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || h <= 0 || h > 24*90 {
		return 0, false
	}
	return time.Duration(h * float64(time.Hour)), true
}
