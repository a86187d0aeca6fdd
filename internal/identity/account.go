package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"pelote/internal/store"
)

// State is an account's life-cycle state.
type State string

// Account states. Pending accounts exist but cannot log in yet (sign-up with
// approval or e-mail verification uses it).
const (
	Active   State = "active"
	Disabled State = "disabled"
	Pending  State = "pending"
)

// Account is what logs in.
type Account struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	Email       string    `json:"email"`
	DisplayName string    `json:"display_name"`
	Locale      string    `json:"locale"`
	State       State     `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// EmailConfirmedBy says how the address was confirmed, empty while it
	// is not (applications are then told email_verified false), and
	// EmailConfirmedAt when.
	EmailConfirmedBy Confirmation `json:"email_confirmed_by"`
	EmailConfirmedAt time.Time    `json:"email_confirmed_at,omitzero"`
	// Groups are the account's group names, filled by the calls that say so.
	Groups []string `json:"groups,omitempty"`
}

// NewAccount is what it takes to create an account.
type NewAccount struct {
	Username    string
	Email       string
	DisplayName string
	Locale      string
	Password    string
	State       State
	// Admin puts the account in the admin group.
	Admin bool
}

const accountCols = `id, username, email, display_name, locale, state, created_at, updated_at, email_confirmed_by, email_confirmed_at`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) { return scanAccountWith(row) }

// scanAccountWith scans accountCols followed by extra columns.
func scanAccountWith(row interface{ Scan(...any) error }, extra ...any) (Account, error) {
	var a Account
	var created, updated, confirmed int64
	err := row.Scan(append([]any{&a.ID, &a.Username, &a.Email, &a.DisplayName, &a.Locale, &a.State, &created, &updated,
		&a.EmailConfirmedBy, &confirmed}, extra...)...)
	a.CreatedAt, a.UpdatedAt, a.EmailConfirmedAt = unix(created), unix(updated), unixTime(confirmed)
	return a, err
}

// validate normalizes n and reports every invalid field at once.
func (n *NewAccount) validate() error {
	var errs []error
	var err error
	if n.Username, err = NormalizeName("username", n.Username); err != nil {
		errs = append(errs, err)
	}
	if n.Email, err = NormalizeEmail(n.Email); err != nil {
		errs = append(errs, err)
	}
	if n.DisplayName, err = checkDisplayName(n.DisplayName); err != nil {
		errs = append(errs, err)
	}
	if n.Locale == "" {
		n.Locale = "en"
	}
	if n.Locale, err = checkLocale(n.Locale); err != nil {
		errs = append(errs, err)
	}
	if err := CheckPassword(n.Password); err != nil {
		errs = append(errs, err)
	}
	switch n.State {
	case "":
		n.State = Active
	case Active, Disabled, Pending:
	default:
		errs = append(errs, invalid("state", "must be active, disabled or pending"))
	}
	return errors.Join(errs...)
}

// CreateAccount validates n, hashes its password and stores it. A taken
// username or e-mail gives store.ErrConflict.
func (s *Store) CreateAccount(ctx context.Context, n NewAccount) (Account, error) {
	if err := n.validate(); err != nil {
		return Account{}, fmt.Errorf("identity: create account: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, n.Password)
	if err != nil {
		return Account{}, fmt.Errorf("identity: create account: %w", err)
	}
	var a Account
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		// An administrator typed the address: they vouch for it.
		a, err = insertAccount(ctx, tx, n, hash, s.now(), ConfirmedAdmin, false)
		return err
	})
	return a, err
}

// insertAccount stores a validated account whose address is confirmed
// how (Unconfirmed: not yet). signUp marks the public ways in (sign-up,
// invitation), for which the names held by earlier sign-ups are taken
// (see holdUsername).
func insertAccount(ctx context.Context, tx *store.Tx, n NewAccount, hash string, now int64, how Confirmation, signUp bool) (Account, error) {
	if err := lockNames(ctx, tx); err != nil {
		return Account{}, err
	}
	// Looked up first to name the taken field; the unique indexes still
	// decide under a race.
	heldAfter := int64(math.MaxInt64)
	if signUp {
		heldAfter = now
	}
	if err := accountConflict(ctx, tx, n, heldAfter); err != nil {
		return Account{}, err
	}
	row := tx.QueryRow(ctx, `INSERT INTO accounts (username, email, email_key, display_name, password_hash, locale, state, created_at, updated_at,
		password_changed_at, email_confirmed_by, email_confirmed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+accountCols,
		n.Username, n.Email, EmailKey(n.Email), n.DisplayName, hash, n.Locale, n.State, now, now, now, how, confirmedAt(how, now))
	a, err := scanAccount(row)
	if err != nil {
		if store.IsUniqueViolation(err) {
			return Account{}, fmt.Errorf("identity: username %q or its e-mail address is taken: %w", n.Username, store.ErrConflict)
		}
		return Account{}, fmt.Errorf("identity: create account %q: %w", n.Username, err)
	}
	if n.Admin {
		if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, account_id) SELECT id, ? FROM account_groups WHERE name = 'admin'`, a.ID); err != nil {
			return Account{}, fmt.Errorf("identity: make %q admin: %w", n.Username, err)
		}
		a.Groups = []string{"admin"}
	}
	return a, nil
}

// accountConflict says which of username and e-mail is taken, if any. A
// username is taken by an account, by another member's profile (an
// application would see the newcomer and that profile under one
// preferred_username), and by a sign-up's hold expiring after heldAfter
// (math.MaxInt64: holds do not count). The username is checked first, whatever the
// address: an answer about the name must not depend on the address.
func accountConflict(ctx context.Context, q store.Queryer, n NewAccount, heldAfter int64) error {
	var byName, byProfile, byEmail int
	err := q.QueryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM accounts WHERE username = ?)
		+ (SELECT COUNT(*) FROM held_usernames WHERE username = ? AND expires_at > ?),
		(SELECT COUNT(*) FROM profiles WHERE name = ?),
		(SELECT COUNT(*) FROM accounts WHERE email_key = ?)`, n.Username, n.Username, heldAfter, n.Username, EmailKey(n.Email)).Scan(&byName, &byProfile, &byEmail)
	switch {
	case err != nil:
		return fmt.Errorf("identity: check account %q: %w", n.Username, err)
	case byName > 0:
		return fmt.Errorf("identity: username %q is taken: %w", n.Username, store.ErrConflict)
	case byProfile > 0:
		return fmt.Errorf("identity: username %q is another member's profile name: %w", n.Username, store.ErrConflict)
	case byEmail > 0:
		return fmt.Errorf("identity: e-mail address %q: %w", n.Email, ErrEmailTaken)
	}
	return nil
}

// Account returns the account called username, with its groups.
func (s *Store) Account(ctx context.Context, username string) (Account, error) {
	name, ok := lookupName(username)
	if !ok {
		return Account{}, fmt.Errorf("identity: account %q: %w", username, store.ErrNotFound)
	}
	a, err := scanAccount(s.db.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE username = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("identity: account %q: %w", username, store.ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("identity: account %q: %w", username, err)
	}
	a.Groups, err = s.groupsOf(ctx, a.ID)
	return a, err
}

// AccountByID returns the account with id, with its groups.
func (s *Store) AccountByID(ctx context.Context, id int64) (Account, error) {
	a, err := scanAccount(s.db.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("identity: account #%d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("identity: account #%d: %w", id, err)
	}
	a.Groups, err = s.groupsOf(ctx, a.ID)
	return a, err
}

// AccountQuery selects accounts for a listing.
type AccountQuery struct {
	// Search matches a part of the username, e-mail or display name.
	Search string
	// State keeps only accounts in this state when set.
	State State
	// Limit caps the result (0: no cap); Offset skips for paging.
	Limit, Offset int
}

// Accounts lists accounts by username.
func (s *Store) Accounts(ctx context.Context, q AccountQuery) ([]Account, error) {
	query := `SELECT ` + accountCols + ` FROM accounts WHERE 1 = 1`
	var args []any
	if q.Search != "" {
		like := "%" + escapeLike(strings.ToLower(q.Search)) + "%"
		query += ` AND (username LIKE ? ESCAPE '\' OR lower(email) LIKE ? ESCAPE '\' OR lower(display_name) LIKE ? ESCAPE '\')`
		args = append(args, like, like, like)
	}
	if q.State != "" {
		query += ` AND state = ?`
		args = append(args, q.State)
	}
	query += ` ORDER BY username`
	if q.Limit > 0 {
		query += ` LIMIT ? OFFSET ?`
		args = append(args, q.Limit, q.Offset)
	}
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("identity: list accounts: %w", err)
	}
	defer rows.Close()
	out := []Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("identity: list accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CountAccounts counts all accounts.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("identity: count accounts: %w", err)
	}
	return n, nil
}

// AccountUpdate changes the fields that are not nil. The address is not
// one of them: see ChangeEmail and SetEmail.
type AccountUpdate struct {
	DisplayName *string
	Locale      *string
}

// UpdateAccount applies u to the account with id.
func (s *Store) UpdateAccount(ctx context.Context, id int64, u AccountUpdate) (Account, error) {
	var errs []error
	if u.DisplayName != nil {
		d, err := checkDisplayName(*u.DisplayName)
		errs, u.DisplayName = append(errs, err), &d
	}
	if u.Locale != nil {
		l, err := checkLocale(*u.Locale)
		errs, u.Locale = append(errs, err), &l
	}
	if err := errors.Join(errs...); err != nil {
		return Account{}, fmt.Errorf("identity: update account: %w", err)
	}
	res, err := s.db.Exec(ctx, `UPDATE accounts SET display_name = COALESCE(?, display_name), locale = COALESCE(?, locale), updated_at = ? WHERE id = ?`,
		u.DisplayName, u.Locale, s.now(), id)
	if err != nil {
		return Account{}, fmt.Errorf("identity: update account #%d: %w", id, err)
	}
	if err := mustAffect(res, fmt.Sprintf("account #%d", id)); err != nil {
		return Account{}, err
	}
	return s.AccountByID(ctx, id)
}

// SetState enables or disables an account. Disabling ends its sessions; the
// last active administrator cannot be disabled.
func (s *Store) SetState(ctx context.Context, username string, state State) error {
	if state != Active && state != Disabled && state != Pending {
		return fmt.Errorf("identity: set state: %w", invalid("state", "must be active, disabled or pending"))
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		id, err := lockAccount(ctx, tx, username)
		if err != nil {
			return err
		}
		if state != Active {
			if err := refuseLastAdmin(ctx, tx, id); err != nil {
				return err
			}
			if _, err := s.endSessions(ctx, tx, `account_id = ?`, id); err != nil {
				return fmt.Errorf("identity: end sessions of %q: %w", username, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET state = ?, updated_at = ? WHERE id = ?`, state, s.now(), id); err != nil {
			return fmt.Errorf("identity: set state of %q: %w", username, err)
		}
		return nil
	})
}

// lockNames serialises the writes that compare usernames with profile
// names, two tables no unique index spans: the directory_version row,
// which every account and profile insert updates anyway (a trigger), is
// taken first, so that on PostgreSQL a new account and a new profile of
// one name cannot both pass their check. (SQLite has one writer.)
func lockNames(ctx context.Context, tx *store.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE directory_version SET version = version WHERE id = 1`); err != nil {
		return fmt.Errorf("identity: lock names: %w", err)
	}
	return nil
}

// lockAccount finds an account by name and takes a write lock on its row
// (a no-op update: portable, and a row lock on PostgreSQL).
func lockAccount(ctx context.Context, tx *store.Tx, username string) (int64, error) {
	name, ok := lookupName(username)
	if !ok {
		return 0, fmt.Errorf("identity: account %q: %w", username, store.ErrNotFound)
	}
	var id int64
	err := tx.QueryRow(ctx, `UPDATE accounts SET updated_at = updated_at WHERE username = ? RETURNING id`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("identity: account %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("identity: account %q: %w", name, err)
	}
	return id, nil
}

// refuseLastAdmin fails when id is the only active member of "admin". It
// locks the admin group row first so two concurrent removals cannot both
// pass the check.
func refuseLastAdmin(ctx context.Context, tx *store.Tx, id int64) error {
	if _, err := tx.Exec(ctx, `UPDATE account_groups SET description = description WHERE name = 'admin'`); err != nil {
		return fmt.Errorf("identity: lock admin group: %w", err)
	}
	var isAdmin, others int
	err := tx.QueryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM group_members m JOIN account_groups g ON g.id = m.group_id WHERE g.name = 'admin' AND m.account_id = ?),
		(SELECT COUNT(*) FROM group_members m JOIN account_groups g ON g.id = m.group_id JOIN accounts a ON a.id = m.account_id
		  WHERE g.name = 'admin' AND a.state = 'active' AND m.account_id <> ?)`, id, id).Scan(&isAdmin, &others)
	if err != nil {
		return fmt.Errorf("identity: count admins: %w", err)
	}
	if isAdmin > 0 && others == 0 {
		return ErrLastAdmin
	}
	return nil
}

func mustAffect(res interface{ RowsAffected() (int64, error) }, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("identity: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("identity: %s: %w", what, store.ErrNotFound)
	}
	return nil
}
