package identity

import (
	"context"
	"slices"

	"pelote/internal/store"
)

// revokeCredentials ends, in tx, what an account's old password gave or
// may have given to someone else, once the password is replaced (by the
// member, an administrator, the CLI or a reset link): the sessions matching
// sessionsWhere (all but the member's own, or all), the links in flight
// (reset links, pending address changes: one made by an intruder would
// hand them the account back), the app passwords but those in keepApps
// (the member's own choice, on their own change), and, through
// PasswordChanged, the applications' grants.
func (s *Store) revokeCredentials(ctx context.Context, tx *store.Tx, accountID int64, sessionsWhere string, sessionArgs []any, keepApps []int64) error {
	ended, err := s.endSessions(ctx, tx, sessionsWhere, sessionArgs...)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM password_resets WHERE account_id = ? AND used_at = 0`, accountID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM email_changes WHERE account_id = ? AND used_at = 0`, accountID); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT id FROM app_passwords WHERE account_id = ?`, accountID)
	if err != nil {
		return err
	}
	var drop []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if !slices.Contains(keepApps, id) {
			drop = append(drop, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range drop {
		if _, err := tx.Exec(ctx, `DELETE FROM app_passwords WHERE id = ? AND account_id = ?`, id, accountID); err != nil {
			return err
		}
	}
	if s.PasswordChanged != nil {
		return s.PasswordChanged(ctx, tx, accountID, ended)
	}
	return nil
}
