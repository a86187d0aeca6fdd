package monitor

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtp checks the greeting, EHLO, STARTTLS and, with credentials, a login,
// through emersion/go-smtp's client.
func (p *Prober) smtp(ctx context.Context, s *MailSpec) Result {
	host, _, _ := net.SplitHostPort(s.Address)
	name := s.ServerName
	if name == "" {
		name = host
	}
	cfg := tlsConfig(name, s.Insecure, nil)
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", s.Address)
	if err != nil {
		return errResult(err)
	}
	// The client library resets deadlines between commands: the check's
	// timeout closes the connection instead.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	var conn net.Conn = raw
	if s.TLS == "tls" {
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return tlsFailure(err)
		}
		conn = tc
	}
	var c *smtp.Client
	if s.TLS == "starttls" {
		c, err = smtp.NewClientStartTLS(conn, cfg)
		if err != nil {
			raw.Close()
			if strings.Contains(err.Error(), "doesn't support STARTTLS") {
				return failed("monitor.reason.no_starttls", "smtp")
			}
			return failed("monitor.reason.smtp", err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if err := c.Hello("pelote.monitor"); err != nil {
		if r := tlsFailure(err); r.Reason == "monitor.reason.tls_verify" {
			return r
		}
		return failed("monitor.reason.smtp", err)
	}
	// The first command after STARTTLS makes the handshake (and so
	// verifies the certificate).
	if err := c.Noop(); err != nil {
		return tlsFailure(err)
	}
	var cs *tls.ConnectionState
	if st, ok := c.TLSConnectionState(); ok {
		cs = &st
	}
	if s.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			return failed("monitor.reason.login", smtpCode(err))
		}
	}
	_ = c.Quit()
	return Result{OK: true, CertDays: certDays(cs, p.now())}
}

// smtpCode keeps a refused login's code and server text, never what was
// sent.
func smtpCode(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return strconv.Itoa(se.Code) + " " + clip(se.Message, 80)
	}
	return clip(err.Error(), 80)
}

func tlsFailure(err error) Result {
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		return failed("monitor.reason.tls_verify", verr.Err)
	}
	return errResult(err)
}

// imap checks the greeting, CAPABILITY, STARTTLS and, with credentials, a
// LOGIN. IMAP's few lines needed here are spoken directly: the check
// needs no mailbox parsing.
func (p *Prober) imap(ctx context.Context, s *MailSpec) Result {
	host, _, _ := net.SplitHostPort(s.Address)
	name := s.ServerName
	if name == "" {
		name = host
	}
	cfg := tlsConfig(name, s.Insecure, nil)
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", s.Address)
	if err != nil {
		return errResult(err)
	}
	defer raw.Close()
	setDeadline(ctx, raw)
	var conn net.Conn = raw
	var cs *tls.ConnectionState
	if s.TLS == "tls" {
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return tlsFailure(err)
		}
		st := tc.ConnectionState()
		conn, cs = tc, &st
	}
	r := bufio.NewReader(conn)
	greet, err := r.ReadString('\n')
	if err != nil {
		return errResult(err)
	}
	if !strings.HasPrefix(greet, "* OK") {
		return failed("monitor.reason.greeting", clip(strings.TrimSpace(greet), 80))
	}
	tag := 0
	cmd := func(line string) ([]string, error) {
		tag++
		t := "p" + strconv.Itoa(tag)
		if _, err := fmt.Fprintf(conn, "%s %s\r\n", t, line); err != nil {
			return nil, err
		}
		var untagged []string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return nil, err
			}
			l = strings.TrimRight(l, "\r\n")
			if strings.HasPrefix(l, t+" ") {
				if !strings.HasPrefix(l, t+" OK") {
					return nil, errors.New(clip(strings.TrimPrefix(l, t+" "), 80))
				}
				return untagged, nil
			}
			untagged = append(untagged, l)
		}
	}
	caps, err := cmd("CAPABILITY")
	if err != nil {
		return failed("monitor.reason.imap", err)
	}
	if s.TLS == "starttls" {
		if !strings.Contains(strings.ToUpper(strings.Join(caps, " ")), "STARTTLS") {
			return failed("monitor.reason.no_starttls", "imap")
		}
		if _, err := cmd("STARTTLS"); err != nil {
			return failed("monitor.reason.no_starttls", "imap")
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return tlsFailure(err)
		}
		st := tc.ConnectionState()
		conn, cs = tc, &st
		r = bufio.NewReader(conn)
	}
	if s.Username != "" {
		if _, err := cmd("LOGIN " + imapQuote(s.Username) + " " + imapQuote(s.Password)); err != nil {
			return failed("monitor.reason.login", err)
		}
		_, _ = cmd("LOGOUT")
	}
	return Result{OK: true, CertDays: certDays(cs, p.now())}
}

// imapQuote writes a quoted string (RFC 3501), escaping '\' and '"'.
func imapQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
