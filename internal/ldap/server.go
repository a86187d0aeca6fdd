package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
	"github.com/hashicorp/go-hclog"
	"github.com/jimlambrt/gldap"

	"pelote/internal/dn"
	"pelote/internal/identity"
	"pelote/internal/ratelimit"
)

// MaxMessage bounds one LDAP message: requests here are a few hundred
// bytes, and the BER reader would otherwise allocate what a length claims.
const MaxMessage = 256 << 10

func init() {
	// The BER reader's limit is global to the process; both gldap and the
	// go-ldap client (tests, tools) read through it.
	ber.MaxPacketLengthBytes = MaxMessage
}

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
	gs       *gldap.Server

	mu sync.Mutex
	// who is each connection's bound identity; absent means anonymous.
	who map[int]principal
	// encrypted holds the connections that completed StartTLS.
	encrypted map[int]bool
}

type principalKind int

const (
	anonymous principalKind = iota
	member                  // an account: reads itself
	service                 // a service account: reads people and groups
)

type principal struct {
	kind principalKind
	dn   string // normalised
}

// NewServer prepares the server; Serve starts it.
func NewServer(cfg Config, dir *Directory, accounts Accounts, binds *BindUsers, log *slog.Logger) (*Server, error) {
	if cfg.SizeLimit <= 0 {
		cfg.SizeLimit = 1000
	}
	if cfg.BindFailures <= 0 {
		cfg.BindFailures, cfg.BindWindow = 10, 15*time.Minute
	}
	s := &Server{cfg: cfg, dir: dir, accounts: accounts, binds: binds, log: log, who: map[int]principal{}, encrypted: map[int]bool{}}
	s.failures = cfg.Limits.Failures("ldap-bind", cfg.BindFailures, cfg.BindWindow, time.Now)
	gs, err := gldap.NewServer(
		gldap.WithLogger(hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Off})),
		gldap.WithReadTimeout(5*time.Minute),
		gldap.WithWriteTimeout(30*time.Second),
		gldap.WithOnClose(s.forget),
	)
	if err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	mux, err := gldap.NewMux()
	if err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	for _, err := range []error{
		mux.Bind(s.bind),
		mux.Search(s.search),
		mux.ExtendedOperation(s.whoAmI, gldap.ExtendedOperationWhoAmI),
		mux.ExtendedOperation(s.startTLS, gldap.ExtendedOperationStartTLS),
		mux.Add(s.readOnly(gldap.ApplicationAddResponse)),
		mux.Modify(s.readOnly(gldap.ApplicationModifyResponse)),
		mux.Delete(s.readOnly(gldap.ApplicationDelResponse)),
		mux.DefaultRoute(s.refuse),
	} {
		if err != nil {
			return nil, fmt.Errorf("ldap: %w", err)
		}
	}
	if err := gs.Router(mux); err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	s.gs = gs
	return s, nil
}

// Serve listens on addr until Stop.
func (s *Server) Serve(addr string) error {
	var opts []gldap.Option
	if s.cfg.LDAPS {
		opts = append(opts, gldap.WithTLSConfig(s.cfg.TLS))
	}
	return s.gs.Run(addr, opts...)
}

// Ready reports whether the listener is up.
func (s *Server) Ready() bool { return s.gs.Ready() }

// Stop closes the listener and the connections.
func (s *Server) Stop() error { return s.gs.Stop() }

func (s *Server) forget(conn int) {
	s.mu.Lock()
	delete(s.who, conn)
	delete(s.encrypted, conn)
	s.mu.Unlock()
}

// isEncrypted tells whether conn is under TLS: every LDAPS connection,
// or one that completed StartTLS.
func (s *Server) isEncrypted(conn int) bool {
	if s.cfg.LDAPS {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.encrypted[conn]
}

func (s *Server) principal(conn int) principal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.who[conn]
}

func (s *Server) setPrincipal(conn int, p principal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.kind == anonymous {
		delete(s.who, conn)
		return
	}
	s.who[conn] = p
}

const readOnlyMessage = "this directory is read-only: accounts and groups are managed in Pelote"

// readOnly answers a write with the response type its request expects.
func (s *Server) readOnly(application int) gldap.HandlerFunc {
	return func(w *gldap.ResponseWriter, r *gldap.Request) {
		_ = w.Write(r.NewResponse(gldap.WithApplicationCode(application),
			gldap.WithResponseCode(gldap.ResultUnwillingToPerform), gldap.WithDiagnosticMessage(readOnlyMessage)))
	}
}

// refuse answers the operations this directory does not know, such as
// extended operations other than Who am I? and StartTLS.
func (s *Server) refuse(w *gldap.ResponseWriter, r *gldap.Request) {
	_ = w.Write(r.NewExtendedResponse(gldap.WithResponseCode(gldap.ResultUnwillingToPerform),
		gldap.WithDiagnosticMessage("unsupported operation; this directory answers bind, search, Who am I? and StartTLS")))
}

func (s *Server) bind(w *gldap.ResponseWriter, r *gldap.Request) {
	res := r.NewBindResponse(gldap.WithResponseCode(gldap.ResultInvalidCredentials))
	defer func() { _ = w.Write(res) }()
	// Whatever happens next, the connection is no longer bound as before.
	s.setPrincipal(r.ConnectionID(), principal{})
	m, err := r.GetSimpleBindMessage()
	if err != nil {
		res.SetResultCode(gldap.ResultAuthMethodNotSupported)
		res.SetDiagnosticMessage("only simple binds are supported")
		return
	}
	name, password := strings.TrimSpace(m.UserName), string(m.Password)
	switch {
	case name == "" && password == "":
		res.SetResultCode(gldap.ResultSuccess)
		return
	case password == "":
		// RFC 4513 5.1.2: an unauthenticated bind never binds as anyone.
		res.SetResultCode(gldap.ResultUnwillingToPerform)
		res.SetDiagnosticMessage("unauthenticated binds are refused: give a password")
		return
	}
	if s.cfg.RequireTLS && !s.isEncrypted(r.ConnectionID()) {
		// Refused before the password is looked at: it has crossed the
		// network in clear already, but is never accepted that way.
		res.SetResultCode(gldap.ResultConfidentialityRequired)
		res.SetDiagnosticMessage("this directory accepts passwords only over TLS: use StartTLS (ldap:// with -ZZ) or ldaps://")
		return
	}
	who, err := s.resolve(name)
	if err != nil {
		// Not a name anyone binds as: nothing to count against.
		return
	}
	if blocked, _ := s.failures.Blocked(who.key); blocked {
		res.SetDiagnosticMessage("too many failed binds; try again later")
		return
	}
	p, err := s.authenticate(context.Background(), who, password)
	switch {
	case errors.Is(err, errTOTPAccount):
		res.SetDiagnosticMessage("two-step verification is on for this account: bind with an app password")
		s.failures.Fail(who.key)
	case errors.Is(err, errTOTPRequired):
		res.SetDiagnosticMessage(totpRequiredMessage)
		s.failures.Fail(who.key)
	case err != nil:
		s.failures.Fail(who.key)
		if !errors.Is(err, errBadBind) {
			s.log.Error("ldap-bind", "err", err)
			res.SetResultCode(gldap.ResultUnavailable)
			res.SetDiagnosticMessage("the directory cannot check passwords right now")
		}
	default:
		s.failures.Reset(who.key)
		s.setPrincipal(r.ConnectionID(), p)
		res.SetResultCode(gldap.ResultSuccess)
	}
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
	// the profile entry the bind named.
	dn string
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
		owner, ok := s.dir.Current().ProfileOwner(d)
		if !ok {
			return bindTarget{}, errBadBind
		}
		return bindTarget{kind: member, name: owner, dn: d, key: "account:" + owner}, nil
	}
	switch parent {
	case t.People:
		return bindTarget{kind: member, name: value, dn: normDN(t.PersonDN(value)), key: "account:" + value}, nil
	case t.Services:
		return bindTarget{kind: service, name: value, dn: dn.Of(parsed.RDNs), key: "service:" + value}, nil
	}
	return bindTarget{}, errBadBind
}

// authenticate checks the password of a resolved bind name.
func (s *Server) authenticate(ctx context.Context, who bindTarget, password string) (principal, error) {
	if who.kind == service {
		if err := s.binds.Authenticate(ctx, who.name, password); err != nil {
			return principal{}, err
		}
		return principal{kind: service, dn: who.dn}, nil
	}
	if err := s.authenticateAccount(ctx, who.name, password); err != nil {
		return principal{}, err
	}
	return principal{kind: member, dn: who.dn}, nil
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

// whoAmI answers RFC 4532. gldap's extended response carries no value, so
// the answer is the result code only: success for a bound connection.
func (s *Server) whoAmI(w *gldap.ResponseWriter, r *gldap.Request) {
	res := r.NewExtendedResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	if p := s.principal(r.ConnectionID()); p.kind != anonymous {
		res.SetDiagnosticMessage("dn:" + p.dn)
	}
	_ = w.Write(res)
}

func (s *Server) startTLS(w *gldap.ResponseWriter, r *gldap.Request) {
	res := r.NewExtendedResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	res.SetResponseName(gldap.ExtendedOperationStartTLS)
	if s.cfg.TLS == nil || s.cfg.LDAPS {
		res.SetResultCode(gldap.ResultUnavailable)
		res.SetDiagnosticMessage("StartTLS is not available on this listener")
		_ = w.Write(res)
		return
	}
	if err := w.Write(res); err != nil {
		return
	}
	if err := r.StartTLS(s.cfg.TLS); err != nil {
		s.log.Info("ldap StartTLS handshake failed", "err", err)
		return
	}
	s.mu.Lock()
	s.encrypted[r.ConnectionID()] = true
	s.mu.Unlock()
}
