package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"pelote/internal/store"
)

// ImportAccount is one account read from an export of another system.
// Line locates it in the file, for the report.
type ImportAccount struct {
	Line         int
	Username     string
	Email        string
	DisplayName  string
	PasswordHash string // empty: the member sets a password later
	Groups       []string
}

// ImportGroup is a group and the usernames of its members.
type ImportGroup struct {
	Line        int
	Name        string
	Description string
	Members     []string
}

// ImportProblem is why one line cannot be imported.
type ImportProblem struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// ImportReport says what an import did, or would do.
type ImportReport struct {
	Accounts    int             `json:"accounts"`
	Groups      int             `json:"groups_created"`
	Memberships int             `json:"memberships"`
	Problems    []ImportProblem `json:"problems,omitempty"`
}

// ErrImportRefused is an import with problems: nothing was written.
var ErrImportRefused = errors.New("identity: the import has problems; nothing was imported")

// errDryRun rolls a dry run back once everything was checked.
var errDryRun = errors.New("dry run")

// Import creates accounts and groups in one transaction, keeping password
// hashes from other systems (see SetPasswordHash). Every problem is
// reported with its line, and any problem means nothing is written; with
// dryRun nothing is written either way. Existing groups gain members;
// existing accounts are conflicts.
func (s *Store) Import(ctx context.Context, accounts []ImportAccount, groups []ImportGroup, dryRun bool) (ImportReport, error) {
	var rep ImportReport
	problem := func(line int, format string, args ...any) {
		rep.Problems = append(rep.Problems, ImportProblem{Line: line, Message: fmt.Sprintf(format, args...)})
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		ids := map[string]int64{} // username → id, for memberships
		seenName, seenEmail := map[string]int{}, map[string]int{}
		now := s.now()
		// Existing names and addresses, read once rather than per line.
		taken, takenEmail := map[string]bool{}, map[string]bool{}
		rows, err := tx.Query(ctx, `SELECT username, email_key FROM accounts`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var u, e string
			if err := rows.Scan(&u, &e); err != nil {
				rows.Close()
				return err
			}
			taken[u], takenEmail[e] = true, true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		profileNames, err := s.profileNames(ctx, tx)
		if err != nil {
			return err
		}
		for _, a := range accounts {
			n := NewAccount{Username: a.Username, Email: a.Email, DisplayName: a.DisplayName, Password: "placeholder password"}
			if err := n.validate(); err != nil {
				problem(a.Line, "%s: %v", a.Username, err)
				continue
			}
			if h := strings.TrimSpace(a.PasswordHash); h != "" {
				if _, _, _, err := parsePHC(h); err != nil && !validLegacy(h) {
					problem(a.Line, "%s: the password hash is not one Pelote can check", n.Username)
					continue
				}
			}
			if first, ok := seenName[n.Username]; ok {
				problem(a.Line, "%s: already on line %d", n.Username, first)
				continue
			}
			key := EmailKey(n.Email)
			if first, ok := seenEmail[key]; ok {
				problem(a.Line, "%s: e-mail %s already on line %d", n.Username, n.Email, first)
				continue
			}
			seenName[n.Username], seenEmail[key] = a.Line, a.Line
			if taken[n.Username] || takenEmail[key] {
				problem(a.Line, "%s: an account with this username or e-mail exists already", n.Username)
				continue
			}
			if profileNames[n.Username] {
				problem(a.Line, "%s: a member has a profile of this name, which applications would take for this account", n.Username)
				continue
			}
			var id int64
			// The directory the file comes from vouched for the address.
			err := tx.QueryRow(ctx, `INSERT INTO accounts (username, email, email_key, display_name, password_hash, locale, state, created_at, updated_at,
				email_confirmed_by, email_confirmed_at)
				VALUES (?, ?, ?, ?, ?, 'en', 'active', ?, ?, 'import', ?) RETURNING id`,
				n.Username, n.Email, key, n.DisplayName, strings.TrimSpace(a.PasswordHash), now, now, now).Scan(&id)
			if err != nil {
				return err
			}
			ids[n.Username] = id
			rep.Accounts++
		}
		// Groups named on account lines join the group list.
		all := append([]ImportGroup(nil), groups...)
		for _, a := range accounts {
			for _, g := range a.Groups {
				all = append(all, ImportGroup{Line: a.Line, Name: g, Members: []string{a.Username}})
			}
		}
		made := map[string]int64{}    // groups this import created
		joined := map[[2]int64]bool{} // memberships it added
		for _, g := range all {
			if err := s.importGroup(ctx, tx, g, ids, made, joined, &rep, problem); err != nil {
				return err
			}
		}
		if len(rep.Problems) > 0 {
			return ErrImportRefused
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return rep, err
}

func (s *Store) importGroup(ctx context.Context, tx *store.Tx, g ImportGroup, ids, made map[string]int64, joined map[[2]int64]bool,
	rep *ImportReport, problem func(int, string, ...any)) error {
	name, err := NormalizeName("group", g.Name)
	if err != nil {
		problem(g.Line, "group %s: %v", g.Name, err)
		return nil
	}
	if g.Description, err = CheckText("description", g.Description, 128, false); err != nil {
		problem(g.Line, "group %s: %v", name, err)
		return nil
	}
	gid, fresh := made[name]
	if !fresh {
		err = tx.QueryRow(ctx, `SELECT id FROM account_groups WHERE name = ?`, name).Scan(&gid)
		if errors.Is(err, sql.ErrNoRows) {
			if err := tx.QueryRow(ctx, `INSERT INTO account_groups (name, description, created_at) VALUES (?, ?, ?) RETURNING id`,
				name, g.Description, s.now()).Scan(&gid); err != nil {
				return err
			}
			made[name], fresh = gid, true
			rep.Groups++
		} else if err != nil {
			return err
		}
	}
	for _, m := range g.Members {
		m = strings.ToLower(strings.TrimSpace(m))
		id, ok := ids[m]
		if !ok {
			if err := tx.QueryRow(ctx, `SELECT id FROM accounts WHERE username = ?`, m).Scan(&id); err != nil {
				problem(g.Line, "group %s: member %s is neither in the file nor an account", name, m)
				continue
			}
		}
		key := [2]int64{gid, id}
		if joined[key] {
			continue
		}
		if !fresh {
			// An existing group may have the member already.
			var already int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM group_members WHERE group_id = ? AND account_id = ?`, gid, id).Scan(&already); err != nil {
				return err
			}
			if already > 0 {
				continue
			}
		}
		joined[key] = true
		if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, account_id) VALUES (?, ?)`, gid, id); err != nil {
			return err
		}
		rep.Memberships++
	}
	return nil
}
