package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned (wrapped) when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a write would break a uniqueness rule.
var ErrConflict = errors.New("already exists")

// ErrUnavailable is returned (wrapped) when the database does not answer.
var ErrUnavailable = errors.New("database unavailable")

// IsUniqueViolation reports whether err is a unique or primary key violation
// on either engine, so domain packages can turn it into ErrConflict.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// IsInvalidText reports whether err is PostgreSQL refusing a text value it
// cannot store (a NUL byte, bytes that are not UTF-8): the input's fault,
// not the server's. SQLite stores such values as they are.
func IsInvalidText(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05")
}
