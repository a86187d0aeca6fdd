package openid

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pelote/internal/queue"
	"pelote/internal/store"
)

// LogoutJob is the queue kind of back-channel logout notifications.
const LogoutJob = "oidc.backchannel_logout"

// LogoutPolicy retries a receiver that is down for about a day.
var LogoutPolicy = queue.Policy{MaxAttempts: 12, MinBackoff: 30 * time.Second, MaxBackoff: 4 * time.Hour}

type logoutPayload struct {
	Client  string `json:"client"`
	Subject string `json:"sub"`
	SID     string `json:"sid"`
}

// SessionsEnded queues a back-channel logout to every client that received
// tokens in these web sessions and registered a logout URI, in tx: the
// transaction that ends them (identity.Store.SessionsEnded). The tokens
// are signed at delivery, so a retry carries a fresh iat.
func (s *Store) SessionsEnded(ctx context.Context, tx *store.Tx, sessions []int64) error {
	if s.Queue == nil {
		return nil
	}
	var jobs []logoutPayload
	for _, id := range sessions {
		rows, err := tx.Query(ctx, `SELECT DISTINCT g.client_id, sb.subject FROM oidc_grants g
			JOIN oidc_clients c ON c.id = g.client_id JOIN oidc_subjects sb ON sb.profile_id = g.profile_id
			WHERE g.session_id = ? AND c.backchannel_logout_uri <> ''`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			p := logoutPayload{SID: s.sid(id)}
			if err := rows.Scan(&p.Client, &p.Subject); err != nil {
				rows.Close()
				return err
			}
			jobs = append(jobs, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, p := range jobs {
		body, _ := json.Marshal(p)
		if _, err := s.Queue.Enqueue(ctx, tx, LogoutJob, body); err != nil {
			return err
		}
	}
	if len(jobs) > 0 {
		tx.AfterCommit(s.Queue.Wake)
	}
	return nil
}

// logoutClient posts logout tokens; receivers must answer quickly.
var logoutClient = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse // OIDC back-channel logout: redirects are not followed
}}

// DeliverLogout is the queue handler of LogoutJob.
func (s *Store) DeliverLogout(ctx context.Context, payload []byte) error {
	var p logoutPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return queue.Permanent(fmt.Errorf("bad payload: %w", err))
	}
	c, err := s.Client(ctx, p.Client)
	if err != nil {
		return queue.Permanent(fmt.Errorf("client %s: %w", p.Client, err))
	}
	if c.BackchannelLogoutURI == "" {
		return nil // unregistered since: nothing to tell
	}
	key, err := s.signing.signer(ctx, c.SigningAlg)
	if err != nil {
		return err
	}
	signer, err := op.SignerFromKey(key)
	if err != nil {
		return err
	}
	claims := oidc.NewLogoutTokenClaims(s.Issuer, p.Subject, oidc.Audience{c.ID}, s.Now().Add(2*time.Minute), randomID(16), p.SID, 0)
	token, err := crypto.Sign(claims, signer)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BackchannelLogoutURI, strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	if err != nil {
		return queue.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := logoutClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNoContent:
		return nil
	case resp.StatusCode == http.StatusBadRequest:
		// The receiver understood and refused (e.g. session unknown there).
		return queue.Permanent(fmt.Errorf("%s refused the logout token: %s", c.ID, resp.Status))
	default:
		return fmt.Errorf("%s answered %s", c.ID, resp.Status)
	}
}
