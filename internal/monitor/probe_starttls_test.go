package monitor

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"pelote/internal/testkit"
)

// startPrelude serves a plain-text prelude then TLS: serve reads and
// answers until it returns true, meaning "hand-shake now".
func startPrelude(t *testing.T, cert tls.Certificate, serve func(r *bufio.Reader, w io.Writer) bool) string {
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
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if serve(bufio.NewReader(c), c) {
					tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}}).Handshake()
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

func TestPOP3AndXMPPStartTLS(t *testing.T) {
	ca := testkit.NewCA(t)
	cert := ca.Leaf(t, 10*24*time.Hour)
	pop3 := startPrelude(t, cert, func(r *bufio.Reader, w io.Writer) bool {
		io.WriteString(w, "+OK POP3 ready\r\n")
		line, _ := r.ReadString('\n')
		if strings.TrimSpace(line) != "STLS" {
			io.WriteString(w, "-ERR what\r\n")
			return false
		}
		io.WriteString(w, "+OK begin TLS\r\n")
		return true
	})
	xmpp := startPrelude(t, cert, func(r *bufio.Reader, w io.Writer) bool {
		head, _ := readUntil(r, "version='1.0'>")
		if !strings.Contains(head, "to='chat.example.org'") {
			return false
		}
		io.WriteString(w, "<?xml version='1.0'?><stream:stream from='chat.example.org' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"+
			"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")
		if got, _ := readUntil(r, "/>"); !strings.Contains(got, "<starttls") {
			return false
		}
		io.WriteString(w, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
		return true
	})
	noTLS := startPrelude(t, cert, func(r *bufio.Reader, w io.Writer) bool {
		io.WriteString(w, "+OK POP3 ready\r\n")
		r.ReadString('\n')
		io.WriteString(w, "-ERR no TLS here\r\n")
		return false
	})
	p := NewProber(nil)
	for _, tc := range []struct{ addr, proto, name string }{{pop3, StartTLSPOP3, ""}, {xmpp, StartTLSXMPP, "chat.example.org"}} {
		spec := TLSSpec{Address: tc.addr, StartTLS: tc.proto, RootCAs: ca.PEM, WarnDays: 14}
		if tc.name != "" {
			// The certificate names localhost; the stream names the domain.
			spec.ServerName, spec.Insecure = tc.name, true
		}
		r := run(t, p, Check{Name: "cert", Kind: KindTLS, TLS: &spec})
		wantFail(t, r, "monitor.reason.cert_expiring")
		if r.Args[0] != "9" {
			t.Fatalf("%s: days %v", tc.proto, r.Args)
		}
	}
	wantFail(t, run(t, p, Check{Name: "cert", Kind: KindTLS, TLS: &TLSSpec{Address: noTLS, StartTLS: StartTLSPOP3}}), "monitor.reason.no_starttls")
}
