// Package ldap serves accounts and groups over LDAP, read-only, for the
// applications and machines that only speak LDAP. Package wire reads and
// writes the protocol's messages; the connections, the directory (tree,
// filters, access, paging) and binds are here. The directory is an
// in-memory snapshot rebuilt when identity changes, so a search never
// waits on the database; binds check passwords there. Each entry of a
// snapshot carries its values' comparison forms and its own encoding,
// made once with the snapshot, so that a search compares strings and
// copies bytes; the answers to one request leave in one write.
package ldap
