package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"pelote/internal/notify"
	"pelote/internal/store"
)

// Notifications is the notifier as the operators' page and the
// Alertmanager endpoint use it (internal/notify's Notifier).
type Notifications interface {
	Overview(ctx context.Context) (notify.Overview, error)
	Test(ctx context.Context, channel string) (notify.Delivery, error)
	Retry(ctx context.Context, id int64) error
	AlertmanagerAuth(authorization string) error
	Alertmanager(ctx context.Context, authorization string, body []byte) (int, error)
}

// ReloadStatus tells when the configuration was last reloaded and why it
// was refused, if it was.
type ReloadStatus func() (at time.Time, err error)

// alertmanagerPath is where Prometheus' Alertmanager posts.
const alertmanagerPath = "/api/alertmanager"

// maxAlertmanagerBody caps an Alertmanager call: a group of a few hundred
// alerts, far more than the 64 KiB of a form.
const maxAlertmanagerBody = 1 << 20

// notifyArea is the operators' page of notifications and the
// Alertmanager endpoint.
type notifyArea struct{ *Server }

func (s *notifyArea) mount(m *mounter) {
	if s.opts.Notify == nil {
		return
	}
	m.entry(menuEntry{Order: 170, Path: "/admin/notify", Key: "notify.nav.notify", Admin: true})
	m.public("POST "+alertmanagerPath, s.alertmanager)
	m.admin("GET /admin/notify", s.adminNotify)
	m.admin("POST /admin/notify/channels/{name}/test", s.adminNotifyTest)
	m.admin("POST /admin/notify/deliveries/{id}/retry", s.adminNotifyRetry)
}

type adminNotifyView struct {
	page
	notify.Overview
	// ReloadAt and ReloadError tell of a refused configuration reload.
	ReloadAt    time.Time
	ReloadError string
}

func (s *notifyArea) adminNotifyPage(w http.ResponseWriter, r *http.Request, view *adminNotifyView, status int) {
	o, err := s.opts.Notify.Overview(r.Context())
	if err != nil {
		status = s.explain(r, &view.page, err, "err.internal")
	}
	view.Overview = o
	if s.opts.ReloadStatus != nil {
		if at, err := s.opts.ReloadStatus(); err != nil {
			view.ReloadAt, view.ReloadError = at, err.Error()
		}
	}
	s.render(w, r, status, "admin_notify", view)
}

func (s *notifyArea) adminNotify(w http.ResponseWriter, r *http.Request, v *visit) {
	s.adminNotifyPage(w, r, &adminNotifyView{page: s.newPage(r, v, "notify.admin.notify.title")}, http.StatusOK)
}

// adminNotifyTest sends a test message through one channel now and shows
// how it went; a channel that fails is the answer, not an error of the
// page.
func (s *notifyArea) adminNotifyTest(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	view := &adminNotifyView{page: s.newPage(r, v, "notify.admin.notify.title")}
	name := r.PathValue("name")
	d, err := s.opts.Notify.Test(r.Context(), name)
	// The delivery is in the lists below, whatever became of it.
	status := http.StatusOK
	switch {
	case errors.Is(err, notify.ErrNoChannel):
		view.Errors = append(view.Errors, view.T("notify.err.no_channel", name))
		status = http.StatusNotFound
	case err != nil && d.ID == 0:
		status = s.explain(r, &view.page, err, "err.internal")
	case err != nil:
		view.Errors = append(view.Errors, view.T("notify.err.test_failed", name, d.LastError))
	default:
		view.Notice = view.T("notify.ok.test_sent", name)
	}
	s.log.Info("notification test", "request_id", reqID(r), "by", v.account.ID, "channel", name, "delivered", err == nil)
	s.adminNotifyPage(w, r, view, status)
}

func (s *notifyArea) adminNotifyRetry(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = s.opts.Notify.Retry(r.Context(), id)
	} else {
		err = fmt.Errorf("delivery %q: %w", r.PathValue("id"), store.ErrNotFound)
	}
	if err != nil {
		view := &adminNotifyView{page: s.newPage(r, v, "notify.admin.notify.title")}
		status := http.StatusConflict
		if errors.Is(err, store.ErrNotFound) {
			view.Errors = append(view.Errors, view.T("notify.err.not_retriable"))
		} else {
			status = s.explain(r, &view.page, err, "err.internal")
		}
		s.adminNotifyPage(w, r, view, status)
		return
	}
	s.log.Info("notification retried", "request_id", reqID(r), "by", v.account.ID, "delivery", id)
	http.Redirect(w, r, "/admin/notify?ok=notify_retried", http.StatusSeeOther)
}

// alertmanager takes Prometheus Alertmanager's webhook: a bearer token,
// then a version 4 payload whose alerts go to the outbox. Errors are
// plain text, for Alertmanager's log; a 5xx makes it try again.
func (s *notifyArea) alertmanager(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(r, nil)
	reply := func(status int, key string, args ...any) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		fmt.Fprintln(w, s.cat.T(lang, key, args...))
	}
	auth := r.Header.Get("Authorization")
	switch err := s.opts.Notify.AlertmanagerAuth(auth); {
	case errors.Is(err, notify.ErrAlertmanagerOff):
		reply(http.StatusNotFound, "notify.am.err.off")
		return
	case err != nil:
		w.Header().Set("WWW-Authenticate", `Bearer realm="pelote"`)
		reply(http.StatusUnauthorized, "notify.am.err.token")
		return
	}
	var body []byte
	var err error
	if r.ContentLength > maxAlertmanagerBody {
		err = &http.MaxBytesError{Limit: maxAlertmanagerBody}
	} else {
		body, err = io.ReadAll(r.Body)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reply(http.StatusRequestEntityTooLarge, "notify.am.err.too_large", maxAlertmanagerBody>>10)
		} else {
			reply(http.StatusBadRequest, "notify.am.err.read")
		}
		return
	}
	n, err := s.opts.Notify.Alertmanager(r.Context(), auth, body)
	var pe *notify.PayloadError
	switch {
	case errors.As(err, &pe):
		reply(http.StatusBadRequest, "notify.am.err.payload", pe.Reason)
	case errors.Is(err, notify.ErrUnauthorized):
		reply(http.StatusUnauthorized, "notify.am.err.token")
	case err != nil:
		s.log.Error("alertmanager webhook", "request_id", reqID(r), "err", err)
		reply(http.StatusServiceUnavailable, "notify.am.err.unavailable", reqID(r))
	default:
		s.log.Info("alertmanager webhook", "request_id", reqID(r), "alerts", n)
		reply(http.StatusOK, "notify.am.ok", n)
	}
}
