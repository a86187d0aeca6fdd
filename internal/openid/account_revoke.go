package openid

import (
	"context"
	"encoding/json"
	"slices"

	"pelote/internal/store"
)

// RevokeAccountGrants ends every live grant of an account, in tx: the
// transaction that replaces its password (identity.Store.PasswordChanged),
// whoever replaces it. Refresh tokens stop at once, as on the account
// page's revocation (revokeGrantTx), and each client with a back-channel
// logout URI is told, so that the applications are signed out, not only
// refused at their next refresh. Grants whose web session ended in the
// same change were told already (SessionsEnded): they are not told twice.
func (s *Store) RevokeAccountGrants(ctx context.Context, tx *store.Tx, accountID int64, ended []int64) error {
	now := s.now()
	rows, err := tx.Query(ctx, `SELECT g.id, g.client_id, COALESCE(g.session_id, 0), COALESCE(sb.subject, ''), c.backchannel_logout_uri
		FROM oidc_grants g JOIN oidc_clients c ON c.id = g.client_id LEFT JOIN oidc_subjects sb ON sb.profile_id = g.profile_id
		WHERE g.account_id = ? AND g.revoked_at = 0 AND g.expires_at > ?`, accountID, now.Unix())
	if err != nil {
		return err
	}
	var grants []int64
	var logouts []logoutPayload
	for rows.Next() {
		var id, session int64
		var client, subject, uri string
		if err := rows.Scan(&id, &client, &session, &subject, &uri); err != nil {
			rows.Close()
			return err
		}
		grants = append(grants, id)
		if uri == "" || subject == "" || (session != 0 && slices.Contains(ended, session)) {
			continue
		}
		p := logoutPayload{Client: client, Subject: subject}
		if session != 0 {
			p.SID = s.sid(session)
		}
		if !slices.Contains(logouts, p) {
			logouts = append(logouts, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range grants {
		if err := revokeGrantTx(ctx, tx, id, now); err != nil {
			return err
		}
	}
	if len(grants) > 0 {
		s.log.Info("grants revoked with a new password", "account_id", accountID, "grants", len(grants))
	}
	if s.Queue == nil || len(logouts) == 0 {
		return nil
	}
	for _, p := range logouts {
		body, _ := json.Marshal(p)
		if _, err := s.Queue.Enqueue(ctx, tx, LogoutJob, body); err != nil {
			return err
		}
	}
	tx.AfterCommit(s.Queue.Wake)
	return nil
}
