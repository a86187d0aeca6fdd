package monitor

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"

	"pelote/internal/testkit"
)

func run(t *testing.T, p *Prober, c Check) Result {
	t.Helper()
	if err := ValidateSet([]Check{c.WithDefaults()}); err != nil {
		t.Fatal(err)
	}
	return p.Run(t.Context(), c.WithDefaults())
}

func wantFail(t *testing.T, r Result, reason string) {
	t.Helper()
	if r.OK || r.Reason != reason {
		t.Fatalf("got ok=%v %s %v, want failure %s", r.OK, r.Reason, r.Args, reason)
	}
}

func wantOK(t *testing.T, r Result) {
	t.Helper()
	if !r.OK {
		t.Fatalf("failed: %s %v", r.Reason, r.Args)
	}
}

func TestHTTPProbe(t *testing.T) {
	ca := testkit.NewCA(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Probe") != "yes" {
			http.Error(w, "no header", http.StatusBadRequest)
			return
		}
		w.Write([]byte(`{"db":{"state":"ok"},"items":[1,2]}`))
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/health", http.StatusFound) })
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, 3*24*time.Hour)}}
	srv.StartTLS()
	defer srv.Close()
	p := NewProber(nil)
	p.transport.TLSClientConfig.RootCAs = ca.Pool()
	base := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	hdr := map[string]string{"X-Probe": "yes"}
	chk := func(s HTTPSpec) Check {
		s.Headers = hdr
		return Check{Name: "web", Kind: KindHTTP, HTTP: &s}
	}
	r := run(t, p, chk(HTTPSpec{URL: base + "/health", Status: 200, BodyContains: `"ok"`, JSONPath: "db.state", JSONValue: "ok"}))
	wantOK(t, r)
	if r.CertDays == nil || *r.CertDays > 3 || *r.CertDays < 2.9 {
		t.Fatalf("certificate days %v", r.CertDays)
	}
	wantFail(t, run(t, p, chk(HTTPSpec{URL: base + "/health", JSONPath: "items.1", JSONValue: "3"})), "monitor.reason.json_value")
	wantFail(t, run(t, p, chk(HTTPSpec{URL: base + "/health", BodyRegex: regexp.MustCompile(`down`)})), "monitor.reason.body_regex")
	wantFail(t, run(t, p, chk(HTTPSpec{URL: base + "/moved"})), "monitor.reason.status")
	wantOK(t, run(t, p, chk(HTTPSpec{URL: base + "/moved", FollowRedirects: true})))
	wantFail(t, run(t, p, chk(HTTPSpec{URL: base + "/nowhere", Status: 200})), "monitor.reason.status")
	// The system roots do not know the test CA.
	wantFail(t, run(t, NewProber(nil), chk(HTTPSpec{URL: base + "/health"})), "monitor.reason.error")
	wantOK(t, run(t, NewProber(nil), chk(HTTPSpec{URL: base + "/health", Insecure: true})))
	wantFail(t, run(t, p, chk(HTTPSpec{URL: "http://127.0.0.1:1/"})), "monitor.reason.unreachable")
}

// serveTLSOnce accepts connections and speaks TLS from the first byte.
func TestTLSProbeExpiryAndNames(t *testing.T) {
	ca := testkit.NewCA(t)
	soon := ca.Leaf(t, 3*24*time.Hour)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{soon}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	p := NewProber(nil)
	spec := TLSSpec{Address: ln.Addr().String(), RootCAs: ca.PEM, WarnDays: 14}
	r := run(t, p, Check{Name: "cert", Kind: KindTLS, TLS: &spec})
	wantFail(t, r, "monitor.reason.cert_expiring")
	if r.Args[0] != "2" || r.CertDays == nil {
		t.Fatalf("days: %v %v", r.Args, r.CertDays)
	}
	spec.WarnDays = 2
	wantOK(t, run(t, p, Check{Name: "cert", Kind: KindTLS, TLS: &spec}))
	spec.ServerName = "mail.example.org"
	wantFail(t, run(t, p, Check{Name: "cert", Kind: KindTLS, TLS: &spec}), "monitor.reason.tls_verify")
	spec.ServerName, spec.RootCAs = "", nil
	wantFail(t, run(t, p, Check{Name: "cert", Kind: KindTLS, TLS: &spec}), "monitor.reason.tls_verify")
}

// smtpServer is a go-smtp server with STARTTLS and AUTH PLAIN over TLS.
type smtpBackend struct{}

type smtpSession struct{}

func (smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return smtpSession{}, nil }
func (smtpSession) AuthMechanisms() []string                    { return []string{sasl.Plain} }
func (smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "monitor" || pass != "right password" {
			return errors.New("invalid credentials")
		}
		return nil
	}), nil
}
func (smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (smtpSession) Data(io.Reader) error                 { return nil }
func (smtpSession) Reset()                               {}
func (smtpSession) Logout() error                        { return nil }

func startSMTP(t *testing.T, cert *tls.Certificate) string {
	t.Helper()
	s := smtp.NewServer(smtpBackend{})
	s.Domain = "localhost"
	if cert != nil {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

func TestSMTPStartTLS(t *testing.T) {
	ca := testkit.NewCA(t)
	cert := ca.Leaf(t, 60*24*time.Hour)
	addr := startSMTP(t, &cert)
	p := NewProber(nil)
	r := run(t, p, Check{Name: "mx-cert", Kind: KindTLS, TLS: &TLSSpec{Address: addr, StartTLS: StartTLSSMTP, RootCAs: ca.PEM}})
	wantOK(t, r)
	if r.CertDays == nil || *r.CertDays < 59 {
		t.Fatalf("days %v", r.CertDays)
	}
	// The smtp check logs in over STARTTLS; the test CA is not a system
	// root, so verification is off here and tested by the tls check.
	mail := MailSpec{Address: addr, TLS: "starttls", Insecure: true, Username: "monitor", Password: "right password"}
	wantOK(t, run(t, p, Check{Name: "mx", Kind: KindSMTP, Mail: &mail}))
	mail.Password = "wrong"
	r = run(t, p, Check{Name: "mx", Kind: KindSMTP, Mail: &mail})
	wantFail(t, r, "monitor.reason.login")
	if strings.Contains(strings.Join(r.Args, " "), "wrong") {
		t.Fatalf("the password is in the result: %v", r.Args)
	}
	mail.Insecure = false
	wantFail(t, run(t, p, Check{Name: "mx", Kind: KindSMTP, Mail: &mail}), "monitor.reason.tls_verify")
	plain := startSMTP(t, nil)
	wantFail(t, run(t, p, Check{Name: "mx-cert", Kind: KindTLS, TLS: &TLSSpec{Address: plain, StartTLS: StartTLSSMTP}}), "monitor.reason.no_starttls")
}

// startIMAP serves an IMAP greeting, CAPABILITY, STARTTLS and LOGIN.
func startIMAP(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.Write([]byte("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"))
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					tag, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
					switch {
					case cmd == "CAPABILITY":
						io.WriteString(c, "* CAPABILITY IMAP4rev1 STARTTLS\r\n"+tag+" OK done\r\n")
					case cmd == "STARTTLS":
						io.WriteString(c, tag+" OK begin TLS\r\n")
						tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
						if tc.Handshake() != nil {
							return
						}
						c, r = tc, bufio.NewReader(tc)
					case cmd == `LOGIN "monitor" "right \"pass\""`:
						io.WriteString(c, tag+" OK logged in\r\n")
					case strings.HasPrefix(cmd, "LOGIN"):
						io.WriteString(c, tag+" NO [AUTHENTICATIONFAILED] invalid\r\n")
					case cmd == "LOGOUT":
						io.WriteString(c, "* BYE\r\n"+tag+" OK bye\r\n")
						return
					default:
						io.WriteString(c, tag+" BAD what\r\n")
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

func TestIMAP(t *testing.T) {
	ca := testkit.NewCA(t)
	addr := startIMAP(t, ca.Leaf(t, 30*24*time.Hour))
	p := NewProber(nil)
	mail := MailSpec{Address: addr, TLS: "starttls", Insecure: true, Username: "monitor", Password: `right "pass"`}
	r := run(t, p, Check{Name: "imap", Kind: KindIMAP, Mail: &mail})
	wantOK(t, r)
	if r.CertDays == nil {
		t.Fatal("no certificate read")
	}
	mail.Password = "nope"
	wantFail(t, run(t, p, Check{Name: "imap", Kind: KindIMAP, Mail: &mail}), "monitor.reason.login")
	wantOK(t, run(t, p, Check{Name: "imap-cert", Kind: KindTLS, TLS: &TLSSpec{Address: addr, StartTLS: StartTLSIMAP, RootCAs: ca.PEM}}))
	wantOK(t, run(t, p, Check{Name: "imap-port", Kind: KindTCP, TCP: &TCPSpec{Address: addr, Banner: "* OK"}}))
	wantFail(t, run(t, p, Check{Name: "imap-port", Kind: KindTCP, TCP: &TCPSpec{Address: addr, Banner: "ESMTP"}}), "monitor.reason.banner")
}

func TestDNSProbe(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		switch name := q.Question[0].Name; {
		case name == "example.org." && q.Question[0].Qtype == dns.TypeA:
			rr, _ := dns.NewRR("example.org. 300 IN A 192.0.2.10")
			m.Answer = append(m.Answer, rr)
		case name == "example.org." && q.Question[0].Qtype == dns.TypeMX:
			rr, _ := dns.NewRR("example.org. 300 IN MX 10 mail.example.org.")
			m.Answer = append(m.Answer, rr)
		case name == "example.org.":
			// The name exists, without records of this type.
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	p := NewProber(nil)
	addr := pc.LocalAddr().String()
	d := func(name, typ string, expect ...string) Check {
		return Check{Name: "dns", Kind: KindDNS, DNS: &DNSSpec{Server: addr, Name: name, Type: typ, Expect: expect}}
	}
	wantOK(t, run(t, p, d("example.org", "A", "192.0.2.10")))
	wantOK(t, run(t, p, d("example.org", "MX", "mail.example.org")))
	wantFail(t, run(t, p, d("example.org", "A", "192.0.2.11")), "monitor.reason.dns_missing")
	wantFail(t, run(t, p, d("missing.example.org", "A")), "monitor.reason.dns_rcode")
	wantFail(t, run(t, p, d("example.org", "AAAA")), "monitor.reason.dns_empty")
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		c     Check
		field string
	}{
		{"unknown kind", Check{Name: "x", Kind: "ping"}, "kind"},
		{"bad name", Check{Name: "Web Site", Kind: KindTCP, TCP: &TCPSpec{Address: "a:1"}}, "name"},
		{"missing settings", Check{Name: "x", Kind: KindHTTP}, "http"},
		{"bad url", Check{Name: "x", Kind: KindHTTP, HTTP: &HTTPSpec{URL: "ftp://x"}}, "http.url"},
		{"bad starttls", Check{Name: "x", Kind: KindTLS, TLS: &TLSSpec{Address: "a:1", StartTLS: "gopher"}}, "tls.starttls"},
		{"bad dns type", Check{Name: "x", Kind: KindDNS, DNS: &DNSSpec{Server: "a:53", Name: "x", Type: "ZZ"}}, "dns.type"},
		{"login in clear", Check{Name: "x", Kind: KindSMTP, Mail: &MailSpec{Address: "a:25", TLS: "none", Username: "u", Password: "p"}}, "smtp.tls"},
		{"bad backup tool", Check{Name: "x", Kind: KindBackup, Backup: &BackupSpec{Tool: "tar", Repository: "/r", MaxAge: time.Hour}}, "backup.tool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.WithDefaults().Validate()
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("got %v, want an error on %s", err, tc.field)
			}
		})
	}
	loop := []Check{
		{Name: "a", Kind: KindTCP, TCP: &TCPSpec{Address: "a:1"}, DependsOn: []string{"b"}},
		{Name: "b", Kind: KindTCP, TCP: &TCPSpec{Address: "a:1"}, DependsOn: []string{"a"}},
		{Name: "c", Kind: KindTCP, TCP: &TCPSpec{Address: "a:1"}, DependsOn: []string{"nowhere"}},
	}
	for i := range loop {
		loop[i] = loop[i].WithDefaults()
	}
	err := ValidateSet(loop)
	if err == nil || !strings.Contains(err.Error(), "loop") || !strings.Contains(err.Error(), `no check is called "nowhere"`) {
		t.Fatalf("got %v", err)
	}
}
