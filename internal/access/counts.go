package access

import (
	"context"
	"fmt"
)

// ReachNames returns, per host, the display names (or usernames) of the
// active accounts that may log in to it, directly or through a group:
// the public page counts them, and names them only when told to.
func (s *Store) ReachNames(ctx context.Context) (map[string][]string, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT h.name, COALESCE(NULLIF(a.display_name, ''), a.username) FROM host_access x
		JOIN hosts h ON h.id = x.host_id
		JOIN accounts a ON a.id = x.account_id OR a.id IN (SELECT m.account_id FROM group_members m WHERE m.group_id = x.group_id)
		WHERE a.state = 'active' ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("access: reach: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var h, n string
		if err := rows.Scan(&h, &n); err != nil {
			return nil, err
		}
		out[h] = append(out[h], n)
	}
	return out, rows.Err()
}
