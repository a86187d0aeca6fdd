package openid

import (
	"context"
	"fmt"
	"time"
)

// ActiveSignIns counts, per service, the accounts that signed in to one
// of its clients, or refreshed such a sign-in, since the given time: the
// monthly active sign-ins of the public page, from the grants' own dates.
func (s *Store) ActiveSignIns(ctx context.Context, since time.Time) (map[string]int, error) {
	rows, err := s.db.Query(ctx, `SELECT c.service, COUNT(DISTINCT g.account_id) FROM oidc_grants g
		JOIN oidc_clients c ON c.id = g.client_id WHERE g.last_used_at >= ? OR g.created_at >= ? GROUP BY c.service`,
		since.Unix(), since.Unix())
	if err != nil {
		return nil, fmt.Errorf("openid: active sign-ins: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var svc string
		var n int
		if err := rows.Scan(&svc, &n); err != nil {
			return nil, err
		}
		out[svc] = n
	}
	return out, rows.Err()
}
