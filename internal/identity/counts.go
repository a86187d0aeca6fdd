package identity

import (
	"context"
	"fmt"
)

// Figures for the public transparency page: counts of active accounts,
// never more than a name when the hoster chooses to publish names.

// ActiveAccountCount counts the accounts that may log in.
func (s *Store) ActiveAccountCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE state = 'active'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("identity: count active accounts: %w", err)
	}
	return n, nil
}

// ActiveMemberNames returns, for each existing group of groups, the
// display names (or usernames) of its active members, sorted.
func (s *Store) ActiveMemberNames(ctx context.Context, groups []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, g := range groups {
		rows, err := s.db.Query(ctx, `SELECT COALESCE(NULLIF(a.display_name, ''), a.username) FROM account_groups g
			JOIN group_members m ON m.group_id = g.id JOIN accounts a ON a.id = m.account_id
			WHERE g.name = ? AND a.state = 'active' ORDER BY 1`, g)
		if err != nil {
			return nil, fmt.Errorf("identity: members of %q: %w", g, err)
		}
		names := []string{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			names = append(names, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		var exists int
		if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM account_groups WHERE name = ?`, g).Scan(&exists); err != nil {
			return nil, err
		}
		if exists > 0 {
			out[g] = names
		}
	}
	return out, nil
}

// ProfileAccounts counts, per service, the active accounts holding a
// profile of it.
func (s *Store) ProfileAccounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.Query(ctx, `SELECT p.service, COUNT(DISTINCT p.account_id) FROM profiles p
		JOIN accounts a ON a.id = p.account_id WHERE a.state = 'active' AND p.state = 'active' GROUP BY p.service`)
	if err != nil {
		return nil, fmt.Errorf("identity: profile accounts: %w", err)
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
