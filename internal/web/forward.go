package web

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"pelote/internal/identity"
)

// ForwardAuth protects applications with no login of their own behind a
// reverse proxy that asks Pelote first (Traefik ForwardAuth, nginx
// auth_request, Caddy forward_auth).
type ForwardAuth struct {
	// CookieDomain is the parent domain of Pelote and the applications
	// (e.g. example.org): the forward-auth cookie is sent to all of them.
	CookieDomain string
	// Rules maps an application's host name to the groups allowed in;
	// an empty list lets in every signed-in member. Other hosts: denied.
	Rules map[string][]string
}

// forwardCookie names the cookie that carries a session to the proxy. It
// is not the session cookie: it holds the session's id under a MAC, so an
// application that reads it can pass other forward-auth checks as the
// member (as with any such system) but cannot use Pelote's own pages.
func (s *Server) forwardCookie() string {
	if s.secure {
		return "__Secure-pelote_forward"
	}
	return "pelote_forward"
}

func (s *Server) forwardValue(session int64) string {
	body := "forward." + strconv.FormatInt(session, 10)
	return strconv.FormatInt(session, 10) + "." + s.mac(body)
}

func (s *Server) setForwardCookie(w http.ResponseWriter, session int64) {
	if s.opts.Forward == nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.forwardCookie(), Value: s.forwardValue(session), Domain: s.opts.Forward.CookieDomain,
		Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(s.ids.Sessions.Absolute.Seconds())})
}

func (s *Server) clearForwardCookie(w http.ResponseWriter) {
	if s.opts.Forward == nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.forwardCookie(), Value: "", Domain: s.opts.Forward.CookieDomain,
		Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// forwardSession returns the session the forward cookie names, if valid.
func (s *forwardArea) forwardSession(r *http.Request) (identity.Account, bool) {
	c, err := r.Cookie(s.forwardCookie())
	if err != nil {
		return identity.Account{}, false
	}
	idPart, _, ok := strings.Cut(c.Value, ".")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !ok || err != nil || !hmac.Equal([]byte(c.Value), []byte(s.forwardValue(id))) {
		return identity.Account{}, false
	}
	_, a, err := s.ids.SessionByID(r.Context(), id)
	if err != nil {
		return identity.Account{}, false
	}
	return a, true
}

// originalURL is what the browser asked the proxy for: nginx passes it in
// X-Original-URL (set in its configuration), Traefik and Caddy in
// X-Forwarded-Proto, -Host and -Uri.
func originalURL(r *http.Request) (*url.URL, error) {
	raw := r.Header.Get("X-Original-URL")
	if raw == "" {
		proto, host, uri := r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Host"), r.Header.Get("X-Forwarded-Uri")
		if proto == "" {
			proto = "https"
		}
		if host == "" {
			return nil, errors.New("neither X-Original-URL nor X-Forwarded-Host: is the proxy configured to send them?")
		}
		if uri == "" {
			uri = "/"
		}
		raw = proto + "://" + host + uri
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("original URL %q is not an absolute http(s) URL", raw)
	}
	return u, nil
}

// forwardRule returns the groups allowed on u's host, and whether the host
// has a rule at all.
func (s *Server) forwardRule(u *url.URL) ([]string, bool) {
	if s.opts.Forward == nil {
		return nil, false
	}
	groups, ok := s.opts.Forward.Rules[strings.ToLower(u.Hostname())]
	return groups, ok
}

// forwardAuth answers the proxy: 200 with Remote-* headers lets the
// request through; otherwise the proxy shows what it gets. nginx's
// auth_request only understands 2xx, 401 and 403, so with X-Original-URL
// a stranger gets 401 (the nginx configuration redirects it to the login);
// Traefik and Caddy pass a redirect to the login page on to the browser.
func (s *forwardArea) forwardAuth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	u, err := originalURL(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	groups, ok := s.forwardRule(u)
	if !ok {
		http.Error(w, "no forward-auth rule for "+u.Hostname(), http.StatusForbidden)
		return
	}
	a, ok := s.forwardSession(r)
	if !ok {
		if r.Header.Get("X-Original-URL") != "" {
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, s.letters.Link("/login?next="+url.QueryEscape(u.String())), http.StatusFound)
		return
	}
	if len(groups) > 0 && !slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(a.Groups, g) }) {
		s.log.Info("forward auth refused", "request_id", reqID(r), "host", u.Hostname(), "account_id", a.ID)
		http.Error(w, "your account may not use "+u.Hostname(), http.StatusForbidden)
		return
	}
	// A group's second-factor rule holds here as at OpenID sign-in: the
	// session may predate the rule, so it is checked at every request.
	totp, err := s.ids.TOTPStatus(r.Context(), a.ID)
	if err != nil {
		s.log.Error("forward auth", "request_id", reqID(r), "err", err)
		http.Error(w, "internal error; request id "+reqID(r), http.StatusInternalServerError)
		return
	}
	if totp.Required && !totp.Enabled {
		s.log.Info("forward auth refused: two-step verification required", "request_id", reqID(r), "account_id", a.ID)
		lang := s.lang(r, &visit{account: a})
		http.Error(w, s.cat.T(lang, "forward.totp_required", s.letters.Link("/account/totp")), http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("Remote-User", a.Username)
	h.Set("Remote-Groups", strings.Join(a.Groups, ","))
	h.Set("Remote-Email", a.Email)
	h.Set("Remote-Name", a.DisplayName)
	w.WriteHeader(http.StatusOK)
}

// forwardTarget accepts, as where to go after login, an absolute URL on a
// host that has a forward-auth rule; anything else is not ours to send
// people to.
func (s *Server) forwardTarget(next string) (string, bool) {
	if !strings.HasPrefix(next, "http://") && !strings.HasPrefix(next, "https://") || strings.ContainsAny(next, "\r\n\\") {
		return "", false
	}
	u, err := url.Parse(next)
	if err != nil || u.User != nil {
		return "", false
	}
	if _, ok := s.forwardRule(u); !ok {
		return "", false
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil && strings.Contains(u.Host, ":") {
		return "", false
	}
	return u.String(), true
}

// nextTarget is where a login goes: a local path, or a protected
// application.
func (s *Server) nextTarget(next string) string {
	if t, ok := s.forwardTarget(next); ok {
		return t
	}
	return localPath(next)
}

// forwardArea is /auth/forward, which reverse proxies ask.
type forwardArea struct {
	*Server
	ids forwardStore
}

// forwardStore is what forward-auth needs of a session.
type forwardStore interface {
	SessionByID(ctx context.Context, id int64) (identity.Session, identity.Account, error)
	TOTPStatus(ctx context.Context, accountID int64) (identity.TOTPStatus, error)
}

func (s *forwardArea) mount(m *mounter) {
	if s.opts.Forward != nil {
		m.public("/auth/forward", s.forwardAuth)
	}
}
