// Package store opens Pelote's database (embedded SQLite or PostgreSQL),
// applies each domain's migrations and hands out leases for run-once work.
//
// Invariants:
//   - Queries are written once, with '?' placeholders, in SQL both engines
//     accept; the DB rebinds them to $n for PostgreSQL.
//   - SQLite has a single writer connection (plus read-only readers), WAL,
//     foreign keys on, synchronous=FULL so a killed process loses no commit.
//   - A schema newer than the binary knows is refused at start.
//   - Dates are stored as Unix seconds (UTC), booleans as 0/1 integers.
package store
