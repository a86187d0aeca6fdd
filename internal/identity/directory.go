package identity

import (
	"context"
	"fmt"
)

// DirAccount is an active account as the directory (LDAP) serves it.
type DirAccount struct {
	ID          int64
	Username    string
	DisplayName string
	Email       string
}

// DirGroup is a group with the ids of its active members.
type DirGroup struct {
	ID          int64
	Name        string
	Description string
	Members     []int64
}

// DirProfile is an active profile of an active account.
type DirProfile struct {
	ID, AccountID int64
	Service, Name string
}

// Directory is what the directory serves, read in one transaction-free
// pass; Version says which change it reflects (see DirectoryVersion).
type Directory struct {
	Version  int64
	Accounts []DirAccount
	Groups   []DirGroup
	Profiles []DirProfile
}

// DirectoryVersion is a counter that every change to accounts, groups or
// memberships bumps (database triggers), on any node.
func (s *Store) DirectoryVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.QueryRow(ctx, `SELECT version FROM directory_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("identity: directory version: %w", err)
	}
	return v, nil
}

// LoadDirectory reads active accounts, groups and memberships. The version
// is read first: a change made while loading bumps it past the one
// returned, so the caller loads again.
func (s *Store) LoadDirectory(ctx context.Context) (Directory, error) {
	var d Directory
	var err error
	if d.Version, err = s.DirectoryVersion(ctx); err != nil {
		return d, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, username, display_name, email FROM accounts WHERE state = 'active' ORDER BY id`)
	if err != nil {
		return d, fmt.Errorf("identity: directory accounts: %w", err)
	}
	for rows.Next() {
		var a DirAccount
		if err := rows.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Email); err != nil {
			rows.Close()
			return d, err
		}
		d.Accounts = append(d.Accounts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}
	index := map[int64]int{}
	rows, err = s.db.Query(ctx, `SELECT id, name, description FROM account_groups ORDER BY id`)
	if err != nil {
		return d, fmt.Errorf("identity: directory groups: %w", err)
	}
	for rows.Next() {
		var g DirGroup
		if err := rows.Scan(&g.ID, &g.Name, &g.Description); err != nil {
			rows.Close()
			return d, err
		}
		index[g.ID] = len(d.Groups)
		d.Groups = append(d.Groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}
	rows, err = s.db.Query(ctx, `SELECT p.id, p.account_id, p.service, p.name FROM profiles p
		JOIN accounts a ON a.id = p.account_id WHERE a.state = 'active' AND p.state = 'active' ORDER BY p.service, p.name`)
	if err != nil {
		return d, fmt.Errorf("identity: directory profiles: %w", err)
	}
	for rows.Next() {
		var p DirProfile
		if err := rows.Scan(&p.ID, &p.AccountID, &p.Service, &p.Name); err != nil {
			rows.Close()
			return d, err
		}
		d.Profiles = append(d.Profiles, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}
	rows, err = s.db.Query(ctx, `SELECT m.group_id, m.account_id FROM group_members m
		JOIN accounts a ON a.id = m.account_id WHERE a.state = 'active' ORDER BY m.group_id, m.account_id`)
	if err != nil {
		return d, fmt.Errorf("identity: directory members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g, a int64
		if err := rows.Scan(&g, &a); err != nil {
			return d, err
		}
		if i, ok := index[g]; ok {
			d.Groups[i].Members = append(d.Groups[i].Members, a)
		}
	}
	return d, rows.Err()
}
