package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"pelote/internal/store"
)

// ProfileState is active, or pending a moderator's approval.
type ProfileState string

// Profile states.
const (
	ProfileActive  ProfileState = "active"
	ProfilePending ProfileState = "pending"
)

// Profile is what one service sees of an account.
type Profile struct {
	ID        int64        `json:"id"`
	Account   string       `json:"account"`
	Service   string       `json:"service"`
	Name      string       `json:"name"`
	State     ProfileState `json:"state"`
	CreatedAt time.Time    `json:"created_at"`
}

// ByAdmin marks a profile creation made by an administrator, who is the
// moderator: it may go past the service's quota and is active at once.
type ByAdmin bool

// AddProfile gives an account a profile in a service. Within the quota it is
// active; past it, it is pending when the service asks for approval, refused
// (ErrQuotaReached) otherwise, unless an administrator adds it.
func (s *Store) AddProfile(ctx context.Context, username, service, name string, admin ByAdmin) (Profile, error) {
	pname, err := NormalizeName("profile", name)
	if err != nil {
		return Profile{}, fmt.Errorf("identity: add profile: %w", err)
	}
	// Applications key accounts on preferred_username, the profile's
	// name: a member must not pass for the hoster (as usernames, the
	// reserved names are the administrators' to give).
	if slices.Contains(Reserved, pname) && !bool(admin) {
		return Profile{}, fmt.Errorf("identity: add profile: %w", invalid("profile_reserved", "is reserved; choose another"))
	}
	sv, err := s.Service(ctx, service)
	if err != nil {
		return Profile{}, err
	}
	p := Profile{Service: sv.Name, Name: pname, CreatedAt: unix(s.now())}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		// The account row lock serialises concurrent additions, so two
		// requests cannot both pass the quota check.
		id, err := lockAccount(ctx, tx, username)
		if err != nil {
			return err
		}
		if err := lockNames(ctx, tx); err != nil {
			return err
		}
		// Nor pass for another member: their username is theirs in every
		// service. One's own username is one's own to use.
		var other int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE username = ? AND id <> ?`, pname, id).Scan(&other); err != nil {
			return fmt.Errorf("identity: check profile: %w", err)
		}
		if other > 0 {
			return fmt.Errorf("identity: profile %q is another member's username: %w", pname, store.ErrConflict)
		}
		var held int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM profiles WHERE account_id = ? AND service = ?`, id, sv.Name).Scan(&held); err != nil {
			return fmt.Errorf("identity: count profiles: %w", err)
		}
		var taken int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM profiles WHERE service = ? AND name = ?`, sv.Name, pname).Scan(&taken); err != nil {
			return fmt.Errorf("identity: check profile: %w", err)
		}
		if taken > 0 {
			return fmt.Errorf("identity: profile %q is taken in %q: %w", pname, sv.Name, store.ErrConflict)
		}
		switch {
		case held < sv.ProfileQuota || bool(admin):
			p.State = ProfileActive
		case sv.ExtraProfiles == ApproveExtra:
			p.State = ProfilePending
		default:
			return fmt.Errorf("identity: %q holds %d of %d profiles in %q: %w", username, held, sv.ProfileQuota, sv.Name, ErrQuotaReached)
		}
		err = tx.QueryRow(ctx, `INSERT INTO profiles (account_id, service, name, state, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			id, sv.Name, pname, p.State, p.CreatedAt.Unix()).Scan(&p.ID)
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("identity: profile %q is taken in %q: %w", pname, sv.Name, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("identity: add profile %q: %w", pname, err)
		}
		return tx.QueryRow(ctx, `SELECT username FROM accounts WHERE id = ?`, id).Scan(&p.Account)
	})
	return p, err
}

const profileSelect = `SELECT p.id, a.username, p.service, p.name, p.state, p.created_at FROM profiles p JOIN accounts a ON a.id = p.account_id`

// ProfileQuery selects profiles; empty fields match everything.
type ProfileQuery struct {
	Account string
	Service string
	State   ProfileState
}

// Profiles lists profiles by service then name.
func (s *Store) Profiles(ctx context.Context, q ProfileQuery) ([]Profile, error) {
	query, args := profileSelect+` WHERE 1 = 1`, []any{}
	if q.Account != "" {
		query, args = query+` AND a.username = ?`, append(args, q.Account)
	}
	if q.Service != "" {
		query, args = query+` AND p.service = ?`, append(args, q.Service)
	}
	if q.State != "" {
		query, args = query+` AND p.state = ?`, append(args, q.State)
	}
	rows, err := s.db.Query(ctx, query+` ORDER BY p.service, p.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("identity: list profiles: %w", err)
	}
	defer rows.Close()
	out := []Profile{}
	for rows.Next() {
		var p Profile
		var created int64
		if err := rows.Scan(&p.ID, &p.Account, &p.Service, &p.Name, &p.State, &created); err != nil {
			return nil, fmt.Errorf("identity: list profiles: %w", err)
		}
		p.CreatedAt = unix(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Profile returns one profile by id.
func (s *Store) Profile(ctx context.Context, id int64) (Profile, error) {
	var p Profile
	var created int64
	err := s.db.QueryRow(ctx, profileSelect+` WHERE p.id = ?`, id).Scan(&p.ID, &p.Account, &p.Service, &p.Name, &p.State, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Profile{}, fmt.Errorf("identity: profile #%d: %w", id, store.ErrNotFound)
	}
	p.CreatedAt = unix(created)
	return p, err
}

// ApproveProfile activates a pending profile.
func (s *Store) ApproveProfile(ctx context.Context, id int64) error {
	res, err := s.db.Exec(ctx, `UPDATE profiles SET state = 'active' WHERE id = ? AND state = 'pending'`, id)
	if err != nil {
		return fmt.Errorf("identity: approve profile #%d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("pending profile #%d", id))
}

// RejectProfile deletes a pending profile, freeing its name.
func (s *Store) RejectProfile(ctx context.Context, id int64) error {
	res, err := s.db.Exec(ctx, `DELETE FROM profiles WHERE id = ? AND state = 'pending'`, id)
	if err != nil {
		return fmt.Errorf("identity: reject profile #%d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("pending profile #%d", id))
}

// DeleteProfile removes one of an account's own profiles.
func (s *Store) DeleteProfile(ctx context.Context, accountID, id int64) error {
	res, err := s.db.Exec(ctx, `DELETE FROM profiles WHERE id = ? AND account_id = ?`, id, accountID)
	if err != nil {
		return fmt.Errorf("identity: delete profile #%d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("profile #%d", id))
}

// profileNames is the set of every profile's name, for an import that
// checks many usernames against them at once (see accountConflict); it
// takes the names lock first.
func (s *Store) profileNames(ctx context.Context, tx *store.Tx) (map[string]bool, error) {
	if err := lockNames(ctx, tx); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT name FROM profiles`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names[n] = true
	}
	return names, rows.Err()
}
