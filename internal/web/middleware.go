package web

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	visitKey
)

// requestID tags each request with a random id, echoed in X-Request-Id and
// in every log line and error page about it.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := rand.Text()[:12]
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func reqID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// recoverPanics turns a handler panic into a 500 page and a log line, so one
// bad request never takes the process down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in handler", "request_id", reqID(r), "panic", v, "stack", string(debug.Stack()))
				s.errorPage(w, r, http.StatusInternalServerError, "err.internal")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// csp forbids every script and every third-party resource: the pages are
// plain HTML with one stylesheet and inline images (QR codes) only.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body; reading past the cap fails, and the
// form handlers answer 413.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ping/") {
			// A job's log: the ping handler keeps its first 100 KB and
			// counts the rest, so that a long log is cut, not refused.
			next.ServeHTTP(w, r)
			return
		}
		limit := int64(maxBody)
		if r.URL.Path == alertmanagerPath {
			// An API with its own limit, which it answers in plain text.
			limit = maxAlertmanagerBody
		} else if r.ContentLength > limit {
			s.errorPage(w, r, http.StatusRequestEntityTooLarge, "err.too_large")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the address of the client: the peer, or, when the peer is a
// trusted proxy, the last address in X-Forwarded-For that is not a trusted
// proxy (the ones before it could be forged by the client).
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a
		}
		peer = a
	}
	return peer
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// chooseLanguage keeps a visitor's choice of language (?lang=fr on any
// page, from the footer's links) in a cookie, for the pages seen before
// an account is known.
func (s *Server) chooseLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := r.URL.Query().Get("lang"); r.Method == http.MethodGet && s.cat.Has(l) {
			http.SetCookie(w, &http.Cookie{Name: "pelote_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure})
			r.AddCookie(&http.Cookie{Name: "pelote_lang", Value: l})
		}
		next.ServeHTTP(w, r)
	})
}
