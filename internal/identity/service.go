package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"pelote/internal/store"
)

// ExtraProfiles says what happens to a profile past a service's quota.
type ExtraProfiles string

const (
	// RefuseExtra refuses profiles past the quota (an admin may still add one).
	RefuseExtra ExtraProfiles = "refuse"
	// ApproveExtra creates them pending until a moderator approves.
	ApproveExtra ExtraProfiles = "approval"
)

// Service is a profile namespace: one hosted application (or a family of
// clients sharing the same users).
type Service struct {
	Name string `json:"name"`
	// ProfileQuota is how many profiles a member may create; 0 leaves
	// profile creation to administrators.
	ProfileQuota  int           `json:"profile_quota"`
	ExtraProfiles ExtraProfiles `json:"extra_profiles"`
	CreatedAt     time.Time     `json:"created_at"`
}

func (sv *Service) validate() error {
	var errs []error
	n, err := NormalizeName("service", sv.Name)
	errs, sv.Name = append(errs, err), n
	if sv.ProfileQuota < 0 || sv.ProfileQuota > 1000 {
		errs = append(errs, invalid("quota", "must be between 0 and 1000"))
	}
	switch sv.ExtraProfiles {
	case "":
		sv.ExtraProfiles = RefuseExtra
	case RefuseExtra, ApproveExtra:
	default:
		errs = append(errs, invalid("extra", "must be refuse or approval"))
	}
	return errors.Join(errs...)
}

// CreateService adds a service; a taken name gives store.ErrConflict.
func (s *Store) CreateService(ctx context.Context, sv Service) (Service, error) {
	if err := sv.validate(); err != nil {
		return Service{}, fmt.Errorf("identity: create service: %w", err)
	}
	sv.CreatedAt = unix(s.now())
	_, err := s.db.Exec(ctx, `INSERT INTO services (name, profile_quota, extra_profiles, created_at) VALUES (?, ?, ?, ?)`,
		sv.Name, sv.ProfileQuota, sv.ExtraProfiles, sv.CreatedAt.Unix())
	if store.IsUniqueViolation(err) {
		return Service{}, fmt.Errorf("identity: service %q exists already: %w", sv.Name, store.ErrConflict)
	}
	if err != nil {
		return Service{}, fmt.Errorf("identity: create service %q: %w", sv.Name, err)
	}
	return sv, nil
}

// EnsureService creates, inside tx, the service a new OpenID client gets
// when it names none: one profile per member, extra profiles refused. A
// service of that name already there is kept as it is. The client is
// written in the same transaction, so a client refused leaves no service.
func (s *Store) EnsureService(ctx context.Context, tx *store.Tx, name string) error {
	sv := Service{Name: name, ProfileQuota: 1, ExtraProfiles: RefuseExtra}
	if err := sv.validate(); err != nil {
		return fmt.Errorf("identity: create service: %w", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO services (name, profile_quota, extra_profiles, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, sv.Name, sv.ProfileQuota, sv.ExtraProfiles, s.now())
	if err != nil {
		return fmt.Errorf("identity: create service %q: %w", sv.Name, err)
	}
	return nil
}

// UpdateService changes a service's quota and policy for extra profiles.
// Profiles already held beyond a lowered quota are kept.
func (s *Store) UpdateService(ctx context.Context, sv Service) error {
	if err := sv.validate(); err != nil {
		return fmt.Errorf("identity: update service: %w", err)
	}
	res, err := s.db.Exec(ctx, `UPDATE services SET profile_quota = ?, extra_profiles = ? WHERE name = ?`, sv.ProfileQuota, sv.ExtraProfiles, sv.Name)
	if err != nil {
		return fmt.Errorf("identity: update service %q: %w", sv.Name, err)
	}
	return mustAffect(res, fmt.Sprintf("service %q", sv.Name))
}

const serviceCols = `name, profile_quota, extra_profiles, created_at`

func scanService(row interface{ Scan(...any) error }) (Service, error) {
	var sv Service
	var created int64
	err := row.Scan(&sv.Name, &sv.ProfileQuota, &sv.ExtraProfiles, &created)
	sv.CreatedAt = unix(created)
	return sv, err
}

// Services lists services by name.
func (s *Store) Services(ctx context.Context) ([]Service, error) {
	rows, err := s.db.Query(ctx, `SELECT `+serviceCols+` FROM services ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("identity: list services: %w", err)
	}
	defer rows.Close()
	out := []Service{}
	for rows.Next() {
		sv, err := scanService(rows)
		if err != nil {
			return nil, fmt.Errorf("identity: list services: %w", err)
		}
		out = append(out, sv)
	}
	return out, rows.Err()
}

// Service returns one service by name.
func (s *Store) Service(ctx context.Context, name string) (Service, error) {
	n, err := NormalizeName("service", name)
	if err != nil {
		return Service{}, fmt.Errorf("identity: service: %w", err)
	}
	sv, err := scanService(s.db.QueryRow(ctx, `SELECT `+serviceCols+` FROM services WHERE name = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return Service{}, fmt.Errorf("identity: service %q: %w", n, store.ErrNotFound)
	}
	if err != nil {
		return Service{}, fmt.Errorf("identity: service %q: %w", n, err)
	}
	return sv, nil
}
