package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
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
	Accounts    int `json:"accounts"`
	Groups      int `json:"groups_created"`
	Memberships int `json:"memberships"`
	// Administrators are the accounts the import adds to the admin group.
	Administrators []string `json:"administrators,omitempty"`
	// AdminRefused are those it would add without ImportOptions.AllowAdmin.
	AdminRefused []string `json:"administrators_refused,omitempty"`
	// Skipped are the entries left out (ImportOptions.SkipInvalid), each
	// with its line and why.
	Skipped  []ImportProblem `json:"skipped,omitempty"`
	Problems []ImportProblem `json:"problems,omitempty"`
}

// ImportOptions says how Import treats what it finds.
type ImportOptions struct {
	// DryRun checks and reports, and writes nothing.
	DryRun bool
	// SkipInvalid leaves out each account, group or membership with a
	// problem (reported in Skipped) and imports the rest, still in one
	// transaction. Without it, one problem means nothing is written.
	SkipInvalid bool
	// AllowAdmin lets the import add members to the admin group. Without
	// it each such membership is a problem, even with SkipInvalid: who
	// administers Pelote is decided on purpose, never as a side effect of
	// a directory's group named "admin".
	AllowAdmin bool
}

// ErrImportRefused is an import with problems: nothing was written.
var ErrImportRefused = errors.New("identity: the import has problems; nothing was imported")

// errDryRun rolls a dry run back once everything was checked.
var errDryRun = errors.New("dry run")

// importRun is the state of one import.
type importRun struct {
	s    *Store
	tx   *store.Tx
	opts ImportOptions
	rep  *ImportReport
	ids  map[string]int64 // username → id of the accounts created
	// left are the usernames (see memberKey) of the accounts with a
	// problem, with their line: their memberships are left out too.
	left   map[string]int
	made   map[string]int64  // groups this import created
	joined map[[2]int64]bool // memberships it added
	// newAccounts and newMembers wait to be written many rows to a
	// statement: one statement per row made an import a third as fast as
	// slapadd, most of it spent crossing into SQLite.
	newAccounts []importedAccount
	newMembers  [][2]int64
	// What the accounts are checked against: the lines of the names and
	// addresses seen in the file, those already taken, and the profile
	// names; now is the accounts' creation time.
	seenName, seenEmail             map[string]int
	taken, takenEmail, profileNames map[string]bool
	now                             int64
}

// importedAccount is a checked account waiting to be inserted.
type importedAccount struct {
	i                          int // its index in the accounts imported
	username, email, key, name string
	hash                       string
}

// Rows a statement of the import writes at most: well under SQLite's and
// PostgreSQL's limits on parameters (32,766 and 65,535).
const importBatch = 200

// bad records a problem, or a skipped entry with SkipInvalid.
func (r *importRun) bad(line int, format string, args ...any) {
	p := ImportProblem{Line: line, Message: fmt.Sprintf(format, args...)}
	if r.opts.SkipInvalid {
		r.rep.Skipped = append(r.rep.Skipped, p)
	} else {
		r.rep.Problems = append(r.rep.Problems, p)
	}
}

// Import creates accounts and groups in one transaction, keeping password
// hashes from other systems (see SetPasswordHash). Every field is checked
// as the administrators' pages check it, every hash against the cost caps.
// Every problem is reported with its line, and any problem means nothing
// is written, unless opts.SkipInvalid leaves out what has one; with
// opts.DryRun nothing is written either way. Existing groups gain
// members, the admin group only with opts.AllowAdmin; existing accounts
// are conflicts.
func (s *Store) Import(ctx context.Context, accounts []ImportAccount, groups []ImportGroup, opts ImportOptions) (ImportReport, error) {
	return s.ImportFrom(ctx, &sliceSource{accounts, groups}, opts)
}

// ImportSource gives an import its records while a file is being read:
// Accounts returns the next batch, and io.EOF after the last; Groups is
// asked once the accounts are done. An error from either is the file's:
// the import stops there and writes nothing.
type ImportSource interface {
	Accounts() ([]ImportAccount, error)
	Groups() ([]ImportGroup, error)
}

// sliceSource is a source already read.
type sliceSource struct {
	accounts []ImportAccount
	groups   []ImportGroup
}

func (s *sliceSource) Accounts() ([]ImportAccount, error) {
	if s.accounts == nil {
		return nil, io.EOF
	}
	a := s.accounts
	s.accounts = nil
	return a, nil
}

func (s *sliceSource) Groups() ([]ImportGroup, error) { return s.groups, nil }

// ImportFrom is Import with the records coming from src as they are read,
// so that checking and writing the first accounts overlaps with reading
// the rest of the file.
func (s *Store) ImportFrom(ctx context.Context, src ImportSource, opts ImportOptions) (ImportReport, error) {
	var rep ImportReport
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		r := &importRun{s: s, tx: tx, opts: opts, rep: &rep, ids: map[string]int64{}, left: map[string]int{},
			made: map[string]int64{}, joined: map[[2]int64]bool{}}
		accounts, created, err := r.accounts(ctx, src)
		if err != nil {
			return err
		}
		groups, err := src.Groups()
		if err != nil {
			return err
		}
		// Groups named on the lines of the accounts created join the list.
		all := append([]ImportGroup(nil), groups...)
		for i, a := range accounts {
			if !created[i] {
				continue
			}
			for _, g := range a.Groups {
				all = append(all, ImportGroup{Line: a.Line, Name: g, Members: []string{a.Username}})
			}
		}
		for _, g := range all {
			if err := r.group(ctx, g); err != nil {
				return err
			}
		}
		if err := r.flushMembers(ctx); err != nil {
			return err
		}
		if len(rep.Problems) > 0 {
			return ErrImportRefused
		}
		if opts.DryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return rep, err
}

// accounts checks and creates the accounts src gives, and returns them
// with which it created.
func (r *importRun) accounts(ctx context.Context, src ImportSource) ([]ImportAccount, []bool, error) {
	r.seenName, r.seenEmail = map[string]int{}, map[string]int{}
	r.now = r.s.now()
	// Existing names and addresses, read once rather than per line.
	r.taken, r.takenEmail = map[string]bool{}, map[string]bool{}
	rows, err := r.tx.Query(ctx, `SELECT username, email_key FROM accounts`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var u, e string
		if err := rows.Scan(&u, &e); err != nil {
			rows.Close()
			return nil, nil, err
		}
		r.taken[u], r.takenEmail[e] = true, true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if r.profileNames, err = r.s.profileNames(ctx, r.tx); err != nil {
		return nil, nil, err
	}
	var accounts []ImportAccount
	var created []bool
	for {
		batch, err := src.Accounts()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		first := len(accounts)
		accounts = append(accounts, batch...)
		created = append(created, make([]bool, len(batch))...)
		if err := r.checkAccounts(ctx, accounts, first, created); err != nil {
			return nil, nil, err
		}
	}
	return accounts, created, r.flushAccounts(ctx, r.now, created)
}

// checkAccounts checks accounts[from:] and queues those to create,
// writing a batch each time enough are queued; created says which were.
func (r *importRun) checkAccounts(ctx context.Context, accounts []ImportAccount, from int, created []bool) error {
	for i := from; i < len(accounts); i++ {
		a := accounts[i]
		bad := func(format string, args ...any) {
			r.left[memberKey(a.Username)] = a.Line
			r.bad(a.Line, "%s: "+format, append([]any{shown(a.Username)}, args...)...)
		}
		username, email, name, err := checkImportAccount(a)
		if err != nil {
			bad("%s", reason(err))
			continue
		}
		hash := strings.TrimSpace(a.PasswordHash)
		if hash != "" {
			if err := r.s.hasher.checkImportedHash(hash); err != nil {
				bad("the password hash is refused: %s", reason(err))
				continue
			}
		}
		key := EmailKey(email)
		if first, ok := r.seenName[username]; ok {
			bad("already on line %d", first)
			continue
		}
		if first, ok := r.seenEmail[key]; ok {
			bad("e-mail %s already on line %d", email, first)
			continue
		}
		r.seenName[username], r.seenEmail[key] = a.Line, a.Line
		if r.taken[username] || r.takenEmail[key] {
			bad("an account with this username or e-mail exists already")
			continue
		}
		if r.profileNames[username] {
			bad("a member has a profile of this name, which applications would take for this account")
			continue
		}
		r.newAccounts = append(r.newAccounts, importedAccount{i: i, username: username, email: email, key: key, name: name, hash: hash})
		if len(r.newAccounts) == importBatch {
			if err := r.flushAccounts(ctx, r.now, created); err != nil {
				return err
			}
		}
	}
	return nil
}

// flushAccounts inserts the accounts waiting, in one statement.
func (r *importRun) flushAccounts(ctx context.Context, now int64, created []bool) error {
	if len(r.newAccounts) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO accounts (username, email, email_key, display_name, password_hash, locale, state, created_at, updated_at,
		email_confirmed_by, email_confirmed_at) VALUES `)
	args := make([]any, 0, 8*len(r.newAccounts))
	byName := make(map[string]int, len(r.newAccounts))
	for n, a := range r.newAccounts {
		if n > 0 {
			q.WriteString(", ")
		}
		// The directory the file comes from vouched for the address.
		q.WriteString(`(?, ?, ?, ?, ?, 'en', 'active', ?, ?, 'import', ?)`)
		args = append(args, a.username, a.email, a.key, a.name, a.hash, now, now, now)
		byName[a.username] = a.i
	}
	q.WriteString(` RETURNING id, username`)
	rows, err := r.tx.Query(ctx, q.String(), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var username string
		if err := rows.Scan(&id, &username); err != nil {
			return err
		}
		r.ids[username] = id
		created[byName[username]] = true
		r.rep.Accounts++
	}
	r.newAccounts = r.newAccounts[:0]
	return rows.Err()
}

// flushMembers inserts the memberships waiting, many to a statement.
func (r *importRun) flushMembers(ctx context.Context) error {
	for len(r.newMembers) > 0 {
		batch := r.newMembers[:min(len(r.newMembers), 5*importBatch)]
		r.newMembers = r.newMembers[len(batch):]
		var q strings.Builder
		q.WriteString(`INSERT INTO group_members (group_id, account_id) VALUES `)
		args := make([]any, 0, 2*len(batch))
		for n, m := range batch {
			if n > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?)")
			args = append(args, m[0], m[1])
		}
		if _, err := r.tx.Exec(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// memberKey is how a member names an account: as a username is stored.
func memberKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// group creates g when it is new and adds its members.
func (r *importRun) group(ctx context.Context, g ImportGroup) error {
	name, description, err := checkImportGroup(g)
	if err != nil {
		r.bad(g.Line, "group %s: %v", shown(g.Name), err)
		return nil
	}
	gid, fresh := r.made[name]
	if !fresh {
		err = r.tx.QueryRow(ctx, `SELECT id FROM account_groups WHERE name = ?`, name).Scan(&gid)
		if errors.Is(err, sql.ErrNoRows) {
			if err := r.tx.QueryRow(ctx, `INSERT INTO account_groups (name, description, created_at) VALUES (?, ?, ?) RETURNING id`,
				name, description, r.s.now()).Scan(&gid); err != nil {
				return err
			}
			r.made[name], fresh = gid, true
			r.rep.Groups++
		} else if err != nil {
			return err
		}
	}
	for _, raw := range g.Members {
		m := memberKey(raw)
		id, ok := r.ids[m]
		if line, left := r.left[m]; !ok && left {
			// Not the existing account of that name either: the entry
			// was refused, and so is what it would have joined.
			if r.opts.SkipInvalid {
				r.bad(g.Line, "group %s: member %s left out: its entry on line %d is skipped", name, shown(raw), line)
			}
			continue
		}
		if !ok {
			if err := r.tx.QueryRow(ctx, `SELECT id FROM accounts WHERE username = ?`, m).Scan(&id); err != nil {
				r.bad(g.Line, "group %s: member %s is neither in the file nor an account", name, shown(raw))
				continue
			}
		}
		key := [2]int64{gid, id}
		if r.joined[key] {
			continue
		}
		if !fresh {
			// An existing group may have the member already.
			var already int
			if err := r.tx.QueryRow(ctx, `SELECT COUNT(*) FROM group_members WHERE group_id = ? AND account_id = ?`, gid, id).Scan(&already); err != nil {
				return err
			}
			if already > 0 {
				continue
			}
		}
		if name == AdminGroup {
			if !r.opts.AllowAdmin {
				r.rep.AdminRefused = append(r.rep.AdminRefused, m)
				r.rep.Problems = append(r.rep.Problems, ImportProblem{Line: g.Line,
					Message: fmt.Sprintf("group admin: %s would become an administrator of Pelote, which this import does not allow", m)})
				continue
			}
			r.rep.Administrators = append(r.rep.Administrators, m)
		}
		r.joined[key] = true
		r.newMembers = append(r.newMembers, key)
		r.rep.Memberships++
	}
	return nil
}
