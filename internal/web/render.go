package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"pelote/internal/identity"
	"pelote/internal/pow"
	"pelote/internal/store"
)

// pageNames are the pages that must exist; New fails without one of them.
// Every other file in templates/ is a page too, named after its file.
var pageNames = []string{"login", "setup", "account", "admin_accounts", "admin_account", "admin_groups", "admin_group", "admin_services", "admin_approvals", "error"}

// pages are the site's templates, each page's built at its first render:
// a page is a copy of the layout and the shared pieces, and thirty such
// copies are tens of thousands of small objects that the collector would
// visit at every collection (one runs before each password hash) on a
// node whose members mostly use LDAP or a few pages.
type pages struct {
	fsys   fs.FS
	layout *template.Template
	byName map[string]*lazyPage
}

type lazyPage struct {
	once sync.Once
	t    *template.Template
	err  error
}

var funcs = template.FuncMap{
	"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"watts": watts,
}

// loadPages parses the layout and lists the pages. The templates are
// built into the binary and every page is rendered by the tests, so a
// page is parsed at its first render only: parsing them all at start
// would leave their garbage in the process's memory for minutes.
func loadPages(fsys fs.FS) (*pages, error) {
	// Files named _*.html hold pieces several pages share.
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("web: layout: %w", err)
	}
	p := &pages{fsys: fsys, layout: layout, byName: map[string]*lazyPage{}}
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	names := slices.Clone(pageNames)
	for _, f := range files {
		if n := strings.TrimSuffix(path.Base(f), ".html"); n != "layout" && !strings.HasPrefix(n, "_") && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		if _, err := fs.Stat(fsys, "templates/"+n+".html"); err != nil {
			return nil, fmt.Errorf("web: page %s: %w", n, err)
		}
		p.byName[n] = &lazyPage{}
	}
	return p, nil
}

func (p *pages) parse(name string) (*template.Template, error) {
	t, err := template.Must(p.layout.Clone()).ParseFS(p.fsys, "templates/"+name+".html")
	if err != nil {
		return nil, fmt.Errorf("web: page %s: %w", name, err)
	}
	return t, nil
}

// get returns the page called name, built at its first use.
func (p *pages) get(name string) (*template.Template, error) {
	lp, ok := p.byName[name]
	if !ok {
		return nil, fmt.Errorf("web: no page %q", name)
	}
	lp.once.Do(func() { lp.t, lp.err = p.parse(name) })
	return lp.t, lp.err
}

// page is what every view carries: language, who is signed in, messages.
type page struct {
	Lang      string
	Locales   []string
	Title     string
	Path      string
	Account   *identity.Account
	IsAdmin   bool
	Notice    string
	Errors    []string
	RequestID string
	Version   string
	// SignUpOpen shows the way to sign up to people not signed in.
	SignUpOpen bool
	// TermsURL links the hoster's terms of service, if any.
	TermsURL string
	// PoW is the anti-robot challenge of the page's form; the page then
	// loads the script that solves it.
	PoW *pow.Challenge
	// Menu is the areas' links for the person signed in.
	Menu []menuLink
	tr   func(key string, args ...any) string
	n    func(key string, n int, args ...any) string
}

// T translates a message key for the page's language.
func (p page) T(key string, args ...any) string { return p.tr(key, args...) }

// N translates a message that counts n things, in the plural form n
// takes in the page's language.
func (p page) N(key string, n int, args ...any) string { return p.n(key, n, args...) }

// LocaleName is a language's own name, for the language menu.
func (p page) LocaleName(l string) string { return p.tr("locale." + l) }

type view interface{ base() *page }

func (p *page) base() *page { return p }

// newPage fills the common part of a view for request r.
func (s *Server) newPage(r *http.Request, v *visit, titleKey string) page {
	if v == nil {
		v = visitFrom(r)
	}
	lang := s.lang(r, v)
	p := page{
		Lang: lang, Locales: s.cat.Locales(), Path: r.URL.Path, RequestID: reqID(r), Version: s.opts.Version,
		tr: func(key string, args ...any) string { return s.cat.T(lang, key, args...) },
		n:  func(key string, n int, args ...any) string { return s.cat.N(lang, key, n, args...) },
	}
	p.Title = p.tr(titleKey)
	p.SignUpOpen = s.opts.Registration.SignUpOpen()
	p.TermsURL = s.opts.TermsURL
	if v != nil {
		p.Account, p.IsAdmin = &v.account, v.admin
		p.Menu = s.menuFor(&p)
	}
	// Notices come back from POST-redirect-GET as ?ok=KEY; only known keys
	// are shown, so a link cannot put arbitrary text on the page.
	if ok := r.URL.Query().Get("ok"); ok != "" {
		if key, known := s.cat.Family("ok", ok); known {
			p.Notice = p.tr(key)
		}
	}
	return p
}

// lang picks the account's language, else the lang cookie, else the
// browser's preference.
func (s *Server) lang(r *http.Request, v *visit) string {
	if v != nil && s.cat.Has(v.account.Locale) {
		return v.account.Locale
	}
	if c, err := r.Cookie("pelote_lang"); err == nil && s.cat.Has(c.Value) {
		return c.Value
	}
	return s.cat.Match(r.Header.Get("Accept-Language"))
}

// render executes a page into a buffer first, so a template error never
// leaves half a page on the wire.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, err := s.pages.get(name)
	if err != nil {
		s.log.Error("page", "request_id", reqID(r), "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("render page", "request_id", reqID(r), "page", name, "err", err)
		http.Error(w, "internal error, request "+reqID(r), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", v.base().Lang)
	if v.base().PoW != nil {
		// The one script Pelote runs, from its own origin, on these pages only.
		h.Set("Content-Security-Policy", csp+"; script-src 'self'")
	}
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

type errorView struct {
	page
	Status int
}

// errorPage renders a whole page with one translated message.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	v := &errorView{page: s.newPage(r, nil, "error.title"), Status: status}
	v.Errors = []string{v.T(key, args...)}
	s.render(w, r, status, "error", v)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "err.page_not_found")
}

// dbError answers a request whose store call failed with the error page
// explain chooses.
func (s *Server) dbError(w http.ResponseWriter, r *http.Request, err error) {
	p := s.newPage(r, nil, "error.title")
	status := s.explain(r, &p, err, "err.internal")
	s.render(w, r, status, "error", &errorView{page: p, Status: status})
}

// explain turns an error into translated messages and a status. Unexpected
// errors are logged with the request id and shown only as "internal error".
// conflictKey names what a store.ErrConflict means on this form.
func (s *Server) explain(r *http.Request, p *page, err error, conflictKey string) int {
	var msgs []string
	status := http.StatusUnprocessableEntity
	for _, e := range flatten(err) {
		var inv *identity.InvalidError
		switch {
		case errors.As(e, &inv):
			key, known := s.cat.Family("err.invalid", inv.Field)
			if !known {
				key = "err.invalid"
			}
			msgs = append(msgs, p.T(key))
		case errors.Is(e, identity.ErrEmailTaken):
			msgs, status = append(msgs, p.T("err.email_taken")), http.StatusConflict
		case errors.Is(e, pow.ErrRefused):
			key := "pow.err.work"
			if errors.Is(e, pow.ErrExpired) {
				key = "pow.err.expired"
			} else if errors.Is(e, pow.ErrSpent) {
				key = "pow.err.spent"
			}
			msgs = append(msgs, p.T(key))
		case errors.Is(e, identity.ErrNotVerified):
			msgs, status = append(msgs, p.T("signup.err.not_verified")), http.StatusConflict
		case errors.Is(e, store.ErrConflict):
			msgs, status = append(msgs, p.T(conflictKey)), http.StatusConflict
		case errors.Is(e, store.ErrNotFound):
			msgs, status = append(msgs, p.T("err.not_found")), http.StatusNotFound
		case errors.Is(e, identity.ErrQuotaReached):
			msgs, status = append(msgs, p.T("err.quota")), http.StatusConflict
		case errors.Is(e, identity.ErrLastAdmin):
			msgs, status = append(msgs, p.T("err.last_admin")), http.StatusConflict
		case errors.Is(e, identity.ErrNoTOTP):
			msgs, status = append(msgs, p.T("totp.not_enabled")), http.StatusConflict
		case errors.Is(e, identity.ErrBadCredentials):
			msgs, status = append(msgs, p.T("err.bad_credentials")), http.StatusUnauthorized
		case store.IsInvalidText(e):
			msgs, status = append(msgs, p.T("err.invalid_text")), http.StatusBadRequest
		case errors.Is(e, store.ErrUnavailable) || s.db.Ping(r.Context()) != nil:
			// An unexpected error while the database does not answer is
			// the database's doing: say so, the person can retry later.
			s.log.Error("database unavailable", "request_id", reqID(r), "err", e)
			msgs, status = append(msgs, p.T("err.unavailable", reqID(r))), http.StatusServiceUnavailable
		default:
			s.log.Error("request failed", "request_id", reqID(r), "path", r.URL.Path, "err", e)
			msgs, status = append(msgs, p.T("err.internal", reqID(r))), http.StatusInternalServerError
		}
	}
	p.Errors = append(p.Errors, msgs...)
	return status
}

// flatten splits errors.Join results so each invalid field gets a message.
func flatten(err error) []error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// formValue returns a trimmed form field.
func formValue(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }

// formInt reads a numeric form field; anything else reads as 0, which
// names no row.
func formInt(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(formValue(r, name), 10, 64)
	return n
}

// parseForm reads the form and answers 413 or 400 itself when it cannot.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.errorPage(w, r, http.StatusRequestEntityTooLarge, "err.too_large")
		} else {
			s.errorPage(w, r, http.StatusBadRequest, "err.bad_form")
		}
		return false
	}
	return true
}
