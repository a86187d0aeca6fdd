package web

import (
	"errors"
	"net/http"

	"pelote/internal/identity"
)

type setupView struct {
	page
	Token    string
	Username string
	Email    string
	Name     string
}

// setupForm shows the first-administrator form while the link is valid.
func (s *signInArea) setupForm(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	v := &setupView{page: s.newPage(r, nil, "setup.title"), Token: token}
	if err := s.ids.CheckSetupToken(r.Context(), token); err != nil {
		s.setupError(w, r, v, err)
		return
	}
	s.render(w, r, http.StatusOK, "setup", v)
}

func (s *signInArea) setup(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	token := r.PathValue("token")
	v := &setupView{page: s.newPage(r, nil, "setup.title"), Token: token,
		Username: formValue(r, "username"), Email: formValue(r, "email"), Name: formValue(r, "display_name")}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		v.Errors = []string{v.T("err.password_mismatch")}
		s.render(w, r, http.StatusUnprocessableEntity, "setup", v)
		return
	}
	a, err := s.ids.UseSetupToken(r.Context(), token, identity.NewAccount{
		Username: v.Username, Email: v.Email, DisplayName: v.Name, Password: r.PostFormValue("password"), Locale: v.Lang,
	})
	if err != nil {
		s.setupError(w, r, v, err)
		return
	}
	s.log.Info("first administrator created", "request_id", reqID(r), "account_id", a.ID)
	s.startSession(w, r, a, "/admin/accounts?ok=setup_done")
}

func (s *signInArea) setupError(w http.ResponseWriter, r *http.Request, v *setupView, err error) {
	switch {
	case errors.Is(err, identity.ErrSetupExpired):
		s.errorPage(w, r, http.StatusGone, "err.setup_expired")
	case errors.Is(err, identity.ErrSetupInvalid):
		s.errorPage(w, r, http.StatusNotFound, "err.setup_invalid")
	case errors.Is(err, identity.ErrSetupDone):
		s.errorPage(w, r, http.StatusConflict, "err.setup_done")
	default:
		status := s.explain(r, &v.page, err, "err.username_taken")
		s.render(w, r, status, "setup", v)
	}
}
