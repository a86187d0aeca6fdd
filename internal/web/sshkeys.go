package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"pelote/internal/access"
	"pelote/internal/identity"
)

// authorizedKeys answers a host's AuthorizedKeysCommand (see `pelote
// ssh-keys`): the key lines of a member who may reach that host, nothing
// for anyone else. The host proves itself with its token.
func (s *hostsArea) authorizedKeys(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pelote hosts"`)
		http.Error(w, "a host token is required (Authorization: Bearer …)", http.StatusUnauthorized)
		return
	}
	host, keys, err := s.opts.Access.AuthorizedKeys(r.Context(), token, r.PathValue("user"))
	switch {
	case errors.Is(err, access.ErrBadToken):
		s.log.Warn("authorized keys: unknown host token", "request_id", reqID(r))
		w.Header().Set("WWW-Authenticate", `Bearer realm="pelote hosts", error="invalid_token"`)
		http.Error(w, "unknown host token", http.StatusUnauthorized)
		return
	case err != nil:
		s.log.Error("authorized keys", "request_id", reqID(r), "err", err)
		http.Error(w, "internal error, request "+reqID(r), http.StatusServiceUnavailable)
		return
	}
	s.log.Info("authorized keys", "request_id", reqID(r), "host", host, "keys", len(keys))
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	for _, k := range keys {
		_, _ = w.Write([]byte(k + "\n"))
	}
}

func (s *hostsArea) accountAddKey(w http.ResponseWriter, r *http.Request, v *visit) {
	if !s.parseForm(w, r) {
		return
	}
	// A key opens machines for as long as it stays, sessions and
	// passwords changed or not: adding one needs the password.
	var k access.Key
	err := s.passwordChecked(v, func() (err error) {
		if err = s.ids.VerifyOwnPassword(r.Context(), v.account.ID, r.PostFormValue("password")); err == nil {
			k, err = s.opts.Access.AddKey(r.Context(), v.account.ID, r.PostFormValue("key"))
		}
		return err
	})
	if err != nil {
		s.accountCheckFailed(w, r, v, err, "access.err.ssh_key_taken")
		return
	}
	s.log.Info("ssh key added", "request_id", reqID(r), "account_id", v.account.ID, "fingerprint", k.Fingerprint)
	accountDone(w, r, "ssh_key_added")
}

func (s *hostsArea) accountDeleteKey(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = s.opts.Access.RemoveKey(r.Context(), v.account.ID, id)
	} else {
		err = &identity.InvalidError{Field: "ssh_key", Reason: "not a number"}
	}
	if err != nil {
		s.accountFailed(w, r, v, err, "")
		return
	}
	accountDone(w, r, "ssh_key_deleted")
}
