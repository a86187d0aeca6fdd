package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"pelote/internal/identity"
	"pelote/internal/openid"
	"pelote/internal/ratelimit"
	"pelote/internal/store"
)

// The login pages of the OpenID provider: op sends the browser to
// /oidc/login?id=REQUEST; each step below either shows a page or moves on,
// and the last one hands the request back to op for the code.

type oidcView struct {
	page
	ID       string
	Client   openid.Client
	Profiles []identity.Profile
	Chosen   int64
	Scopes   []string
	Profile  string
	CanAdd   bool
}

// oidcArea is the OpenID provider's endpoints, the sign-in steps of an
// application (profile, consent, logout) and the member's page of the
// applications they signed in to.
type oidcArea struct {
	*Server
	ids oidcProfiles
}

// oidcProfiles is the profiles an application's sign-in offers.
type oidcProfiles interface {
	AddProfile(ctx context.Context, username, service, name string, admin identity.ByAdmin) (identity.Profile, error)
	Profile(ctx context.Context, id int64) (identity.Profile, error)
	Profiles(ctx context.Context, q identity.ProfileQuery) ([]identity.Profile, error)
	Service(ctx context.Context, name string) (identity.Service, error)
}

func (s *oidcArea) mount(m *mounter) {
	if s.opts.OIDC == nil {
		return
	}
	m.entry(menuEntry{Order: 20, Path: "/account/apps", Key: "oidc.nav.apps"})
	s.opts.OIDC.Register(m.mux)
	m.public("GET /authorize", s.authorize)
	m.public("POST /authorize", s.authorize)
	m.public("GET "+openid.LoginPath, s.oidcLogin)
	m.public("POST /oidc/profile", s.oidcProfile)
	m.public("POST /oidc/consent", s.oidcConsent)
	m.public("GET "+openid.LogoutPath, s.oidcLogoutForm)
	m.public("POST "+openid.LogoutPath, s.oidcLogout)
	m.member("GET /account/apps", s.accountApps)
	m.member("POST /account/apps/{client}/revoke", s.accountRevokeApp)
}

// authorizePerSecond bounds the authorization requests one client address
// may start: anyone may start one, and each is stored until it expires.
// People start a few a minute; applications that sign in silently
// (prompt=none) a few more.
const authorizePerSecond = 2

// authorize hands a new authorization request to the provider unless its
// client address has started too many.
func (s *oidcArea) authorize(w http.ResponseWriter, r *http.Request) {
	if ok, wait := s.authorizations.Allow(ratelimit.AddressKey(s.clientAddr(r))); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.errorPage(w, r, http.StatusTooManyRequests, "oidc.err.too_many_requests")
		return
	}
	s.opts.OIDC.ServeHTTP(w, r)
}

// oidcRequest loads the request named by ?id= (or the id form field) and
// its client; a request that is gone gets a page saying so, never a
// redirect: its redirect URI cannot be trusted any more.
func (s *oidcArea) oidcRequest(w http.ResponseWriter, r *http.Request) (*openid.AuthRequest, openid.Client, bool) {
	id := r.URL.Query().Get("id")
	if r.Method == http.MethodPost {
		id = r.PostFormValue("id")
	}
	st := s.opts.OIDC.Store()
	a, err := st.Request(r.Context(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.errorPage(w, r, http.StatusBadRequest, "oidc.err.request_gone")
		} else {
			s.dbError(w, r, err)
		}
		return nil, openid.Client{}, false
	}
	if !s.opts.OIDC.BoundToBrowser(r, a) {
		// Someone else's request: finishing it here would sign this
		// browser's person in for them (see openid/browser.go).
		s.log.Info("oidc request from another browser", "request_id", reqID(r), "client", a.ClientID)
		s.errorPage(w, r, http.StatusForbidden, "oidc.err.other_browser")
		return nil, openid.Client{}, false
	}
	c, err := st.Client(r.Context(), a.ClientID)
	if err != nil {
		s.dbError(w, r, err)
		return nil, openid.Client{}, false
	}
	// Forms on these pages may end, through redirects, at the client.
	allowFormTarget(w, a.RedirectURI)
	return a, c, true
}

// allowFormTarget widens the page's form-action to the origin of uri:
// browsers apply form-action to the redirects that follow a form, and the
// last redirect of a sign-in goes to the application.
func allowFormTarget(w http.ResponseWriter, uri string) {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return
	}
	origin := u.Scheme + "://" + u.Host
	w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+origin, 1))
}

// oidcLogin walks the steps: sign-in, second factor (in the login form),
// access, profile, consent; then hands back to op. With prompt=none, every
// step that would need the person answers the application instead (OIDC
// Core 3.1.2.1): no page is ever shown.
func (s *oidcArea) oidcLogin(w http.ResponseWriter, r *http.Request) {
	a, c, ok := s.oidcRequest(w, r)
	if !ok {
		return
	}
	v, err := s.currentVisit(r)
	if err != nil {
		s.dbError(w, r, err)
		return
	}
	silent := a.Has("none")
	st := s.opts.OIDC.Store()
	ctx := r.Context()
	hinted, err := s.hintedProfile(ctx, a, v)
	if err != nil {
		s.dbError(w, r, err)
		return
	}
	next := openid.LoginPath + "?id=" + url.QueryEscape(a.ID)
	if v == nil || needsFreshLogin(a, v.session, s.now()) || hinted < 0 {
		if silent {
			s.opts.OIDC.Refuse(w, r, a, openid.ErrLoginRequired())
			return
		}
		lv := &loginView{page: s.newPage(r, nil, "login.title"), Next: next, Client: c.ID}
		switch {
		case hinted < 0:
			// The application expects another account: sign in afresh.
			lv.Notice = lv.T("oidc.login.other_account")
		case v != nil:
			lv.Username = v.account.Username
		case a.LoginHint != "":
			lv.Username = a.LoginHint
		}
		s.render(w, r, http.StatusOK, "login", lv)
		return
	}
	r = r.WithContext(context.WithValue(ctx, visitKey, v))

	totp, err := st.Admit(ctx, c, v.account)
	switch {
	case errors.Is(err, openid.ErrTOTPNotEnrolled):
		// Two-step verification required by a group but not set up yet.
		if silent {
			s.opts.OIDC.Refuse(w, r, a, openid.ErrInteractionRequired())
			return
		}
		s.errorPage(w, r, http.StatusForbidden, "oidc.err.totp_required")
		return
	case errors.Is(err, openid.ErrNotInClientGroups):
		s.log.Info("oidc access denied by group", "request_id", reqID(r), "client", c.ID, "account_id", v.account.ID)
		if silent {
			s.opts.OIDC.Refuse(w, r, a, openid.ErrAccessDenied())
			return
		}
		ov := &oidcView{page: s.newPage(r, v, "oidc.denied.title"), Client: c}
		s.render(w, r, http.StatusForbidden, "oidc_denied", ov)
		return
	case err != nil:
		s.dbError(w, r, err)
		return
	}

	// The profile step.
	profiles, err := s.ids.Profiles(ctx, identity.ProfileQuery{Account: v.account.Username, Service: c.Service})
	if err != nil {
		s.dbError(w, r, err)
		return
	}
	active := slices.DeleteFunc(profiles, func(p identity.Profile) bool { return p.State != identity.ProfileActive })
	remembered, err := st.Remembered(ctx, v.account.ID, c.ID)
	if err != nil {
		s.dbError(w, r, err)
		return
	}
	profile := chooseProfile(a, v.account.ID, active, remembered, hinted)
	if profile == nil {
		if silent {
			s.opts.OIDC.Refuse(w, r, a, openid.ErrAccountSelection())
			return
		}
		s.showProfiles(w, r, v, a, c, active, remembered.ProfileID, http.StatusOK, nil)
		return
	}

	// Consent, unless first-party or already given by this account, on
	// this request or before for these scopes.
	if !c.FirstParty && a.ConsentedBy != v.account.ID && (a.Has("consent") || !remembered.Covers(a.Scopes)) {
		if silent {
			s.opts.OIDC.Refuse(w, r, a, openid.ErrConsentRequired())
			return
		}
		ov := &oidcView{page: s.newPage(r, v, "oidc.consent.title"), ID: a.ID, Client: c, Scopes: a.Scopes, Profile: profile.Name}
		s.render(w, r, http.StatusOK, "oidc_consent", ov)
		return
	}

	amr := []string{"pwd"}
	if totp.Enabled {
		amr = append(amr, "otp", "mfa")
	}
	err = st.Complete(ctx, a.ID, openid.Completion{
		AccountID: v.account.ID, ProfileID: profile.ID, SessionID: v.session.ID, AuthTime: v.session.CreatedAt, AMR: amr,
	})
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, r, http.StatusBadRequest, "oidc.err.request_gone")
		return
	}
	if err != nil {
		s.dbError(w, r, err)
		return
	}
	s.log.Info("oidc sign-in", "request_id", reqID(r), "client", c.ID, "account_id", v.account.ID)
	http.Redirect(w, r, openid.CallbackPath(a.ID), http.StatusSeeOther)
}

// hintedProfile reads the request's id_token_hint: the profile it names
// when it is one of the signed-in account's, -1 when it names someone else
// (or nobody known), 0 without a hint or without a session.
func (s *oidcArea) hintedProfile(ctx context.Context, a *openid.AuthRequest, v *visit) (int64, error) {
	if a.HintSubject == "" || v == nil {
		return 0, nil
	}
	id, err := s.opts.OIDC.Store().ProfileOfSubject(ctx, a.HintSubject)
	if errors.Is(err, store.ErrNotFound) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	p, err := s.ids.Profile(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Account != v.account.Username) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	return id, nil
}

// needsFreshLogin applies prompt=login and max_age to the current session.
func needsFreshLogin(a *openid.AuthRequest, sess identity.Session, now time.Time) bool {
	if a.Has("login") && sess.CreatedAt.Before(a.CreatedAt) {
		return true
	}
	return a.MaxAge != nil && now.Sub(sess.CreatedAt) > time.Duration(*a.MaxAge)*time.Second && sess.CreatedAt.Before(a.CreatedAt)
}

// chooseProfile picks the profile without asking when it can: the one
// picked on this request, the one an id_token_hint names, the only one, or
// the one remembered for the client (unless prompt=select_account).
func chooseProfile(a *openid.AuthRequest, account int64, active []identity.Profile, remembered openid.Consent, hinted int64) *identity.Profile {
	find := func(id int64) *identity.Profile {
		for i := range active {
			if active[i].ID == id {
				return &active[i]
			}
		}
		return nil
	}
	if a.AccountID == account && a.ProfileID != 0 {
		if p := find(a.ProfileID); p != nil {
			return p
		}
	}
	if a.Has("select_account") {
		return nil
	}
	if hinted > 0 {
		// The application names the profile it signed in before.
		if p := find(hinted); p != nil {
			return p
		}
	}
	if len(active) == 1 {
		return &active[0]
	}
	return find(remembered.ProfileID)
}

func (s *oidcArea) showProfiles(w http.ResponseWriter, r *http.Request, v *visit, a *openid.AuthRequest, c openid.Client, active []identity.Profile, chosen int64, status int, errs []string) {
	ov := &oidcView{page: s.newPage(r, v, "oidc.profile.title"), ID: a.ID, Client: c, Profiles: active, Chosen: chosen}
	if sv, err := s.ids.Service(r.Context(), c.Service); err == nil {
		ov.CanAdd = sv.ProfileQuota > 0 && (len(active) < sv.ProfileQuota || sv.ExtraProfiles == identity.ApproveExtra)
	}
	ov.Errors = errs
	s.render(w, r, status, "oidc_profile", ov)
}

// oidcStep is what a step posted during a sign-in (profile, consent)
// needs: its form, the request it belongs to (bound to this browser) and
// the person signed in; without a session, the person goes back to the
// sign-in of the request.
func (s *oidcArea) oidcStep(w http.ResponseWriter, r *http.Request) (*openid.AuthRequest, openid.Client, *visit, bool) {
	if !s.parseForm(w, r) {
		return nil, openid.Client{}, nil, false
	}
	a, c, ok := s.oidcRequest(w, r)
	if !ok {
		return nil, openid.Client{}, nil, false
	}
	v, err := s.currentVisit(r)
	if err != nil || v == nil {
		http.Redirect(w, r, openid.LoginPath+"?id="+url.QueryEscape(a.ID), http.StatusSeeOther)
		return nil, openid.Client{}, nil, false
	}
	return a, c, v, true
}

// oidcProfile takes the choice of a profile, or the name of a new one.
func (s *oidcArea) oidcProfile(w http.ResponseWriter, r *http.Request) {
	a, c, v, ok := s.oidcStep(w, r)
	if !ok {
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), visitKey, v))
	ctx := r.Context()
	st := s.opts.OIDC.Store()
	var chosen identity.Profile
	var err error
	if name := formValue(r, "new_profile"); name != "" {
		chosen, err = s.ids.AddProfile(ctx, v.account.Username, c.Service, name, identity.ByAdmin(false))
		if err == nil && chosen.State != identity.ProfileActive {
			s.errorPage(w, r, http.StatusAccepted, "oidc.profile.pending")
			return
		}
	} else {
		chosen, err = s.ids.Profile(ctx, formInt(r, "profile"))
		if errors.Is(err, store.ErrNotFound) || (err == nil && (chosen.Account != v.account.Username || chosen.Service != c.Service || chosen.State != identity.ProfileActive)) {
			err = &identity.InvalidError{Field: "profile", Reason: "choose one of your profiles for this service"}
		}
	}
	if err == nil {
		err = st.ChooseProfile(ctx, a.ID, v.account.ID, chosen.ID)
	}
	if err == nil {
		err = st.RememberProfile(ctx, v.account.ID, c.ID, chosen.ID)
	}
	if err != nil {
		profiles, perr := s.ids.Profiles(ctx, identity.ProfileQuery{Account: v.account.Username, Service: c.Service, State: identity.ProfileActive})
		if perr != nil {
			s.dbError(w, r, perr)
			return
		}
		p := s.newPage(r, v, "oidc.profile.title")
		status := s.explain(r, &p, err, "err.profile_taken")
		s.showProfiles(w, r, v, a, c, profiles, 0, status, p.Errors)
		return
	}
	http.Redirect(w, r, openid.LoginPath+"?id="+url.QueryEscape(a.ID), http.StatusSeeOther)
}

// oidcConsent records the person's answer to the consent page.
func (s *oidcArea) oidcConsent(w http.ResponseWriter, r *http.Request) {
	a, c, v, ok := s.oidcStep(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("decision") != "allow" {
		s.log.Info("oidc consent declined", "request_id", reqID(r), "client", c.ID)
		s.opts.OIDC.Refuse(w, r, a, openid.ErrAccessDenied())
		return
	}
	st := s.opts.OIDC.Store()
	if err := st.RememberConsent(r.Context(), v.account.ID, c.ID, a.Scopes); err != nil {
		s.dbError(w, r, err)
		return
	}
	if err := st.Consent(r.Context(), a.ID, v.account.ID); err != nil {
		s.dbError(w, r, err)
		return
	}
	http.Redirect(w, r, openid.LoginPath+"?id="+url.QueryEscape(a.ID), http.StatusSeeOther)
}

type logoutView struct {
	page
	To, Sig, Client string
}

// oidcLogoutForm asks before ending the session (RP-initiated logout).
func (s *oidcArea) oidcLogoutForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to, sig := q.Get("to"), q.Get("sig")
	if to != "" && !s.validLogoutTarget(to, sig) {
		to, sig = "", ""
	}
	if to != "" {
		allowFormTarget(w, to)
	}
	v, _ := s.currentVisit(r)
	if v == nil {
		if to == "" {
			to = "/login?ok=logged_out"
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	// Only a registered client is named: the page must not show whatever
	// text a link put in its query.
	lv := &logoutView{page: s.newPage(r, v, "oidc.logout.title"), To: to, Sig: sig}
	if id := q.Get("client"); id != "" {
		if c, err := s.opts.OIDC.Store().Client(r.Context(), id); err == nil {
			lv.Client = c.ID
		}
	}
	s.render(w, r, http.StatusOK, "oidc_logout", lv)
}

func (s *oidcArea) validLogoutTarget(to, sig string) bool {
	return s.opts.OIDC.Store().SignLogoutTarget(to) == sig
}

func (s *oidcArea) oidcLogout(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	to := r.PostFormValue("to")
	if to == "" || !s.validLogoutTarget(to, r.PostFormValue("sig")) {
		to = "/login?ok=logged_out"
	} else {
		allowFormTarget(w, to)
	}
	s.endSession(w, r)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// endSession signs the browser out; the applications it signed in to hear
// of it through identity.Store.SessionsEnded (back-channel logout).
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if v, _ := s.currentVisit(r); v != nil {
		if err := s.ids.RevokeSession(r.Context(), v.account.ID, v.session.ID); err != nil {
			s.log.Warn("logout", "request_id", reqID(r), "err", err)
		}
	}
	s.clearSession(w)
}

type appsView struct {
	page
	Apps []openid.SignedInApp
}

// accountApps lists the applications the account signed in to.
func (s *oidcArea) accountApps(w http.ResponseWriter, r *http.Request, v *visit) {
	av := &appsView{page: s.newPage(r, v, "oidc.apps.title")}
	if r.URL.Query().Get("ok") == "revoked" {
		av.Notice = av.T("oidc.apps.revoked")
	}
	apps, err := s.opts.OIDC.Store().Apps(r.Context(), v.account.ID)
	if err != nil {
		s.dbError(w, r, err)
		return
	}
	av.Apps = apps
	s.render(w, r, http.StatusOK, "account_apps", av)
}

func (s *oidcArea) accountRevokeApp(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := s.opts.OIDC.Store().RevokeApp(r.Context(), v.account.ID, r.PathValue("client")); err != nil {
		s.dbError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account/apps?ok=revoked", http.StatusSeeOther)
}
