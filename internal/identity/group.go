package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"pelote/internal/store"
)

// AdminGroup is the group whose members administer Pelote.
const AdminGroup = "admin"

// Group gathers accounts.
type Group struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Members     int       `json:"members"`
	CreatedAt   time.Time `json:"created_at"`
	// RequireTOTP makes two-step verification mandatory for members.
	RequireTOTP bool `json:"require_totp"`
}

// CreateGroup adds a group; a taken name gives store.ErrConflict.
func (s *Store) CreateGroup(ctx context.Context, name, description string) (Group, error) {
	n, err := NormalizeName("group", name)
	if err != nil {
		return Group{}, fmt.Errorf("identity: create group: %w", err)
	}
	d, err := CheckText("description", description, 128, false)
	if err != nil {
		return Group{}, fmt.Errorf("identity: create group: %w", err)
	}
	g := Group{Name: n, Description: d, CreatedAt: unix(s.now())}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO account_groups (name, description, created_at) VALUES (?, ?, ?) RETURNING id`, n, d, s.now()).Scan(&g.ID)
	})
	if store.IsUniqueViolation(err) {
		return Group{}, fmt.Errorf("identity: group %q exists already: %w", n, store.ErrConflict)
	}
	if err != nil {
		return Group{}, fmt.Errorf("identity: create group %q: %w", n, err)
	}
	return g, nil
}

const groupSelect = `SELECT g.id, g.name, g.description, g.created_at, (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id), g.require_totp FROM account_groups g`

func scanGroup(row interface{ Scan(...any) error }) (Group, error) {
	var g Group
	var created int64
	var totp int
	err := row.Scan(&g.ID, &g.Name, &g.Description, &created, &g.Members, &totp)
	g.CreatedAt, g.RequireTOTP = unix(created), totp == 1
	return g, err
}

// Groups lists all groups by name with their member counts.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	rows, err := s.db.Query(ctx, groupSelect+` ORDER BY g.name`)
	if err != nil {
		return nil, fmt.Errorf("identity: list groups: %w", err)
	}
	defer rows.Close()
	out := []Group{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("identity: list groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Group returns one group by name.
func (s *Store) Group(ctx context.Context, name string) (Group, error) {
	n, err := NormalizeName("group", name)
	if err != nil {
		return Group{}, fmt.Errorf("identity: group: %w", err)
	}
	g, err := scanGroup(s.db.QueryRow(ctx, groupSelect+` WHERE g.name = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return Group{}, fmt.Errorf("identity: group %q: %w", n, store.ErrNotFound)
	}
	if err != nil {
		return Group{}, fmt.Errorf("identity: group %q: %w", n, err)
	}
	return g, nil
}

// DeleteGroup removes a group (never "admin").
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	n, err := NormalizeName("group", name)
	if err != nil {
		return fmt.Errorf("identity: delete group: %w", err)
	}
	if n == AdminGroup {
		// Its own field, so that pages say this, not what a group name is.
		return fmt.Errorf("identity: delete group: %w", invalid("admin_group", "the admin group cannot be deleted: its members administer Pelote"))
	}
	res, err := s.db.Exec(ctx, `DELETE FROM account_groups WHERE name = ?`, n)
	if err != nil {
		return fmt.Errorf("identity: delete group %q: %w", n, err)
	}
	return mustAffect(res, fmt.Sprintf("group %q", n))
}

// groupID finds a group by name inside a transaction.
func groupID(ctx context.Context, tx *store.Tx, name string) (int64, string, error) {
	n, err := NormalizeName("group", name)
	if err != nil {
		return 0, "", err
	}
	var id int64
	err = tx.QueryRow(ctx, `SELECT id FROM account_groups WHERE name = ?`, n).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, n, fmt.Errorf("identity: group %q: %w", n, store.ErrNotFound)
	}
	return id, n, err
}

// AddMember puts an account in a group; already a member gives ErrConflict.
func (s *Store) AddMember(ctx context.Context, group, username string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		gid, gname, err := groupID(ctx, tx, group)
		if err != nil {
			return err
		}
		aid, err := lockAccount(ctx, tx, username)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, account_id) VALUES (?, ?)`, gid, aid); err != nil {
			if store.IsUniqueViolation(err) {
				return fmt.Errorf("identity: %q is already in group %q: %w", username, gname, store.ErrConflict)
			}
			return fmt.Errorf("identity: add %q to %q: %w", username, gname, err)
		}
		return nil
	})
}

// RemoveMember takes an account out of a group; the last administrator stays.
func (s *Store) RemoveMember(ctx context.Context, group, username string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		gid, gname, err := groupID(ctx, tx, group)
		if err != nil {
			return err
		}
		aid, err := lockAccount(ctx, tx, username)
		if err != nil {
			return err
		}
		if gname == AdminGroup {
			if err := refuseLastAdmin(ctx, tx, aid); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = ? AND account_id = ?`, gid, aid)
		if err != nil {
			return fmt.Errorf("identity: remove %q from %q: %w", username, gname, err)
		}
		return mustAffect(res, fmt.Sprintf("%q in group %q", username, gname))
	})
}

// Members lists the accounts of a group by username.
func (s *Store) Members(ctx context.Context, group string) ([]Account, error) {
	g, err := s.Group(ctx, group)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+prefixed("a.", accountCols)+` FROM accounts a JOIN group_members m ON m.account_id = a.id
		WHERE m.group_id = ? ORDER BY a.username`, g.ID)
	if err != nil {
		return nil, fmt.Errorf("identity: members of %q: %w", g.Name, err)
	}
	defer rows.Close()
	out := []Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("identity: members of %q: %w", g.Name, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *Store) groupsOf(ctx context.Context, accountID int64) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT g.name FROM account_groups g JOIN group_members m ON m.group_id = g.id WHERE m.account_id = ? ORDER BY g.name`, accountID)
	if err != nil {
		return nil, fmt.Errorf("identity: groups of #%d: %w", accountID, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
