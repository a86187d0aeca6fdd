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

// Reserved are names a newcomer may not take: they are addresses mail
// systems give meaning to, or would let someone pass for the hoster.
// Administrators may still create them.
var Reserved = []string{"admin", "administrator", "root", "postmaster", "abuse", "hostmaster", "webmaster",
	"security", "noreply", "no-reply", "mailer-daemon", "support", "info", "system", "pelote", "www"}

// ErrInvitationInvalid is an invitation that is unknown, used or expired.
var ErrInvitationInvalid = errors.New("this invitation is not valid any more: ask for a new one")

// ErrVerificationInvalid is a verification link that is unknown, used or
// expired.
var ErrVerificationInvalid = errors.New("this verification link is not valid any more")

// VerificationTTL is how long a newcomer has to confirm the address.
const VerificationTTL = 48 * time.Hour

// maxInvitationNote bounds the note administrators keep with an invitation.
const maxInvitationNote = 200

// CreateInvitation makes a single-use sign-up link valid for ttl; whoever
// uses it joins groups.
func (s *Store) CreateInvitation(ctx context.Context, groups []string, ttl time.Duration, note string) (string, error) {
	var names []string
	for _, g := range groups {
		n, err := NormalizeName("group", g)
		if err != nil {
			return "", err
		}
		if _, err := s.Group(ctx, n); err != nil {
			return "", err
		}
		names = append(names, n)
	}
	if ttl <= 0 || ttl > 90*24*time.Hour {
		return "", invalid("ttl", "must be between a minute and 90 days")
	}
	note, err := CheckText("invitation_note", note, maxInvitationNote, false)
	if err != nil {
		return "", err
	}
	token, hash, err := s.newToken()
	if err != nil {
		return "", err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO invitations (token_hash, groups, note, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		hash, strings.Join(names, " "), note, s.now(), s.Now().Add(ttl).Unix())
	if err != nil {
		return "", fmt.Errorf("identity: invitation: %w", err)
	}
	return token, nil
}

// CheckInvitation tells whether an invitation can still be used.
func (s *Store) CheckInvitation(ctx context.Context, token string) error {
	var expires, used int64
	err := s.db.QueryRow(ctx, `SELECT expires_at, used_at FROM invitations WHERE token_hash = ?`, hashToken(token)).Scan(&expires, &used)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (used != 0 || s.Now().Unix() >= expires) {
		return ErrInvitationInvalid
	}
	return err
}

// SignUpWithInvitation spends the invitation and creates the account,
// pending until its address is confirmed; it returns the verification
// token to mail to the newcomer. As SignUp, an address another account
// has gives ErrEmailTaken and that account, and the invitation is spent
// all the same: a second try must not tell whose address it was.
func (s *Store) SignUpWithInvitation(ctx context.Context, token string, n NewAccount) (Account, string, error) {
	var groups string
	return s.signUp(ctx, n, SignUpOptions{}, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE invitations SET used_at = ? WHERE token_hash = ? AND used_at = 0 AND expires_at > ? RETURNING groups`,
			s.now(), hashToken(token), s.now()).Scan(&groups)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvitationInvalid
		}
		return err
	}, func(tx *store.Tx, a Account) error {
		if _, err := tx.Exec(ctx, `UPDATE invitations SET account_id = ? WHERE token_hash = ?`, a.ID, hashToken(token)); err != nil {
			return err
		}
		for _, g := range strings.Fields(groups) {
			if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, account_id) SELECT id, ? FROM account_groups WHERE name = ?`, a.ID, g); err != nil {
				return err
			}
		}
		return nil
	})
}

// Invitation is an invitation link as administrators see it; the link
// itself is only known when it is made.
type Invitation struct {
	// ID names the invitation for revoking: the start of its token's hash.
	ID        string    `json:"id"`
	Groups    []string  `json:"groups"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Used and UsedBy say whether and by whom it was spent (UsedBy is
	// empty when that account is gone).
	Used   bool   `json:"used"`
	UsedBy string `json:"used_by,omitempty"`
}

// Expired tells whether an unused invitation can no longer be used.
func (i Invitation) Expired(now time.Time) bool { return !i.Used && !now.Before(i.ExpiresAt) }

// invitationIDLen is how much of the hash names an invitation.
const invitationIDLen = 16

// Invitations lists invitations, newest first.
func (s *Store) Invitations(ctx context.Context) ([]Invitation, error) {
	rows, err := s.db.Query(ctx, `SELECT i.token_hash, i.groups, i.note, i.created_at, i.expires_at, i.used_at, COALESCE(a.username, '')
		FROM invitations i LEFT JOIN accounts a ON a.id = i.account_id ORDER BY i.created_at DESC, i.token_hash`)
	if err != nil {
		return nil, fmt.Errorf("identity: invitations: %w", err)
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		var i Invitation
		var groups string
		var created, expires, used int64
		if err := rows.Scan(&i.ID, &groups, &i.Note, &created, &expires, &used, &i.UsedBy); err != nil {
			return nil, err
		}
		if len(i.ID) < invitationIDLen {
			return nil, fmt.Errorf("identity: invitation with a malformed hash %q", i.ID)
		}
		i.ID = i.ID[:invitationIDLen]
		i.Groups = strings.Fields(groups)
		i.CreatedAt, i.ExpiresAt, i.Used = unix(created), unix(expires), used != 0
		out = append(out, i)
	}
	return out, rows.Err()
}

// RevokeInvitation deletes an invitation nobody used yet.
func (s *Store) RevokeInvitation(ctx context.Context, id string) error {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) != invitationIDLen || strings.Trim(id, "0123456789abcdef") != "" {
		return invalid("invitation", fmt.Sprintf("is %d hexadecimal digits, as the invitation list shows", invitationIDLen))
	}
	res, err := s.db.Exec(ctx, `DELETE FROM invitations WHERE substr(token_hash, 1, 16) = ? AND used_at = 0`, id)
	if err != nil {
		return fmt.Errorf("identity: revoke invitation: %w", err)
	}
	return mustAffect(res, "unused invitation "+id)
}
