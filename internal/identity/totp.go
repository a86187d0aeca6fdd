package identity

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"io"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"pelote/internal/store"
)

// Second-factor errors.
var (
	ErrBadCode      = errors.New("this code is not valid")
	ErrNoTOTP       = errors.New("two-step verification is not enabled")
	ErrTOTPRequired = errors.New("a group of this account requires two-step verification")
)

// TOTP parameters every authenticator app understands.
const (
	totpPeriod = 30
	totpSkew   = 1
	// RecoveryCodes is how many single-use codes an enrolment gives.
	RecoveryCodes = 10
)

// TOTPStatus is an account's second factor as the login needs it.
type TOTPStatus struct {
	Enabled, Required bool
	RecoveryLeft      int
}

// TOTPEnrolment is what the enrolment page shows: the secret for manual
// entry, the otpauth:// URL, and that URL as a QR code (PNG).
type TOTPEnrolment struct {
	Secret string
	URL    string
	PNG    []byte
}

// TOTPStatus tells whether the account has TOTP and whether a group
// requires it.
func (s *Store) TOTPStatus(ctx context.Context, accountID int64) (TOTPStatus, error) {
	var st TOTPStatus
	var enabled int64
	err := s.db.QueryRow(ctx, `SELECT COALESCE((SELECT enabled_at FROM account_totp WHERE account_id = ?), 0),
		(SELECT COUNT(*) FROM totp_recovery_codes WHERE account_id = ? AND used_at = 0),
		EXISTS (SELECT 1 FROM group_members m JOIN account_groups g ON g.id = m.group_id WHERE m.account_id = ? AND g.require_totp = 1)`,
		accountID, accountID, accountID).Scan(&enabled, &st.RecoveryLeft, &st.Required)
	st.Enabled = enabled != 0
	if err != nil {
		return TOTPStatus{}, fmt.Errorf("identity: totp status: %w", err)
	}
	return st, nil
}

func sealContext(accountID int64) string { return fmt.Sprintf("account %d", accountID) }

func (s *Store) seal(accountID int64, secret string) (string, error) {
	if s.Seal == nil {
		return "", errors.New("identity: no sealer configured for second-factor seeds")
	}
	return base64.StdEncoding.EncodeToString(s.Seal.Seal([]byte(secret), sealContext(accountID))), nil
}

func (s *Store) open(accountID int64, sealed string) (string, error) {
	if s.Seal == nil {
		return "", errors.New("identity: no sealer configured for second-factor seeds")
	}
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("identity: totp seed of account %d: %w", accountID, err)
	}
	plain, err := s.Seal.Open(raw, sealContext(accountID))
	if err != nil {
		return "", fmt.Errorf("identity: totp seed of account %d: %w", accountID, err)
	}
	return string(plain), nil
}

// BeginTOTP makes a new pending seed; the current one, if any, stays in
// force until ConfirmTOTP. It needs the account's password: whoever sets
// the second factor (a first one, or one that replaces the current on a
// new device) decides who can sign in, and a session alone must not.
func (s *Store) BeginTOTP(ctx context.Context, accountID int64, issuer, password string) (TOTPEnrolment, error) {
	if err := s.checkOwnPassword(ctx, accountID, password); err != nil {
		return TOTPEnrolment{}, err
	}
	a, err := s.AccountByID(ctx, accountID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: a.Username, Period: totpPeriod, Rand: s.Rand})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("identity: totp: %w", err)
	}
	sealed, err := s.seal(accountID, key.Secret())
	if err != nil {
		return TOTPEnrolment{}, err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO account_totp (account_id, pending_secret) VALUES (?, ?)
		ON CONFLICT (account_id) DO UPDATE SET pending_secret = excluded.pending_secret`, accountID, sealed)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("identity: totp: %w", err)
	}
	return enrolment(key)
}

// PendingTOTP shows the enrolment in progress again, for a person who
// mistyped the confirmation code: the seed in their app stays valid.
func (s *Store) PendingTOTP(ctx context.Context, accountID int64, issuer string) (TOTPEnrolment, error) {
	a, err := s.AccountByID(ctx, accountID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	var pending string
	err = s.db.QueryRow(ctx, `SELECT pending_secret FROM account_totp WHERE account_id = ?`, accountID).Scan(&pending)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && pending == "") {
		return TOTPEnrolment{}, fmt.Errorf("identity: no enrolment in progress: %w", ErrNoTOTP)
	}
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("identity: totp: %w", err)
	}
	secret, err := s.open(accountID, pending)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("identity: totp seed of account %d: %w", accountID, err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: a.Username, Period: totpPeriod, Secret: raw})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("identity: totp: %w", err)
	}
	return enrolment(key)
}

// enrolment renders a key for the enrolment page.
func enrolment(key *otp.Key) (TOTPEnrolment, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("identity: totp QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), PNG: buf.Bytes()}, nil
}

// step is the TOTP time step a code is valid for, -1 if none within skew.
func (s *Store) step(secret, code string) int64 {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return -1
	}
	now := s.Now()
	for d := -totpSkew; d <= totpSkew; d++ {
		t := now.Add(time.Duration(d*totpPeriod) * time.Second)
		ok, err := totp.ValidateCustom(code, secret, t, totp.ValidateOpts{Period: totpPeriod, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			return t.Unix() / totpPeriod
		}
	}
	return -1
}

// ConfirmTOTP checks a code against the pending seed, makes it the
// account's, and returns fresh recovery codes (shown once, stored hashed).
func (s *Store) ConfirmTOTP(ctx context.Context, accountID int64, code string) ([]string, error) {
	var codes []string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var pending string
		err := tx.QueryRow(ctx, `SELECT pending_secret FROM account_totp WHERE account_id = ?`, accountID).Scan(&pending)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && pending == "") {
			return fmt.Errorf("identity: no enrolment in progress: %w", ErrNoTOTP)
		}
		if err != nil {
			return err
		}
		secret, err := s.open(accountID, pending)
		if err != nil {
			return err
		}
		step := s.step(secret, code)
		if step < 0 {
			return ErrBadCode
		}
		if _, err := tx.Exec(ctx, `UPDATE account_totp SET secret = pending_secret, pending_secret = '', enabled_at = ?, last_step = ? WHERE account_id = ?`,
			s.now(), step, accountID); err != nil {
			return err
		}
		codes, err = s.newRecoveryCodes(ctx, tx, accountID)
		return err
	})
	return codes, err
}

// recoveryAlphabet avoids letters and digits people confuse.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

func (s *Store) newRecoveryCodes(ctx context.Context, tx *store.Tx, accountID int64) ([]string, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM totp_recovery_codes WHERE account_id = ?`, accountID); err != nil {
		return nil, err
	}
	codes := make([]string, RecoveryCodes)
	for i := range codes {
		b, err := s.recoveryChars(10)
		if err != nil {
			return nil, err
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
		if _, err := tx.Exec(ctx, `INSERT INTO totp_recovery_codes (account_id, code_hash) VALUES (?, ?)`, accountID, hashToken(codes[i])); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// recoveryChars draws n characters from recoveryAlphabet without modulo
// bias: bytes past the largest multiple of its length are drawn again.
func (s *Store) recoveryChars(n int) ([]byte, error) {
	const limit = 256 - 256%len(recoveryAlphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, 16)
	for len(out) < n {
		if _, err := io.ReadFull(s.Rand, buf); err != nil {
			return nil, fmt.Errorf("identity: recovery codes: %w", err)
		}
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, recoveryAlphabet[int(c)%len(recoveryAlphabet)])
			}
		}
	}
	return out, nil
}

// VerifySecondFactor accepts a current TOTP code, once per time step, or
// an unused recovery code, which it spends.
func (s *Store) VerifySecondFactor(ctx context.Context, accountID int64, code string) (usedRecovery bool, err error) {
	code = strings.ToLower(strings.TrimSpace(code))
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var sealed string
		var last int64
		err := tx.QueryRow(ctx, `SELECT secret, last_step FROM account_totp WHERE account_id = ? AND enabled_at <> 0`, accountID).Scan(&sealed, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoTOTP
		}
		if err != nil {
			return err
		}
		if len(code) == 11 && code[5] == '-' {
			res, err := tx.Exec(ctx, `UPDATE totp_recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at = 0`,
				s.now(), accountID, hashToken(code))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrBadCode
			}
			usedRecovery = true
			return nil
		}
		secret, err := s.open(accountID, sealed)
		if err != nil {
			return err
		}
		step := s.step(secret, code)
		if step < 0 || step <= last {
			return ErrBadCode
		}
		// Conditional, so that two logins with one code racing on
		// PostgreSQL cannot both pass: the row lock decides.
		res, err := tx.Exec(ctx, `UPDATE account_totp SET last_step = ? WHERE account_id = ? AND last_step < ?`, step, accountID, step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrBadCode
		}
		return nil
	})
	return usedRecovery, err
}

// RegenerateRecoveryCodes replaces the recovery codes; it needs the password.
func (s *Store) RegenerateRecoveryCodes(ctx context.Context, accountID int64, password string) ([]string, error) {
	if err := s.checkOwnPassword(ctx, accountID, password); err != nil {
		return nil, err
	}
	var codes []string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var enabled int64
		if err := tx.QueryRow(ctx, `SELECT enabled_at FROM account_totp WHERE account_id = ?`, accountID).Scan(&enabled); err != nil || enabled == 0 {
			return ErrNoTOTP
		}
		var err error
		codes, err = s.newRecoveryCodes(ctx, tx, accountID)
		return err
	})
	return codes, err
}

// VerifyOwnPassword checks an account's current password, for a change
// another domain makes that a session alone must not (adding an SSH key);
// a wrong one is ErrBadCredentials.
func (s *Store) VerifyOwnPassword(ctx context.Context, accountID int64, password string) error {
	return s.checkOwnPassword(ctx, accountID, password)
}

func (s *Store) checkOwnPassword(ctx context.Context, accountID int64, password string) error {
	a, err := s.AccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	_, err = s.Authenticate(ctx, a.Username, password)
	return err
}

// DisableTOTP turns the second factor off with the account's password,
// unless a group requires it.
func (s *Store) DisableTOTP(ctx context.Context, accountID int64, password string) error {
	st, err := s.TOTPStatus(ctx, accountID)
	if err != nil {
		return err
	}
	if !st.Enabled {
		return ErrNoTOTP
	}
	if st.Required {
		return ErrTOTPRequired
	}
	if err := s.checkOwnPassword(ctx, accountID, password); err != nil {
		return err
	}
	return s.removeTOTP(ctx, accountID)
}

// ResetTOTP is an administrator's reset for a member who lost the device
// and the codes: the member enrols again.
func (s *Store) ResetTOTP(ctx context.Context, username string) error {
	a, err := s.Account(ctx, username)
	if err != nil {
		return err
	}
	return s.removeTOTP(ctx, a.ID)
}

func (s *Store) removeTOTP(ctx context.Context, accountID int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM totp_recovery_codes WHERE account_id = ?`, accountID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM account_totp WHERE account_id = ?`, accountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoTOTP
		}
		return nil
	})
}

// SetGroupRequireTOTP makes two-step verification mandatory (or not) for
// a group's members.
func (s *Store) SetGroupRequireTOTP(ctx context.Context, group string, require bool) error {
	n, err := NormalizeName("group", group)
	if err != nil {
		return err
	}
	v := 0
	if require {
		v = 1
	}
	res, err := s.db.Exec(ctx, `UPDATE account_groups SET require_totp = ? WHERE name = ?`, v, n)
	if err != nil {
		return err
	}
	return mustAffect(res, "group "+n)
}
