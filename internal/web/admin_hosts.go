package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"pelote/internal/access"
	"pelote/internal/identity"
	"pelote/internal/store"
)

// hostsArea is machine access: the hosts' API, the members' SSH keys and
// the administrators' page of hosts.
type hostsArea struct {
	*Server
	ids hostsIdentity
}

// hostsIdentity is what the host and SSH key pages need of identity.
type hostsIdentity interface {
	Account(ctx context.Context, username string) (identity.Account, error)
	Group(ctx context.Context, name string) (identity.Group, error)
	Groups(ctx context.Context) ([]identity.Group, error)
	VerifyOwnPassword(ctx context.Context, accountID int64, password string) error
}

func (s *hostsArea) mount(m *mounter) {
	if s.opts.Access == nil {
		return
	}
	m.entry(menuEntry{Order: 140, Path: "/admin/hosts", Key: "access.nav.hosts", Admin: true})
	m.public("GET /api/hosts/authorized-keys/{user}", s.authorizedKeys)
	m.member("POST /account/ssh-keys", s.accountAddKey)
	m.member("POST /account/ssh-keys/{id}/delete", s.accountDeleteKey)
	m.admin("GET /admin/hosts", s.adminHosts)
	m.admin("POST /admin/hosts", s.adminCreateHost)
	m.admin("POST /admin/hosts/{name}/grant", s.adminHostGrant)
	m.admin("POST /admin/hosts/{name}/revoke", s.adminHostRevoke)
	m.admin("POST /admin/hosts/{name}/delete", s.adminDeleteHost)
}

// Kinds of name a grant form sends, as `pelote access grant [--group]`.
const (
	kindAccount = "account"
	kindGroup   = "group"
)

// newHost is what the page shows once, right after a host is added.
type newHost struct {
	Name, Token string
	// Server is Pelote's URL for the host's sshd_config.
	Server string
}

type adminHostsView struct {
	page
	Hosts  []access.Host
	Groups []identity.Group
	// Form is the create form as sent, for a refused one to come back.
	Form struct{ Name, Group string }
	// Grant is a refused grant form, to come back under its host.
	Grant struct{ Host, Who, Kind string }
	// New is set only on the answer that created the host: the token is
	// never stored in clear and never shown again.
	New *newHost
}

func (s *hostsArea) hostsView(r *http.Request, v *visit) *adminHostsView {
	return &adminHostsView{page: s.newPage(r, v, "hosts.admin.hosts.title")}
}

func (s *hostsArea) adminHostsPage(w http.ResponseWriter, r *http.Request, view *adminHostsView, status int) {
	hosts, err := s.opts.Access.Hosts(r.Context())
	if err == nil {
		view.Groups, err = s.ids.Groups(r.Context())
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Hosts = hosts
	s.render(w, r, status, "admin_hosts", view)
}

func (s *hostsArea) adminHosts(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminHostsPage(w, r, s.hostsView(r, v), http.StatusOK)
}

// adminCreateHost adds a host and, as `pelote host add --group`, lets a
// group reach it. The answer is the only place its token ever appears.
func (s *hostsArea) adminCreateHost(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	view := s.hostsView(r, v)
	view.Form.Name, view.Form.Group = formValue(r, "name"), formValue(r, "group")
	// The group is checked before the host is added, so that a typo in it
	// adds no host.
	name, err := identity.NormalizeName("host", view.Form.Name)
	if err == nil {
		err = s.checkHostGroup(ctx, view.Form.Group)
	}
	if err != nil {
		s.adminHostsPage(w, r, view, s.explainHost(r, &view.page, err, "hosts.err.host_taken"))
		return
	}
	token, err := s.opts.Access.AddHost(ctx, name)
	if err != nil {
		s.adminHostsPage(w, r, view, s.explainHost(r, &view.page, err, "hosts.err.host_taken"))
		return
	}
	s.log.Info("host added", "request_id", reqID(r), "by", v.account.ID, "host", name)
	view.New = &newHost{Name: name, Token: token, Server: s.publicBase(r)}
	view.Notice = view.T("hosts.ok.host_created")
	if g := view.Form.Group; g != "" {
		if err := s.opts.Access.Grant(ctx, name, g, true); err != nil {
			// The host exists now: its token must still be shown.
			view.Errors = append(view.Errors, view.T("hosts.created_but"))
			s.explainHost(r, &view.page, err, "hosts.err.host_already_granted")
		} else {
			s.log.Info("host access granted", "request_id", reqID(r), "by", v.account.ID, "host", name, "group", g)
		}
	}
	view.Form.Name, view.Form.Group = "", ""
	s.adminHostsPage(w, r, view, http.StatusCreated)
}

// checkHostGroup refuses a create form's group that does not exist.
func (s *hostsArea) checkHostGroup(ctx context.Context, group string) error {
	if group == "" {
		return nil
	}
	n, err := identity.NormalizeName("group", group)
	if err != nil {
		return err
	}
	if _, err := s.ids.Group(ctx, n); errors.Is(err, store.ErrNotFound) {
		return &missingError{key: "hosts.err.host_no_group", name: n}
	} else if err != nil {
		return err
	}
	return nil
}

// missingError is an account or group a form names that does not exist:
// the page says which, where the store would only say "not found".
type missingError struct{ key, name string }

func (e *missingError) Error() string { return fmt.Sprintf("%s %q", e.key, e.name) }
func (e *missingError) Unwrap() error { return store.ErrNotFound }

// explainHost is explain, with a precise message for a missing name.
func (s *hostsArea) explainHost(r *http.Request, p *page, err error, conflictKey string) int {
	var miss *missingError
	if errors.As(err, &miss) {
		p.Errors = append(p.Errors, p.T(miss.key, miss.name))
		return http.StatusNotFound
	}
	return s.explain(r, p, err, conflictKey)
}

// grantee reads who a grant or revoke names. Without a kind, the name is
// an account if one has it, else a group, as `pelote access grant`.
func (s *hostsArea) grantee(ctx context.Context, r *http.Request) (who string, group bool, err error) {
	kind := formValue(r, "kind")
	if kind != "" && kind != kindAccount && kind != kindGroup {
		return "", false, &identity.InvalidError{Field: "host_kind", Reason: "choose account or group"}
	}
	who, err = identity.NormalizeName("host_who", formValue(r, "who"))
	if err != nil {
		return "", false, err
	}
	if kind != kindGroup {
		_, err := s.ids.Account(ctx, who)
		switch {
		case err == nil:
			return who, false, nil
		case !errors.Is(err, store.ErrNotFound):
			return "", false, err
		case kind == kindAccount:
			return "", false, &missingError{key: "hosts.err.host_no_account", name: who}
		}
	}
	if _, err := s.ids.Group(ctx, who); errors.Is(err, store.ErrNotFound) {
		key := "hosts.err.host_no_group"
		if kind == "" {
			key = "hosts.err.host_no_one"
		}
		return "", false, &missingError{key: key, name: who}
	} else if err != nil {
		return "", false, err
	}
	return who, true, nil
}

// adminHostDo runs one change to a host's access and answers as the other
// admin pages: back to the list with a notice, or the list with the error.
func (s *hostsArea) adminHostDo(w http.ResponseWriter, r *http.Request, v *visit, notice, conflictKey string, change func(host string) error) {
	if !s.parseForm(w, r) {
		return
	}
	host := strings.ToLower(r.PathValue("name"))
	if err := change(host); err != nil {
		view := s.hostsView(r, v)
		if notice == "host_granted" {
			view.Grant.Host, view.Grant.Who, view.Grant.Kind = host, formValue(r, "who"), formValue(r, "kind")
		}
		s.adminHostsPage(w, r, view, s.explainHost(r, &view.page, err, conflictKey))
		return
	}
	s.log.Info("host access changed", "request_id", reqID(r), "by", v.account.ID, "host", host, "change", notice)
	http.Redirect(w, r, "/admin/hosts?ok="+notice, http.StatusSeeOther)
}

func (s *hostsArea) adminHostGrant(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminHostDo(w, r, v, "host_granted", "hosts.err.host_already_granted", func(host string) error {
		who, group, err := s.grantee(r.Context(), r)
		if err != nil {
			return err
		}
		return s.opts.Access.Grant(r.Context(), host, who, group)
	})
}

func (s *hostsArea) adminHostRevoke(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminHostDo(w, r, v, "host_revoked", "", func(host string) error {
		who, group, err := s.grantee(r.Context(), r)
		if err != nil {
			return err
		}
		return s.opts.Access.Revoke(r.Context(), host, who, group)
	})
}

func (s *hostsArea) adminDeleteHost(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminHostDo(w, r, v, "host_deleted", "", func(host string) error {
		return s.opts.Access.RemoveHost(r.Context(), host)
	})
}

// publicBase is Pelote's URL as hosts should call it.
func (s *Server) publicBase(r *http.Request) string {
	if u := s.opts.PublicURL; u != nil && u.Host != "" {
		return strings.TrimRight(u.String(), "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host}).String()
}
