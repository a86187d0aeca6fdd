package monitor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"sync"
	"time"

	"pelote/internal/heartbeat"
)

// HeartbeatReader is what heartbeat checks read: *heartbeat.Store.
type HeartbeatReader interface {
	State(ctx context.Context, uuid string) (heartbeat.State, error)
	Body(ctx context.Context, id int64) ([]byte, int64, error)
}

// Prober runs one check once. It is safe for concurrent use.
type Prober struct {
	// Heartbeats answers heartbeat checks; nil fails them.
	Heartbeats HeartbeatReader
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	transport, insecure *http.Transport
	// private are the transports of checks trusting extra roots, one per
	// set of roots.
	mu      sync.Mutex
	private map[string]*http.Transport
}

// NewProber returns a prober with shared connection pools.
func NewProber(hb HeartbeatReader) *Prober {
	return &Prober{Heartbeats: hb, transport: newTransport(false), insecure: newTransport(true), private: map[string]*http.Transport{}}
}

// transportFor returns the shared transport for an http check's TLS
// settings.
func (p *Prober) transportFor(s *HTTPSpec) *http.Transport {
	switch {
	case s.Insecure:
		return p.insecure
	case len(s.RootCAs) == 0:
		return p.transport
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.private[string(s.RootCAs)]
	if !ok {
		t = newTransport(false)
		t.TLSClientConfig = tlsConfig("", false, s.RootCAs)
		p.private[string(s.RootCAs)] = t
	}
	return t
}

func newTransport(insecure bool) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // a check tests the target, not a proxy
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}, //nolint:gosec // per check, by choice
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}
}

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Run probes c once, within its timeout.
func (p *Prober) Run(ctx context.Context, c Check) Result {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	start := p.now()
	var r Result
	switch c.Kind {
	case KindHTTP:
		r = p.http(ctx, c.HTTP)
	case KindTCP:
		r = p.tcp(ctx, c.TCP)
	case KindTLS:
		r = p.tls(ctx, c.TLS)
	case KindDNS:
		r = p.dns(ctx, c.DNS)
	case KindSMTP:
		r = p.smtp(ctx, c.Mail)
	case KindIMAP:
		r = p.imap(ctx, c.Mail)
	case KindHeartbeat:
		r = p.heartbeat(ctx, c.Heartbeat)
	case KindBackup:
		r = p.backup(ctx, c.Backup)
	default:
		r = failed("monitor.reason.unknown_kind", c.Kind)
	}
	if r.Latency == 0 && c.Kind != KindHeartbeat && c.Kind != KindBackup {
		r.Latency = p.now().Sub(start)
	}
	if !r.OK && r.Reason == "" {
		r.Reason = "monitor.reason.failed"
	}
	if ctx.Err() != nil && !r.OK && r.Reason == "monitor.reason.error" {
		r = failed("monitor.reason.timeout", c.Timeout)
	}
	r.At = start
	return r
}

// errResult is a failure to reach the target.
func errResult(err error) Result {
	var ne net.Error
	if opErr, ok := err.(*net.OpError); ok && opErr.Op == "dial" {
		return failed("monitor.reason.unreachable", opErr.Err)
	}
	if ok := asNetTimeout(err, &ne); ok {
		return failed("monitor.reason.error", "timeout")
	}
	return failed("monitor.reason.error", err)
}

func asNetTimeout(err error, ne *net.Error) bool {
	if e, ok := err.(net.Error); ok && e.Timeout() {
		*ne = e
		return true
	}
	return false
}

// tlsConfig is the client configuration for a name, verified unless
// insecure, with extra roots when given.
func tlsConfig(serverName string, insecure bool, roots []byte) *tls.Config {
	cfg := &tls.Config{ServerName: serverName, InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12} //nolint:gosec // per check, by choice
	if len(roots) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pool.AppendCertsFromPEM(roots)
		cfg.RootCAs = pool
	}
	return cfg
}

// certDays is the days left on the leaf certificate of a connection.
func certDays(cs *tls.ConnectionState, now time.Time) *float64 {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nil
	}
	d := cs.PeerCertificates[0].NotAfter.Sub(now).Hours() / 24
	return &d
}
