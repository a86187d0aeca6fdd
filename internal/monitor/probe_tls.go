package monitor

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

func (p *Prober) tls(ctx context.Context, s *TLSSpec) Result {
	host, _, _ := net.SplitHostPort(s.Address)
	name := s.ServerName
	if name == "" {
		name = host
	}
	cfg := tlsConfig(name, s.Insecure, s.RootCAs)
	var cs tls.ConnectionState
	var err error
	if s.StartTLS == StartTLSLDAP {
		cs, err = ldapStartTLS(ctx, s.Address, cfg)
	} else {
		cs, err = dialTLS(ctx, s.Address, s.StartTLS, name, cfg)
	}
	if err != nil {
		var verr *tls.CertificateVerificationError
		var herr x509.HostnameError
		var uerr x509.UnknownAuthorityError
		var ierr x509.CertificateInvalidError
		switch {
		case errors.As(err, &verr):
			return failed("monitor.reason.tls_verify", verr.Err)
		case errors.As(err, &herr), errors.As(err, &uerr), errors.As(err, &ierr):
			return failed("monitor.reason.tls_verify", err)
		case errors.Is(err, errNoStartTLS):
			return failed("monitor.reason.no_starttls", s.StartTLS)
		}
		return errResult(err)
	}
	days := certDays(&cs, p.now())
	if days == nil {
		return failed("monitor.reason.no_cert")
	}
	r := Result{OK: true, CertDays: days}
	if *days < float64(s.WarnDays) {
		r = failed("monitor.reason.cert_expiring", int(math.Floor(*days)), cs.PeerCertificates[0].NotAfter.UTC().Format("2006-01-02"))
		r.CertDays = days
	}
	return r
}

var errNoStartTLS = errors.New("the server does not offer STARTTLS")

// dialTLS connects, speaks the protocol's STARTTLS when asked, and shakes
// hands.
func dialTLS(ctx context.Context, addr, starttls, name string, cfg *tls.Config) (tls.ConnectionState, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer raw.Close()
	setDeadline(ctx, raw)
	if starttls != StartTLSNone {
		if err := upgrade(raw, starttls, name); err != nil {
			return tls.ConnectionState{}, err
		}
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		return tls.ConnectionState{}, err
	}
	return conn.ConnectionState(), nil
}

// upgrade speaks a protocol's plain-text prelude up to the TLS handshake.
func upgrade(conn net.Conn, proto, name string) error {
	r := bufio.NewReader(conn)
	send := func(s string) error { _, err := conn.Write([]byte(s)); return err }
	switch proto {
	case StartTLSSMTP:
		if _, err := smtpReply(r, "220"); err != nil {
			return err
		}
		if err := send("EHLO pelote.monitor\r\n"); err != nil {
			return err
		}
		lines, err := smtpReply(r, "250")
		if err != nil {
			return err
		}
		if !hasWord(lines, "STARTTLS") {
			return errNoStartTLS
		}
		if err := send("STARTTLS\r\n"); err != nil {
			return err
		}
		_, err = smtpReply(r, "220")
		return err
	case StartTLSIMAP:
		if err := expectPrefix(r, "* OK"); err != nil {
			return err
		}
		if err := send("a1 STARTTLS\r\n"); err != nil {
			return err
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if strings.HasPrefix(line, "a1 ") {
				if !strings.HasPrefix(line, "a1 OK") {
					return errNoStartTLS
				}
				return nil
			}
		}
	case StartTLSPOP3:
		if err := expectPrefix(r, "+OK"); err != nil {
			return err
		}
		if err := send("STLS\r\n"); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "+OK") {
			return errNoStartTLS
		}
		return nil
	case StartTLSXMPP:
		if err := send(fmt.Sprintf("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>", xmlEscape(name))); err != nil {
			return err
		}
		got, err := readUntil(r, "</stream:features>")
		if err != nil {
			return err
		}
		if !strings.Contains(got, "urn:ietf:params:xml:ns:xmpp-tls") {
			return errNoStartTLS
		}
		if err := send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
			return err
		}
		got, err = readUntil(r, ">")
		if err != nil {
			return err
		}
		if !strings.Contains(got, "proceed") {
			return errNoStartTLS
		}
		return nil
	}
	return fmt.Errorf("unknown STARTTLS protocol %q", proto)
}

// smtpReply reads a (multi-line) SMTP reply with code want.
func smtpReply(r *bufio.Reader, want string) ([]string, error) {
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 || line[:3] != want {
			return nil, fmt.Errorf("unexpected answer %q", clip(line, 80))
		}
		lines = append(lines, line[min(4, len(line)):])
		if len(line) == 3 || line[3] != '-' {
			return lines, nil
		}
	}
}

func hasWord(lines []string, w string) bool {
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], w) {
			return true
		}
	}
	return false
}

func expectPrefix(r *bufio.Reader, prefix string) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, prefix) {
		return fmt.Errorf("unexpected greeting %q", clip(strings.TrimSpace(line), 80))
	}
	return nil
}

// readUntil reads until marker, at most 64 KiB.
func readUntil(r *bufio.Reader, marker string) (string, error) {
	var b strings.Builder
	for b.Len() < 64<<10 {
		c, err := r.ReadByte()
		if err != nil {
			return b.String(), err
		}
		b.WriteByte(c)
		if strings.HasSuffix(b.String(), marker) {
			return b.String(), nil
		}
	}
	return b.String(), errors.New("answer too long")
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;").Replace(s)
}

// ldapStartTLS upgrades an LDAP connection with the go-ldap client.
func ldapStartTLS(ctx context.Context, addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	setDeadline(ctx, raw)
	conn := ldap.NewConn(raw, false)
	conn.Start()
	defer conn.Close()
	if err := conn.StartTLS(cfg); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultProtocolError) || ldap.IsErrorWithCode(err, ldap.LDAPResultUnavailable) {
			return tls.ConnectionState{}, fmt.Errorf("%w: %v", errNoStartTLS, err)
		}
		return tls.ConnectionState{}, err
	}
	cs, ok := conn.TLSConnectionState()
	if !ok {
		return tls.ConnectionState{}, errors.New("no TLS after StartTLS")
	}
	return cs, nil
}
