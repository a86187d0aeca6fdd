// Package access decides who may reach which machine: members' SSH keys,
// the hosts that ask for them (sshd's AuthorizedKeysCommand), and grants
// to members or groups. It is Picasoft's model: one directory of people,
// each with an access list of machines.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"pelote/internal/identity"
	"pelote/internal/store"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the access tables; apply them after identity's.
func Migrations() store.Migrations { return store.Migrations{Owner: "access", FS: migrations} }

// Store holds keys, hosts and grants.
type Store struct {
	db  *store.DB
	Now func() time.Time
}

// NewStore returns the access store over a migrated db.
func NewStore(db *store.DB) *Store { return &Store{db: db, Now: time.Now} }

// Key is one SSH public key of an account.
type Key struct {
	ID          int64     `json:"id"`
	Type        string    `json:"type"`
	Fingerprint string    `json:"fingerprint"`
	Comment     string    `json:"comment"`
	Line        string    `json:"key"`
	CreatedAt   time.Time `json:"created_at"`
}

// maxKeyLine bounds what a person may paste: an RSA-16384 key is under
// 3 KiB; certificates and options are not taken.
const maxKeyLine = 8 << 10

// AddKey validates one authorized_keys line and stores it in a normal
// form (type, key, comment; no options).
func (s *Store) AddKey(ctx context.Context, accountID int64, line string) (Key, error) {
	line = strings.TrimSpace(line)
	if line == "" || len(line) > maxKeyLine || strings.ContainsAny(line, "\r\n") {
		return Key{}, &identity.InvalidError{Field: "ssh_key", Reason: "paste one public key line (ssh-ed25519 AAAA… comment)"}
	}
	pub, comment, options, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return Key{}, &identity.InvalidError{Field: "ssh_key", Reason: "not an SSH public key (paste the .pub file, not the private key)"}
	}
	if len(options) > 0 {
		return Key{}, &identity.InvalidError{Field: "ssh_key", Reason: "options before the key are not accepted"}
	}
	if err := strongEnough(pub); err != nil {
		return Key{}, err
	}
	k := Key{Type: pub.Type(), Fingerprint: ssh.FingerprintSHA256(pub), Comment: strings.TrimSpace(comment),
		CreatedAt: s.Now().UTC().Truncate(time.Second)}
	k.Line = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if k.Comment != "" {
		k.Line += " " + k.Comment
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO ssh_keys (account_id, key, fingerprint, comment, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			accountID, k.Line, k.Fingerprint, k.Comment, k.CreatedAt.Unix()).Scan(&k.ID)
	})
	if store.IsUniqueViolation(err) {
		return Key{}, fmt.Errorf("key %s is already yours: %w", k.Fingerprint, store.ErrConflict)
	}
	return k, err
}

// strongEnough refuses keys that no longer protect anything.
func strongEnough(pub ssh.PublicKey) error {
	switch pub.Type() {
	case "ssh-dss": // ssh.KeyAlgoDSA, deprecated there for the same reason
		return &identity.InvalidError{Field: "ssh_key", Reason: "DSA keys are no longer safe: make an ed25519 key (ssh-keygen -t ed25519)"}
	case ssh.KeyAlgoRSA:
		if ck, ok := pub.(ssh.CryptoPublicKey); ok {
			if rk, ok := ck.CryptoPublicKey().(interface{ Size() int }); ok && rk.Size()*8 < 2048 {
				return &identity.InvalidError{Field: "ssh_key", Reason: "RSA keys need at least 2048 bits: make an ed25519 key (ssh-keygen -t ed25519)"}
			}
		}
	}
	return nil
}

// Keys lists an account's keys, oldest first.
func (s *Store) Keys(ctx context.Context, accountID int64) ([]Key, error) {
	rows, err := s.db.Query(ctx, `SELECT id, key, fingerprint, comment, created_at FROM ssh_keys WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("access: keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var created int64
		if err := rows.Scan(&k.ID, &k.Line, &k.Fingerprint, &k.Comment, &created); err != nil {
			return nil, err
		}
		k.Type, _, _ = strings.Cut(k.Line, " ")
		k.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, k)
	}
	return out, rows.Err()
}

// RemoveKey deletes one of the account's keys.
func (s *Store) RemoveKey(ctx context.Context, accountID, id int64) error {
	res, err := s.db.Exec(ctx, `DELETE FROM ssh_keys WHERE id = ? AND account_id = ?`, id, accountID)
	if err != nil {
		return fmt.Errorf("access: remove key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("key #%d: %w", id, store.ErrNotFound)
	}
	return nil
}

// Host is a machine that asks Pelote whose keys it accepts.
type Host struct {
	Name      string    `json:"name"`
	Members   []string  `json:"members"`
	Groups    []string  `json:"groups"`
	CreatedAt time.Time `json:"created_at"`
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// AddHost registers a host and returns its token, shown once: the host's
// AuthorizedKeysCommand presents it.
func (s *Store) AddHost(ctx context.Context, name string) (string, error) {
	n, err := identity.NormalizeName("host", name)
	if err != nil {
		return "", err
	}
	token := "ph_" + rand.Text()
	_, err = s.db.Exec(ctx, `INSERT INTO hosts (name, token_hash, created_at) VALUES (?, ?, ?)`, n, hashToken(token), s.Now().Unix())
	if store.IsUniqueViolation(err) {
		return "", fmt.Errorf("host %q exists already: %w", n, store.ErrConflict)
	}
	return token, err
}

// RemoveHost deletes a host and its grants.
func (s *Store) RemoveHost(ctx context.Context, name string) error {
	res, err := s.db.Exec(ctx, `DELETE FROM hosts WHERE name = ?`, strings.ToLower(name))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("host %q: %w", name, store.ErrNotFound)
	}
	return nil
}

// Hosts lists the hosts with who may reach them.
func (s *Store) Hosts(ctx context.Context) ([]Host, error) {
	rows, err := s.db.Query(ctx, `SELECT h.name, h.created_at, COALESCE(a.username, ''), COALESCE(g.name, '')
		FROM hosts h LEFT JOIN host_access x ON x.host_id = h.id
		LEFT JOIN accounts a ON a.id = x.account_id LEFT JOIN account_groups g ON g.id = x.group_id
		ORDER BY h.name, a.username, g.name`)
	if err != nil {
		return nil, fmt.Errorf("access: hosts: %w", err)
	}
	defer rows.Close()
	var out []Host
	for rows.Next() {
		var name, member, group string
		var created int64
		if err := rows.Scan(&name, &created, &member, &group); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, Host{Name: name, CreatedAt: time.Unix(created, 0).UTC(), Members: []string{}, Groups: []string{}})
		}
		h := &out[len(out)-1]
		if member != "" {
			h.Members = append(h.Members, member)
		}
		if group != "" {
			h.Groups = append(h.Groups, group)
		}
	}
	return out, rows.Err()
}

// Grant lets a member (group == false) or a group reach a host.
func (s *Store) Grant(ctx context.Context, host, who string, group bool) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		hostID, whoID, err := s.resolve(ctx, tx, host, who, group)
		if err != nil {
			return err
		}
		col := "account_id"
		if group {
			col = "group_id"
		}
		_, err = tx.Exec(ctx, `INSERT INTO host_access (host_id, `+col+`) VALUES (?, ?)`, hostID, whoID)
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%s may already reach %s: %w", who, host, store.ErrConflict)
		}
		return err
	})
}

// Revoke undoes a Grant.
func (s *Store) Revoke(ctx context.Context, host, who string, group bool) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		hostID, whoID, err := s.resolve(ctx, tx, host, who, group)
		if err != nil {
			return err
		}
		col := "account_id"
		if group {
			col = "group_id"
		}
		res, err := tx.Exec(ctx, `DELETE FROM host_access WHERE host_id = ? AND `+col+` = ?`, hostID, whoID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s has no grant on %s: %w", who, host, store.ErrNotFound)
		}
		return nil
	})
}

func (s *Store) resolve(ctx context.Context, tx *store.Tx, host, who string, group bool) (hostID, whoID int64, err error) {
	if err := tx.QueryRow(ctx, `SELECT id FROM hosts WHERE name = ?`, strings.ToLower(host)).Scan(&hostID); errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("host %q: %w", host, store.ErrNotFound)
	} else if err != nil {
		return 0, 0, err
	}
	q, what := `SELECT id FROM accounts WHERE username = ?`, "account"
	if group {
		q, what = `SELECT id FROM account_groups WHERE name = ?`, "group"
	}
	if err := tx.QueryRow(ctx, q, strings.ToLower(who)).Scan(&whoID); errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("%s %q: %w", what, who, store.ErrNotFound)
	} else if err != nil {
		return 0, 0, err
	}
	return hostID, whoID, nil
}

// ErrBadToken is a host token that matches no host.
var ErrBadToken = errors.New("access: unknown host token")

// AuthorizedKeys returns the key lines of username for the host that
// token names, or none when the member may not reach it (or is not
// active): sshd then refuses the login.
func (s *Store) AuthorizedKeys(ctx context.Context, token, username string) (string, []string, error) {
	// Tokens are 128-bit random values: looking their hash up is safe.
	var hostID int64
	var host string
	err := s.db.QueryRow(ctx, `SELECT id, name FROM hosts WHERE token_hash = ?`, hashToken(token)).Scan(&hostID, &host)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, ErrBadToken
	}
	if err != nil {
		return "", nil, fmt.Errorf("access: host: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT k.key FROM ssh_keys k JOIN accounts a ON a.id = k.account_id
		WHERE a.username = ? AND a.state = 'active' AND EXISTS (
			SELECT 1 FROM host_access x WHERE x.host_id = ? AND (x.account_id = a.id
				OR x.group_id IN (SELECT m.group_id FROM group_members m WHERE m.account_id = a.id)))
		ORDER BY k.id`, strings.ToLower(strings.TrimSpace(username)), hostID)
	if err != nil {
		return host, nil, fmt.Errorf("access: keys: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return host, nil, err
		}
		keys = append(keys, k)
	}
	return host, keys, rows.Err()
}

// Version is a counter every change to keys, hosts or grants bumps
// (database triggers), for the directory to notice.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.QueryRow(ctx, `SELECT version FROM access_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("access: version: %w", err)
	}
	return v, nil
}

// Reach is what the directory publishes of one account: its keys and the
// hosts it may log in to.
type Reach struct {
	Keys  []string
	Hosts []string
}

// ReachByAccount returns every account's keys and reachable hosts.
func (s *Store) ReachByAccount(ctx context.Context) (map[int64]*Reach, error) {
	out := map[int64]*Reach{}
	get := func(id int64) *Reach {
		if out[id] == nil {
			out[id] = &Reach{}
		}
		return out[id]
	}
	rows, err := s.db.Query(ctx, `SELECT account_id, key FROM ssh_keys ORDER BY account_id, id`)
	if err != nil {
		return nil, fmt.Errorf("access: keys: %w", err)
	}
	for rows.Next() {
		var id int64
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			rows.Close()
			return nil, err
		}
		get(id).Keys = append(get(id).Keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.Query(ctx, `SELECT DISTINCT a.id, h.name FROM host_access x JOIN hosts h ON h.id = x.host_id
		JOIN accounts a ON a.id = x.account_id OR a.id IN (SELECT m.account_id FROM group_members m WHERE m.group_id = x.group_id)
		ORDER BY a.id, h.name`)
	if err != nil {
		return nil, fmt.Errorf("access: grants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var h string
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		get(id).Hosts = append(get(id).Hosts, h)
	}
	return out, rows.Err()
}
