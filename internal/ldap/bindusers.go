package ldap

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"sync"
	"time"

	"pelote/internal/identity"
	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the LDAP tables; apply them after identity's.
func Migrations() store.Migrations { return store.Migrations{Owner: "ldap", FS: migrations} }

// Hasher hashes and checks passwords (identity's argon2id).
type Hasher interface {
	Hash(ctx context.Context, pw string) (string, error)
	Verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error)
}

// BindUsers are the service accounts applications bind as.
type BindUsers struct {
	db     *store.DB
	hasher Hasher
	Now    func() time.Time
	// dummy is verified for unknown names, so that a wrong name costs
	// what a wrong password does.
	dummyOnce sync.Once
	dummy     string
}

// BindUser is a service account, without its hash.
type BindUser struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewBindUsers returns the service-account store.
func NewBindUsers(db *store.DB, h Hasher) *BindUsers {
	return &BindUsers{db: db, hasher: h, Now: time.Now}
}

// Add creates a service account; its password must be long: it is typed
// into an application's settings, never by a person at a prompt.
func (b *BindUsers) Add(ctx context.Context, name, password, description string) error {
	n, err := identity.NormalizeName("name", name)
	if err != nil {
		return err
	}
	if len(password) < 16 {
		return &identity.InvalidError{Field: "password", Reason: "must be at least 16 characters for a service account"}
	}
	hash, err := b.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	_, err = b.db.Exec(ctx, `INSERT INTO ldap_bind_users (name, password_hash, description, created_at) VALUES (?, ?, ?, ?)`,
		n, hash, description, b.Now().Unix())
	if store.IsUniqueViolation(err) {
		return fmt.Errorf("service account %q exists already: %w", n, store.ErrConflict)
	}
	return err
}

// Remove deletes a service account.
func (b *BindUsers) Remove(ctx context.Context, name string) error {
	res, err := b.db.Exec(ctx, `DELETE FROM ldap_bind_users WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("service account %q: %w", name, store.ErrNotFound)
	}
	return nil
}

// List returns the service accounts by name.
func (b *BindUsers) List(ctx context.Context) ([]BindUser, error) {
	rows, err := b.db.Query(ctx, `SELECT name, description, created_at FROM ldap_bind_users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BindUser
	for rows.Next() {
		var u BindUser
		var created int64
		if err := rows.Scan(&u.Name, &u.Description, &created); err != nil {
			return nil, err
		}
		u.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

// errBadBind is what both an unknown name and a wrong password get.
var errBadBind = errors.New("invalid credentials")

// Authenticate checks a service account's password.
func (b *BindUsers) Authenticate(ctx context.Context, name, password string) error {
	var hash string
	err := b.db.QueryRow(ctx, `SELECT password_hash FROM ldap_bind_users WHERE name = ?`, name).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		b.dummyOnce.Do(func() { b.dummy, _ = b.hasher.Hash(ctx, "not a password anyone has") })
		b.hasher.Verify(ctx, password, b.dummy)
		return errBadBind
	}
	if err != nil {
		return err
	}
	ok, _, err := b.hasher.Verify(ctx, password, hash)
	if err != nil {
		return err
	}
	if !ok {
		return errBadBind
	}
	return nil
}
