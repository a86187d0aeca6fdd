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
	"github.com/hashicorp/go-hclog"
	"github.com/jimlambrt/gldap"

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
	// SizeLimit caps the entries of one search (a client may ask fewer).
	SizeLimit int
	// BindFailures bound wrong passwords per bind name per BindWindow.
	BindFailures int
	BindWindow   time.Duration
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
	s := &Server{cfg: cfg, dir: dir, accounts: accounts, binds: binds, log: log, who: map[int]principal{}}
	s.failures = ratelimit.NewFailures(cfg.BindFailures, cfg.BindWindow, time.Now)
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
	s.mu.Unlock()
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
	dn := normDN(name)
	key := "ldap:" + dn
	if blocked, _ := s.failures.Blocked(key); blocked {
		res.SetDiagnosticMessage("too many failed binds; try again later")
		return
	}
	p, err := s.authenticate(r, dn, password)
	switch {
	case errors.Is(err, errTOTPAccount):
		res.SetDiagnosticMessage("two-step verification is on for this account: bind with an app password")
		s.failures.Fail(key)
	case err != nil:
		s.failures.Fail(key)
		if !errors.Is(err, errBadBind) {
			s.log.Error("ldap bind", "err", err)
			res.SetResultCode(gldap.ResultUnavailable)
			res.SetDiagnosticMessage("the directory cannot check passwords right now")
		}
	default:
		s.failures.Reset(key)
		s.setPrincipal(r.ConnectionID(), p)
		res.SetResultCode(gldap.ResultSuccess)
	}
}

var errTOTPAccount = errors.New("account has two-step verification")

// authenticate checks a bind DN and password: an account under ou=people,
// or a service account under ou=services.
func (s *Server) authenticate(r *gldap.Request, dn, password string) (principal, error) {
	ctx := context.Background()
	t := s.cfg.Tree
	rdn, parent, _ := strings.Cut(dn, ",")
	attr, value, _ := strings.Cut(rdn, "=")
	if attr != "uid" || value == "" {
		return principal{}, errBadBind
	}
	if _, ok := t.profiles[parent]; ok {
		// A profile binds with its account's credentials.
		owner, ok := s.dir.Current().ProfileOwner(dn)
		if !ok {
			return principal{}, errBadBind
		}
		p, err := s.authenticateAccount(ctx, owner, password)
		p.dn = dn
		return p, err
	}
	switch parent {
	case t.People:
		return s.authenticateAccount(ctx, value, password)
	case t.Services:
		if err := s.binds.Authenticate(ctx, value, password); err != nil {
			return principal{}, err
		}
		return principal{kind: service, dn: dn}, nil
	}
	return principal{}, errBadBind
}

// authenticateAccount checks an account's app password, or its password
// when it has no second factor; the principal's DN is its person entry.
func (s *Server) authenticateAccount(ctx context.Context, value, password string) (principal, error) {
	dn := normDN(s.cfg.Tree.PersonDN(value))
	// An app password first: it is a fast check, and it is the way in for
	// accounts with two-step verification.
	_, err := s.accounts.AuthenticateAppPassword(ctx, value, password)
	switch {
	case err == nil:
		return principal{kind: member, dn: dn}, nil
	case refusedAccount(err):
		if !errors.Is(err, identity.ErrBadCredentials) {
			return principal{}, errBadBind
		}
	default:
		return principal{}, err
	}
	a, err := s.accounts.Authenticate(ctx, value, password)
	switch {
	case refusedAccount(err):
		return principal{}, errBadBind
	case err != nil:
		return principal{}, err
	}
	st, err := s.accounts.TOTPStatus(ctx, a.ID)
	if err != nil {
		return principal{}, err
	}
	if st.Enabled {
		// LDAP cannot ask for a code: such accounts bind with an app
		// password.
		return principal{}, errTOTPAccount
	}
	return principal{kind: member, dn: dn}, nil
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
	}
}
