package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"pelote/internal/identity"
)

// visit is the signed-in person behind a request.
type visit struct {
	account identity.Account
	session identity.Session
	admin   bool
}

// visitFrom returns the visit signedIn put in the request context, if any,
// so that error pages keep the person's language and menu.
func visitFrom(r *http.Request) *visit {
	v, _ := r.Context().Value(visitKey).(*visit)
	return v
}

// currentVisit returns the visit of a valid session cookie, or nil.
func (s *Server) currentVisit(r *http.Request) (*visit, error) {
	c, err := r.Cookie(s.cookie)
	if err != nil {
		return nil, nil
	}
	ss, a, err := s.ids.SessionByToken(r.Context(), c.Value)
	if errors.Is(err, identity.ErrSessionInvalid) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &visit{account: a, session: ss, admin: slices.Contains(a.Groups, identity.AdminGroup)}, nil
}

// signedIn wraps a handler that needs a session (and admin rights when
// admin is true). Without a session, GET requests go to the login page and
// come back afterwards; others get 401.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, *visit), admin bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.currentVisit(r)
		if err != nil {
			s.dbError(w, r, err)
			return
		}
		if v == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.errorPage(w, r, http.StatusUnauthorized, "err.signed_out")
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), visitKey, v))
		if admin && !v.admin {
			s.errorPage(w, r, http.StatusForbidden, "err.not_admin")
			return
		}
		if admin {
			// An administrator whom a group requires to use two-step
			// verification administers nothing until enrolled; the
			// account pages stay open, to enrol.
			st, err := s.ids.TOTPStatus(r.Context(), v.account.ID)
			if err != nil {
				s.dbError(w, r, err)
				return
			}
			if st.Required && !st.Enabled {
				s.errorPage(w, r, http.StatusForbidden, "err.admin_needs_totp")
				return
			}
		}
		h(w, r, v)
	})
}

// setSession sets the session cookie. Under https it is Secure with the
// __Host- prefix, which also forbids a Domain attribute.
func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.ids.Sessions.Absolute.Seconds()),
	})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	s.clearForwardCookie(w)
}

// localPath accepts only a path on this site as a redirect target, never
// "//host" or a scheme: no open redirect through ?next=.
func localPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/account"
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" {
		return "/account"
	}
	return next
}

// clientName describes a browser coarsely ("Firefox on Linux") for the
// session list: enough to recognise a device, not enough to fingerprint it.
func clientName(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Firefox/", "Firefox"}, {"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}, {"BSD", "BSD"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " / " + system
	case browser != "":
		return browser
	default:
		return system
	}
}

func isBadCredentials(err error) bool { return errors.Is(err, identity.ErrBadCredentials) }
