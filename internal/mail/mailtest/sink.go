// Package mailtest runs a real SMTP server (emersion/go-smtp) in a test
// process: it accepts mail as a hoster's relay would and hands over what
// it received.
package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"pelote/internal/testkit"
)

// Received is one delivered message.
type Received struct {
	From string
	To   []string
	Data string
	// TLS tells whether the message came over TLS (after STARTTLS).
	TLS bool
}

// Sink is an SMTP server on 127.0.0.1 that requires AUTH PLAIN with
// User/Password, refuses recipients starting with "refused@" with a 550,
// and records the rest.
type Sink struct {
	Addr           string
	User, Password string
	// RootCAs trusts the sink's certificate, for a sink from StartTLS.
	RootCAs *x509.CertPool
	mu      sync.Mutex
	got     []Received
	srv     *smtp.Server
}

// Start runs a sink until the test ends.
func Start(t testing.TB) *Sink { return start(t, nil) }

// StartTLS runs a sink that offers STARTTLS with a certificate for
// 127.0.0.1 (trusted by RootCAs) and takes AUTH only after it.
func StartTLS(t testing.TB) *Sink {
	t.Helper()
	ca := testkit.NewCA(t)
	s := start(t, &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, time.Hour)}, MinVersion: tls.VersionTLS12})
	s.RootCAs = ca.Pool()
	return s
}

func start(t testing.TB, tc *tls.Config) *Sink {
	t.Helper()
	s := &Sink{User: "pelote", Password: "relay password"}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{sink: s, conn: c}, nil }))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = tc
	s.srv.AllowInsecureAuth = tc == nil
	s.srv.MaxMessageBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Messages returns what was delivered so far.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

type session struct {
	sink   *Sink
	conn   *smtp.Conn
	authed bool
	cur    Received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.sink.User || pass != s.sink.Password {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = Received{From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "refused@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = string(b)
	_, s.cur.TLS = s.conn.TLSConnectionState()
	s.sink.mu.Lock()
	s.sink.got = append(s.sink.got, s.cur)
	s.sink.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = Received{} }
func (s *session) Logout() error { return nil }
