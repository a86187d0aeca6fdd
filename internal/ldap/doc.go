// Package ldap serves accounts and groups over LDAP, read-only, for the
// applications and machines that only speak LDAP. gldap does the framing,
// BER and TLS; the directory (tree, filters, access, paging) is ours. The
// directory is an in-memory snapshot rebuilt when identity changes, so a
// search never waits on the database; binds check passwords there.
package ldap
