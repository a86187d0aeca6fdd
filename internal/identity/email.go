package identity

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"pelote/internal/store"
)

// EmailKey is the form in which addresses are compared: the Unicode case
// folding of the canonical decomposition, recomposed (NFC). "Ä@x", "ä@x"
// and "a\u0308@x" are one address, and so are the folded variants of a
// local part (Straße / STRASSE): mail systems treat them as one mailbox
// far more often than not, and one mailbox must not hold two accounts.
// The unique index on accounts.email_key enforces it.
func EmailKey(email string) string {
	return norm.NFC.String(cases.Fold().String(norm.NFD.String(email)))
}

// Confirmation says how an account's address was confirmed.
type Confirmation string

// How an address is confirmed; Unconfirmed is none of them, and then
// applications are told email_verified false.
const (
	Unconfirmed     Confirmation = ""
	ConfirmedLink   Confirmation = "link"   // a link mailed to it was opened
	ConfirmedSignUp Confirmation = "signup" // the sign-up's confirmation link
	ConfirmedAdmin  Confirmation = "admin"  // an administrator entered it
	ConfirmedImport Confirmation = "import" // an import brought it from a directory
)

// EmailConfirmed tells whether the account's address is confirmed.
func (a Account) EmailConfirmed() bool { return a.EmailConfirmedBy != Unconfirmed }

// confirmedAt is the email_confirmed_at value for how (0: unconfirmed).
func confirmedAt(how Confirmation, now int64) int64 {
	if how == Unconfirmed {
		return 0
	}
	return now
}

// emailKeyMigration is identity migration 11: SQL has no Unicode case
// folding, so the keys of existing addresses are computed here. Two
// accounts whose addresses already fold to one key stop the upgrade, with
// their ids: an administrator gives one of them another address (with the
// previous Pelote) before migration 12 can make the key unique.
var emailKeyMigration = store.CodeMigration{Version: 11, Up: fillEmailKeys}

func fillEmailKeys(ctx context.Context, tx *store.Tx) error {
	rows, err := tx.Query(ctx, `SELECT id, email FROM accounts ORDER BY id`)
	if err != nil {
		return err
	}
	type keyed struct {
		id  int64
		key string
	}
	var all []keyed
	owner := map[string]int64{}
	var clashes []string
	for rows.Next() {
		var id int64
		var email string
		if err := rows.Scan(&id, &email); err != nil {
			rows.Close()
			return err
		}
		k := keyed{id, EmailKey(email)}
		if first, ok := owner[k.key]; ok && email != "" {
			clashes = append(clashes, fmt.Sprintf("#%d and #%d", first, id))
		}
		owner[k.key] = id
		all = append(all, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(clashes) > 0 {
		return fmt.Errorf("identity: accounts %v have addresses that differ only in case or Unicode form, "+
			"which now count as one address: give one of each pair another address with the previous Pelote, then upgrade", clashes)
	}
	for _, k := range all {
		if _, err := tx.Exec(ctx, `UPDATE accounts SET email_key = ? WHERE id = ?`, k.key, k.id); err != nil {
			return err
		}
	}
	return nil
}

// unixTime is t as stored, the zero time for 0.
func unixTime(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return unix(t)
}
