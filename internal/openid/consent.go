package openid

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"pelote/internal/store"
)

// Consent is what a person decided for a client: the scopes they agreed to
// share and the profile they chose.
type Consent struct {
	Scopes    []string
	ProfileID int64
}

// Covers reports whether the consent includes every scope.
func (c Consent) Covers(scopes []string) bool {
	for _, sc := range scopes {
		found := false
		for _, have := range c.Scopes {
			if have == sc {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Remembered returns what the account decided for the client before.
func (s *Store) Remembered(ctx context.Context, accountID int64, clientID string) (Consent, error) {
	var scopes string
	var profile sql.NullInt64
	err := s.db.QueryRow(ctx, `SELECT scopes, profile_id FROM oidc_consents WHERE account_id = ? AND client_id = ?`, accountID, clientID).Scan(&scopes, &profile)
	if errors.Is(err, sql.ErrNoRows) {
		return Consent{}, nil
	}
	return Consent{Scopes: strings.Fields(scopes), ProfileID: profile.Int64}, err
}

// RememberProfile records the profile chosen for a client.
func (s *Store) RememberProfile(ctx context.Context, accountID int64, clientID string, profileID int64) error {
	_, err := s.db.Exec(ctx, `INSERT INTO oidc_consents (account_id, client_id, profile_id, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, client_id) DO UPDATE SET profile_id = excluded.profile_id, updated_at = excluded.updated_at`,
		accountID, clientID, profileID, s.now().Unix())
	return err
}

// RememberConsent adds scopes to what the account agreed to share.
func (s *Store) RememberConsent(ctx context.Context, accountID int64, clientID string, scopes []string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var have string
		err := tx.QueryRow(ctx, `SELECT scopes FROM oidc_consents WHERE account_id = ? AND client_id = ?`, accountID, clientID).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		all := strings.Fields(have)
		for _, sc := range scopes {
			if !(Consent{Scopes: all}).Covers([]string{sc}) {
				all = append(all, sc)
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO oidc_consents (account_id, client_id, scopes, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`,
			accountID, clientID, strings.Join(all, " "), s.now().Unix())
		return err
	})
}

// SignedInApp is a client an account has signed in to, for the account page.
type SignedInApp struct {
	ClientID, Service, Profile string
	Scopes                     []string
	FirstUsed, LastUsed        time.Time
}

// Apps lists the clients the account holds live grants for.
func (s *Store) Apps(ctx context.Context, accountID int64) ([]SignedInApp, error) {
	rows, err := s.db.Query(ctx, `SELECT g.client_id, c.service, p.name, g.scopes, MIN(g.created_at), MAX(g.last_used_at)
		FROM oidc_grants g JOIN oidc_clients c ON c.id = g.client_id JOIN profiles p ON p.id = g.profile_id
		WHERE g.account_id = ? AND g.revoked_at = 0 AND g.expires_at > ?
		GROUP BY g.client_id, c.service, p.name, g.scopes ORDER BY MAX(g.last_used_at) DESC`, accountID, s.now().Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SignedInApp
	for rows.Next() {
		var a SignedInApp
		var scopes string
		var first, last int64
		if err := rows.Scan(&a.ClientID, &a.Service, &a.Profile, &scopes, &first, &last); err != nil {
			return nil, err
		}
		a.Scopes, a.FirstUsed, a.LastUsed = strings.Fields(scopes), unix(first), unix(last)
		out = append(out, a)
	}
	return out, rows.Err()
}

// RevokeApp ends every grant of the account to the client and forgets the
// consent: the next sign-in asks again.
func (s *Store) RevokeApp(ctx context.Context, accountID int64, clientID string) error {
	now := s.now()
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM oidc_grants WHERE account_id = ? AND client_id = ? AND revoked_at = 0`, accountID, clientID)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if err := revokeGrantTx(ctx, tx, id, now); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM oidc_consents WHERE account_id = ? AND client_id = ?`, accountID, clientID)
		return err
	})
}
