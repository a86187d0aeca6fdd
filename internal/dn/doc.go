// Package dn puts LDAP distinguished names (RFC 4514) in the one canonical
// form Pelote compares them in: the directory's entries and search bases,
// bind names, DN-valued filter assertions and the DNs of an imported LDIF
// all go through Canonical, so two spellings of one name always meet.
//
// The form: attribute types in lower case; values prepared as RFC 4518
// asks for caseIgnoreMatch (NFKC, case folded, insignificant spaces
// removed) and escaped again; no spaces around separators; the values of a
// multi-valued RDN sorted. It is a comparison key, never shown to anyone.
package dn
