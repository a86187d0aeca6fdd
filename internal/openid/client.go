package openid

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"pelote/internal/identity"
	"pelote/internal/store"
)

// Grant types a client may be given.
const (
	GrantCode              = "authorization_code"
	GrantRefresh           = "refresh_token"
	GrantClientCredentials = "client_credentials"
)

// Signing algorithms a client may ask for; RS256 is the spec's default.
var Algorithms = []string{"RS256", "ES256", "EdDSA"}

// Client is a relying party. It belongs to a service: the profiles it sees
// are the account's profiles of that service.
type Client struct {
	ID                   string
	Service              string
	Public               bool
	RedirectURIs         []string
	PostLogoutURIs       []string
	BackchannelLogoutURI string
	GrantTypes           []string
	ExtraScopes          []string
	SigningAlg           string
	// AccessTokenType is "opaque" (checked against the database, revocable
	// at once) or "jwt" (verifiable offline by a resource server).
	AccessTokenType string
	RequirePKCE     bool
	// FirstParty clients skip the consent page: the hoster's own services.
	FirstParty bool
	// Groups, when not empty, limits sign-in to members of these groups.
	Groups    []string
	CreatedAt time.Time

	secretHash string
}

// Machine reports whether the client only acts for itself.
func (c Client) Machine() bool {
	return len(c.GrantTypes) == 1 && c.GrantTypes[0] == GrantClientCredentials
}

var clientIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

func (c *Client) normalize() error {
	c.ID = strings.ToLower(strings.TrimSpace(c.ID))
	if !clientIDPattern.MatchString(c.ID) {
		return &identity.InvalidError{Field: "client", Reason: "must be 2 to 64 lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit"}
	}
	if c.Service == "" {
		return &identity.InvalidError{Field: "service", Reason: "a client belongs to a service (its profile namespace)"}
	}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{GrantCode, GrantRefresh}
	}
	for _, g := range c.GrantTypes {
		if g != GrantCode && g != GrantRefresh && g != GrantClientCredentials {
			return &identity.InvalidError{Field: "grant_types", Reason: fmt.Sprintf("%q is not authorization_code, refresh_token or client_credentials", g)}
		}
	}
	if c.Public && slices.Contains(c.GrantTypes, GrantClientCredentials) {
		return &identity.InvalidError{Field: "grant_types", Reason: "a public client has no secret, so it cannot use client_credentials"}
	}
	if c.Public {
		c.RequirePKCE = true
	}
	if c.SigningAlg == "" {
		c.SigningAlg = "RS256"
	}
	if !slices.Contains(Algorithms, c.SigningAlg) {
		return &identity.InvalidError{Field: "signing_alg", Reason: "must be RS256, ES256 or EdDSA"}
	}
	if c.AccessTokenType == "" {
		c.AccessTokenType = "opaque"
		if c.Machine() {
			c.AccessTokenType = "jwt"
		}
	}
	if c.AccessTokenType != "opaque" && c.AccessTokenType != "jwt" {
		return &identity.InvalidError{Field: "access_token_type", Reason: "must be opaque or jwt"}
	}
	if slices.Contains(c.GrantTypes, GrantCode) && len(c.RedirectURIs) == 0 {
		return &identity.InvalidError{Field: "redirect_uri", Reason: "a client signing people in needs at least one redirect URI"}
	}
	for _, u := range c.RedirectURIs {
		if err := checkRedirectURI("redirect_uri", u, c.Public); err != nil {
			return err
		}
	}
	for _, u := range c.PostLogoutURIs {
		if err := checkRedirectURI("post_logout_redirect_uri", u, c.Public); err != nil {
			return err
		}
	}
	if u := c.BackchannelLogoutURI; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.Fragment != "" {
			return &identity.InvalidError{Field: "backchannel_logout_uri", Reason: "must be an absolute http(s) URL without fragment"}
		}
	}
	for _, sc := range c.ExtraScopes {
		if sc == "" || strings.ContainsAny(sc, " \t\n\"\\") {
			return &identity.InvalidError{Field: "scopes", Reason: fmt.Sprintf("%q is not a scope name", sc)}
		}
	}
	return nil
}

// checkRedirectURI accepts absolute URLs without fragment or credentials:
// https anywhere, http too (plain-http applications on a LAN exist; the
// library still refuses http for browser clients), and for public (native)
// clients a private-use scheme such as org.example.app:/callback.
func checkRedirectURI(field, raw string, public bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme == "":
		return &identity.InvalidError{Field: field, Reason: fmt.Sprintf("%q is not an absolute URL", raw)}
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return &identity.InvalidError{Field: field, Reason: fmt.Sprintf("%q has a fragment, which a redirect URI must not have (RFC 6749, 3.1.2)", raw)}
	case u.User != nil:
		return &identity.InvalidError{Field: field, Reason: fmt.Sprintf("%q carries credentials", raw)}
	case u.Scheme == "http" || u.Scheme == "https":
		if u.Host == "" {
			return &identity.InvalidError{Field: field, Reason: fmt.Sprintf("%q has no host", raw)}
		}
	case !public:
		return &identity.InvalidError{Field: field, Reason: fmt.Sprintf("%q: only public (native) clients may use a custom scheme", raw)}
	case !strings.Contains(u.Scheme, "."):
		// RFC 8252 7.1: a private-use scheme is a reversed domain name the
		// application's authors control. This also keeps out javascript:,
		// data:, file: and the like, which browsers would act upon.
		return &identity.InvalidError{Field: field, Reason: fmt.Sprintf("%q: a custom scheme must be a reversed domain name, such as org.example.app:/callback", raw)}
	}
	return nil
}

// secretHash keys the hash with the master secret: a leaked database does
// not even allow checking guesses offline.
func (s *Store) secretHash(clientID, secret string) string {
	return s.keys.MAC("client secret", []byte(clientID+"\x00"+secret))
}

// CreateClient registers c and, for a confidential client, returns its
// secret: shown once, stored hashed.
func (s *Store) CreateClient(ctx context.Context, c Client) (Client, string, error) {
	return s.createClient(ctx, c, false)
}

// CreateClientWithService creates a client as CreateClient does and, when
// it names no service, gives it its own, named after it (see
// identity.Store.EnsureService), in the same transaction: a client refused
// leaves no service behind. The administrators' page and `pelote client
// add` both call it.
func (s *Store) CreateClientWithService(ctx context.Context, c Client) (Client, string, error) {
	own := c.Service == ""
	if own {
		c.Service = strings.ToLower(strings.TrimSpace(c.ID))
	}
	return s.createClient(ctx, c, own)
}

func (s *Store) createClient(ctx context.Context, c Client, own bool) (Client, string, error) {
	if err := c.normalize(); err != nil {
		return Client{}, "", err
	}
	var secret string
	if !c.Public {
		secret = randomID(32)
		c.secretHash = s.secretHash(c.ID, secret)
	}
	c.CreatedAt = s.now()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if own {
			if err := s.ids.EnsureService(ctx, tx, c.Service); err != nil {
				return err
			}
		} else if _, err := s.ids.Service(ctx, c.Service); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("service %q: %w", c.Service, store.ErrNotFound)
			}
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO oidc_clients (id, service, secret_hash, public, redirect_uris, post_logout_uris,
			backchannel_logout_uri, grant_types, extra_scopes, signing_alg, access_token_type, require_pkce, first_party, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Service, c.secretHash, b2i(c.Public), joinLines(c.RedirectURIs), joinLines(c.PostLogoutURIs),
			c.BackchannelLogoutURI, joinLines(c.GrantTypes), joinLines(c.ExtraScopes), c.SigningAlg, c.AccessTokenType,
			b2i(c.RequirePKCE), b2i(c.FirstParty), c.CreatedAt.Unix())
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("client %q: %w", c.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		return setClientGroups(ctx, tx, c.ID, c.Groups)
	})
	if err != nil {
		return Client{}, "", err
	}
	return c, secret, nil
}

func setClientGroups(ctx context.Context, tx *store.Tx, clientID string, groups []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM oidc_client_groups WHERE client_id = ?`, clientID); err != nil {
		return err
	}
	for _, g := range groups {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM account_groups WHERE name = ?`, g).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("group %q: %w", g, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO oidc_client_groups (client_id, group_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, clientID, id); err != nil {
			return err
		}
	}
	return nil
}

// UpdateClient replaces a client's settings (not its secret).
func (s *Store) UpdateClient(ctx context.Context, c Client) (Client, error) {
	if err := c.normalize(); err != nil {
		return Client{}, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE oidc_clients SET service = ?, redirect_uris = ?, post_logout_uris = ?, backchannel_logout_uri = ?,
			grant_types = ?, extra_scopes = ?, signing_alg = ?, access_token_type = ?, require_pkce = ?, first_party = ?
			WHERE id = ? AND public = ?`,
			c.Service, joinLines(c.RedirectURIs), joinLines(c.PostLogoutURIs), c.BackchannelLogoutURI, joinLines(c.GrantTypes),
			joinLines(c.ExtraScopes), c.SigningAlg, c.AccessTokenType, b2i(c.RequirePKCE), b2i(c.FirstParty), c.ID, b2i(c.Public))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("client %q (public=%v): %w", c.ID, c.Public, store.ErrNotFound)
		}
		return setClientGroups(ctx, tx, c.ID, c.Groups)
	})
	if err != nil {
		return Client{}, err
	}
	return s.Client(ctx, c.ID)
}

const clientColumns = `id, service, secret_hash, public, redirect_uris, post_logout_uris, backchannel_logout_uri,
	grant_types, extra_scopes, signing_alg, access_token_type, require_pkce, first_party, created_at`

func scanClient(row interface{ Scan(...any) error }) (Client, error) {
	var c Client
	var public, pkce, first int
	var redirects, postLogout, grants, scopes string
	var created int64
	err := row.Scan(&c.ID, &c.Service, &c.secretHash, &public, &redirects, &postLogout, &c.BackchannelLogoutURI,
		&grants, &scopes, &c.SigningAlg, &c.AccessTokenType, &pkce, &first, &created)
	c.Public, c.RequirePKCE, c.FirstParty = public == 1, pkce == 1, first == 1
	c.RedirectURIs, c.PostLogoutURIs, c.GrantTypes, c.ExtraScopes = splitLines(redirects), splitLines(postLogout), splitLines(grants), splitLines(scopes)
	c.CreatedAt = unix(created)
	return c, err
}

// Client returns one client with its groups.
func (s *Store) Client(ctx context.Context, id string) (Client, error) {
	c, err := scanClient(s.db.QueryRow(ctx, `SELECT `+clientColumns+` FROM oidc_clients WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Client{}, fmt.Errorf("client %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return Client{}, err
	}
	c.Groups, err = s.clientGroups(ctx, id)
	return c, err
}

func (s *Store) clientGroups(ctx context.Context, id string) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT g.name FROM oidc_client_groups cg JOIN account_groups g ON g.id = cg.group_id
		WHERE cg.client_id = ? ORDER BY g.name`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Clients lists every client, by id.
func (s *Store) Clients(ctx context.Context) ([]Client, error) {
	rows, err := s.db.Query(ctx, `SELECT `+clientColumns+` FROM oidc_clients ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var out []Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Groups, err = s.clientGroups(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteClient removes a client with its grants and tokens.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	res, err := s.db.Exec(ctx, `DELETE FROM oidc_clients WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("client %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// RotateSecret gives a confidential client a new secret; the old one stops
// working at once.
func (s *Store) RotateSecret(ctx context.Context, id string) (string, error) {
	secret := randomID(32)
	res, err := s.db.Exec(ctx, `UPDATE oidc_clients SET secret_hash = ? WHERE id = ? AND public = 0`, s.secretHash(id, secret), id)
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", fmt.Errorf("confidential client %q: %w", id, store.ErrNotFound)
	}
	return secret, nil
}

// errBadClient is what an unknown client and a wrong secret both get:
// the caller learns nothing about which it was.
var errBadClient = errors.New("unknown client or wrong secret")

// authenticate checks a confidential client's secret in constant time.
func (s *Store) authenticate(ctx context.Context, id, secret string) (Client, error) {
	c, err := s.clientFor(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Client{}, errBadClient
	}
	if err != nil {
		return Client{}, err
	}
	if c.Public || secret == "" || subtle.ConstantTimeCompare([]byte(c.secretHash), []byte(s.secretHash(id, secret))) != 1 {
		return Client{}, errBadClient
	}
	return c, nil
}
