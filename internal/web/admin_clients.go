package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"pelote/internal/identity"
	"pelote/internal/openid"
	"pelote/internal/store"
)

// clientsArea is the administrators' pages of OpenID clients.
type clientsArea struct {
	*Server
	ids clientChoiceStore
}

// clientChoiceStore is the services and groups a client form offers.
type clientChoiceStore interface {
	Group(ctx context.Context, name string) (identity.Group, error)
	Groups(ctx context.Context) ([]identity.Group, error)
	Service(ctx context.Context, name string) (identity.Service, error)
	Services(ctx context.Context) ([]identity.Service, error)
}

func (s *clientsArea) mount(m *mounter) {
	if s.opts.OIDC == nil {
		return
	}
	m.entry(menuEntry{Order: 130, Path: "/admin/clients", Key: "oidc.nav.clients", Admin: true})
	admin := m.admin
	admin("GET /admin/clients", s.adminClients)
	admin("POST /admin/clients", s.adminCreateClient)
	admin("GET /admin/clients/{id}", s.adminClient)
	admin("POST /admin/clients/{id}", s.adminUpdateClient)
	admin("POST /admin/clients/{id}/rotate-secret", s.adminRotateSecret)
	admin("POST /admin/clients/{id}/delete", s.adminDeleteClient)
}

func (s *clientsArea) clients() *openid.Store { return s.opts.OIDC.Store() }

// clientForm is the client as the admin typed it: lists stay text so a
// refused form comes back exactly as it was sent.
type clientForm struct {
	ID      string
	Service string // "" is the client's own service, as the CLI's default
	Public  bool
	// RedirectURIs and PostLogoutURIs hold one URI a line.
	RedirectURIs, PostLogoutURIs string
	Backchannel                  string
	Grants                       []string
	Scopes                       string
	SigningAlg, AccessTokenType  string
	RequirePKCE, FirstParty      bool
	Groups                       []string
}

// HasGrant and HasGroup tell the template which boxes to tick.
func (f clientForm) HasGrant(g string) bool  { return slices.Contains(f.Grants, g) }
func (f clientForm) HasGroup(g string) bool  { return slices.Contains(f.Groups, g) }
func (f clientForm) IsService(n string) bool { return f.Service == n }

// newClientForm holds the defaults of the create form, those of
// `pelote client add`.
func newClientForm() clientForm {
	return clientForm{Grants: []string{openid.GrantCode, openid.GrantRefresh}, SigningAlg: "RS256"}
}

func formOfClient(c openid.Client) clientForm {
	return clientForm{ID: c.ID, Service: c.Service, Public: c.Public,
		RedirectURIs: strings.Join(c.RedirectURIs, "\n"), PostLogoutURIs: strings.Join(c.PostLogoutURIs, "\n"),
		Backchannel: c.BackchannelLogoutURI, Grants: c.GrantTypes, Scopes: strings.Join(c.ExtraScopes, " "),
		SigningAlg: c.SigningAlg, AccessTokenType: c.AccessTokenType, RequirePKCE: c.RequirePKCE,
		FirstParty: c.FirstParty, Groups: c.Groups}
}

func readClientForm(r *http.Request) clientForm {
	return clientForm{ID: formValue(r, "client_id"), Service: formValue(r, "service"), Public: r.PostFormValue("public") != "",
		RedirectURIs: formValue(r, "redirect_uris"), PostLogoutURIs: formValue(r, "post_logout_uris"),
		Backchannel: formValue(r, "backchannel_logout_uri"), Grants: r.PostForm["grant_types"], Scopes: formValue(r, "scopes"),
		SigningAlg: formValue(r, "signing_alg"), AccessTokenType: formValue(r, "access_token_type"),
		RequirePKCE: r.PostFormValue("require_pkce") != "", FirstParty: r.PostFormValue("first_party") != "",
		Groups: r.PostForm["groups"]}
}

// client turns the form into what the store validates; URIs and scopes
// may be separated by any space (a pasted list, Windows line ends) and
// scopes by commas too.
func (f clientForm) client() openid.Client {
	return openid.Client{ID: f.ID, Service: f.Service, Public: f.Public,
		RedirectURIs: strings.Fields(f.RedirectURIs), PostLogoutURIs: strings.Fields(f.PostLogoutURIs),
		BackchannelLogoutURI: f.Backchannel, GrantTypes: f.Grants,
		ExtraScopes: strings.FieldsFunc(f.Scopes, isScopeSeparator), SigningAlg: f.SigningAlg,
		AccessTokenType: f.AccessTokenType, RequirePKCE: f.RequirePKCE, FirstParty: f.FirstParty, Groups: f.Groups}
}

func isScopeSeparator(r rune) bool { return r == ',' || unicode.IsSpace(r) }

// clientChoices are the lists the forms offer.
type clientChoices struct {
	Services   []identity.Service
	Groups     []identity.Group
	Algorithms []string
}

func (s *clientsArea) loadChoices(ctx context.Context, c *clientChoices) error {
	var err error
	c.Algorithms = openid.Algorithms
	if c.Services, err = s.ids.Services(ctx); err != nil {
		return err
	}
	c.Groups, err = s.ids.Groups(ctx)
	return err
}

// checkChoices refuses a service or group that is not (any more) in the
// lists: the store would answer "not found", which reads as if the client
// itself were missing.
func (s *clientsArea) checkChoices(ctx context.Context, f clientForm) error {
	var errs []error
	if f.Service != "" {
		if _, err := s.ids.Service(ctx, f.Service); errors.Is(err, store.ErrNotFound) {
			errs = append(errs, &identity.InvalidError{Field: "client_service", Reason: fmt.Sprintf("%q is not a service", f.Service)})
		} else if err != nil {
			return err
		}
	}
	for _, g := range f.Groups {
		if _, err := s.ids.Group(ctx, g); errors.Is(err, store.ErrNotFound) {
			errs = append(errs, &identity.InvalidError{Field: "client_groups", Reason: fmt.Sprintf("%q is not a group", g)})
			break
		} else if err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// explainClient is explain for the client forms. The store's reasons name
// the value refused (a URI, a scope) in quotes; showing it tells the admin
// which of several lines to fix, which the per-field message cannot.
func (s *clientsArea) explainClient(r *http.Request, p *page, err error) int {
	status := s.explain(r, p, err, "clients.err.client_taken")
	var inv *identity.InvalidError
	if errors.As(err, &inv) {
		if q, qerr := strconv.QuotedPrefix(inv.Reason); qerr == nil {
			v, _ := strconv.Unquote(q)
			p.Errors = append(p.Errors, p.T("clients.err.client_value", v))
		}
	}
	return status
}

type adminClientsView struct {
	page
	clientChoices
	Clients []openid.Client
	Form    clientForm
}

func (s *clientsArea) adminClientsPage(w http.ResponseWriter, r *http.Request, view *adminClientsView, status int) {
	var err error
	view.Clients, err = s.clients().Clients(r.Context())
	if err == nil {
		err = s.loadChoices(r.Context(), &view.clientChoices)
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	s.render(w, r, status, "admin_clients", view)
}

func (s *clientsArea) adminClients(w http.ResponseWriter, r *http.Request, v *visit) {
	view := &adminClientsView{page: s.newPage(r, v, "clients.admin.clients.title"), Form: newClientForm()}
	s.adminClientsPage(w, r, view, http.StatusOK)
}

func (s *clientsArea) adminCreateClient(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	view := &adminClientsView{page: s.newPage(r, v, "clients.admin.clients.title"), Form: readClientForm(r)}
	c, secret, err := s.createClient(r.Context(), view.Form)
	if err != nil {
		s.adminClientsPage(w, r, view, s.explainClient(r, &view.page, err))
		return
	}
	s.log.Info("client created", "request_id", reqID(r), "by", v.account.ID, "client", c.ID)
	// The secret exists only in this response: rendered here, never put in
	// a redirect URL, where it would stay in history and logs.
	cv := &adminClientView{page: s.newPage(r, v, "clients.admin.client.title"), Client: c, Secret: secret, Created: true, Form: formOfClient(c)}
	cv.Notice = cv.T("clients.ok.client_created")
	s.adminClientPage(w, r, cv, http.StatusCreated)
}

// createClient creates the client and, when no service was chosen, the
// client's own service named after it, as `pelote client add` does.
func (s *clientsArea) createClient(ctx context.Context, f clientForm) (openid.Client, string, error) {
	if err := s.checkChoices(ctx, f); err != nil {
		return openid.Client{}, "", err
	}
	return s.clients().CreateClientWithService(ctx, f.client())
}

type adminClientView struct {
	page
	clientChoices
	Client openid.Client
	// Secret is set only on the response that created or rotated it.
	Secret string
	// Created marks the response to the creation, which says what a
	// public client needs instead of a secret.
	Created bool
	Issuer  string
	Form    clientForm
}

// adminClientPage shows view.Client, loaded by the caller, with its edit
// form (view.Form: the stored values, or those a refused form sent).
func (s *clientsArea) adminClientPage(w http.ResponseWriter, r *http.Request, view *adminClientView, status int) {
	if err := s.loadChoices(r.Context(), &view.clientChoices); err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Title = view.T("clients.title_of", view.Client.ID)
	// What the application is configured with; the store knows the exact
	// issuer when serve set it, the public URL is the same value otherwise.
	view.Issuer = s.clients().Issuer
	if view.Issuer == "" && s.opts.PublicURL != nil {
		view.Issuer = strings.TrimRight(s.opts.PublicURL.String(), "/")
	}
	s.render(w, r, status, "admin_client", view)
}

// loadClient fetches the client named in the path, or answers 404 (or the
// database's error) itself.
func (s *clientsArea) loadClient(w http.ResponseWriter, r *http.Request) (openid.Client, bool) {
	c, err := s.clients().Client(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.errorPage(w, r, http.StatusNotFound, "clients.err.client_unknown")
		return c, false
	case err != nil:
		s.dbError(w, r, err)
		return c, false
	}
	return c, true
}

func (s *clientsArea) adminClient(w http.ResponseWriter, r *http.Request, v *visit) {
	c, ok := s.loadClient(w, r)
	if !ok {
		return
	}
	view := &adminClientView{page: s.newPage(r, v, "clients.admin.client.title"), Client: c, Form: formOfClient(c)}
	s.adminClientPage(w, r, view, http.StatusOK)
}

func (s *clientsArea) adminUpdateClient(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	old, ok := s.loadClient(w, r)
	if !ok {
		return
	}
	f := readClientForm(r)
	// Neither the id nor the kind can change: the store keys the update on
	// both, and a public client turned confidential would have no secret.
	f.ID, f.Public = old.ID, old.Public
	err := s.checkChoices(r.Context(), f)
	if err == nil {
		_, err = s.clients().UpdateClient(r.Context(), f.client())
	}
	if err != nil {
		view := &adminClientView{page: s.newPage(r, v, "clients.admin.client.title"), Client: old, Form: f}
		s.adminClientPage(w, r, view, s.explainClient(r, &view.page, err))
		return
	}
	s.log.Info("client updated", "request_id", reqID(r), "by", v.account.ID, "client", old.ID)
	http.Redirect(w, r, "/admin/clients/"+url.PathEscape(old.ID)+"?ok=client_saved", http.StatusSeeOther)
}

func (s *clientsArea) adminRotateSecret(w http.ResponseWriter, r *http.Request, v *visit) {
	c, ok := s.loadClient(w, r)
	if !ok {
		return
	}
	view := &adminClientView{page: s.newPage(r, v, "clients.admin.client.title"), Client: c, Form: formOfClient(c)}
	if c.Public {
		view.Errors = append(view.Errors, view.T("clients.err.client_public"))
		s.adminClientPage(w, r, view, http.StatusConflict)
		return
	}
	secret, err := s.clients().RotateSecret(r.Context(), c.ID)
	if err != nil {
		s.adminClientPage(w, r, view, s.explain(r, &view.page, err, "err.internal"))
		return
	}
	s.log.Info("client secret rotated", "request_id", reqID(r), "by", v.account.ID, "client", c.ID)
	view.Secret, view.Notice = secret, view.T("clients.ok.secret_rotated")
	s.adminClientPage(w, r, view, http.StatusOK)
}

func (s *clientsArea) adminDeleteClient(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	err := s.clients().DeleteClient(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.errorPage(w, r, http.StatusNotFound, "clients.err.client_unknown")
		return
	case err != nil:
		s.dbError(w, r, err)
		return
	}
	s.log.Info("client deleted", "request_id", reqID(r), "by", v.account.ID, "client", id)
	http.Redirect(w, r, "/admin/clients?ok=client_deleted", http.StatusSeeOther)
}
