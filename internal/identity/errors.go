package identity

import (
	"errors"
	"fmt"

	"pelote/internal/store"
)

// Errors callers test with errors.Is. Messages are safe to show to a person.
var (
	ErrBadCredentials = errors.New("wrong username or password")
	ErrDisabled       = errors.New("this account is disabled")
	ErrPending        = errors.New("this account is waiting for approval")
	ErrInvalid        = errors.New("invalid value")
	ErrQuotaReached   = errors.New("profile quota reached for this service")
	ErrLastAdmin      = errors.New("the last administrator cannot be removed or disabled")
	ErrSetupInvalid   = errors.New("this setup link is not valid")
	ErrSetupExpired   = errors.New("this setup link has expired")
	ErrSetupDone      = errors.New("an administrator already exists")
	ErrSessionInvalid = errors.New("session expired or revoked")
)

// ErrEmailTaken is an address another account has; it is a conflict.
// Sign-up pages do not say so, which would tell who is a member: they mail
// the address's owner instead.
var ErrEmailTaken = fmt.Errorf("this e-mail address is used by another account: %w", store.ErrConflict)

// InvalidError names the field whose value was refused and why; it matches
// ErrInvalid with errors.Is.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

// Is makes errors.Is(err, ErrInvalid) true for every InvalidError.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, reason string) error { return &InvalidError{Field: field, Reason: reason} }
