package ldap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"pelote/internal/ldap/wire"
	"pelote/internal/ratelimit"
)

const (
	// idleTimeout ends a connection that sends nothing for that long.
	idleTimeout = 5 * time.Minute
	// writeTimeout bounds the answer to one request.
	writeTimeout = 30 * time.Second
	// writeBuffer holds a whole answer of a few dozen entries, sent in
	// one write; longer ones go out each time it fills.
	writeBuffer = 16 << 10
)

// conn is one client connection. Its requests are answered one after the
// other, in the order they came, each answer written in one go.
type conn struct {
	s *Server
	// raw is the TCP connection, which Stop closes; nc is what the
	// session reads and writes, TLS over raw after StartTLS.
	raw net.Conn
	nc  net.Conn
	r   *wire.Reader
	w   *wire.Writer
	// who is the bound identity; the zero value is anonymous.
	who principal
	// encrypted: an LDAPS connection, or one that completed StartTLS.
	encrypted bool
	// scratch holds the attributes of the entry being written.
	scratch []byte
	// addr is the client's address key for counting failed binds; empty
	// for an application's address, whose binds count per account only.
	addr string
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{s: s, raw: nc, nc: nc, encrypted: s.cfg.LDAPS, addr: s.addressKey(nc.RemoteAddr())}
	c.r = wire.NewReader(bufio.NewReader(nc))
	c.w = wire.NewWriter(nc, writeBuffer)
	return c
}

func (c *conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			c.s.log.Error("ldap connection failed", "panic", r)
		}
		c.nc.Close()
		c.s.forget(c)
	}()
	for {
		c.nc.SetReadDeadline(time.Now().Add(idleTimeout))
		m, err := c.r.Read()
		if err != nil {
			if errors.Is(err, wire.ErrMalformed) {
				// RFC 4511 section 4.1.1: say why, then end the session.
				c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
				c.w.Disconnect(wire.Result{Code: wire.ProtocolError, Message: "malformed LDAP message"})
				c.w.Flush()
			}
			return
		}
		c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
		more := c.handle(m)
		if err := c.w.Flush(); err != nil || !more {
			return
		}
	}
}

// handle answers one request; false ends the session.
func (c *conn) handle(m *wire.Message) bool {
	switch op := m.Op.(type) {
	case *wire.BindRequest:
		if oid, bad := critical(m.Controls); bad {
			c.w.Result(m.ID, wire.TagBindResponse, unavailableControl(oid))
			return true
		}
		c.w.Result(m.ID, wire.TagBindResponse, c.bind(op))
	case *wire.SearchRequest:
		c.search(m, op)
	case *wire.ExtendedRequest:
		if oid, bad := critical(m.Controls); bad {
			c.w.Extended(m.ID, unavailableControl(oid), "", nil)
			return true
		}
		switch op.Name {
		case wire.OIDStartTLS:
			return c.startTLS(m)
		case wire.OIDWhoAmI:
			c.whoAmI(m)
		default:
			// RFC 4511 section 4.12: an unknown request name gets
			// protocolError.
			c.w.Extended(m.ID, wire.Result{Code: wire.ProtocolError,
				Message: "unsupported extended operation; this directory answers bind, search, Who am I? and StartTLS"}, "", nil)
		}
	case *wire.UnbindRequest:
		return false
	case *wire.AbandonRequest:
		// Requests are answered in order: the one named is done already.
	case *wire.OtherRequest:
		msg := readOnlyMessage
		if op.Tag == wire.TagCompareRequest {
			msg = "compare is not supported: search with the assertion as filter"
		}
		// Each response tag follows its request's.
		c.w.Result(m.ID, op.Tag+1, wire.Result{Code: wire.UnwillingToPerform, Message: msg})
	}
	return true
}

const readOnlyMessage = "this directory is read-only: accounts and groups are managed in Pelote"

// critical returns the first control marked critical that this directory
// does not know; paged results are known to searches only, and checked
// there.
func critical(controls []wire.Control) (string, bool) {
	for _, ctl := range controls {
		if ctl.Critical {
			return ctl.OID, true
		}
	}
	return "", false
}

func unavailableControl(oid string) wire.Result {
	return wire.Result{Code: wire.UnavailableCriticalExtension, Message: "control " + oid + " is not supported"}
}

func (c *conn) bind(b *wire.BindRequest) wire.Result {
	// Whatever happens next, the connection is no longer bound as before.
	c.who = principal{}
	if b.Version != 3 {
		return wire.Result{Code: wire.ProtocolError, Message: "only LDAP version 3 is supported"}
	}
	if b.SASL {
		return wire.Result{Code: wire.AuthMethodNotSupported, Message: "only simple binds are supported"}
	}
	name, password := strings.TrimSpace(b.Name), string(b.Password)
	switch {
	case name == "" && password == "":
		return wire.Result{Code: wire.Success}
	case password == "":
		// RFC 4513 5.1.2: an unauthenticated bind never binds as anyone.
		return wire.Result{Code: wire.UnwillingToPerform, Message: "unauthenticated binds are refused: give a password"}
	}
	s := c.s
	if s.cfg.RequireTLS && !c.encrypted {
		// Refused before the password is looked at: it has crossed the
		// network in clear already, but is never accepted that way.
		return wire.Result{Code: wire.ConfidentialityRequired,
			Message: "this directory accepts passwords only over TLS: use StartTLS (ldap:// with -ZZ) or ldaps://"}
	}
	refused := wire.Result{Code: wire.InvalidCredentials}
	if c.addr != "" {
		if blocked, _ := s.byAddress.Blocked(c.addr); blocked {
			refused.Message = "too many failed binds from this address; try again later"
			return refused
		}
	}
	who, err := s.resolve(name)
	if err != nil {
		// Not a name anyone binds as: no account to count against, but
		// the address tried one.
		c.failedFromAddress()
		return refused
	}
	if blocked, _ := s.failures.Blocked(who.key); blocked {
		refused.Message = "too many failed binds; try again later"
		return refused
	}
	p, err := s.authenticate(context.Background(), who, password)
	switch {
	case errors.Is(err, errTOTPAccount):
		s.failures.Fail(who.key)
		c.failedFromAddress()
		refused.Message = "two-step verification is on for this account: bind with an app password"
	case errors.Is(err, errTOTPRequired):
		s.failures.Fail(who.key)
		c.failedFromAddress()
		refused.Message = totpRequiredMessage
	case err != nil:
		s.failures.Fail(who.key)
		if !errors.Is(err, errBadBind) {
			s.log.Error("ldap-bind", "err", err)
			return wire.Result{Code: wire.Unavailable, Message: "the directory cannot check passwords right now"}
		}
		c.failedFromAddress()
	default:
		s.failures.Reset(who.key)
		c.who = p
		return wire.Result{Code: wire.Success}
	}
	return refused
}

// failedFromAddress counts a failed bind against the client's address,
// unless it is an application's.
func (c *conn) failedFromAddress() {
	if c.addr != "" {
		c.s.byAddress.Fail(c.addr)
	}
}

// addressKey is the key a connection's failed binds count under; empty
// for the applications' addresses and for what is not an IP address.
func (s *Server) addressKey(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return ""
	}
	ip := ap.Addr().Unmap()
	for _, p := range s.cfg.Applications {
		if p.Contains(ip) {
			return ""
		}
	}
	return ratelimit.AddressKey(ip)
}

// whoAmI answers RFC 4532: the bound DN as "dn:DN", empty when anonymous.
func (c *conn) whoAmI(m *wire.Message) {
	authz := []byte{}
	if c.who.kind != anonymous {
		authz = []byte("dn:" + c.who.shown)
	}
	c.w.Extended(m.ID, wire.Result{Code: wire.Success}, "", authz)
}

// startTLS answers RFC 4511 section 4.14 and, on success, continues the
// session over TLS; false ends it.
func (c *conn) startTLS(m *wire.Message) bool {
	switch {
	case c.encrypted:
		c.w.Extended(m.ID, wire.Result{Code: wire.OperationsError, Message: "TLS is already on for this connection"}, wire.OIDStartTLS, nil)
		return true
	case c.s.cfg.TLS == nil:
		c.w.Extended(m.ID, wire.Result{Code: wire.Unavailable, Message: "StartTLS is not available on this listener"}, wire.OIDStartTLS, nil)
		return true
	case c.r.Buffered() > 0:
		// The client sent more before the handshake: bytes that would be
		// read as if they had come under TLS. Refuse, and end the session.
		c.w.Extended(m.ID, wire.Result{Code: wire.OperationsError, Message: "nothing may follow a StartTLS request before its answer"}, wire.OIDStartTLS, nil)
		return false
	}
	c.w.Extended(m.ID, wire.Result{Code: wire.Success}, wire.OIDStartTLS, nil)
	if err := c.w.Flush(); err != nil {
		return false
	}
	tc := tls.Server(c.nc, c.s.cfg.TLS)
	tc.SetDeadline(time.Now().Add(writeTimeout))
	if err := tc.Handshake(); err != nil {
		// The error would name the client's address: not logged.
		c.s.log.Info("ldap StartTLS handshake failed")
		return false
	}
	tc.SetDeadline(time.Time{})
	c.nc = tc
	c.r = wire.NewReader(bufio.NewReader(tc))
	c.w = wire.NewWriter(tc, writeBuffer)
	c.encrypted = true
	return true
}
