package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"pelote/internal/dn"
	"pelote/internal/identity"
	"pelote/internal/ldap/wire"
	"pelote/internal/ratelimit"
)

// MaxMessage bounds one LDAP message (package wire).
const MaxMessage = wire.MaxMessage

// Config is what the server needs from the configuration.
type Config struct {
	Tree Tree
	// AllowAnonymous lets unauthenticated clients read people and groups.
	AllowAnonymous bool
	// TLS serves StartTLS, and LDAPS when LDAPS is set.
	TLS   *tls.Config
	LDAPS bool
	// RequireTLS refuses binds with a password on a connection that is not
	// encrypted, so that a password never crosses the network in clear.
	RequireTLS bool
	// SizeLimit caps the entries of one search (a client may ask fewer).
	SizeLimit int
	// BindFailures bound wrong passwords per account or service account
	// per BindWindow.
	BindFailures int
	BindWindow   time.Duration
	// BindFailuresPerAddress bound failed binds per client address per
	// BindWindow, whichever names they try, so that one password tried
	// against every account is stopped as on the sign-in page.
	// Applications are the addresses of applications that bind on their
	// users' behalf (Nextcloud, a mail server): each carries every user's
	// mistakes, and a stranger failing through it would shut everyone
	// out, so their binds count per account only.
	BindFailuresPerAddress int
	Applications           []netip.Prefix
	// Limits counts them with the other nodes sharing the database; nil
	// counts on this node alone.
	Limits *ratelimit.Limits
}

// Accounts is what binds need of identity.
type Accounts interface {
	Authenticate(ctx context.Context, username, password string) (identity.Account, error)
	AuthenticateAppPassword(ctx context.Context, username, secret string) (identity.Account, error)
	TOTPStatus(ctx context.Context, accountID int64) (identity.TOTPStatus, error)
}

// Server answers LDAP requests from the directory's snapshot.
type Server struct {
	cfg      Config
	dir      *Directory
	accounts Accounts
	binds    *BindUsers
	log      *slog.Logger
	failures *ratelimit.Failures
	// byAddress counts failed binds per client address (AddressKey).
	byAddress *ratelimit.Failures
	root      *Entry // the root DSE

	ready atomic.Bool
	mu    sync.Mutex
	ln    net.Listener
	conns map[*conn]struct{}
	done  bool
}

type principalKind int

const (
	anonymous principalKind = iota
	member                  // an account: reads itself
	service                 // a service account: reads people and groups
)

type principal struct {
	kind principalKind
	dn   string // canonical, for the access rule
	// shown is the DN as the directory spells it, for Who am I?.
	shown string
}

// NewServer prepares the server; Serve starts it.
func NewServer(cfg Config, dir *Directory, accounts Accounts, binds *BindUsers, log *slog.Logger) (*Server, error) {
	if cfg.SizeLimit <= 0 {
		cfg.SizeLimit = 1000
	}
	if cfg.BindFailures <= 0 {
		cfg.BindFailures, cfg.BindWindow = 10, 15*time.Minute
	}
	if cfg.BindFailuresPerAddress <= 0 {
		cfg.BindFailuresPerAddress = 50
	}
	if cfg.LDAPS && cfg.TLS == nil {
		return nil, errors.New("ldap: LDAPS needs a certificate")
	}
	s := &Server{cfg: cfg, dir: dir, accounts: accounts, binds: binds, log: log, conns: map[*conn]struct{}{}}
	s.failures = cfg.Limits.Failures("ldap-bind", cfg.BindFailures, cfg.BindWindow, time.Now)
	s.byAddress = cfg.Limits.Failures("ldap-bind-address", cfg.BindFailuresPerAddress, cfg.BindWindow, time.Now)
	s.root = entryFromMap("", map[string][]string{
		"objectclass":          {"top"},
		"namingcontexts":       {cfg.Tree.Base},
		"supportedldapversion": {"3"},
		"supportedcontrol":     {wire.OIDPagedResults},
		"supportedextension":   {wire.OIDWhoAmI, wire.OIDStartTLS},
		"vendorname":           {"Pelote"},
	})
	return s, nil
}

// Serve listens on addr and answers until Stop.
func (s *Server) Serve(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ldap: %w", err)
	}
	if s.cfg.LDAPS {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.ln = ln
	s.mu.Unlock()
	s.ready.Store(true)
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of file descriptors and the like: wait a little and go
			// on, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("ldap accept", "err", err)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := newConn(s, nc)
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		go c.serve()
	}
}

// Ready reports whether the listener is up.
func (s *Server) Ready() bool { return s.ready.Load() }

// Stop closes the listener and the connections.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.conns {
		c.raw.Close()
	}
	return err
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

var (
	errTOTPAccount  = errors.New("account has two-step verification")
	errTOTPRequired = errors.New("a group of the account requires two-step verification")
)

const totpRequiredMessage = "a group of this account requires two-step verification: turn it on in your account, then bind with an app password"

// bindTarget is what a bind name resolves to: an account (directly or
// through one of its profiles) or a service account.
type bindTarget struct {
	kind principalKind
	// name is the account's username or the service account's name.
	name string
	// dn is the principal's canonical DN once bound: the person entry, or
	// the profile entry the bind named; shown is how the directory spells
	// it.
	dn, shown string
	// key is what failures count against: the account, so that every
	// spelling of its DN and every profile share one counter.
	key string
}

// resolve reads a bind name: uid=NAME under ou=people, ou=services or a
// profile subtree, where NAME is exactly a valid name (escaped spaces or
// other characters a name cannot hold are refused, not trimmed away).
func (s *Server) resolve(name string) (bindTarget, error) {
	parsed, err := goldap.ParseDN(name)
	if err != nil || len(parsed.RDNs) < 2 || len(parsed.RDNs[0].Attributes) != 1 {
		return bindTarget{}, errBadBind
	}
	rdn := parsed.RDNs[0].Attributes[0]
	if !strings.EqualFold(rdn.Type, "uid") {
		return bindTarget{}, errBadBind
	}
	value, err := identity.NormalizeName("uid", rdn.Value)
	if err != nil || value != strings.ToLower(rdn.Value) {
		return bindTarget{}, errBadBind
	}
	t := s.cfg.Tree
	parent := dn.Of(parsed.RDNs[1:])
	if _, ok := t.profiles[parent]; ok {
		// A profile binds with its account's credentials, and its failures
		// are its account's.
		d := dn.Of(parsed.RDNs)
		snap := s.dir.Current()
		owner, ok := snap.ProfileOwner(d)
		e := snap.entry(d)
		if !ok || e == nil {
			return bindTarget{}, errBadBind
		}
		return bindTarget{kind: member, name: owner, dn: d, shown: e.DN, key: "account:" + owner}, nil
	}
	switch parent {
	case t.People:
		shown := t.PersonDN(value)
		return bindTarget{kind: member, name: value, dn: normDN(shown), shown: shown, key: "account:" + value}, nil
	case t.Services:
		return bindTarget{kind: service, name: value, dn: dn.Of(parsed.RDNs), shown: "uid=" + escapeRDN(value) + ",ou=services," + t.Base, key: "service:" + value}, nil
	}
	return bindTarget{}, errBadBind
}

// authenticate checks the password of a resolved bind name.
func (s *Server) authenticate(ctx context.Context, who bindTarget, password string) (principal, error) {
	if who.kind == service {
		if err := s.binds.Authenticate(ctx, who.name, password); err != nil {
			return principal{}, err
		}
		return principal{kind: service, dn: who.dn, shown: who.shown}, nil
	}
	if err := s.authenticateAccount(ctx, who.name, password); err != nil {
		return principal{}, err
	}
	return principal{kind: member, dn: who.dn, shown: who.shown}, nil
}

// authenticateAccount checks an account's app password, or its password
// when it has no second factor. A member whom a group requires to use
// two-step verification and who has not turned it on binds with neither:
// the group's rule is that no application is reached on a password alone,
// and an app password made before enrolling is no better.
func (s *Server) authenticateAccount(ctx context.Context, username, password string) error {
	// An app password first: it is a fast check, and it is the way in for
	// accounts with two-step verification.
	a, err := s.accounts.AuthenticateAppPassword(ctx, username, password)
	switch {
	case err == nil:
		st, err := s.accounts.TOTPStatus(ctx, a.ID)
		if err != nil {
			return err
		}
		if st.Required && !st.Enabled {
			return errTOTPRequired
		}
		return nil
	case refusedAccount(err):
		if !errors.Is(err, identity.ErrBadCredentials) {
			return errBadBind
		}
	default:
		return err
	}
	a, err = s.accounts.Authenticate(ctx, username, password)
	switch {
	case refusedAccount(err):
		return errBadBind
	case err != nil:
		return err
	}
	st, err := s.accounts.TOTPStatus(ctx, a.ID)
	if err != nil {
		return err
	}
	switch {
	case st.Enabled:
		// LDAP cannot ask for a code: such accounts bind with an app
		// password.
		return errTOTPAccount
	case st.Required:
		return errTOTPRequired
	}
	return nil
}

// refusedAccount tells the errors that mean "not this account" from those
// that mean the database failed.
func refusedAccount(err error) bool {
	return errors.Is(err, identity.ErrBadCredentials) || errors.Is(err, identity.ErrDisabled) || errors.Is(err, identity.ErrPending)
}
