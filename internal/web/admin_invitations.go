package web

import (
	"context"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"time"

	"pelote/internal/identity"
)

type invitationForm struct {
	Days   int
	Note   string
	Email  string
	Groups []string
}

type adminInvitationsView struct {
	page
	Invitations []identity.Invitation
	Groups      []identity.Group
	Form        invitationForm
	// Link is the invitation just made, shown once.
	Link string
	// MailedTo is where it was sent, if anywhere.
	MailedTo string
	Now      time.Time
	CanMail  bool
}

// Chosen tells whether the form picked a group.
func (f invitationForm) Chosen(group string) bool { return slices.Contains(f.Groups, group) }

func (s *invitationsArea) adminInvitationsPage(w http.ResponseWriter, r *http.Request, view *adminInvitationsView, status int) {
	var err error
	view.Invitations, err = s.ids.Invitations(r.Context())
	if err == nil {
		view.Groups, err = s.ids.Groups(r.Context())
	}
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Now, view.CanMail = s.now(), s.letters.On()
	s.render(w, r, status, "admin_invitations", view)
}

func (s *invitationsArea) adminInvitations(w http.ResponseWriter, r *http.Request, v *visit) {
	view := &adminInvitationsView{page: s.newPage(r, v, "signup.admin.invitations.title"), Form: invitationForm{Days: 7}}
	s.adminInvitationsPage(w, r, view, http.StatusOK)
}

// adminCreateInvitation makes an invitation link, shows it once and, when
// an address is given, mails it there.
func (s *invitationsArea) adminCreateInvitation(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	view := &adminInvitationsView{page: s.newPage(r, v, "signup.admin.invitations.title")}
	f := invitationForm{Note: formValue(r, "note"), Email: formValue(r, "email"), Groups: r.PostForm["group"]}
	view.Form = f
	days, err := strconv.Atoi(formValue(r, "days"))
	f.Days, view.Form.Days = days, days
	switch {
	case err != nil || days < 1 || days > 90:
		err = &identity.InvalidError{Field: "ttl", Reason: "must be between 1 and 90 days"}
	case f.Email != "" && !s.letters.On():
		err = &identity.InvalidError{Field: "invitation_mail", Reason: "no mail server is configured"}
	case f.Email != "":
		if addr, perr := mail.ParseAddress(f.Email); perr != nil || addr.Name != "" {
			err = &identity.InvalidError{Field: "email", Reason: "is not an e-mail address"}
		}
	}
	var token string
	if err == nil {
		token, err = s.ids.CreateInvitation(r.Context(), f.Groups, time.Duration(days)*24*time.Hour, f.Note)
	}
	if err != nil {
		s.adminInvitationsPage(w, r, view, s.explain(r, &view.page, err, ""))
		return
	}
	s.log.Info("invitation created", "request_id", reqID(r), "by", v.account.ID, "groups", len(f.Groups), "mailed", f.Email != "")
	view.Link, view.Form = s.letters.Link("/invite/"+token), invitationForm{Days: 7}
	view.Notice = view.T("signup.ok.invitation_created")
	if f.Email != "" {
		// The invitation exists either way: if the mail cannot be queued,
		// the link is still shown, to be passed on by hand.
		if err := s.letters.Send(r.Context(), f.Email, s.cat.T(view.Lang, "mail.invitation.subject"),
			s.cat.T(view.Lang, "mail.invitation.body", v.account.DisplayName, v.account.Username, view.Link, days)); err != nil {
			s.log.Warn("invitation not mailed", "request_id", reqID(r), "err", err)
			view.Errors = append(view.Errors, view.T("invitations.not_mailed"))
		} else {
			view.MailedTo = f.Email
		}
	}
	s.adminInvitationsPage(w, r, view, http.StatusCreated)
}

func (s *invitationsArea) adminRevokeInvitation(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := s.ids.RevokeInvitation(r.Context(), r.PathValue("id")); err != nil {
		view := &adminInvitationsView{page: s.newPage(r, v, "signup.admin.invitations.title"), Form: invitationForm{Days: 7}}
		s.adminInvitationsPage(w, r, view, s.explain(r, &view.page, err, ""))
		return
	}
	s.log.Info("invitation revoked", "request_id", reqID(r), "by", v.account.ID)
	http.Redirect(w, r, "/admin/invitations?ok=invitation_revoked", http.StatusSeeOther)
}

// invitationsArea is the administrators' page of invitations.
type invitationsArea struct {
	*Server
	ids invitationsStore
}

// invitationsStore is what the invitations page needs of identity.
type invitationsStore interface {
	CreateInvitation(ctx context.Context, groups []string, ttl time.Duration, note string) (string, error)
	Groups(ctx context.Context) ([]identity.Group, error)
	Invitations(ctx context.Context) ([]identity.Invitation, error)
	RevokeInvitation(ctx context.Context, id string) error
}

func (s *invitationsArea) mount(m *mounter) {
	m.entry(menuEntry{Order: 150, Path: "/admin/invitations", Key: "signup.nav.invitations", Admin: true})
	m.admin("GET /admin/invitations", s.adminInvitations)
	m.admin("POST /admin/invitations", s.adminCreateInvitation)
	m.admin("POST /admin/invitations/{id}/revoke", s.adminRevokeInvitation)
}
