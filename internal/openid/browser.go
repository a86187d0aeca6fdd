package openid

import (
	"context"
	"crypto/subtle"
	"net/http"
)

// An authorization request is bound to the browser that sent it: /authorize
// gives the browser a random value in a cookie (once; it is kept for later
// requests) and the request stores its hash. The login pages and the
// callback that hands out the code go on only for a browser that shows the
// value. Without it, whoever learnt a request's id could have it finished
// by someone else's session, or collect the code of someone else's sign-in.

// browserCookieLife is long enough for a browser to keep its value across
// sign-ins; the value grants nothing on its own.
const browserCookieLife = 400 * 24 * 60 * 60

func (p *Provider) browserCookie() string {
	if p.secure {
		return "__Host-pelote_oidc"
	}
	return "pelote_oidc"
}

// bindBrowser returns the request's context holding the browser's value,
// giving the browser one first if it has none.
func (p *Provider) bindBrowser(w http.ResponseWriter, r *http.Request) context.Context {
	value := ""
	if c, err := r.Cookie(p.browserCookie()); err == nil && len(c.Value) == 43 {
		value = c.Value
	} else {
		value = randomID(32)
		// SameSite=Lax: the browser sends it back on the pages that follow,
		// which are on this site; the application's own site never sees it.
		http.SetCookie(w, &http.Cookie{Name: p.browserCookie(), Value: value, Path: "/", MaxAge: browserCookieLife,
			HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode})
	}
	return withBrowser(r.Context(), value)
}

// BoundToBrowser reports whether r comes from the browser that started a.
func (p *Provider) BoundToBrowser(r *http.Request, a *AuthRequest) bool {
	c, err := r.Cookie(p.browserCookie())
	if err != nil || a.BrowserHash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashToken(c.Value)), []byte(a.BrowserHash)) == 1
}
