// Package identity holds who logs in and what applications see.
//
// An Account is what logs in: a username, an argon2id password hash, a primary
// e-mail, a locale and a state (active, disabled, pending). A Profile is what
// an application sees: a name unique within one Service, owned by one account.
// An account may hold several profiles per service up to the service's quota;
// past the quota, a service either refuses or sends the extra profile to a
// moderator for approval. Groups gather accounts; the "admin" group always
// exists and never loses its last member.
//
// Invariants:
//   - Usernames, profile names, group and service names are stored lower-case.
//   - Secrets (passwords, session and setup tokens) are stored only as hashes;
//     session and setup tokens are 256-bit random values hashed with SHA-256.
//   - Every write that checks a rule (quota, last admin) runs in one
//     transaction that first locks the rows it reasons about.
package identity
