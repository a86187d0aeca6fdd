package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"pelote/internal/store"
)

// AppPassword is a named password for one device or application; its
// value is only known when it is made.
type AppPassword struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
}

// appPasswordLen is 20 characters of a 31-letter alphabet: 99 bits, too
// many to guess, so a plain SHA-256 stores it as well as argon2id would.
const appPasswordLen = 20

// CreateAppPassword makes a named app password for the account and
// returns it in groups of five, the only time it is shown.
func (s *Store) CreateAppPassword(ctx context.Context, accountID int64, name string) (AppPassword, string, error) {
	name, err := CheckText("app_password", name, 64, false)
	if err == nil && name == "" {
		err = &InvalidError{Field: "app_password", Reason: "name it with 1 to 64 printable characters (e.g. Thunderbird at home)"}
	}
	if err != nil {
		return AppPassword{}, "", err
	}
	chars, err := s.recoveryChars(appPasswordLen)
	if err != nil {
		return AppPassword{}, "", err
	}
	var groups []string
	for i := 0; i < appPasswordLen; i += 5 {
		groups = append(groups, string(chars[i:i+5]))
	}
	secret := strings.Join(groups, "-")
	p := AppPassword{Name: name, CreatedAt: unix(s.now())}
	// INSERT … RETURNING is a write: it goes through a transaction, to the
	// writer.
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO app_passwords (account_id, name, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			accountID, name, hashToken(normalizeAppPassword(secret)), s.now()).Scan(&p.ID)
	})
	if store.IsUniqueViolation(err) {
		return AppPassword{}, "", fmt.Errorf("app password %q exists already: %w", name, store.ErrConflict)
	}
	if err != nil {
		return AppPassword{}, "", fmt.Errorf("identity: app password: %w", err)
	}
	return p, secret, nil
}

// AddOwnAppPassword is a member's own CreateAppPassword: it needs the
// account's password, since an app password outlives the session that
// made it (it signs in over LDAP until revoked).
func (s *Store) AddOwnAppPassword(ctx context.Context, accountID int64, password, name string) (AppPassword, string, error) {
	if err := s.checkOwnPassword(ctx, accountID, password); err != nil {
		return AppPassword{}, "", err
	}
	return s.CreateAppPassword(ctx, accountID, name)
}

// normalizeAppPassword forgives what people do when they copy one: case,
// spaces, the dashes between groups.
func normalizeAppPassword(s string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(s))
}

// AppPasswords lists the account's app passwords by name.
func (s *Store) AppPasswords(ctx context.Context, accountID int64) ([]AppPassword, error) {
	rows, err := s.db.Query(ctx, `SELECT id, name, created_at, last_used_at FROM app_passwords WHERE account_id = ? ORDER BY name`, accountID)
	if err != nil {
		return nil, fmt.Errorf("identity: app passwords: %w", err)
	}
	defer rows.Close()
	var out []AppPassword
	for rows.Next() {
		var p AppPassword
		var created, used int64
		if err := rows.Scan(&p.ID, &p.Name, &created, &used); err != nil {
			return nil, err
		}
		p.CreatedAt = unix(created)
		if used != 0 {
			p.LastUsedAt = unix(used)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// RevokeAppPassword deletes one of the account's app passwords, by id or,
// when id is 0, by name.
func (s *Store) RevokeAppPassword(ctx context.Context, accountID, id int64, name string) error {
	res, err := s.db.Exec(ctx, `DELETE FROM app_passwords WHERE account_id = ? AND (id = ? OR (? = 0 AND name = ?))`, accountID, id, id, name)
	if err != nil {
		return fmt.Errorf("identity: revoke app password: %w", err)
	}
	return mustAffect(res, "app password")
}

// AuthenticateAppPassword checks an app password of an active account.
// Its last use is recorded at most hourly: binds are frequent, and a write
// each would cost more than the check.
func (s *Store) AuthenticateAppPassword(ctx context.Context, username, secret string) (Account, error) {
	name, valid := lookupName(username)
	norm := normalizeAppPassword(secret)
	if !valid || len(norm) != appPasswordLen {
		return Account{}, ErrBadCredentials
	}
	var id, used int64
	a, err := scanAccountWith(s.db.QueryRow(ctx, `SELECT `+prefixed("a.", accountCols)+`, p.id, p.last_used_at
		FROM app_passwords p JOIN accounts a ON a.id = p.account_id WHERE a.username = ? AND p.hash = ?`, name, hashToken(norm)), &id, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrBadCredentials
	}
	if err != nil {
		return Account{}, fmt.Errorf("identity: app password: %w", err)
	}
	switch a.State {
	case Disabled:
		return Account{}, ErrDisabled
	case Pending:
		return Account{}, ErrPending
	}
	if now := s.now(); now-used >= 3600 {
		_, _ = s.db.Exec(ctx, `UPDATE app_passwords SET last_used_at = ? WHERE id = ?`, now, id)
	}
	return a, nil
}
